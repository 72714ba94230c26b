// borg for real: a repository on a storage host reached over ssh (`borg serve` there, through
// BORG_RSH), archives made at past times with `borg create --timestamp`, then `backplan run`
// whose guarded `borg prune` removes exactly the archives Backplan's borg rules remove, and
// `borg compact`; the guard refusing a prune that would remove the newest archive. The
// passphrase comes from a file and travels by environment only.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backplanAsync as backplan } from '../helpers/cli-async';
import { requireTools } from '../helpers/integration';
import { sshHostsAvailable, startSshHosts, type SshHosts } from '../helpers/sshd';

const ok = sshHostsAvailable() && requireTools('borg');
const DAY = 86_400_000;
const secret = `pp-${randomBytes(8).toString('hex')}'$(touch CANARY)`;

let work = '';
let hosts: SshHosts | undefined;

const repoOf = (job: string) => join(work, 'repos', job);

function borg(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('borg', args, { env: { ...process.env, BORG_PASSPHRASE: secret, BORG_BASE_DIR: join(work, 'borg-test') }, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Archive names of a job's repository, oldest first. */
const archives = (job: string): string[] => JSON.parse(borg(['list', '--json', repoOf(job)]).stdout).archives.map((a: { name: string }) => a.name);

const stampOf = (t: number) => new Date(t).toISOString().replace(/[-:]/g, '').slice(0, 13) + 'Z';

/** An archive named as the job names them, made at a past time (what earlier runs left). */
function pastArchive(job: string, at: number): string {
  const name = `${job}-${stampOf(at)}`;
  const r = borg(['create', `--timestamp=${new Date(at).toISOString().slice(0, 19)}`, `${repoOf(job)}::${name}`, join(work, 'data')]);
  expect(r.status, r.stderr).toBe(0);
  return name;
}

function writePlan(): string {
  const plan = join(work, 'plan.backplan.yaml');
  const job = (name: string, retention: string) => [
    `  ${name}:`,
    '    kind: borg',
    '    host: me',
    `    paths: [${join(work, 'data')}]`,
    '    to: vault-disk',
    `    passphrase_file: ${join(work, 'passphrase')}`,
    `    retention: ${retention}`,
  ];
  writeFileSync(
    plan,
    [
      'version: 1',
      'hosts:',
      // This machine, with an ssh wrapper that knows the test's host keys (borg spawns ssh itself).
      `  me: { address: localhost, tools: { ssh: ${join(work, 'ssh')} } }`,
      `  ${hosts!.hostLine('vault', 0)}`,
      `storage: { vault-disk: { host: vault, media: hdd, path: ${join(work, 'repos')} } }`,
      'jobs:',
      ...job('files', '{ keep: { daily: 3 } }'),
      ...job('stale', '{ keep: { within: 1d } }'),
      'checks: { coverage-3-2-1: off, no-restore-test: off, offsite-unencrypted: off }',
      '',
    ].join('\n'),
  );
  return plan;
}

const state = () => join(work, 'state');
// borg keeps its cache and security files under BORG_BASE_DIR (also on the storage side, same machine).
const env = () => ({ BORG_BASE_DIR: join(work, 'borg-home') });
const journals = () => readdirSync(join(state(), 'runs')).map((f) => readFileSync(join(state(), 'runs', f), 'utf8')).join('');

beforeAll(async () => {
  if (!ok) return;
  work = mkdtempSync(join(tmpdir(), 'bp-borg-'));
  hosts = await startSshHosts(1);
  hosts.writeSshWrapper(join(work, 'ssh'), join(work, 'ssh.log'));
  writeFileSync(join(work, 'passphrase'), `${secret}\n`, { mode: 0o600 });
  mkdirSync(join(work, 'data'), { recursive: true });
  writeFileSync(join(work, 'data', 'a.txt'), 'alpha\n');
  mkdirSync(join(work, 'repos'));
  for (const job of ['files', 'stale']) {
    const r = borg(['init', '--encryption=repokey', repoOf(job)]);
    expect(r.status, r.stderr).toBe(0);
  }
}, 60_000);

afterAll(async () => {
  await hosts?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe.skipIf(!ok)('borg over ssh', () => {
  it('creates an archive through borg serve, then prune removes exactly what the borg rules remove, then compacts', async () => {
    const today = Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate(), 0, 30);
    const past = [5, 4, 3, 2].map((d) => pastArchive('files', today - d * DAY));
    const plan = writePlan();
    const r = await backplan(['run', plan, '--job', 'files', '--state-dir', state(), '--format', 'json', ...hosts!.sshArgs()], { env: env() });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const steps = JSON.parse(r.stdout).jobs[0].steps;
    expect(steps.map((s: { status: string }) => s.status)).toEqual(['ok', 'ok', 'ok']);
    // daily 3: today's run, then the two most recent earlier days.
    const left = archives('files');
    expect(left).toHaveLength(3);
    expect(left.slice(0, 2)).toEqual([past[2], past[3]]);
    expect(steps[1].detail.removes.map((x: { name: string }) => x.name).sort()).toEqual([past[0], past[1]]);
    expect(steps[1].detail.kept.find((k: { name: string }) => k.name === past[3]).reasons).toEqual(['daily #2']);
    // borg's own ssh went to the storage host and ran borg serve there.
    expect(readFileSync(join(work, 'ssh.log'), 'utf8')).toMatch(new RegExp(`-i ${hosts!.identity} .*-p ${hosts!.port} root@${hosts!.hosts[0].address.replace(/\./g, '\\.')} borg serve`));
    for (const t of [journals(), r.stdout, r.stderr]) expect(t).not.toContain(secret.slice(0, 12));
    expect(spawnSync('find', [work, '-name', 'CANARY'], { encoding: 'utf8' }).stdout).toBe('');

    // verify: the newest archive extracted into a scratch directory, every file compared with the source.
    const verify = () => backplan(['verify', plan, '--job', 'files', '--state-dir', state(), '--scratch-dir', work, ...hosts!.sshArgs()], { env: env() });
    const v = await verify();
    expect(v.code, v.stdout + v.stderr).toBe(0);
    expect(v.stdout).toContain(`verified files: ${left[2]} restored into a scratch directory; all 1 files are identical to the source`);
    writeFileSync(join(work, 'data', 'a.txt'), 'changed since\n');
    const bad = await verify();
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain(`${join(work, 'data', 'a.txt')}: differs from the source`);
    writeFileSync(join(work, 'data', 'a.txt'), 'alpha\n');
    expect(readdirSync(work).filter((f) => f.startsWith('bp-verify-'))).toEqual([]);
  }, 150_000);

  it('refuses a prune that would remove the newest archive (a job that has not run for days), and removes nothing', async () => {
    const t = Date.now();
    pastArchive('stale', t - 3 * DAY);
    pastArchive('stale', t - 2 * DAY);
    const plan = writePlan();
    const dry = await backplan(['prune', plan, '--job', 'stale', '--dry-run', '--format', 'json', ...hosts!.sshArgs()], { env: env() });
    expect(dry.code).toBe(1);
    const report = JSON.parse(dry.stdout);
    expect(report.engine).toBe('borg');
    expect(report.remove).toHaveLength(2);
    const r = await backplan(['prune', plan, '--job', 'stale', '--state-dir', state(), ...hosts!.sshArgs()], { env: env() });
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toMatch(/would remove the newest snapshot, stale-\d{8}T\d{4}Z.*prune refused, nothing was pruned/);
    expect(archives('stale')).toHaveLength(2);
    expect(journals()).not.toContain(secret.slice(0, 12));
  }, 120_000);
});
