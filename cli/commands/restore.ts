// `backplan restore PLAN --job J [--copy NAME | --at ISO] [--to TARGET | --in-place --yes]
// [--path P]... [--from-storage S] [--dry-run] [--state-dir D] [--format text|json]`: restore a
// copy of a job for real (engine/run/ops/restore-job.ts). Text: which copy, where it was read and
// why, where the current data was moved aside, then "restored 1.2 GiB in 41 s (RTO 4h: ok)".
// JSON (SPEC §11): {"job","copy","storage","target","movedAside","durationSeconds","bytes","result"}.
import { resolve } from 'node:path';
import { restoreJob, type RestoreJobReport } from '../../engine/run/ops/restore-job';
import { JobOpError } from '../../engine/run/ops/types';
import { restorerFor } from '../../engine/run/restore/index';
import { LockError } from '../../engine/run/state/lock';
import { PruneError } from '../../engine/run/prune/copies';
import { FsError } from '../../engine/run/exec/files';
import { resolveStateDir } from '../../engine/run/state/dir';
import { displayArgv } from '../../engine/run/exec/quote';
import type { CommandContext } from '../command';
import { paint } from '../output';
import { loadPlanFor } from '../load-plan';
import { parseTime } from '../parse-time';
import { sshOptions } from './run';

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${n} B` : `${v.toFixed(1)} ${units[i]}`;
}

export function formatSeconds(s: number): string {
  if (s < 60) return `${s < 10 ? s.toFixed(1) : Math.round(s)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.round(s - m * 60)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** `restored 1.2 GiB in 41 s (RTO 4h: ok)`: the last line of a restore (and of a verify). */
export function measuredLine(
  verb: string,
  bytes: number | undefined,
  seconds: number,
  rto?: { text: string; ok: boolean },
): string {
  // undefined: the kind's own tool restored it, and Backplan cannot say how much it wrote.
  const size = bytes === undefined ? '' : ` ${formatBytes(bytes)}`;
  return `${verb}${size} in ${formatSeconds(seconds)}${rto ? ` (RTO ${rto.text}: ${rto.ok ? 'ok' : 'exceeded'})` : ''}`;
}

function json(r: RestoreJobReport): string {
  const { job, copy, storage, target, movedAside, durationSeconds, bytes, result } = r;
  return `${JSON.stringify({ job, copy, storage, target, movedAside, durationSeconds, bytes, result }, null, 2)}\n`;
}

export async function runRestore(cmd: CommandContext): Promise<number> {
  if (cmd.options.list) return (await import('./restore-list')).runRestoreList(cmd);
  const format = cmd.format();
  const job = cmd.string('job')!;
  const to = cmd.string('to');
  const inPlace = Boolean(cmd.options['in-place']);
  if ((to === undefined) === !inPlace) cmd.usage('restore needs exactly one of --to TARGET and --in-place');
  if (cmd.string('copy') !== undefined && cmd.string('at') !== undefined) cmd.usage('--copy and --at cannot be used together');
  const atText = cmd.string('at');
  const at = atText !== undefined ? parseTime(atText) : undefined;
  if (at !== undefined && Number.isNaN(at)) cmd.usage(`--at ${atText}: expected an ISO 8601 date or time`);
  const loaded = loadPlanFor(cmd, 'restore');
  if (typeof loaded === 'number') return loaded;
  const kind = loaded.model.jobs.get(job)?.kind;
  // A database, a namespace, a server or a guest id is a name, not a path.
  const isName = kind !== undefined && restorerFor(kind) !== undefined && restorerFor(kind)!.target !== 'files';
  const paths = cmd.options.path as string[] | undefined;
  // A whole zfs copy is restored into a new dataset named by --to, not a directory.
  const r0 = kind !== undefined ? restorerFor(kind) : undefined;
  const dataset = !paths?.length && r0?.target === 'files' && r0.whole?.noun === 'dataset';
  // SIGTERM (the editor's Cancel) or Ctrl-C: the tool running is stopped, nothing more runs, and
  // the restore's partial target is removed before the lock is released.
  const abort = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => {
    cmd.out.error(`backplan: ${sig}: stopping the restore (the partial target is removed, the lock released)\n`);
    abort.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const r = await restoreJob({
      plan: loaded.model,
      planPath: resolve(loaded.file),
      job,
      stateDir: resolveStateDir(cmd.string('state-dir')),
      ...(cmd.string('copy') !== undefined ? { copy: cmd.string('copy') } : {}),
      ...(at !== undefined ? { at } : {}),
      // A directory target given relative is relative to where the command runs (local targets).
      ...(to !== undefined ? { to: isName || dataset || to.startsWith('/') ? to : resolve(to) } : {}),
      inPlace,
      yes: Boolean(cmd.options.yes),
      ...(paths ? { paths } : {}),
      ...(cmd.string('from-storage') !== undefined ? { fromStorage: cmd.string('from-storage') } : {}),
      dryRun: Boolean(cmd.options['dry-run']),
      breakStaleLock: Boolean(cmd.options['break-stale-lock']),
      sshOptions: sshOptions(cmd),
      signal: abort.signal,
    });
    if (r.result === 'dry-run') {
      if (format === 'json') cmd.out.write(`${JSON.stringify({ ...JSON.parse(json(r)), steps: r.actions }, null, 2)}\n`);
      else {
        cmd.out.write(`restore ${r.job}: ${r.copy}, ${r.why}, to ${r.target} (dry run: nothing is changed)\n`);
        r.actions.forEach((a, i) =>
          cmd.out.write(
            `  ${i + 1}. [${a.host}] ${a.argv ? displayArgv(a.argv) : a.description}` +
              `${(a.pipe ?? []).map((c) => ` | [${c.host}] ${displayArgv(c.argv)}`).join('')}` +
              `${a.argv ? `\n       ${a.description}` : ''}\n`,
          ),
        );
      }
      return 0;
    }
    for (const p of r.hookProblems) cmd.out.error(`backplan: ${p}\n`);
    if (format === 'json') cmd.out.write(json(r));
    else if (r.result === 'ok') {
      cmd.out.write(`${paint(cmd.out, 'green', 'restored')} ${r.job}: ${r.copy} (${r.why}) to ${r.target}\n`);
      if (r.movedAside) cmd.out.write(`  the data that was there is now at ${r.movedAside}\n`);
      const byTool = kind !== undefined && restorerFor(kind)?.target === 'tool';
      cmd.out.write(`${measuredLine('restored', byTool ? undefined : r.bytes, r.durationSeconds, r.rto)}\n`);
    } else {
      cmd.out.write(`${paint(cmd.out, 'red', 'FAILED')} ${r.job}: ${r.copy} to ${r.target}: nothing was changed at the target\n`);
    }
    if (r.result !== 'ok') cmd.out.error(`backplan: restore of ${r.job} failed: ${r.message}\n`);
    return r.result === 'ok' && r.hookProblems.length === 0 ? 0 : 1;
  } catch (e) {
    if (e instanceof JobOpError || e instanceof LockError || e instanceof PruneError || e instanceof FsError) {
      cmd.out.error(`backplan: ${e.message}\n`);
      return 1;
    }
    throw e;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
