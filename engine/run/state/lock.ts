// One run of a job at a time (SPEC §8.5): `<state>/locks/<job>.lock` holds who runs it (pid,
// machine, start time, run id, journal). It is created atomically (written to a temporary
// file, fsynced, then hard-linked to its name, which fails if the lock exists), so a reader
// never sees a half-written lock.
//
// A lock whose process is gone (no such pid on this machine, a pid reused by another process,
// or a lock from before the last reboot) is *stale*: the run that held it was interrupted.
// It is reported, never broken silently: the job refuses to start and the message says how to
// clear it. `breakStale` (the `--break-stale-lock` option) removes a lock only after checking
// again that it is stale, under a short guard file so that two breakers cannot remove each
// other's fresh locks. A lock held on another machine (a shared state directory) cannot be
// checked from here and always counts as live.
import { closeSync, existsSync, fsyncSync, linkSync, openSync, readdirSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { fsyncDir } from './dir';

export interface LockInfo {
  job: string;
  pid: number;
  host: string;
  /** ISO time the holder took the lock. */
  since: string;
  run: string;
  command: string;
  journal?: string;
  /** /proc/<pid>/stat start time (clock ticks since boot), to detect a reused pid. */
  procStart?: string;
  /** /proc/sys/kernel/random/boot_id, to detect a lock from before a reboot. */
  bootId?: string;
}

export type LockState =
  | { state: 'live'; info: LockInfo }
  | { state: 'stale'; info: LockInfo; why: string }
  | { state: 'unreadable'; why: string };

export class LockError extends Error {
  constructor(
    message: string,
    readonly kind: 'busy' | 'stale' | 'unreadable',
  ) {
    super(message);
  }
}

export interface Lock {
  path: string;
  info: LockInfo;
  /** Set when this lock was taken by breaking a stale one: no run of the job is alive. */
  brokeStale?: { info: LockInfo; why: string };
  release(): void;
}

export function lockPath(locksDir: string, job: string): string {
  return join(locksDir, `${job}.lock`);
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

export function procStartOf(pid: number): string | undefined {
  const stat = readText(`/proc/${pid}/stat`);
  if (!stat) return undefined;
  // Field 22; the command name (field 2) is in parentheses and may hold spaces.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return rest[19];
}

export function bootId(): string | undefined {
  return readText('/proc/sys/kernel/random/boot_id')?.trim();
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Is the lock at `path` held by a live process? */
export function inspectLock(path: string): LockState | undefined {
  const text = readText(path);
  if (text === undefined) return existsSync(path) ? { state: 'unreadable', why: 'cannot read it' } : undefined;
  let info: LockInfo;
  try {
    info = JSON.parse(text) as LockInfo;
    if (!Number.isInteger(info.pid) || info.pid <= 0 || typeof info.host !== 'string') throw new Error('fields');
  } catch {
    return { state: 'unreadable', why: 'its content is not a Backplan lock' };
  }
  if (info.host !== hostname()) return { state: 'live', info };
  const boot = bootId();
  if (info.bootId && boot && info.bootId !== boot)
    return { state: 'stale', info, why: 'it was taken before this machine last booted' };
  if (!pidAlive(info.pid)) return { state: 'stale', info, why: `process ${info.pid} no longer exists` };
  const start = procStartOf(info.pid);
  if (info.procStart && start && info.procStart !== start)
    return { state: 'stale', info, why: `pid ${info.pid} now belongs to another process` };
  return { state: 'live', info };
}

export function describeHolder(info: LockInfo): string {
  return `pid ${info.pid}${info.host !== hostname() ? ` on ${info.host}` : ''} since ${info.since}, run ${info.run}`;
}

function busyMessage(job: string, info: LockInfo): string {
  return `job ${job} is already running (${describeHolder(info)}); wait for it to finish`;
}

function staleMessage(job: string, path: string, info: LockInfo, why: string, hint?: string): string {
  return (
    `job ${job} has a stale lock: ${why} (the ${info.command} that took it, ${describeHolder(info)}, was interrupted` +
    `${info.journal ? `; its journal is ${info.journal}` : ''}). Check that no backup of ${job} is running, then run ` +
      `again with ` +
    `--break-stale-lock, or delete ${path}` +
    (hint ? `. ${hint}` : '')
  );
}

function writeExclusive(path: string, text: string): void {
  const fd = openSync(path, 'wx', 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function tryLink(tmp: string, path: string): boolean {
  try {
    linkSync(tmp, path);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
}

function unlinkQuiet(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}

export interface AcquireOptions {
  run: string;
  command: string;
  journal?: string;
  breakStale?: boolean;
  /** A sentence added to the stale-lock message (what else --break-stale-lock clears). */
  staleHint?: string;
  /** Called with the stale lock's content when it was broken (for the journal). */
  onBroken?(info: LockInfo, why: string): void;
}

/** Take the lock of `job`, or throw a LockError that says who holds it and what to do. */
export function acquireLock(locksDir: string, job: string, opts: AcquireOptions): Lock {
  const path = lockPath(locksDir, job);
  const info: LockInfo = {
    job,
    pid: process.pid,
    host: hostname(),
    since: new Date().toISOString(),
    run: opts.run,
    command: opts.command,
    ...(opts.journal ? { journal: opts.journal } : {}),
    ...(procStartOf(process.pid) ? { procStart: procStartOf(process.pid) } : {}),
    ...(bootId() ? { bootId: bootId() } : {}),
  };
  removeDeadTemporaries(locksDir, job);
  const tmp = `${path}.${process.pid}.${Math.random().toString(16).slice(2, 10)}.tmp`;
  let broke: Lock['brokeStale'];
  writeExclusive(tmp, `${JSON.stringify(info)}\n`);
  try {
    if (!tryLink(tmp, path)) {
      const held = inspectLock(path);
      if (held === undefined) {
        // Released between our attempt and the look: one more try.
        if (!tryLink(tmp, path))
          throw new LockError(`job ${job} is already running (it took the lock just now)`, 'busy');
      } else if (held.state === 'live') {
        throw new LockError(busyMessage(job, held.info), 'busy');
      } else if (held.state === 'unreadable') {
        throw new LockError(
          `job ${job} is locked by ${path}, which ${held.why}; delete it once you are sure no backup of ${job} is ` +
            `running`,
          'unreadable',
        );
      } else if (!opts.breakStale) {
        throw new LockError(staleMessage(job, path, held.info, held.why, opts.staleHint), 'stale');
      } else {
        breakStaleLock(path, job);
        broke = { info: held.info, why: held.why };
        opts.onBroken?.(held.info, held.why);
        if (!tryLink(tmp, path)) {
          const now = inspectLock(path);
          throw new LockError(
            now?.state === 'live'
              ? busyMessage(job, now.info)
              : `job ${job}: could not take the lock after breaking a stale one`,
            'busy',
          );
        }
      }
    }
    fsyncDir(locksDir);
  } finally {
    unlinkQuiet(tmp);
  }
  let released = false;
  return {
    path,
    info,
    ...(broke ? { brokeStale: broke } : {}),
    release() {
      if (released) return;
      released = true;
      // Only remove the lock if it is still ours.
      const cur = readText(path);
      if (cur !== undefined && cur.trim() === JSON.stringify(info)) {
        unlinkQuiet(path);
        fsyncDir(locksDir);
      }
    },
  };
}

/**
 * The temporaries (`JOB.lock.PID.RAND.tmp`) of processes that no longer exist: a command killed
 * between writing its lock and linking it left them (nothing else ever would remove them).
 */
function removeDeadTemporaries(locksDir: string, job: string): void {
  let names: string[];
  try {
    names = readdirSync(locksDir);
  } catch {
    return;
  }
  const prefix = `${job}.lock.`;
  for (const n of names) {
    const m = n.startsWith(prefix) ? /^(\d+)\.[0-9a-f]*\.tmp$/.exec(n.slice(prefix.length)) : null;
    if (m && Number(m[1]) !== process.pid && !pidAlive(Number(m[1]))) unlinkQuiet(join(locksDir, n));
  }
}

/** Remove a lock that is stale, re-checked under a guard file (`<lock>.break`). */
function breakStaleLock(path: string, job: string): void {
  const guard = `${path}.break`;
  const mine = `${JSON.stringify({ pid: process.pid, host: hostname(), procStart: procStartOf(process.pid) })}\n`;
  try {
    writeExclusive(guard, mine);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    // Another breaker holds the guard; if it is gone, its guard is stale too.
    const g = inspectGuard(guard);
    if (g === 'live') throw new LockError(`job ${job}: another process is breaking its stale lock right now`, 'busy');
    unlinkQuiet(guard);
    writeExclusive(guard, mine);
  }
  try {
    const again = inspectLock(path);
    if (again?.state === 'live') throw new LockError(busyMessage(job, again.info), 'busy');
    if (again?.state === 'stale') unlinkQuiet(path);
  } finally {
    unlinkQuiet(guard);
  }
}

function inspectGuard(path: string): 'live' | 'stale' {
  try {
    const g = JSON.parse(readFileSync(path, 'utf8')) as { pid: number; host: string; procStart?: string };
    if (g.host !== hostname()) return 'live';
    if (!pidAlive(g.pid)) return 'stale';
    const start = procStartOf(g.pid);
    return g.procStart && start && g.procStart !== start ? 'stale' : 'live';
  } catch {
    return 'stale';
  }
}
