// `backplan` at a faked time (libfaketime, TESTING.md "faketime"): the clock starts at the given
// instant and runs on from there, for the CLI and every process it starts. Async, so long runs do
// not block vitest's worker.
import { spawn, spawnSync } from 'node:child_process';
import { CLI } from './cli';

let lib = '';

/** The libfaketime preload library of this machine. */
export function faketimeLib(): string {
  if (!lib) {
    const found = spawnSync('sh', ['-c', 'ls /usr/lib/*/faketime/libfaketime.so.1 /usr/lib/faketime/libfaketime.so.1 2>/dev/null | head -1'], { encoding: 'utf8' }).stdout.trim();
    if (!found) throw new Error('libfaketime.so.1 not found (apt-get install faketime)');
    lib = found;
  }
  return lib;
}

export function faketimeEnv(ms: number): NodeJS.ProcessEnv {
  const stamp = new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, '');
  return { FAKETIME: `@${stamp}`, LD_PRELOAD: faketimeLib() };
}

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

/**
 * `backplan ARGS` with the clock at `ms` (undefined: the real clock), with `env` added.
 * libfaketime is preloaded directly, not through the `faketime` wrapper: the wrapper keeps a
 * semaphore named by its pid in /dev/shm, a killed one leaves it behind, and a later wrapper
 * that gets the same pid fails with "sem_open: File exists".
 */
export function cliAt(ms: number | undefined, args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { ...process.env, NO_COLOR: '1', ...env, ...(ms !== undefined ? faketimeEnv(ms) : {}) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr, ms: performance.now() - t0 }));
  });
}
