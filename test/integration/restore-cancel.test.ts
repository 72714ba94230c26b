// `backplan restore` stopped by SIGTERM (what the editor's Cancel sends) while it extracts an
// archive: it exits 1 saying it was cancelled, the target and its `.partial` are gone, the
// journal says failed, and the job's lock is released (the next restore runs at once).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backplan, CLI, ensureBuilt } from '../helpers/cli';

let dir: string;
let child: ChildProcess | undefined;

beforeAll(() => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'bp-restore-cancel-'));
}, 120_000);

afterAll(() => {
  if (child && child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('a restore cancelled with SIGTERM', () => {
  it('removes what it made, releases the lock and says so', async () => {
    const src = join(dir, 'src');
    mkdirSync(src);
    for (let i = 0; i < 4; i++) writeFileSync(join(src, `big-${i}.bin`), randomBytes(32 << 20));
    const plan = join(dir, 'plan.backplan.yaml');
    writeFileSync(
      plan,
      [
        'version: 1',
        'hosts: { here: { site: home } }',
        `storage: { disk: { host: here, media: ssd, path: ${join(dir, 'store')} } }`,
        `jobs: { files: { kind: archive, host: here, paths: [${src}], to: disk } }`,
        'checks: { coverage-3-2-1: off, no-restore-test: off }',
        '',
      ].join('\n'),
    );
    const state = join(dir, 'state');
    expect(backplan(['run', plan, '--state-dir', state]).code).toBe(0);
    const to = join(dir, 'target');
    child = spawn(process.execPath, [CLI, 'restore', plan, '--job', 'files', '--to', to, '--state-dir', state], {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const closed = new Promise<number | null>((r) => child!.once('close', (code) => r(code)));
    // Stop it once the extraction has started writing.
    const deadline = Date.now() + 30_000;
    while (!existsSync(join(`${to}.partial`, src)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(existsSync(`${to}.partial`)).toBe(true);
    child.kill('SIGTERM');
    expect(await closed).toBe(1);
    expect(stderr).toMatch(/SIGTERM: stopping the restore/);
    expect(stderr).toMatch(/cancelled before it finished/);
    expect(existsSync(to)).toBe(false);
    expect(existsSync(`${to}.partial`)).toBe(false);
    const runs = readdirSync(join(state, 'runs')).sort();
    expect(readFileSync(join(state, 'runs', runs.at(-1)!), 'utf8')).toMatch(/"step":"files\/restore","status":"failed"/);
    // The lock was released: the same restore runs now and finishes.
    const again = backplan(['restore', plan, '--job', 'files', '--to', to, '--state-dir', state]);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(readdirSync(join(to, src)).sort()).toEqual(['big-0.bin', 'big-1.bin', 'big-2.bin', 'big-3.bin']);
  }, 120_000);
});
