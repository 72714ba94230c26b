// The step watchdog (engine/run/exec/process.ts) with real processes: a tool that only says it is
// retrying (restic on a target that turned read-only prints `Save(<data/…>) returned error,
// retrying after …` for minutes, and its retries write to its cache) is stopped at its stall
// timeout; a tool that prints anything else, or moves real data after a retry, is not.
import { describe, expect, it } from 'vitest';
import { RETRY_REPORT, spawnArgv, Watchdog } from '../../../engine/run/exec/process';

/**
 * Runs a node process under a watchdog (stall `stallMs`, retry slack `slack`): `steps` times, every
 * 200 ms, it prints `say` on stderr (unless empty) and writes `bytes` to /dev/null (its own write
 * counter, what the watchdog reads). Resolves with why it was stopped and when.
 */
async function watched(
  o: { say: string; bytes: number; steps: number; first?: string },
  stallMs: number,
  slack?: number,
): Promise<{ stopped?: string; ms: number }> {
  const t0 = Date.now();
  let stopped: string | undefined;
  const dog = new Watchdog({ stallMs }, (reason) => (stopped = reason), slack);
  const script = [
    "const fs = require('fs');",
    "const fd = fs.openSync('/dev/null', 'w');",
    `const o = ${JSON.stringify(o)};`,
    'let i = 0;',
    "if (o.first) process.stderr.write(o.first + '\\n');",
    'const t = setInterval(() => {',
    "  if (o.say) process.stderr.write(o.say + '\\n');",
    '  if (o.bytes) fs.writeSync(fd, Buffer.alloc(o.bytes));',
    '  if (++i >= o.steps) clearInterval(t);',
    '}, 200);',
  ].join('\n');
  const p = spawnArgv([process.execPath, '-e', script], { stdin: 'ignore', stdout: 'ignore', onActivity: (c) => dog.output(c) });
  dog.watch(p);
  await p.done;
  await dog.dispose();
  return { stopped, ms: Date.now() - t0 };
}

const RETRY =
  'Save(<data/4119e94e8b>) returned error, retrying after 552.330144ms: open /mnt/repo/data/41/4119e9-tmp: read-only file system';

describe('the step watchdog', () => {
  it('knows the retry reports of restic and duplicity, and nothing else', () => {
    for (const l of [
      'Save(<data/4119e94e8b>) returned error, retrying after 552.330144ms: write x: read-only file system',
      'Remove(<lock/3da4bb70fd>) returned error, retrying after 1.868490179s: chmod x: read-only file system',
      'Attempt 2 failed. OSError: [Errno 30] Read-only file system',
      'Error sending file, retrying in 2s',
    ])
      expect(RETRY_REPORT.test(l), l).toBe(true);
    for (const l of ['Fatal: unable to save snapshot: no space left on device', 'processed 10 files', 'retrying'])
      expect(RETRY_REPORT.test(l), l).toBe(false);
  });

  it('stops a tool that only retries (its retry lines and their I/O are not progress) at its stall timeout', async () => {
    // Each retry also writes 256 KB (what a retry's cache write adds to the counters), for 10 s.
    const r = await watched({ say: RETRY, bytes: 256 << 10, steps: 50 }, 1_500);
    expect(r.stopped).toMatch(/no output and no progress for 2s \(its stall timeout\)/);
    // 1.5 s of stall, a check every 375 ms, SIGTERM: well before the 10 s a retry loop would last.
    expect(r.ms).toBeLessThan(6_000);
  }, 20_000);

  it('does not stop a tool that prints other lines, nor one whose I/O after a retry is real work', async () => {
    const chatty = await watched({ say: 'processed some files', bytes: 0, steps: 20 }, 1_000);
    expect(chatty.stopped).toBeUndefined();
    // One retry, then 4 MB per 0.2 s for 4 s: past a 1 MB slack, progress again.
    const resumed = await watched({ first: RETRY, say: '', bytes: 4 << 20, steps: 20 }, 1_000, 1 << 20);
    expect(resumed.stopped).toBeUndefined();
    // The same with 64 KB per 0.2 s (under the slack): still retrying, stopped.
    const still = await watched({ first: RETRY, say: '', bytes: 64 << 10, steps: 20 }, 1_000, 1 << 20);
    expect(still.stopped).toMatch(/stall timeout/);
    // Silent I/O without any retry report is progress, as before.
    const silent = await watched({ say: '', bytes: 64 << 10, steps: 20 }, 1_000);
    expect(silent.stopped).toBeUndefined();
  }, 30_000);
});
