// `backplan init` for real: restic and borg repositories on this machine and, for restic, over
// sftp on a storage host (test/helpers/sshd.ts); the parent dataset of a zfs-send target under
// zfs-fuse. Proves: a first run before init fails with a message that says to run `backplan init`
// for that job; `--dry-run` creates nothing anywhere (not even the state directory); init creates
// the repository with the job's own repository, password and host; a second init finds it and
// leaves it alone (same repository id); the run then succeeds; init takes the job's lock; secrets
// never reach the output or the journal. For zfs-send: the parent is created, the target dataset
// is not, and the first full send then receives into it.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backplanAsync as backplan } from '../helpers/cli-async';
import { requireTools } from '../helpers/integration';
import { sshHostsAvailable, startSshHosts, type SshHosts } from '../helpers/sshd';
import { startZfsFuse, type ZfsFuse } from '../helpers/zfs-fuse';

const secret = `pw-${randomBytes(8).toString('hex')}'$(touch CANARY)`;
const journals = (state: string) =>
  existsSync(join(state, 'runs'))
    ? readdirSync(join(state, 'runs'))
        .sort()
        .map((f) => readFileSync(join(state, 'runs', f), 'utf8'))
        .join('')
    : '';
const statuses = (stdout: string, job: string): string[] =>
  JSON.parse(stdout)
    .jobs.find((j: { job: string }) => j.job === job)
    .targets.map((t: { status: string }) => t.status);

describe.skipIf(!requireTools('restic', 'borg'))('init of restic and borg repositories on this machine', () => {
  let work = '';
  let plan = '';
  let state = '';
  const env = () => ({ BP_TEST_PW: secret, RESTIC_CACHE_DIR: join(work, 'cache'), BORG_BASE_DIR: join(work, 'borg-home') });
  const repo = (job: string) => join(work, 'repos', 'nested', job);
  const resticId = () => {
    const r = spawnSync('restic', ['--repo', repo('files'), '--no-cache', 'cat', 'config'], { env: { ...process.env, RESTIC_PASSWORD: secret }, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    return JSON.parse(r.stdout).id as string;
  };

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'bp-init-'));
    state = join(work, 'state');
    mkdirSync(join(work, 'data'));
    writeFileSync(join(work, 'data', 'a.txt'), 'alpha\n');
    plan = join(work, 'plan.backplan.yaml');
    writeFileSync(
      plan,
      [
        'version: 1',
        // The repositories' directory does not exist yet: init must make its parents too.
        `storage: { disk: { media: hdd, path: ${join(work, 'repos', 'nested')} } }`,
        'jobs:',
        '  files:',
        '    kind: restic',
        `    paths: [${join(work, 'data')}]`,
        '    to: disk',
        '    password_env: BP_TEST_PW',
        '  borgfiles:',
        '    kind: borg',
        `    paths: [${join(work, 'data')}]`,
        '    to: disk',
        '    passphrase_env: BP_TEST_PW',
        '  snaps:',
        '    kind: zfs-snapshot',
        '    dataset: pool/data',
        '    enabled: false',
        'checks: { coverage-3-2-1: off, no-restore-test: off, offsite-unencrypted: off, unused: off }',
        '',
      ].join('\n'),
    );
  });
  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('a first run before init fails with a message naming `backplan init` and the job', async () => {
    for (const job of ['files', 'borgfiles']) {
      const r = await backplan(['run', plan, '--job', job, '--state-dir', state, '--format', 'json'], { env: env() });
      expect(r.code, r.stdout + r.stderr).toBe(1);
      const message: string = JSON.parse(r.stdout).jobs[0].message;
      expect(message).toMatch(job === 'files' ? /Is there a repository at the following location\?/ : /Repository .* does not exist/);
      expect(message.endsWith(`— run \`backplan init PLAN --job ${job}\` first`), message).toBe(true);
    }
  }, 60_000);

  it('--dry-run lists every check and creation with host and argv, and creates nothing anywhere', async () => {
    const fresh = join(work, 'dry-state');
    const r = await backplan(['init', plan, '--dry-run', '--state-dir', fresh], { env: env() });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain(`check:  [local] RESTIC_PASSWORD="$BP_TEST_PW" restic --repo=${repo('files')} cat config`);
    expect(r.stdout).toContain(`create: [local] RESTIC_PASSWORD="$BP_TEST_PW" restic --repo=${repo('files')} init`);
    expect(r.stdout).toContain(
      `create: [local] BORG_PASSPHRASE="$BP_TEST_PW" borg init --encryption=repokey-blake2 --make-parent-dirs -- ${repo('borgfiles')}` +
        `; then [local] BORG_PASSPHRASE="$BP_TEST_PW" borg config -- ${repo('borgfiles')} additional_free_space 2G`,
    );
    expect(r.stdout).toContain('borg key export');
    expect(r.stdout).toContain('snaps (zfs-snapshot): skipped: disabled');
    expect(existsSync(join(work, 'repos'))).toBe(false);
    expect(existsSync(fresh)).toBe(false);
    expect(r.stdout + r.stderr).not.toContain(secret.slice(0, 12));
  }, 30_000);

  it('init creates both repositories; a second init finds them and changes nothing; then the runs succeed', async () => {
    const first = await backplan(['init', plan, '--state-dir', state, '--format', 'json'], { env: env() });
    expect(first.code, first.stdout + first.stderr).toBe(0);
    expect(statuses(first.stdout, 'files')).toEqual(['created']);
    expect(statuses(first.stdout, 'borgfiles')).toEqual(['created']);
    expect(JSON.parse(first.stdout).jobs.find((j: { job: string }) => j.job === 'snaps').status).toBe('skipped');
    expect(existsSync(join(repo('files'), 'config'))).toBe(true);
    expect(readFileSync(join(repo('borgfiles'), 'config'), 'utf8')).toContain('[repository]');
    // The borg repository keeps 2G free: a full disk fails a backup cleanly (test/faults/fs-faults.test.ts).
    expect(readFileSync(join(repo('borgfiles'), 'config'), 'utf8')).toMatch(/^additional_free_space = 2G$/m);
    const id = resticId();
    const text = journals(state);
    expect(text).toContain('"command":"init"');
    expect(text).toMatch(/"type":"step-start","job":"files","step":"files\/init-1"/);
    expect(text).toContain('"result":"created"');

    const again = await backplan(['init', plan, '--state-dir', state, '--format', 'json'], { env: env() });
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(statuses(again.stdout, 'files')).toEqual(['exists']);
    expect(statuses(again.stdout, 'borgfiles')).toEqual(['exists']);
    expect(resticId()).toBe(id);

    for (const job of ['files', 'borgfiles']) {
      const r = await backplan(['run', plan, '--job', job, '--state-dir', state], { env: env() });
      expect(r.code, r.stdout + r.stderr).toBe(0);
    }
    for (const t of [journals(state), first.stdout, first.stderr, again.stdout]) expect(t).not.toContain(secret.slice(0, 12));
    expect(spawnSync('find', [work, '-name', 'CANARY'], { encoding: 'utf8' }).stdout).toBe('');
    // No lock is left behind.
    expect(readdirSync(join(state, 'locks')).filter((f) => f.endsWith('.lock'))).toEqual([]);
  }, 120_000);

  it('takes the job lock: a job that is running is not initialised', async () => {
    const lock = join(state, 'locks', 'files.lock');
    writeFileSync(lock, JSON.stringify({ job: 'files', pid: process.pid, host: hostname(), since: new Date().toISOString(), run: 'r1', command: 'run' }));
    try {
      const r = await backplan(['init', plan, '--job', 'files', '--state-dir', state], { env: env() });
      expect(r.code, r.stdout + r.stderr).toBe(1);
      expect(r.stdout).toContain('job files is already running');
    } finally {
      rmSync(lock, { force: true });
    }
  }, 30_000);

  it('a wrong password is reported, never taken for a missing repository', async () => {
    const r = await backplan(['init', plan, '--job', 'files', '--state-dir', state, '--format', 'json'], { env: { ...env(), BP_TEST_PW: 'not-the-password' } });
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(statuses(r.stdout, 'files')).toEqual(['failed']);
    expect(JSON.parse(r.stdout).jobs[0].targets[0].message).toMatch(/cannot tell whether restic repository .* exists: restic exited with status 1/);
  }, 30_000);
});

describe.skipIf(!(sshHostsAvailable() && requireTools('restic')))('init of a restic repository over sftp on a storage host', () => {
  let work = '';
  let hosts: SshHosts | undefined;
  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'bp-init-ssh-'));
    hosts = await startSshHosts(1);
    hosts.writeSshWrapper(join(work, 'ssh'), join(work, 'ssh.log'));
    mkdirSync(join(work, 'data'));
    writeFileSync(join(work, 'data', 'a.txt'), 'alpha\n');
  }, 60_000);
  afterAll(async () => {
    await hosts?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('creates the repository through the job\'s own sftp, finds it the second time, and the run succeeds', async () => {
    const plan = join(work, 'plan.backplan.yaml');
    writeFileSync(
      plan,
      [
        'version: 1',
        'hosts:',
        `  me: { address: localhost, tools: { ssh: ${join(work, 'ssh')} } }`,
        `  ${hosts!.hostLine('vault', 0)}`,
        `storage: { vault-disk: { host: vault, media: hdd, path: ${join(work, 'repos')} } }`,
        'jobs:',
        '  files: { kind: restic, host: me, paths: [' + join(work, 'data') + '], to: vault-disk, password_env: BP_TEST_PW }',
        'checks: { coverage-3-2-1: off, no-restore-test: off, offsite-unencrypted: off }',
        '',
      ].join('\n'),
    );
    const state = join(work, 'state');
    const env = { BP_TEST_PW: secret, RESTIC_CACHE_DIR: join(work, 'cache') };
    const args = ['--state-dir', state, '--format', 'json', ...hosts!.sshArgs()];
    const before = await backplan(['run', plan, ...args], { env });
    expect(before.code).toBe(1);
    expect(JSON.parse(before.stdout).jobs[0].message).toMatch(/— run `backplan init PLAN --job files` first$/);
    const first = await backplan(['init', plan, ...args], { env });
    expect(first.code, first.stdout + first.stderr).toBe(0);
    expect(statuses(first.stdout, 'files')).toEqual(['created']);
    expect(existsSync(join(work, 'repos', 'files', 'config'))).toBe(true);
    expect(readFileSync(join(work, 'ssh.log'), 'utf8')).toContain(`root@${hosts!.hosts[0].address} -s sftp`);
    const again = await backplan(['init', plan, ...args], { env });
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(statuses(again.stdout, 'files')).toEqual(['exists']);
    const run = await backplan(['run', plan, ...args], { env });
    expect(run.code, run.stdout + run.stderr).toBe(0);
    for (const t of [journals(state), first.stdout, again.stdout]) expect(t).not.toContain(secret.slice(0, 12));
  }, 120_000);
});

describe.skipIf(!requireTools('zfs', 'zpool', 'zfs-fuse'))('init of a zfs-send target (zfs-fuse)', () => {
  let work = '';
  let zfs: ZfsFuse | undefined;
  const tag = randomBytes(3).toString('hex');
  const SRC = `bpinitsrc${tag}`;
  const DST = `bpinitdst${tag}`;
  const exists = (ds: string) => spawnSync('zfs', ['list', '-H', '-o', 'name', ds], { encoding: 'utf8' }).status === 0;
  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'bp-init-zfs-'));
    zfs = await startZfsFuse(work);
    zfs.pool(SRC, work, join(work, 'src'));
    zfs.pool(DST, work, join(work, 'dst'));
    expect(spawnSync('zfs', ['create', `${SRC}/data`]).status).toBe(0);
  }, 90_000);
  afterAll(async () => {
    await zfs?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  }, 60_000);

  it('creates the parent dataset of the target, not the target; the first full send then receives into it', async () => {
    const plan = join(work, 'zfs.backplan.yaml');
    const target = `${DST}/backups/site/data`;
    writeFileSync(
      plan,
      [
        'version: 1',
        'storage: { tank: { media: hdd } }',
        'jobs:',
        `  snaps: { kind: zfs-snapshot, dataset: ${SRC}/data }`,
        `  replica: { kind: zfs-send, from: snaps, to: tank, dataset: ${target}, resumable: false }`,
        'checks: { coverage-3-2-1: off, no-restore-test: off, offsite-unencrypted: off, snapshot-not-backup: off }',
        '',
      ].join('\n'),
    );
    const state = join(work, 'state');
    const dry = await backplan(['init', plan, '--dry-run']);
    expect(dry.code, dry.stdout + dry.stderr).toBe(0);
    expect(dry.stdout).toContain(`create: [local] zfs create -p ${DST}/backups/site`);
    expect(dry.stdout).toContain('snaps (zfs-snapshot): nothing to initialise');
    expect(exists(`${DST}/backups`)).toBe(false);

    const r = await backplan(['init', plan, '--state-dir', state, '--format', 'json']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(statuses(r.stdout, 'replica')).toEqual(['created']);
    expect(exists(`${DST}/backups/site`)).toBe(true);
    expect(exists(target)).toBe(false);
    const again = await backplan(['init', plan, '--state-dir', state, '--format', 'json']);
    expect(statuses(again.stdout, 'replica')).toEqual(['exists']);

    const run = await backplan(['run', plan, '--state-dir', state]);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(exists(target)).toBe(true);
  }, 120_000);
});
