// Spawning one argv, never through a shell (SPEC §8.1): `shell: false`, the program is argv[0]
// and every other element reaches it as one argument, whatever characters it holds.
import { spawn, type ChildProcess } from 'node:child_process';

export interface Spawned {
  child: ChildProcess;
  /** Resolves when the process has exited and its stderr is drained. */
  done: Promise<Exit>;
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
}

export function spawnArgv(argv: readonly string[], opts: SpawnOptions): Spawned {
  if (argv.length === 0) throw new Error('empty argv');
  const child = spawn(argv[0], argv.slice(1), {
    shell: false,
    env: opts.env ?? process.env,
    stdio: [opts.stdin, opts.stdout, 'pipe'],
    cwd: opts.cwd,
    signal: opts.signal,
    killSignal: 'SIGTERM',
    windowsHide: true,
  });
  let stderr = '';
  let spawnError: string | undefined;
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (d: string) => {
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
    child.on('close', (code, signal) => resolve({ code, signal, stderr: stderr.slice(-STDERR_TAIL), spawnError }));
  });
  return { child, done };
}

/** One line that says how a process ended, with the last line of its stderr. */
export function describeExit(argv0: string, e: Exit): string {
  if (e.spawnError) return e.spawnError;
  const last = e.stderr.trim().split('\n').filter(Boolean).slice(-3).join(' | ');
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
