// restic for real: a repository over sftp on a storage host (test/helpers/sshd.ts), snapshots
// made at past times with `restic backup --time`, then `backplan run` whose guarded
// `restic forget --prune` removes exactly the snapshots Backplan's restic rules remove; the guard
// refusing a policy that would remove the newest snapshot; the plan declares the host's restic
// version (`tool_versions`), whose rules Backplan follows — Debian's restic 0.14 keeps no
// "oldest" snapshot — and a host whose restic differs from the declaration is refused, as is
// `unlimited` where restic has no such count. The password travels by environment only: never
// in argv, the journal or the output.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backplanAsync as backplan } from '../helpers/cli-async';
import { requireTools } from '../helpers/integration';
import { sshHostsAvailable, startSshHosts, type SshHosts } from '../helpers/sshd';

const ok = sshHostsAvailable() && requireTools('restic');
const DAY = 86_400_000;
const secret = `pw-${randomBytes(8).toString('hex')}'$(touch CANARY)`;

let work = '';
let hosts: SshHosts | undefined;
let repo = '';

function restic(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('restic', ['--repo', repo, '--no-cache', ...args], { env: { ...process.env, RESTIC_PASSWORD: secret }, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface Snap {
  id: string;
  short_id: string;
  time: string;
}
const snapshots = (): Snap[] => JSON.parse(restic(['snapshots', '--json']).stdout);
const times = () => snapshots().map((s) => s.time.slice(0, 16)).sort();

/** A snapshot of this job made at a past time (what earlier runs left). */
function pastSnapshot(at: number): void {
  const when = new Date(at).toISOString().replace('T', ' ').slice(0, 19);
  const r = restic(['backup', '-q', `--time=${when}`, '--host=local', '--tag=backplan:files', join(work, 'data')]);
  expect(r.status, r.stderr).toBe(0);
}

/** The restic of this machine, e.g. `0.14.0`. */
const realVersion = () => /restic (\d+\.\d+\.\d+)/.exec(spawnSync('restic', ['version'], { encoding: 'utf8' }).stdout)![1];

/** The plan; `declare: false` leaves out the host's `tool_versions` (Backplan then assumes current restic). */
function writePlan(retention: string, { declare = true } = {}): string {
  const plan = join(work, 'plan.backplan.yaml');
  const versions = declare ? `tool_versions: { restic: "${realVersion()}" }, ` : '';
  writeFileSync(
    plan,
    [
      'version: 1',
      'hosts:',
      // This machine, with an ssh wrapper that knows the test's host keys (restic spawns ssh itself).
      `  me: { address: localhost, ${versions}tools: { ssh: ${join(work, 'ssh')} } }`,
      `  ${hosts!.hostLine('vault', 0)}`,
      `storage: { vault-disk: { host: vault, media: hdd, path: ${join(work, 'repos')} } }`,
      'jobs:',
      '  files:',
      '    kind: restic',
      '    host: me',
      `    paths: [${join(work, 'data')}]`,
      '    to: vault-disk',
      '    password_env: BP_TEST_RESTIC_PW',
      `    retention: ${retention}`,
      'checks: { coverage-3-2-1: off, no-restore-test: off, offsite-unencrypted: off }',
      '',
    ].join('\n'),
  );
  return plan;
}

const env = () => ({ BP_TEST_RESTIC_PW: secret, RESTIC_CACHE_DIR: join(work, 'cache') });
const state = () => join(work, 'state');
const journals = () => readdirSync(join(state(), 'runs')).map((f) => readFileSync(join(state(), 'runs', f), 'utf8')).join('');

beforeAll(async () => {
  if (!ok) return;
  work = mkdtempSync(join(tmpdir(), 'bp-restic-'));
  hosts = await startSshHosts(1);
  hosts.writeSshWrapper(join(work, 'ssh'), join(work, 'ssh.log'));
  mkdirSync(join(work, 'data'), { recursive: true });
  writeFileSync(join(work, 'data', 'a.txt'), 'alpha\n');
  repo = join(work, 'repos', 'files');
  mkdirSync(join(work, 'repos'));
  const r = restic(['init']);
  expect(r.status, r.stderr).toBe(0);
}, 60_000);

afterAll(async () => {
  await hosts?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe.skipIf(!ok)('restic over sftp', () => {
  it('backs up through sftp, then forget --prune removes exactly what the restic rules remove', async () => {
    const today = Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate(), 1);
    for (const d of [5, 4, 3, 2]) pastSnapshot(today - d * DAY);
    const plan = writePlan('{ keep: { daily: 3 } }');
    const r = await backplan(['run', plan, '--state-dir', state(), '--format', 'json', ...hosts!.sshArgs()], { env: env() });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    const prune = report.jobs[0].steps.find((s: { phase: string }) => s.phase === 'prune');
    expect(prune.status).toBe('ok');
    // Today's run, then the newest of the two most recent earlier days; days -4 and -5 are gone.
    const left = times();
    expect(left).toHaveLength(3);
    const day = (d: number) => new Date(today - d * DAY).toISOString().slice(0, 16);
    expect(left.slice(0, 2)).toEqual([day(3), day(2)]);
    expect(prune.detail.removes.map((x: { time: string }) => x.time.slice(0, 16)).sort()).toEqual([day(5), day(4)]);
    // The backup went through the storage host's sftp server, by restic's own ssh.
    expect(readFileSync(join(work, 'ssh.log'), 'utf8')).toContain(`-p ${hosts!.port} -i ${hosts!.identity} root@${hosts!.hosts[0].address} -s sftp`);
    for (const t of [journals(), r.stdout, r.stderr]) expect(t).not.toContain(secret.slice(0, 12));
    expect(spawnSync('find', [work, '-name', 'CANARY'], { encoding: 'utf8' }).stdout).toBe('');
  }, 120_000);

  it('refuses a prune that would remove the newest snapshot, and removes nothing', async () => {
    const before = snapshots().length;
    const plan = writePlan('{ keep: { tags: [[keep-me]] } }');
    const r = await backplan(['prune', plan, '--job', 'files', '--state-dir', state(), ...hosts!.sshArgs()], { env: env() });
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toMatch(/would remove the newest snapshot.*prune refused, nothing was pruned/);
    expect(snapshots()).toHaveLength(before);
    // The same policy in a run: the backup succeeds, the prune step is refused.
    const run = await backplan(['run', plan, '--state-dir', state(), '--format', 'json', ...hosts!.sshArgs()], { env: env() });
    expect(run.code).toBe(1);
    const steps = JSON.parse(run.stdout).jobs[0].steps;
    expect(steps.map((s: { status: string }) => s.status)).toEqual(['ok', 'failed']);
    expect(snapshots()).toHaveLength(before + 1);
  }, 120_000);

  it('follows the declared restic version; a host whose restic has other rules is refused', async () => {
    // Two snapshots on one old day: with `daily: 10` unused up, restic ≥ 0.16 also keeps the
    // oldest snapshot ("oldest daily snapshot"), restic 0.14 removes it.
    const old = Date.UTC(2020, 0, 1, 9);
    pastSnapshot(old);
    pastSnapshot(old + 3_600_000);
    const before = snapshots().length;
    const version = realVersion();
    const old14 = /^0\.(\d+)\./.test(version) && Number(version.split('.')[1]) < 16;
    const nine = (k: { time: string }) => k.time.startsWith('2020-01-01T09:00');

    // Not declared: the plan follows current restic; on a restic 0.14 host the guard refuses
    // before anything runs and names the line to add.
    const undeclared = writePlan('{ keep: { daily: 10 } }', { declare: false });
    const dry0 = JSON.parse((await backplan(['prune', undeclared, '--job', 'files', '--dry-run', '--format', 'json', ...hosts!.sshArgs()], { env: env() })).stdout);
    expect(dry0.keep.find(nine).reasons).toContain('oldest daily snapshot');
    if (old14) {
      const r = await backplan(['prune', undeclared, '--job', 'files', '--state-dir', state(), ...hosts!.sshArgs()], { env: env() });
      expect(r.code).toBe(1);
      expect(r.stdout + r.stderr).toContain(`host me runs restic ${version}, whose forget rules are those of restic before 0.16, but the plan follows restic 0.16 or later (no \`tool_versions.restic\` declared): set \`tool_versions: {restic: "${version}"}\` on host me`);
      expect(r.stdout + r.stderr).toMatch(/prune refused, nothing was pruned/);
      expect(snapshots()).toHaveLength(before);
    }

    // Declared: the dry run, the simulation's engine and the real prune agree with restic itself.
    const plan = writePlan('{ keep: { daily: 10 } }');
    const dry = await backplan(['prune', plan, '--job', 'files', '--dry-run', '--format', 'json', ...hosts!.sshArgs()], { env: env() });
    const report = JSON.parse(dry.stdout);
    expect(report.engine).toBe('restic');
    const r = await backplan(['prune', plan, '--job', 'files', '--state-dir', state(), ...hosts!.sshArgs()], { env: env() });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    if (old14) {
      // restic removed exactly what the dry run said: the 09:00 snapshot of the old day among them.
      expect(report.remove.some(nine)).toBe(true);
      expect(snapshots()).toHaveLength(before - report.remove.length);
      expect(times()).toEqual(report.keep.map((k: { time: string }) => k.time.slice(0, 16)).sort());
      // `unlimited` (a count of -1): restic 0.14 has none; the plan is refused before anything runs.
      const u = await backplan(['prune', writePlan('{ keep: { last: all } }'), '--job', 'files', '--state-dir', state(), ...hosts!.sshArgs()], { env: env() });
      expect(u.code).toBe(1);
      expect(u.stdout + u.stderr).toContain('restic before 0.16 has no unlimited count');
      expect(u.stdout + u.stderr).toContain('fix them before you prune');
      expect(snapshots()).toHaveLength(before - report.remove.length);
    } else {
      expect(report.keep.find(nine).reasons).toContain('oldest daily snapshot');
      expect(snapshots()).toHaveLength(before);
    }
    expect(journals()).not.toContain(secret.slice(0, 12));
  }, 120_000);

  it('verify restores the newest snapshot into a scratch directory and compares every file with the source', async () => {
    const plan = writePlan('{ keep: { daily: 3 } }');
    const verify = () => backplan(['verify', plan, '--job', 'files', '--state-dir', state(), '--scratch-dir', work, ...hosts!.sshArgs()], { env: env() });
    const v = await verify();
    expect(v.code, v.stdout + v.stderr).toBe(0);
    expect(v.stdout).toContain('verified files: latest restored into a scratch directory; all 1 files are identical to the source');
    writeFileSync(join(work, 'data', 'a.txt'), 'changed since\n');
    const bad = await verify();
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain(`${join(work, 'data', 'a.txt')}: differs from the source`);
    writeFileSync(join(work, 'data', 'a.txt'), 'alpha\n');
    // The scratch directories are gone; the password never reached the journal.
    expect(readdirSync(work).filter((f) => f.startsWith('bp-verify-'))).toEqual([]);
    expect(journals()).not.toContain(secret.slice(0, 12));
  }, 120_000);
});
