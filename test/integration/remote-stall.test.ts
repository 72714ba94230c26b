// A step on a remote host that stalls is stopped on both sides (issue #16; engine/run/exec/
// remote-group.ts). The job's host is an sshd on loopback (TESTING.md "Hosts"); its `restic` is a
// script that ignores SIGTERM and waits on a child that ignores it too, after reading its password
// from the environment header Backplan sends on stdin. At the stall timeout Backplan stops its
// local ssh and, through a second ssh, the command's own process group on the far host: both the
// script and its child are gone when the run ends (within the timeout and the grace), the step is
// journalled as stopped, and the job's lock is released.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../helpers/cli';
import { backplanAsync } from '../helpers/cli-async';
import { sshHostsAvailable, startSshHosts, type SshHosts } from '../helpers/sshd';

const ok = sshHostsAvailable();
let ssh: SshHosts | undefined;
let work = '';
const pids: number[] = [];

beforeAll(async () => {
  if (!ok) return;
  ensureBuilt();
  work = mkdtempSync(join(tmpdir(), 'bp-remote-stall-'));
  ssh = await startSshHosts(1);
}, 120_000);

afterAll(async () => {
  // Only what this test's script started, if a failed assertion left it behind.
  for (const p of pids) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      // gone, as it should be
    }
  }
  await ssh?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** Running (a zombie that its new parent has not reaped yet is not). */
const alive = (pid: number) => {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

describe.skipIf(!ok)('a remote step that stalls', () => {
  it('is killed on the far host too, within its timeout, and the lock is released', async () => {
    const data = join(work, 'data');
    mkdirSync(data, { recursive: true });
    writeFileSync(join(data, 'f.txt'), 'x\n');
    const pidFile = join(work, 'far.pids');
    const script = join(work, 'fake-restic');
    writeFileSync(
      script,
      [
        '#!/bin/sh',
        // The password reached it through the environment header on stdin.
        `[ "$RESTIC_PASSWORD" = far-secret ] || { echo "no password" >&2; exit 3; }`,
        "trap '' TERM",
        'sleep 300 &',
        `echo "$$ $!" > ${pidFile}`,
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
        'hosts:',
        `  ${ssh!.hostLine('far', 0, `site: away, tools: { restic: ${script} }`)}`,
        `storage: { disk: { host: far, media: hdd, path: ${join(work, 'store')} } }`,
        'jobs:',
        `  hung: { kind: restic, host: far, paths: [${data}], to: disk, password_env: BP_T_PW, timeout: 3s }`,
        'checks: { coverage-3-2-1: off, no-restore-test: off, offsite-unencrypted: off, unused: off }',
        '',
      ].join('\n'),
    );
    const state = join(work, 'state');
    const t0 = Date.now();
    const r = await backplanAsync(['run', plan, '--state-dir', state, '--format', 'json', ...ssh!.sshArgs()], {
      env: { BP_T_PW: 'far-secret' },
      timeoutMs: 90_000,
    });
    const took = Date.now() - t0;
    expect(r.code, r.stdout + r.stderr).toBe(1);
    const job = (JSON.parse(r.stdout).jobs as { status: string; message: string }[])[0];
    expect(job.message).toMatch(
      /\[far\] \S*fake-restic stopped: no output and no progress for 3s \(its stall timeout\); SIGTERM, then SIGKILL, to its process group\(s\), here and on far/,
    );
    const [far, child] = readFileSync(pidFile, 'utf8').trim().split(' ').map(Number);
    pids.push(far, child);
    // Both sides gone when the run ends: the script (deaf to SIGTERM) and its child.
    expect(alive(far), `far-side script ${far}`).toBe(false);
    expect(alive(child), `far-side child ${child}`).toBe(false);
    // 3 s of silence, the grace (3 s) and ssh round trips on a loaded machine.
    expect(took).toBeLessThan(40_000);
    expect(existsSync(join(state, 'locks', 'hung.lock'))).toBe(false);
    expect(r.stdout + r.stderr).not.toContain('far-secret');
  }, 120_000);
});
