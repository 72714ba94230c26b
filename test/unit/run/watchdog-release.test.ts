// A stopped step ends even when something out of reach of its process group still holds its
// pipes (engine/run/exec/process.ts Spawned.release): here a child that moved into a session of
// its own with the step's stderr (as an ssh ControlMaster holds a stopped client's pipes while the
// command runs on the far host). Without the release the step waited for that child for good.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RELEASE_AFTER_KILL_MS, spawnArgv, Watchdog } from '../../../engine/run/exec/process';

const dir = mkdtempSync(join(tmpdir(), 'bp-release-'));
const escaped: number[] = [];
afterAll(() => {
  for (const p of escaped) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      // gone
    }
  }
  rmSync(dir, { recursive: true, force: true });
});

describe('a stopped step whose pipes something else holds', () => {
  it('ends soon after its SIGKILL', async () => {
    const pidFile = join(dir, 'escaped.pid');
    const t0 = Date.now();
    let stopped: string | undefined;
    const dog = new Watchdog({ stallMs: 300 }, (reason) => (stopped = reason));
    const p = spawnArgv(['sh', '-c', 'setsid sleep 60 & echo $! > "$1"; wait', 'sh', pidFile], {
      stdin: 'ignore',
      stdout: 'pipe',
    });
    dog.watch(p);
    p.child.stdout!.resume();
    const e = await p.done;
    await dog.dispose();
    const ms = Date.now() - t0;
    escaped.push(Number(readFileSync(pidFile, 'utf8')));
    expect(stopped).toMatch(/stall timeout/);
    expect(e.signal ?? e.code).toBeTruthy();
    // 300 ms of silence, the 1 s grace before SIGKILL, then the release.
    expect(ms).toBeLessThan(1_300 + RELEASE_AFTER_KILL_MS + 2_000);
  }, 20_000);
});
