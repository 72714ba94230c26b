// Restoring a `borg` copy: `borg extract REPO::ARCHIVE [pp:PATH]...` run inside the restore's
// root directory on the job's host (borg extracts into its working directory; on a remote host
// through a fixed `sh -c 'cd -- "$1" ...'` with the directory as an argument), with the job's
// repository, BORG_RSH and passphrase as for runs. Paths are given as `pp:` (path prefix)
// patterns, so no name is read as another pattern style. The copies are the job's archives as
// `borg list --json` lists them (the prune guard's glob).
import { expandPattern } from '../steps/driver-kit';
import { parseBorgList, runTool } from '../exec/guard';
import { errorLines } from '../exec/process';
import { toolLockedMessage } from '../exec/tool-lock';
import { LOCAL } from '../exec/quote';
import { readWithoutLockIfReadOnly } from '../exec/read-only-repo';
import type { Command, CommandStep } from '../steps/step';
import { backupStep, rel, storageOf } from './common';
import { RestoreError, type FileRestorer, type KindContext, type RestoreCopy } from './types';

const IN_DIR = 'cd -- "$1" || exit 1; shift; exec "$@"';

function repoOf(ctx: KindContext): { borg: string; repo: string; name: string } {
  const argv = backupStep(ctx, 'borg').argv;
  const [repo, name] = argv[argv.indexOf('--') + 1].split('::');
  return { borg: argv[0], repo, name };
}

function globOf(ctx: KindContext): string {
  const guard = ctx.steps.find((s): s is CommandStep => s.type === 'command' && s.guard?.list?.parse === 'borg-list-json');
  const g = guard?.guard?.list?.argv.find((a) => a.startsWith('--glob-archives='));
  if (g) return g.slice('--glob-archives='.length);
  const { name } = repoOf(ctx);
  const pattern = ctx.job.raw.pattern;
  const named = typeof pattern === 'string' ? expandPattern(pattern, Date.now(), ctx.plan.timezone || 'UTC') : undefined;
  return named?.ok ? named.match : name.startsWith(`${ctx.job.name}-`) ? `${ctx.job.name}-*` : name;
}

function fail(ctx: KindContext, what: string, r: { code: number | null; stderr: string; error?: string }): RestoreError {
  // The tool's lock left by a killed command: which repository, and what clears it.
  const locked = r.error ? undefined : toolLockedMessage(backupStep(ctx, 'borg').argv, r.stderr);
  const last = errorLines(r.stderr);
  return new RestoreError(ctx.x.redactor.text(`${what}: ${r.error ?? locked ?? `borg exited with status ${r.code}: ${last}`}`));
}

export function borgExtractArgv(ctx: KindContext, copy: RestoreCopy, include: readonly string[]): string[] {
  const { borg, repo } = repoOf(ctx);
  return [borg, 'extract', '--', `${repo}::${copy.name}`, ...include.map((p) => `pp:${rel(p)}`)];
}

export const borgRestorer: FileRestorer = {
  target: 'files',
  targetHost: (ctx) => backupStep(ctx, 'borg').host,
  async list(ctx) {
    const backup = backupStep(ctx, 'borg');
    const { borg, repo } = repoOf(ctx);
    const argv = [borg, 'list', '--json', `--glob-archives=${globOf(ctx)}`, '--', repo];
    const list: Command = { host: backup.host, argv, env: { ...backup.env, TZ: { value: 'UTC' } } };
    // A read-only repository is read with --bypass-lock (exec/read-only-repo.ts says when and why).
    const r = await runTool(await readWithoutLockIfReadOnly('borg', list, repo, ctx.x), ctx.x);
    if (r.error || r.code !== 0) throw fail(ctx, `cannot list the archives of ${ctx.job.name}`, r);
    let archives;
    try {
      archives = parseBorgList(r.stdout);
    } catch (e) {
      throw new RestoreError((e as Error).message);
    }
    const copies: RestoreCopy[] = archives
      .map((a) => ({ name: a.name, time: a.time, path: a.name, host: backup.host, storage: storageOf(ctx.job), aliases: [a.id] }))
      .sort((a, b) => b.time - a.time);
    return { storage: storageOf(ctx.job), copies, why: "the job's own repository" };
  },
  restore(ctx, copy, root, include) {
    const backup = backupStep(ctx, 'borg');
    const extract = borgExtractArgv(ctx, copy, include);
    const local = backup.host === LOCAL;
    const argv = local ? extract : ['sh', '-c', IN_DIR, 'sh', root, ...extract];
    return [
      {
        description: `borg extract ${copy.name} inside ${root}${local ? ' (its working directory)' : ''}`,
        host: backup.host,
        argv,
        async run() {
          const cmd: Command = { host: backup.host, argv, ...(backup.env ? { env: backup.env } : {}) };
          const at = argv.length - extract.length;
          const extracting = await readWithoutLockIfReadOnly('borg', cmd, repoOf(ctx).repo, ctx.x, at);
          const r = await runTool(extracting, ctx.x, local ? root : undefined);
          if (!r.error && r.code !== 0 && include.length && /Include pattern .* never matched/.test(r.stderr)) {
            // borg extracts what the other patterns matched, into the .partial the operation removes.
            const missing = include.filter((p) => r.stderr.includes(`'${rel(p)}' never matched`));
            throw new RestoreError(
              ctx.x.redactor.text(
                `${copy.name} holds nothing at ${(missing.length ? missing : include).join(', ')}; nothing was changed`,
              ),
            );
          }
          if (r.error || r.code !== 0) throw fail(ctx, `cannot extract ${copy.name}`, r);
        },
      },
    ];
  },
};
