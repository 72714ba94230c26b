// The built `backplan` command run without blocking the test worker (runs that call real tools
// over ssh can take longer than the synchronous helper's 30 s limit on a busy machine). The kill
// campaign and the target faults (test/helpers/faults/) run it too, with a bundle of their own
// (a copy of dist/, or a mutant) and the whole environment of their job.
import { spawn } from 'node:child_process';
import { CLI, ensureBuilt, ROOT, type CliResult } from './cli';

export interface BackplanAsyncOptions {
  /** Added to this process's environment (and NO_COLOR=1). */
  env?: NodeJS.ProcessEnv;
  /** The whole environment of the command instead (`env` is then ignored). */
  wholeEnv?: NodeJS.ProcessEnv;
  /** Another bundle than dist/cli.js (not built here). */
  cli?: string;
  /** Stopped after this long (default 100 s) with `killSignal` (default SIGTERM). */
  timeoutMs?: number;
  killSignal?: NodeJS.Signals;
}

export function backplanAsync(args: string[], opts: BackplanAsyncOptions = {}): Promise<CliResult> {
  if (opts.cli === undefined) ensureBuilt();
  const t0 = performance.now();
  const env = opts.wholeEnv ?? { ...process.env, NO_COLOR: '1', ...opts.env };
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [opts.cli ?? CLI, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill(opts.killSignal ?? 'SIGTERM'), opts.timeoutMs ?? 100_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr, ms: performance.now() - t0 });
    });
  });
}
