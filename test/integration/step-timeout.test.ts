// A step that never ends no longer holds the job's lock forever (issue #16, item 3). A program
// that hangs silently (here the job host's `tools.restic` override, a script that ignores
// SIGTERM and waits on a child that ignores it too) is stopped once the job's stall timeout
// passes with no output and no progress: SIGTERM, then SIGKILL to its whole process group (the
// child included); the step is journalled as failed with the reason, the lock is released, and
// the next run starts. A program that keeps printing is stopped by the total timeout instead.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../helpers/cli';
import { backplanAsync as backplan } from '../helpers/cli-async';
import { requireTools } from '../helpers/integration';
import { readJournal } from '../../engine/run/state/journal';

const ok = requireTools('sh', 'sleep');
const CHECKS = 'checks: { coverage-3-2-1: off, no-restore-test: off, offsite-unencrypted: off, unused: off }';
let work = '';
const pids: number[] = [];

beforeAll(() => {
  if (!ok) return;
  ensureBuilt();
  work = mkdtempSync(join(tmpdir(), 'bp-step-timeout-'));
}, 120_000);

afterAll(() => {
  // Only what this test's script started, if a failed assertion left it behind.
  const pidFile = join(work, 'child.pid');
  if (work && existsSync(pidFile)) pids.push(Number(readFileSync(pidFile, 'utf8')));
  for (const p of pids) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      // gone, as it should be
    }
  }
  if (work) rmSync(work, { recursive: true, force: true });
});

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe.skipIf(!ok)('a step that hangs', () => {
  it('is stopped after the stall timeout (its whole process group), journalled as failed with the reason, the ' +
    'lock released; a chatty one is stopped by the total timeout', async () => {
    const data = join(work, 'data');
    mkdirSync(data, { recursive: true });
    writeFileSync(join(data, 'f.txt'), 'x\n');
    const pidFile = join(work, 'child.pid');
    const script = join(work, 'fake-restic');
    writeFileSync(
      script,
      [
        '#!/bin/sh',
        // The chatty job prints a line every 0.2 s, forever.
        'case "$1" in *chatty*) while :; do echo working; sleep 0.2; done ;; esac',
        // The other hangs silently, deaf to SIGTERM, waiting on a child deaf to it too.
        "trap '' TERM",
        'sleep 300 &',
        `echo $! > ${pidFile}`,
        'wait',
        '',
      ].join('\n'),
    );
    chmodSync(script, 0o755);
    const plan = join(work, 'plan.backplan.yaml');
    writeFileSync(
      plan,
      [
        'version: 1',
        `hosts: { me: { site: home, tools: { restic: ${script} } } }`,
        `storage: { disk: { host: me, media: hdd, path: ${join(work, 'store')} } }`,
        'jobs:',
        `  hung: { kind: restic, host: me, paths: [${data}], to: disk, password_env: BP_T_PW, timeout: 2s }`,
        `  chatty: { kind: restic, host: me, paths: [${data}], to: disk, password_env: BP_T_PW, ` +
          'timeout: { stall: 1min, total: 3s } }',
        CHECKS,
        '',
      ].join('\n'),
    );
    const state = join(work, 'state');
    const env = { BP_T_PW: 'pw' };
    const t0 = Date.now();
    const r = await backplan(['run', plan, '--state-dir', state, '--format', 'json'], { env, timeoutMs: 90_000 });
    const took = Date.now() - t0;
    expect(r.code, r.stdout + r.stderr).toBe(1);
    const jobs = Object.fromEntries(
      (JSON.parse(r.stdout).jobs as { job: string; status: string; message: string }[]).map((j) => [j.job, j]),
    );
    expect(jobs.hung.status).toBe('failed');
    expect(jobs.hung.message).toMatch(
      /fake-restic stopped: no output and no progress for 2s \(its stall timeout\); SIGTERM, then SIGKILL/,
    );
    expect(jobs.chatty.message).toMatch(/fake-restic stopped: ran longer than its total timeout of 3s/);
    // 2 s of silence + 2 s until SIGKILL, 3 s of chatter + its SIGTERM: well under a minute.
    expect(took).toBeLessThan(45_000);
    // The child that ignored SIGTERM went with its group.
    const child = Number(readFileSync(pidFile, 'utf8'));
    pids.push(child);
    expect(alive(child)).toBe(false);
    // Journalled as failed with the reason; the locks are released.
    const runs = readdirSync(join(state, 'runs')).sort();
    const journal = readJournal(join(state, 'runs', runs[runs.length - 1]));
    expect(journal.find((l) => l.type === 'step-end' && l.job === 'hung')).toMatchObject({
      status: 'failed',
      message: expect.stringContaining('stall timeout'),
    });
    expect(existsSync(join(state, 'locks', 'hung.lock'))).toBe(false);
    expect(existsSync(join(state, 'locks', 'chatty.lock'))).toBe(false);

    // The next run of the job starts (no lock in its way) and is bounded the same way.
    const again = await backplan(['run', plan, '--job', 'hung', '--state-dir', state, '--format', 'json'], {
      env,
      timeoutMs: 60_000,
    });
    expect(again.code).toBe(1);
    const m = JSON.parse(again.stdout).jobs[0].message as string;
    expect(m).toContain('stall timeout');
    // Not Backplan's lock in the way: the run starts by clearing the lock restic may have left when
    // it was stopped (engine/run/state/tool-stopped.ts), which this fake restic answers by hanging too.
    expect(m).not.toMatch(/is locked|stale lock|already running/);
    expect(m).toMatch(/^hung\/unlock: .*fake-restic stopped: no output and no progress for 2s/);
    pids.push(Number(readFileSync(pidFile, 'utf8')));
    expect(alive(pids[1])).toBe(false);
  }, 120_000);

  it('`check` refuses a timeout that is not a duration', async () => {
    const plan = join(work, 'bad.backplan.yaml');
    writeFileSync(
      plan,
      [
        'version: 1',
        'hosts: { me: { site: home } }',
        `storage: { disk: { host: me, media: hdd, path: ${join(work, 'store')} } }`,
        'jobs:',
        `  j: { kind: archive, host: me, paths: [${work}], to: disk, timeout: { stall: soon } }`,
        CHECKS,
        '',
      ].join('\n'),
    );
    const c = await backplan(['check', plan]);
    expect(c.code).not.toBe(0);
    expect(c.stdout + c.stderr).toMatch(/timeout/);
  });
});
