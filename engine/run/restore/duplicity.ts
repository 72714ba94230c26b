// Restoring a `duplicity` copy: `duplicity restore --time=SET [--file-to-restore=PATH] --force
// URL TARGET` on the job's host with the job's common flags (cache name, keys) and PASSPHRASE by
// environment, as for runs. duplicity replays the set's whole chain (its full, then each
// incremental up to the set). The backup's source is `/` (drivers/duplicity.ts), so the whole set
// restores into the root as absolute paths; a `--path` is restored by itself into root + PATH
// (one --file-to-restore per path, its parent made first; --force because the root exists, empty).
// The copies are the complete backup sets `duplicity collection-status` lists, named by
// duplicity's own time string (`20260301T030000Z`), which `--time` takes back.
import { dirname } from 'node:path';
import { duplicityParts } from '../drivers/duplicity';
import { runTool } from '../exec/guard';
import { duplicityHint } from '../exec/duplicity-hints';
import { fsFor } from '../exec/files';
import { parseCollectionStatus, setsOnTarget } from '../inventory/duplicity';
import { backupStep, rel, storageOf } from './common';
import { RestoreError, type FileRestorer, type KindContext, type RestoreAction, type RestoreCopy } from './types';

function fail(
  ctx: KindContext,
  what: string,
  r: { code: number | null; stderr: string; error?: string },
): RestoreError {
  const last = r.stderr.trim().split('\n').slice(-3).join(' | ');
  const hint = duplicityHint(r.stderr);
  return new RestoreError(
    ctx.x.redactor.text(
      `${what}: ${r.error ?? `duplicity exited with status ${r.code}: ${last}`}${hint ? ` ${hint}` : ''}`,
    ),
  );
}

/** The argv restoring `copy` (all of it, or only `path`) into `target`. */
export function duplicityRestoreArgv(ctx: KindContext, copy: RestoreCopy, target: string, path?: string): string[] {
  const { bin, common, url } = duplicityParts(backupStep(ctx, 'duplicity'));
  const only = path === undefined ? [] : [`--file-to-restore=${rel(path)}`];
  return [bin, 'restore', `--time=${copy.name}`, ...only, '--force', ...common, url, target];
}

export const duplicityRestorer: FileRestorer = {
  target: 'files',
  targetHost: (ctx) => backupStep(ctx, 'duplicity').host,
  async list(ctx) {
    const backup = backupStep(ctx, 'duplicity');
    const { bin, common, url } = duplicityParts(backup);
    const argv = [bin, 'collection-status', '--log-fd=1', ...common, url];
    const r = await runTool({ host: backup.host, argv, ...(backup.env ? { env: backup.env } : {}) }, ctx.x);
    if (r.error || r.code !== 0) throw fail(ctx, `cannot list the backup sets of ${ctx.job.name}`, r);
    const storage = storageOf(ctx.job);
    const fs = fsFor(backup.host, ctx.x.hosts);
    const sets = await setsOnTarget(parseCollectionStatus(r.stdout), url, (d) => fs.list(d));
    const copies: RestoreCopy[] = sets
      .map((s) => ({ name: s.stamp, time: s.time, path: s.stamp, host: backup.host, storage }))
      .sort((a, b) => b.time - a.time);
    return { storage, copies, why: "the job's own duplicity target" };
  },
  restore(ctx, copy, root, include) {
    const backup = backupStep(ctx, 'duplicity');
    const env = backup.env ? { env: backup.env } : {};
    const run = (argv: string[], what: string) => async () => {
      const r = await runTool({ host: backup.host, argv, ...env }, ctx.x);
      if (r.error || r.code !== 0) throw fail(ctx, what, r);
    };
    if (include.length === 0) {
      const argv = duplicityRestoreArgv(ctx, copy, root);
      return [
        {
          description: `duplicity restore ${copy.name} into ${root}`,
          host: backup.host,
          argv,
          run: run(argv, `cannot restore ${copy.name}`),
        },
      ];
    }
    const actions: RestoreAction[] = [];
    for (const p of include) {
      const target = `${root}${p}`;
      const mkdir = ['mkdir', '-p', '--', dirname(target)];
      actions.push({
        description: `create ${dirname(target)}`,
        host: backup.host,
        argv: mkdir,
        run: run(mkdir, `cannot create ${dirname(target)}`),
      });
      const argv = duplicityRestoreArgv(ctx, copy, target, p);
      actions.push({
        description: `duplicity restore ${p} of ${copy.name}`,
        host: backup.host,
        argv,
        run: run(argv, `cannot restore ${p} of ${copy.name}`),
      });
    }
    return actions;
  },
};
