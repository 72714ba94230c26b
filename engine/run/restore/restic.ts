// Restoring a `restic` copy: `restic restore SNAPSHOT --target ROOT [--include PATH]...` run on
// the job's host with the job's repository options and secrets (by environment, as for runs).
// The copies are the job's snapshots as restic lists them (`restic snapshots --json
// --tag backplan:JOB`, as verify and the prune guard read them); a copy is named by its short id
// (its long id is accepted too).
import { parseResticSnapshots, runTool } from '../exec/guard';
import { errorLines } from '../exec/process';
import { readWithoutLockIfReadOnly } from '../exec/read-only-repo';
import { repositoryOf, toolLockedMessage } from '../exec/tool-lock';
import type { Command } from '../steps/step';
import { backupStep, storageOf } from './common';
import { RestoreError, type FileRestorer, type KindContext, type RestoreCopy } from './types';

function global(ctx: KindContext): string[] {
  const argv = backupStep(ctx, 'restic').argv;
  return argv.slice(0, argv.indexOf('backup'));
}

function fail(ctx: KindContext, what: string, r: { code: number | null; stderr: string; error?: string }): RestoreError {
  // The tool's lock left by a killed command: which repository, and what clears it.
  const locked = r.error ? undefined : toolLockedMessage(backupStep(ctx, 'restic').argv, r.stderr);
  const last = errorLines(r.stderr);
  return new RestoreError(ctx.x.redactor.text(`${what}: ${r.error ?? locked ?? `restic exited with status ${r.code}: ${last}`}`));
}

/**
 * A path as a restic `--include` pattern that matches only itself (and what is under it): restic
 * matches each path component with Go's filepath.Match, where `\\`, `*`, `?` and `[` are special,
 * so each of them (and `]`) is escaped with a backslash.
 */
export function resticLiteral(path: string): string {
  return path.replace(/[\\*?[\]]/g, (c) => `\\${c}`);
}

export function resticRestoreArgv(ctx: KindContext, copy: RestoreCopy, root: string, include: readonly string[]): string[] {
  return [...global(ctx), 'restore', copy.aliases?.[0] ?? copy.path, `--target=${root}`, ...include.map((p) => `--include=${resticLiteral(p)}`)];
}

/** The command that reads the job's repository: with `--no-lock` when it is read-only (exec/read-only-repo.ts). */
function reading(ctx: KindContext, argv: string[]): Promise<Command> {
  const backup = backupStep(ctx, 'restic');
  const cmd: Command = { host: backup.host, argv, ...(backup.env ? { env: backup.env } : {}) };
  const repo = repositoryOf(backup.argv);
  return repo === undefined ? Promise.resolve(cmd) : readWithoutLockIfReadOnly('restic', cmd, repo, ctx.x);
}

export const resticRestorer: FileRestorer = {
  target: 'files',
  targetHost: (ctx) => backupStep(ctx, 'restic').host,
  async list(ctx) {
    const backup = backupStep(ctx, 'restic');
    const argv = [...global(ctx), 'snapshots', '--json', `--tag=backplan:${ctx.job.name}`];
    const r = await runTool(await reading(ctx, argv), ctx.x);
    if (r.error || r.code !== 0) throw fail(ctx, `cannot list the snapshots of ${ctx.job.name}`, r);
    let snaps;
    try {
      snaps = parseResticSnapshots(r.stdout);
    } catch (e) {
      throw new RestoreError((e as Error).message);
    }
    const copies: RestoreCopy[] = snaps
      .map((s) => ({ name: s.name, time: s.time, path: s.id, host: backup.host, storage: storageOf(ctx.job), aliases: [s.id] }))
      .sort((a, b) => b.time - a.time);
    return { storage: storageOf(ctx.job), copies, why: "the job's own repository" };
  },
  restore(ctx, copy, root, include) {
    const backup = backupStep(ctx, 'restic');
    const argv = resticRestoreArgv(ctx, copy, root, include);
    return [
      {
        description: `restic restore ${copy.name} into ${root}`,
        host: backup.host,
        argv,
        async run() {
          const r = await runTool(await reading(ctx, argv), ctx.x);
          if (r.error || r.code !== 0) throw fail(ctx, `cannot restore ${copy.name}`, r);
        },
      },
    ];
  },
};
