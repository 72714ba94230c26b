// Spawning one argv, never through a shell (SPEC §8.1): `shell: false`, the program is argv[0]
// and every other element reaches it as one argument, whatever characters it holds.
//
// Each child is the leader of its own process group (`detached`), so that stopping it stops
// everything it started (`killGroup`: kill(-pid)); a cancelled run (`signal`) stops the group.
// A Watchdog bounds a step: no output and no progress for `stallMs`, or more than `totalMs`
// in all, and it is stopped: SIGTERM to every group, SIGKILL KILL_GRACE_MS later. A tool's report
// that it is retrying a failed operation is not progress (RETRY_REPORT): a target that turned
// read-only makes restic retry for many minutes, each retry printed.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { PGID_LINE } from './remote-group';

export interface Spawned {
  child: ChildProcess;
  /** Resolves when the process has exited and its stderr is drained. */
  done: Promise<Exit>;
  /**
   * Send `sig` to the child's whole process group; once the child itself has exited only with
   * `evenAfterExit` (what it started may live on in its group, whose id is not reused while so).
   */
  killGroup(sig: NodeJS.Signals, evenAfterExit?: boolean): void;
  /**
   * Once the child has exited: stop waiting for its pipes to close. A process it started in a
   * session of its own (out of reach of killGroup), or an ssh ControlMaster serving a command
   * still running on the far host, may hold them open for good.
   */
  release(): void;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The last STDERR_TAIL bytes of stderr. */
  stderr: string;
  /** Set when the program could not be started (ENOENT, EACCES ...). */
  spawnError?: string;
}

const STDERR_TAIL = 16 * 1024;

export interface SpawnOptions {
  env?: NodeJS.ProcessEnv;
  stdin: 'pipe' | 'ignore';
  stdout: 'pipe' | 'ignore';
  signal?: AbortSignal;
  cwd?: string;
  /** Called on every chunk of stderr (a watchdog's sign of life: Watchdog.output). */
  onActivity?(chunk: string): void;
  /**
   * The command runs under remote-group.ts GROUP_WRAPPER: its first stderr line gives the far
   * process group's id, passed here and left out of what the command said.
   */
  onRemoteGroup?(pgid: number): void;
}

export function spawnArgv(argv: readonly string[], opts: SpawnOptions): Spawned {
  if (argv.length === 0) throw new Error('empty argv');
  const child = spawn(argv[0], argv.slice(1), {
    shell: false,
    env: opts.env ?? process.env,
    stdio: [opts.stdin, opts.stdout, 'pipe'],
    cwd: opts.cwd,
    // Its own process group: stopping the step stops what the program started too.
    detached: true,
    windowsHide: true,
  });
  let exited = false;
  const killGroup = (sig: NodeJS.Signals, evenAfterExit = false) => {
    if ((exited && !evenAfterExit) || child.pid === undefined) return;
    try {
      process.kill(-child.pid, sig);
    } catch {
      if (exited) return;
      try {
        child.kill(sig);
      } catch {
        // already gone
      }
    }
  };
  const onAbort = () => killGroup('SIGTERM');
  if (opts.signal?.aborted) queueMicrotask(onAbort);
  else opts.signal?.addEventListener('abort', onAbort, { once: true });
  child.once('exit', () => {
    exited = true;
  });
  let stderr = '';
  let spawnError: string | undefined;
  child.stderr?.setEncoding('utf8');
  // Until the wrapper's first line is read (only with onRemoteGroup): held back.
  let head: string | undefined = opts.onRemoteGroup ? '' : undefined;
  child.stderr?.on('data', (d: string) => {
    if (head !== undefined) {
      head += d;
      const m = PGID_LINE.exec(head);
      if (m) {
        opts.onRemoteGroup!(Number(m[1]));
        d = head.slice(m[0].length);
      } else if (head.includes('\n') || head.length > 64 || !'backplan-remote-pgid '.startsWith(head.slice(0, 21))) {
        d = head;
      } else return;
      head = undefined;
      if (d === '') return;
    }
    opts.onActivity?.(d);
    stderr += d;
    if (stderr.length > 2 * STDERR_TAIL) stderr = stderr.slice(-STDERR_TAIL);
  });
  // A stage that exits early makes writes to its stdin fail with EPIPE: its exit status says
  // what happened, so the write error itself is not fatal.
  child.stdin?.on('error', () => undefined);
  child.stdout?.on('error', () => undefined);
  const done = new Promise<Exit>((resolve) => {
    child.on('error', (e: NodeJS.ErrnoException) => {
      if (e.name === 'AbortError') return;
      spawnError = e.code === 'ENOENT' ? `${argv[0]}: command not found` : `${argv[0]}: ${e.message}`;
    });
    child.on('close', (code, signal) => {
      exited = true;
      if (head) stderr += head;
      opts.signal?.removeEventListener('abort', onAbort);
      resolve({ code, signal, stderr: stderr.slice(-STDERR_TAIL), spawnError });
    });
  });
  const release = () => {
    if (!exited) return;
    for (const st of [child.stdin, child.stdout, child.stderr]) st?.destroy();
  };
  return { child, done, killGroup, release };
}

/** After the SIGKILL of a stopped step, how long its pipes may stay open before they are let go. */
export const RELEASE_AFTER_KILL_MS = 2_000;

/** Time between SIGTERM and SIGKILL of a step that is stopped. */
export const KILL_GRACE_MS = 10_000;

export interface StepTimeout {
  /** No output and no progress for this long: stopped. */
  stallMs: number;
  /** Running longer than this in all: stopped (none: unbounded). */
  totalMs?: number;
}

/** When a job sets no `timeout`: a step silent and idle for 30 minutes is taken as hung. */
export const DEFAULT_STALL_MS = 30 * 60_000;

export function formatMs(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}min`;
  return `${Math.round(ms / 1000)}s`;
}

/** Bytes a process read and wrote (/proc/PID/io rchar + wchar), or undefined where unreadable. */
function ioOf(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const t = readFileSync(`/proc/${pid}/io`, 'utf8');
    const n = (k: string) => Number(new RegExp(`^${k}: (\\d+)$`, 'm').exec(t)?.[1] ?? 0);
    return n('rchar') + n('wchar');
  } catch {
    return undefined;
  }
}

function groupAlive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(-pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * A line in which a tool says it is retrying an operation that failed: restic's
 * `Save(<data/4119e94e8b>) returned error, retrying after 552ms: … read-only file system` (and
 * its Load, List, Remove, Stat), duplicity's `Attempt 2 failed. OSError: …`, rclone's and
 * others' `retrying in 2s` / `retrying after …`. Such lines are not progress.
 */
export const RETRY_REPORT = /returned error, retrying after\b|\bAttempt \d+ failed\b|\bretrying (after|in)\b/i;

/**
 * After a retry report, the processes' reads and writes count as progress again only once this
 * many bytes moved since (real work resumed). Less is what the retrying itself does: restic
 * prints each retry (its own stderr is in its write counter) and rewrites its cache copy of the
 * index or pack it fails to save.
 */
export const RETRY_IO_SLACK = 64 * 1024 * 1024;

/**
 * Bounds a step's processes: `touch()` on any output or progress, `output(chunk)` on a chunk of
 * a program's stderr (progress unless every line of it is a retry report); `watch(p)` adds a
 * process, whose read/write counters (local processes) count as progress too, except while the
 * last thing the step said was a retry report (then only RETRY_IO_SLACK bytes or more since it
 * count). On a stall or past the total, `onStop(reason)` is called once and every watched group
 * gets SIGTERM, then SIGKILL.
 */
export class Watchdog {
  private last = Date.now();
  private readonly t0 = Date.now();
  private readonly procs: Spawned[] = [];
  private readonly io = new Map<Spawned, number | undefined>();
  /** Set while the step's last words were a retry report: the I/O total of its processes then. */
  private retryIo: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private killTimer: NodeJS.Timeout | undefined;
  stopped: string | undefined;

  constructor(
    private readonly limits: StepTimeout,
    private readonly onStop: (reason: string) => void,
    private readonly retryIoSlack = RETRY_IO_SLACK,
  ) {
    const every = Math.max(200, Math.min(5_000, Math.floor(limits.stallMs / 4)));
    this.timer = setInterval(() => this.check(), every);
    this.timer.unref();
  }

  touch(): void {
    this.last = Date.now();
    this.retryIo = undefined;
  }

  /** A chunk of a program's stderr: progress, unless all it says is that something is being retried. */
  output(chunk: string): void {
    const lines = chunk.split('\n').filter((l) => l.trim() !== '');
    if (lines.length && lines.every((l) => RETRY_REPORT.test(l))) {
      // Counted from here on: the reads and writes the retrying itself does are not progress.
      for (const p of this.procs) this.io.set(p, ioOf(p.child.pid));
      this.retryIo = this.ioTotal();
      return;
    }
    this.touch();
  }

  private ioTotal(): number {
    let n = 0;
    for (const v of this.io.values()) n += v ?? 0;
    return n;
  }

  watch(p: Spawned): void {
    this.procs.push(p);
    this.io.set(p, ioOf(p.child.pid));
  }

  private check(): void {
    let moved = false;
    for (const p of this.procs) {
      const now = ioOf(p.child.pid);
      if (now !== undefined && now !== this.io.get(p)) {
        // While retrying, the counters are kept from the retry report on (not updated).
        if (this.retryIo === undefined) this.io.set(p, now);
        moved = true;
      }
    }
    if (moved) {
      if (this.retryIo === undefined) this.touch();
      else {
        let total = 0;
        for (const p of this.procs) total += ioOf(p.child.pid) ?? this.io.get(p) ?? 0;
        if (total - this.retryIo >= this.retryIoSlack) {
          for (const p of this.procs) this.io.set(p, ioOf(p.child.pid));
          this.touch();
        }
      }
    }
    const t = Date.now();
    if (this.limits.totalMs !== undefined && t - this.t0 >= this.limits.totalMs)
      this.stop(`ran longer than its total timeout of ${formatMs(this.limits.totalMs)}`);
    else if (t - this.last >= this.limits.stallMs)
      this.stop(`no output and no progress for ${formatMs(this.limits.stallMs)} (its stall timeout)`);
  }

  private stop(reason: string): void {
    if (this.stopped) return;
    this.stopped = reason;
    this.end();
    this.onStop(reason);
    for (const p of this.procs) p.killGroup('SIGTERM');
    // SIGKILL goes out even when the leaders exited on SIGTERM: what they started (a child
    // that ignores SIGTERM) is still in their groups.
    this.killTimer = setTimeout(() => {
      for (const p of this.procs) p.killGroup('SIGKILL', true);
      // What still holds a stopped program's pipes after that is out of our reach: stop waiting.
      setTimeout(() => {
        for (const p of this.procs) p.release();
      }, RELEASE_AFTER_KILL_MS).unref();
    }, Math.min(KILL_GRACE_MS, Math.max(1_000, this.limits.stallMs)));
    this.killTimer.unref();
  }

  /** The step ended: no more checks (a pending SIGKILL of a stopped step still goes out). */
  end(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** The step is over: no more checks; a step that was stopped still waits for its SIGKILL. */
  async dispose(): Promise<void> {
    this.end();
    if (!this.stopped || !this.killTimer) return;
    // Whatever of the stopped step survives SIGTERM is gone before the step is reported (and its
    // lock released): wait for the SIGKILL unless every group is already empty.
    const t = this.killTimer;
    const deadline = Date.now() + KILL_GRACE_MS + 1_000;
    while (Date.now() < deadline && this.procs.some((p) => groupAlive(p.child.pid))) {
      await new Promise((r) => setTimeout(r, 100));
    }
    clearTimeout(t);
    for (const p of this.procs) p.killGroup('SIGKILL', true);
  }
}

/** Python traceback frames (`  File "…", line N, in f`, the source line, `^^^^` markers). */
const PY_FRAME = /^\s+(File ".*", line \d+|\^+\s*$)/;
/** The trailer borg prints after a traceback (platform, versions, pid, argv), and Python's links between two. */
const BORG_TRAILER =
  /^(Platform: |Linux: |Borg: \S+ +Python: |PID: \d+ +CWD: |sys\.argv: |SSH_ORIGINAL_COMMAND: |Local Exception$|During handling of the above exception, another exception occurred:$|The above exception was the direct cause of the following exception:$)/;
/** A Go stack frame's location line (restic prints its error's stack: `\tgithub.com/…/local.go:153`). */
const GO_AT = /^\t\S+\.(go|s):\d+/;

/**
 * The last `n` lines of a program's stderr that say what went wrong: a Go stack (function and
 * location lines), a Python traceback's frames and borg's platform trailer are left out, and so
 * are retry reports when anything else was said; a line that only repeats an earlier one (borg's
 * `borg.locking.LockFailed: MSG` after `MSG`) is kept once. Joined with ` | `.
 */
export function errorLines(stderr: string, n = 3): string {
  const lines = stderr.split('\n').map((l) => l.replace(/\s+$/, ''));
  const keep: string[] = [];
  let inTraceback = false;
  lines.forEach((l, i) => {
    if (l.trim() === '') return;
    if (l.startsWith('Traceback (most recent call last):')) return void (inTraceback = true);
    if (inTraceback && (PY_FRAME.test(l) || /^\s/.test(l))) return;
    inTraceback = false;
    if (BORG_TRAILER.test(l) || GO_AT.test(l) || GO_AT.test(lines[i + 1] ?? '')) return;
    keep.push(l);
  });
  const said = keep.filter((l) => !RETRY_REPORT.test(l));
  const out: string[] = [];
  for (const l of said.length ? said : keep) {
    // `module.Error: MSG` after MSG itself (Python's last line repeats the message).
    const bare = l.replace(/^[\w.]+(Error|Exception|Failed|Failure): /, '');
    if (out.some((o) => o === l || o.includes(bare))) continue;
    out.push(l);
  }
  return out.slice(-n).join(' | ');
}

/** One line that says how a process ended, with the last lines of its stderr that say why. */
export function describeExit(argv0: string, e: Exit): string {
  if (e.spawnError) return e.spawnError;
  const last = errorLines(e.stderr);
  const how = e.signal ? `was killed by ${e.signal}` : `exited with status ${e.code}`;
  return `${argv0} ${how}${last ? `: ${last}` : ''}`;
}

export function exitOk(e: Exit): boolean {
  return !e.spawnError && e.code === 0 && e.signal === null;
}

/** Run argv to completion, collecting stdout (up to `maxOut` bytes). */
export async function capture(
  argv: readonly string[],
  opts: { env?: NodeJS.ProcessEnv; input?: Buffer; signal?: AbortSignal; maxOut?: number } = {},
): Promise<Exit & { stdout: Buffer }> {
  const p = spawnArgv(argv, {
    env: opts.env,
    stdin: opts.input ? 'pipe' : 'ignore',
    stdout: 'pipe',
    signal: opts.signal,
  });
  const chunks: Buffer[] = [];
  let size = 0;
  const max = opts.maxOut ?? 64 * 1024 * 1024;
  p.child.stdout!.on('data', (d: Buffer) => {
    if (size < max) chunks.push(d);
    size += d.length;
  });
  if (opts.input) p.child.stdin!.end(opts.input);
  const e = await p.done;
  return { ...e, stdout: Buffer.concat(chunks).subarray(0, max) };
}
