// Remote steps through a real OpenSSH server on 127.0.0.2 (TESTING.md "Hosts"): an archive
// written to a storage host over ssh (dd to the partial name, ln to the final name, find for
// the inventory, cat for the restore test), with a storage path full of shell syntax that only
// the one quoting function stands between (SPEC §8.1); one ControlMaster per host per run; a
// remote restic job whose password travels over the ssh channel's stdin, never in argv.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backplan, ensureBuilt } from '../helpers/cli';
import { requireTools } from '../helpers/integration';
import { sshHostsAvailable, startSshHosts, type SshHosts } from '../helpers/sshd';

const ok = sshHostsAvailable();

let dir = '';
let ssh: SshHosts;

beforeAll(async () => {
  if (!ok) return;
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'bp-ssh-'));
  ssh = await startSshHosts(1);
}, 60_000);

afterAll(async () => {
  await ssh?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const sshdLog = () => ssh.hosts[0].log();
const accepted = () => (sshdLog().match(/Accepted publickey/g) ?? []).length;
const sshOpts = () => ssh.sshArgs();
const vault = () => ssh.hostLine('vault', 0, 'site: away, role: storage');

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
    const old = first.replace(/\d{8}T\d{6}Z/, '20200101T0000Z');
    renameSync(join(out, first), join(out, old));
    renameSync(join(out, `${first}.sha256`), join(out, `${old}.sha256`));
    writeFileSync(join(out, `${old}.partial`), 'left by an interrupted run');
    const r2 = backplan(['run', plan, '--state-dir', state, ...sshOpts()], { cwd: work });
    expect(r2.code, r2.stdout + r2.stderr).toBe(0);
    // The old copy and the partial are gone; the new copy is named by the minute of this run.
    const [second] = readdirSync(out).filter((n) => n.endsWith('.tar.gz'));
    expect(second).toMatch(/^docs-\d{8}T\d{6}Z\.tar\.gz$/);
    expect(second).not.toBe(old);
    expect(readdirSync(out).sort()).toEqual([second, `${second}.sha256`]);
    const v = backplan(['verify', plan, '--job', 'docs', '--state-dir', state, ...sshOpts()], { cwd: work });
    expect(v.code, v.stdout + v.stderr).toBe(0);
    expect(v.stdout).toContain('all 1 files are identical');
    expect(spawnSync('find', [dir, '-name', 'CANARY'], { encoding: 'utf8' }).stdout).toBe('');
    expect(existsSync(join(work, 'CANARY'))).toBe(false);
    // A remote shell would run an injected command in the login's home directory.
    expect(existsSync(join(homedir(), 'CANARY'))).toBe(false);
  }, 120_000);

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
    for (const t of [journals, r.stdout, r.stderr, sshdLog()]) expect(t).not.toContain(secret.slice(0, 20));
    expect(spawnSync('find', [dir, '-name', 'CANARY'], { encoding: 'utf8' }).stdout).toBe('');
  }, 60_000);
});
