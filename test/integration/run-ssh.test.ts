// Remote steps through a real OpenSSH server on 127.0.0.2 (TESTING.md "Hosts"): an archive
// written to a storage host over ssh (dd to the partial name, ln to the final name, find for
// the inventory, cat for the restore test), with a storage path full of shell syntax that only
// the one quoting function stands between (SPEC §8.1); one ControlMaster per host per run; a
// remote restic job whose password travels over the ssh channel's stdin, never in argv.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backplan, ensureBuilt } from '../helpers/cli';
import { REQUIRE_INTEGRATION, requireTools } from '../helpers/integration';

const isRoot = process.getuid?.() === 0;
if (!isRoot && REQUIRE_INTEGRATION) throw new Error('BACKPLAN_REQUIRE_INTEGRATION=1 but the ssh tests need root (sshd)');
if (!isRoot) console.warn('skipping: the ssh tests need root to start sshd');
const ok = isRoot && requireTools('ssh', 'ssh-keygen', 'sshd');

const ADDRESS = '127.0.0.2';
let dir = '';
let sshd: ChildProcess | undefined;
let sshdLog = '';
const port = 20000 + Math.floor(Math.random() * 30000);

function reachable(): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: ADDRESS, port }, () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

beforeAll(async () => {
  if (!ok) return;
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'bp-ssh-'));
  mkdirSync('/run/sshd', { recursive: true });
  for (const k of ['hostkey', 'id']) expect(spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, k)]).status).toBe(0);
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(join(dir, 'id.pub')));
  const config = join(dir, 'sshd_config');
  writeFileSync(
    config,
    [
      `Port ${port}`,
      `ListenAddress ${ADDRESS}`,
      `HostKey ${join(dir, 'hostkey')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      'StrictModes no',
      'UsePAM no',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PermitRootLogin prohibit-password',
      'Subsystem sftp internal-sftp',
      '',
    ].join('\n'),
  );
  const bin = spawnSync('sh', ['-c', 'command -v sshd'], { encoding: 'utf8' }).stdout.trim();
  sshd = spawn(bin, ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  sshd.stderr!.on('data', (d) => (sshdLog += d));
  const t0 = Date.now();
  while (!(await reachable())) {
    if (Date.now() - t0 > 10_000) throw new Error(`sshd did not start: ${sshdLog}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}, 60_000);

afterAll(async () => {
  if (sshd && sshd.exitCode === null) {
    sshd.kill('SIGTERM');
    await new Promise((r) => sshd!.once('close', r));
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const accepted = () => (sshdLog.match(/Accepted publickey/g) ?? []).length;
const sshOpts = () => ['--ssh-option', `UserKnownHostsFile=${join(dir, 'known_hosts')}`, '--ssh-option', 'StrictHostKeyChecking=accept-new'];
const vault = () => `vault: { address: ${ADDRESS}, port: ${port}, user: root, identity: ${join(dir, 'id')}, site: away, role: storage }`;

async function settle(): Promise<void> {
  // sshd logs the connection asynchronously.
  await new Promise((r) => setTimeout(r, 300));
}

describe.skipIf(!ok)('remote storage over ssh', () => {
  it('archives to a storage host whose path is full of shell syntax, with one ssh connection per run; prunes and verifies over ssh', async () => {
    const work = join(dir, 'archive');
    mkdirSync(join(work, 'data'), { recursive: true });
    writeFileSync(join(work, 'data', 'f.txt'), 'remote data');
    const remote = join(work, "remote $(touch CANARY) `touch CANARY`; touch CANARY 'q'");
    const plan = join(work, 'plan.backplan.yaml');
    writeFileSync(
      plan,
      [
        'version: 1',
        'hosts:',
        '  here: { site: home }',
        `  ${vault()}`,
        'storage:',
        `  remote: { host: vault, media: hdd, path: ${JSON.stringify(remote)} }`,
        'jobs:',
        '  docs:',
        '    kind: archive',
        '    host: here',
        '    paths: [./data]',
        '    to: remote',
        '    retention: { keep: { last: 1 } }',
        'checks: { coverage-3-2-1: off, no-restore-test: off, offsite-unencrypted: off }',
        '',
      ].join('\n'),
    );
    const state = join(work, 'state');
    const before = accepted();
    const r = backplan(['run', plan, '--state-dir', state, ...sshOpts()], { cwd: work });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    await settle();
    expect(accepted() - before).toBe(1);
    const out = join(remote, 'docs');
    const [first] = readdirSync(out).filter((n) => n.endsWith('.tar.gz'));
    expect(readdirSync(out).sort()).toEqual([first, `${first}.sha256`]);
    // The master was closed at the end of the run.
    expect(readdirSync(join(state, 'ssh'))).toEqual([]);

    // Make it yesterday's copy; the next run's prune (keep last 1) removes it over ssh.
    const old = first.replace(/\d{8}T\d{4}Z/, '20200101T0000Z');
    renameSync(join(out, first), join(out, old));
    renameSync(join(out, `${first}.sha256`), join(out, `${old}.sha256`));
    writeFileSync(join(out, `${old}.partial`), 'left by an interrupted run');
    const r2 = backplan(['run', plan, '--state-dir', state, ...sshOpts()], { cwd: work });
    expect(r2.code, r2.stdout + r2.stderr).toBe(0);
    expect(readdirSync(out).sort()).toEqual([first, `${first}.sha256`]);
    const v = backplan(['verify', plan, '--job', 'docs', '--state-dir', state, ...sshOpts()], { cwd: work });
    expect(v.code, v.stdout + v.stderr).toBe(0);
    expect(v.stdout).toContain('all 1 files are identical');
    expect(spawnSync('find', [dir, '-name', 'CANARY'], { encoding: 'utf8' }).stdout).toBe('');
    expect(existsSync(join(work, 'CANARY'))).toBe(false);
  });

  it.skipIf(!requireTools('restic'))('a restic job on the remote host receives its password over the ssh channel, never in argv, never in the journal', async () => {
    const work = join(dir, 'restic');
    mkdirSync(join(work, 'data'), { recursive: true });
    writeFileSync(join(work, 'data', 'f.txt'), 'x');
    const secret = `pw-${randomBytes(10).toString('hex')}'$(touch CANARY)"`;
    const repo = join(work, 'repo', 'files');
    expect(spawnSync('restic', ['init', '--repo', repo], { env: { ...process.env, RESTIC_PASSWORD: secret } }).status).toBe(0);
    const plan = join(work, 'plan.backplan.yaml');
    writeFileSync(
      plan,
      [
        'version: 1',
        'hosts:',
        `  ${vault()}`,
        `storage: { repo: { host: vault, media: hdd, path: ${join(work, 'repo')} } }`,
        'jobs:',
        '  files:',
        '    kind: restic',
        '    host: vault',
        `    paths: [${join(work, 'data')}]`,
        '    to: repo',
        '    password_env: BP_TEST_REMOTE_PW',
        'checks: { coverage-3-2-1: off, no-restore-test: off, offsite-unencrypted: off }',
        '',
      ].join('\n'),
    );
    const state = join(work, 'state');
    const r = backplan(['run', plan, '--state-dir', state, ...sshOpts()], { env: { BP_TEST_REMOTE_PW: secret, RESTIC_CACHE_DIR: join(work, 'cache') } });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const snaps = spawnSync('restic', ['snapshots', '--json', '--no-cache', '--repo', repo], { env: { ...process.env, RESTIC_PASSWORD: secret }, encoding: 'utf8' });
    expect(JSON.parse(snaps.stdout)).toHaveLength(1);
    const journals = readdirSync(join(state, 'runs')).map((f) => readFileSync(join(state, 'runs', f), 'utf8')).join('');
    for (const t of [journals, r.stdout, r.stderr, sshdLog]) expect(t).not.toContain(secret.slice(0, 20));
    expect(spawnSync('find', [dir, '-name', 'CANARY'], { encoding: 'utf8' }).stdout).toBe('');
  });
});
