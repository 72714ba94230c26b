// Restoring an `rsync` copy: the dated directory is copied back by rsync itself, on the job's
// host (where the backup ran), from the storage (a local path, or `user@host:path` over the
// job's own `--rsh` when the storage is on another host, with --protect-args so remote names
// are data, never shell words). A dated directory holds whole paths (the backup uses
// --relative), so `D/./a/b` with --relative restores `/a/b` under the root; without `--path`
// the whole directory is copied.
import { LOCAL } from '../exec/quote';
import { runTool } from '../exec/guard';
import { backupStep, listInventory, rel, storageOf } from './common';
import { RestoreError, type FileRestorer, type KindContext, type RestoreCopy } from './types';

function sourceOf(ctx: KindContext, copy: RestoreCopy): { prefix: string; extra: string[] } {
  const backup = backupStep(ctx, 'rsync');
  if (copy.host === backup.host) return { prefix: copy.path, extra: [] };
  const h = ctx.plan.hosts.get(copy.host);
  if (!h) throw new RestoreError(`host \`${copy.host}\` is not defined in the plan`);
  const rsh = backup.argv.find((a) => a.startsWith('--rsh='));
  if (backup.host !== LOCAL && copy.host !== LOCAL && !rsh)
    throw new RestoreError(`job ${ctx.job.name}: cannot reach ${copy.host} from ${backup.host} with rsync`);
  return {
    prefix: `${h.user ? `${h.user}@` : ''}${h.address}:${copy.path}`,
    extra: [...(rsh ? [rsh] : ['--rsh=ssh -o BatchMode=yes']), '--protect-args'],
  };
}

export function rsyncArgv(ctx: KindContext, copy: RestoreCopy, root: string, include: readonly string[]): string[] {
  const backup = backupStep(ctx, 'rsync');
  const { prefix, extra } = sourceOf(ctx, copy);
  const base = [backup.argv[0], '--archive', '--numeric-ids', '--hard-links', ...extra];
  if (include.length === 0) return [...base, '--', `${prefix}/`, `${root}/`];
  return [...base, '--relative', '--', ...include.map((p) => `${prefix}/./${rel(p)}`), `${root}/`];
}

export const rsyncRestorer: FileRestorer = {
  target: 'files',
  targetHost: (ctx) => backupStep(ctx, 'rsync').host,
  async list(ctx) {
    const inv = backupStep(ctx, 'rsync').inventory;
    if (!inv || inv.type !== 'directories') throw new RestoreError(`job ${ctx.job.name}: no rsync inventory`);
    return listInventory(ctx, inv, storageOf(ctx.job), "the job's own storage");
  },
  restore(ctx, copy, root, include) {
    const backup = backupStep(ctx, 'rsync');
    const argv = rsyncArgv(ctx, copy, root, include);
    return [
      {
        description: `copy ${copy.path}${include.length ? ` (${include.join(', ')})` : ''} into ${root} with rsync`,
        host: backup.host,
        argv,
        async run() {
          const r = await runTool({ host: backup.host, argv, ...(backup.env ? { env: backup.env } : {}) }, ctx.x);
          if (r.error || r.code !== 0) {
            const last = r.stderr.trim().split('\n').slice(-3).join(' | ');
            throw new RestoreError(
              ctx.x.redactor.text(
                r.error ?? `rsync exited with status ${r.code}${r.code === 23 && include.length ? ' (is every --path in the copy?)' : ''}: ${last}`,
              ),
            );
          }
        },
      },
    ];
  },
};
