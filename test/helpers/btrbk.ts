// btrbk and backplan under a frozen faked clock, shared by the btrbk differential tests: libfaketime
// reads an absolute FAKETIME as a wall-clock reading in TZ, so btrbk sees local time in `zone`.
import { spawn } from 'node:child_process';
import { DateTime } from 'luxon';
import { CLI } from './cli';
import { faketimeLib } from './faketime';

/** `ms` as libfaketime's absolute FAKETIME in `zone`. */
export function stamp(ms: number, zone = 'UTC'): string {
  return DateTime.fromMillis(ms, { zone }).toFormat('yyyy-MM-dd HH:mm:ss');
}

function run(argv: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; out: string; stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn(argv[0], argv.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let stdout = '';
    child.stdout.on('data', (d) => ((out += d), (stdout += d)));
    child.stderr.on('data', (d) => (out += d));
    child.on('close', (code) => resolve({ code: code ?? -1, out, stdout }));
  });
}

/** btrbk with the clock frozen at `ms`, in `zone`. */
export function btrbkAt(ms: number, zone: string, args: string[]): Promise<{ code: number; out: string }> {
  return run(['btrbk', ...args], { ...process.env, TZ: zone, FAKETIME: stamp(ms, zone), LD_PRELOAD: faketimeLib() });
}

/** `backplan ARGS` with the clock frozen at `ms` in UTC (the monotonic clock real, for node's timers). */
export function backplanAt(ms: number, args: string[]): Promise<{ code: number; out: string; stdout: string }> {
  const env = {
    ...process.env,
    NO_COLOR: '1',
    TZ: 'UTC',
    FAKETIME: stamp(ms),
    FAKETIME_DONT_FAKE_MONOTONIC: '1',
    LD_PRELOAD: faketimeLib(),
  };
  return run([process.execPath, CLI, ...args], env);
}

