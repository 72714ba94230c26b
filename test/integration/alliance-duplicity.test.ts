// The Alliance seed example (examples/alliance-duplicity.backplan.yaml) run for real: its hosts
// become sshd test hosts (test/helpers/sshd.ts: `web` and `files` on one, the backup server and
// the offsite server on two others), its paths, storage directories and passphrase file live
// under a scratch directory, the rest is the example as written. `web-files` runs ON the web
// host (over ssh) and writes over sftp (duplicity's paramiko backend) to the backup server,
// encrypted to a GPG key made for the test: a full, an incremental the next day, then a full
// each month (faked clock) until `keep: {full: 3}` removes the first chain; `backplan verify`
// restores on the web host and compares there; `backplan restore` writes on the web host and
// never over anything without --in-place --yes. `files-homes-offsite` runs once to the offsite
// server and is verified on the file host. duplicity on the remote host is a wrapper that
// logs each call with its $SSH_CONNECTION and gives it the test's HOME (known_hosts, GPG
// keyring, cache) and clock.
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, ROOT } from '../helpers/cli';
import { cliAt, faketimeLib } from '../helpers/faketime';
import { hasTool, requireTools } from '../helpers/integration';
import { sshHostsAvailable, startSshHosts, type SshHosts } from '../helpers/sshd';

const DAY = 86_400_000;
const T0 = Date.parse('2027-01-04T08:30:00Z');
/** Whether the python that runs duplicity (its #! line) has paramiko, its sftp:// backend. */
function hasParamiko(): boolean {
  const bin = spawnSync('sh', ['-c', 'command -v duplicity'], { encoding: 'utf8' }).stdout.trim();
  if (!bin) return false;
  const python = /^#!\s*(\S+)/.exec(readFileSync(bin, 'utf8').split('\n')[0])?.[1] ?? 'python3';
  return spawnSync(python, ['-c', 'import paramiko']).status === 0;
}
const paramiko = hasParamiko();
const ok = sshHostsAvailable() && requireTools('duplicity', 'gpg', 'faketime') && paramiko;
if (!paramiko && hasTool('duplicity')) console.warn('skipping: duplicity sftp:// needs python3-paramiko');
const secret = `gpg-${randomBytes(6).toString('hex')}`;
let hosts: SshHosts | undefined;
let work = '';
let plan = '';

const web = () => join(work, 'web');
const home = () => join(work, 'home');
const store = () => join(work, 'backup-srv', 'web-files');

/** Every entry under `root`: relative path, and for files their sha256. */
function tree(root: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) {
        out.push(`${relative(root, p)}/`);
        walk(p);
      } else out.push(`${relative(root, p)} ${createHash('sha256').update(readFileSync(p)).digest('hex')}`);
    }
  };
  walk(root);
  return out.sort();
}

/** The sets in the backup server's directory, oldest first, from duplicity's manifest names. */
function sets(): string[] {
  const out: string[] = [];
  for (const f of readdirSync(store())) {
    const full = /^duplicity-full\.(\d{8}T\d{6}Z)\.manifest\.gpg$/.exec(f);
    const inc = /^duplicity-inc\.\d{8}T\d{6}Z\.to\.(\d{8}T\d{6}Z)\.manifest\.gpg$/.exec(f);
    if (full) out.push(`${full[1]} full`);
    if (inc) out.push(`${inc[1]} incremental`);
  }
  return out.sort();
}

/** The example with its hosts, directories and secret file moved into the test's world. */
function planText(h: SshHosts, wrapper: string): string {
  let text = readFileSync(join(ROOT, 'examples', 'alliance-duplicity.backplan.yaml'), 'utf8');
  const swap = (from: string | RegExp, to: string) => {
    const next = text.replace(from, to);
    expect(next, `the example still holds ${String(from)}`).not.toBe(text);
    text = next;
  };
  const tools = `tools: { duplicity: ${wrapper} }`;
  swap(
    /^hosts:\n(?: {2}\S.*\n)+/m,
    [
      'hosts:',
      `  ${h.hostLine('web', 0, `site: main-campus, role: primary, ${tools}`)}`,
      `  ${h.hostLine('files', 0, `site: main-campus, role: primary, ${tools}`)}`,
      `  ${h.hostLine('backup', 1, 'site: machine-room, role: storage')}`,
      `  ${h.hostLine('offsite', 2, 'site: north-campus, role: storage')}`,
      '',
    ].join('\n'),
  );
  swap(/(backup-disk: .*path: )\/srv\/duplicity/, `$1${join(work, 'backup-srv')}`);
  swap(/(offsite-nas: .*path: )\/srv\/duplicity/, `$1${join(work, 'offsite-srv')}`);
  swap(/\[\/etc, \/var\/www\]/g, `[${web()}/etc, ${web()}/var/www]`);
  swap(/"\/var\/www\/\*\*\/cache"/g, `"${web()}/var/www/**/cache"`);
  swap(/\[\/home, \/srv\/projects\]/g, `[${work}/files/home, ${work}/files/srv/projects]`);
  swap(/\/etc\/backplan\/gpg-passphrase/g, join(work, 'gpg-passphrase'));
  return `${text}\n`;
}

let clock = T0;
const env = () => ({ BACKPLAN_STATE_DIR: join(work, 'state') });
const cli = (cmd: string, ...args: string[]) => {
  // The remote duplicity reads the same instant (its wrapper), so both decide at one clock.
  writeFileSync(join(work, 'clock'), `@${new Date(clock).toISOString().replace('T', ' ').replace(/\.\d+Z$/, '')}`);
  return cliAt(clock, [cmd, plan, ...args, ...hosts!.sshArgs()], env());
};

beforeAll(async () => {
  if (!ok) return;
  ensureBuilt();
  work = mkdtempSync(join(tmpdir(), 'bp-alliance-'));
  hosts = await startSshHosts(3);
  for (const d of ['etc', 'var/www/site/cache', 'var/www/site/img']) mkdirSync(join(web(), d), { recursive: true });
  writeFileSync(join(web(), 'etc', 'app.conf'), 'listen 443\n');
  writeFileSync(join(web(), 'var/www/site', 'index.html'), '<h1>Department</h1>\n');
  writeFileSync(join(web(), 'var/www/site/img', 'logo.bin'), randomBytes(40_000));
  writeFileSync(join(web(), 'var/www/site/cache', 'page.tmp'), 'excluded\n');
  writeFileSync(join(web(), 'var/www/site', "; $(touch pwned) -x\nname"), 'hostile\n');
  for (const d of ['home/ana', 'srv/projects/thesis']) mkdirSync(join(work, 'files', d), { recursive: true });
  writeFileSync(join(work, 'files/home/ana', 'notes.md'), '# notes\n');
  writeFileSync(join(work, 'files/srv/projects/thesis', 'data.bin'), randomBytes(30_000));
  mkdirSync(join(work, 'backup-srv'));
  mkdirSync(join(work, 'offsite-srv'));
  writeFileSync(join(work, 'gpg-passphrase'), `${secret}\n`, { mode: 0o600 });
  // The web host's HOME: the storage hosts' keys for paramiko, a GPG keyring with the team's key.
  mkdirSync(join(home(), '.ssh'), { recursive: true });
  mkdirSync(join(home(), '.gnupg'), { mode: 0o700 });
  const key = readFileSync(join(hosts.dir, 'hostkey.pub'), 'utf8').trim().split(' ').slice(0, 2).join(' ');
  const known = hosts.hosts.map((h) => `[${h.address}]:${hosts!.port} ${key}\n`).join('');
  writeFileSync(join(home(), '.ssh', 'known_hosts'), known);
  const gen = spawnSync(
    'gpg',
    ['--batch', '--pinentry-mode', 'loopback', '--passphrase', secret, '--quick-gen-key', 'backup@cs.example.edu'],
    { env: { ...process.env, GNUPGHOME: join(home(), '.gnupg') }, encoding: 'utf8' },
  );
  expect(gen.status, gen.stderr).toBe(0);
  const wrapper = join(work, 'duplicity');
  writeFileSync(
    wrapper,
    [
      '#!/bin/sh',
      `printf '%s | %s\\n' "$SSH_CONNECTION" "$*" >> '${join(work, 'duplicity.log')}'`,
      `export HOME='${home()}' GNUPGHOME='${home()}/.gnupg' XDG_CACHE_HOME='${home()}/.cache'`,
      `export FAKETIME="$(cat '${join(work, 'clock')}')" LD_PRELOAD='${faketimeLib()}'`,
      'exec duplicity "$@"',
      '',
    ].join('\n'),
  );
  chmodSync(wrapper, 0o755);
  plan = join(work, 'alliance.backplan.yaml');
  writeFileSync(plan, planText(hosts, wrapper));
}, 120_000);

afterAll(async () => {
  if (work) spawnSync('gpgconf', ['--kill', 'all'], { env: { ...process.env, GNUPGHOME: join(home(), '.gnupg') } });
  await hosts?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe.skipIf(!ok)('examples/alliance-duplicity on sshd hosts', () => {
  const snapshots: string[][] = [];

  it('checks as the example does, and runs duplicity on the web host, writing over sftp', async () => {
    const c = await cliAt(undefined, ['check', plan], env());
    expect(c.code, c.stdout + c.stderr).toBe(0);
    const a = await cli('run', '--job', 'web-files');
    expect(a.code, a.stdout + a.stderr).toBe(0);
    snapshots.push(tree(web()));
    clock = T0 + DAY;
    writeFileSync(join(web(), 'var/www/site', 'index.html'), '<h1>Department (new)</h1>\n');
    writeFileSync(join(web(), 'etc', 'new.conf'), 'added\n');
    const b = await cli('run', '--job', 'web-files');
    expect(b.code, b.stdout + b.stderr).toBe(0);
    snapshots.push(tree(web()));
    expect(sets().map((s) => s.split(' ')[1])).toEqual(['full', 'incremental']);
    expect(readdirSync(store()).every((f) => f.endsWith('.gpg')), 'every volume is encrypted').toBe(true);
    // Each duplicity call came through sshd on the web host (127.0.0.2), none ran here directly.
    const calls = readFileSync(join(work, 'duplicity.log'), 'utf8').trim().split('\n');
    expect(calls.length).toBeGreaterThan(2);
    for (const line of calls) expect(line).toMatch(new RegExp(`^\\S+ \\d+ 127\\.0\\.0\\.2 ${hosts!.port} \\| `));
    expect(calls[0]).toContain(`sftp://root@127.0.0.3:${hosts!.port}/${store()}`);
    const journals = readdirSync(join(work, 'state', 'runs')).map((f) => readFileSync(join(work, 'state', 'runs', f)));
    expect(Buffer.concat(journals).toString()).not.toContain(secret);
    expect(a.stdout + a.stderr + b.stdout + b.stderr).not.toContain(secret);
  }, 240_000);

  it('verify restores the newest set on the web host and compares it there', async () => {
    const v = await cli('verify', '--job', 'web-files');
    expect(v.code, v.stdout + v.stderr).toBe(0);
    expect(v.stdout).toMatch(/restored into a scratch directory on web; all 5 files are identical to the source/);
    const scratch = /restore --time=\S+ .* (\/\S+)\/tree/.exec(
      readdirSync(join(work, 'state', 'runs'))
        .map((f) => readFileSync(join(work, 'state', 'runs', f), 'utf8'))
        .join('\n'),
    );
    expect(scratch, 'the journal shows the restore into the scratch directory').not.toBeNull();
    expect(existsSync(scratch![1]), `${scratch![1]} is removed`).toBe(false);
  }, 180_000);

  it('verify fails on the web host when a source file no longer matches the set', async () => {
    const file = join(web(), 'etc', 'app.conf');
    const saved = readFileSync(file);
    writeFileSync(file, 'listen 8443\n');
    try {
      const v = await cli('verify', '--job', 'web-files');
      expect(v.code, v.stdout + v.stderr).not.toBe(0);
      expect(v.stdout + v.stderr).toContain(`${file}: differs from the source`);
      expect(v.stdout + v.stderr).not.toContain(secret);
    } finally {
      writeFileSync(file, saved);
    }
  }, 180_000);

  it('a full each month; the fourth chain makes `keep: {full: 3}` remove the first, whole', async () => {
    for (const day of [31, 62, 93]) {
      clock = T0 + day * DAY;
      writeFileSync(join(web(), 'etc', 'app.conf'), `listen 443 # day ${day}\n`);
      const r = await cli('run', '--job', 'web-files');
      expect(r.code, r.stdout + r.stderr).toBe(0);
      if (day !== 93) continue;
      // The run's journal: the guarded remove ran, and removed the first chain.
      const journal = readFileSync(/journal (\S+\.jsonl)/.exec(r.stdout)![1], 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { type: string; phase?: string; status?: string; display?: string });
      expect(journal.some((e) => e.phase === 'prune' && e.display?.includes('remove-all-but-n-full 3'))).toBe(true);
      // duplicity cleanup (no partial set resumed), the backup, the guarded remove
      expect(journal.filter((e) => e.type === 'step-end').map((e) => e.status)).toEqual(['ok', 'ok', 'ok']);
    }
    snapshots.push(tree(web()));
    const held = sets();
    expect(held.map((s) => s.split(' ')[1])).toEqual(['full', 'full', 'full']);
    expect(held[0].slice(0, 8)).toBe('20270204');
    const dry = await cli('prune', '--job', 'web-files', '--dry-run');
    expect(dry.code, dry.stdout + dry.stderr).toBe(0);
    expect(dry.stdout).toContain('0 of 3');
  }, 300_000);

  it('restore writes the newest set on the web host, never over data without --in-place --yes', async () => {
    const to = join(work, 'restored');
    const r = await cli('restore', '--job', 'web-files', '--to', to);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const want = snapshots[2].filter((l) => !l.startsWith('var/www/site/cache/') && l !== 'var/www/site/cache/');
    expect(tree(join(to, web()))).toEqual(want);
    const busy = join(work, 'busy');
    mkdirSync(busy);
    writeFileSync(join(busy, 'keep.txt'), 'mine\n');
    const again = await cli('restore', '--job', 'web-files', '--to', busy);
    expect(again.code).not.toBe(0);
    expect(readdirSync(busy)).toEqual(['keep.txt']);
    const before = tree(web());
    const inPlace = await cli('restore', '--job', 'web-files', '--in-place');
    expect(inPlace.code).not.toBe(0);
    expect(inPlace.stdout + inPlace.stderr).toMatch(/--yes/);
    expect(tree(web())).toEqual(before);
  }, 240_000);

  it('the weekly offsite job writes to the other campus and verifies there (remove-older-than 1Y)', async () => {
    clock = T0 + 95 * DAY;
    const r = await cli('run', '--job', 'files-homes-offsite');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const names = readdirSync(join(work, 'offsite-srv', 'files-homes-offsite'));
    expect(names.filter((f) => /^duplicity-full\..*\.manifest\.gpg$/.test(f))).toHaveLength(1);
    const log = readFileSync(join(work, 'duplicity.log'), 'utf8');
    expect(log).toContain(`remove-older-than 1Y --force`);
    expect(log).toContain(`sftp://root@127.0.0.4:${hosts!.port}/${join(work, 'offsite-srv')}/files-homes-offsite`);
    const v = await cli('verify', '--job', 'files-homes-offsite');
    expect(v.code, v.stdout + v.stderr).toBe(0);
    expect(v.stdout).toMatch(/scratch directory on files; all 2 files are identical to the source/);
  }, 240_000);

  it('restore --in-place --yes moves the live paths aside on the web host and brings the set back', async () => {
    const conf = join(web(), 'etc', 'app.conf');
    writeFileSync(conf, 'broken by hand\n');
    const r = await cli('restore', '--job', 'web-files', '--in-place', '--yes');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(readFileSync(conf, 'utf8')).toBe('listen 443 # day 93\n');
    const aside = readdirSync(web()).filter((n) => n.startsWith('etc.before-restore-'));
    expect(aside.length, readdirSync(web()).join(', ')).toBe(1);
    expect(readFileSync(join(web(), aside[0], 'app.conf'), 'utf8')).toBe('broken by hand\n');
  }, 240_000);

  it("a storage host key the web host does not know: run and verify fail and say how to accept it", async () => {
    const known = join(home(), '.ssh', 'known_hosts');
    const saved = readFileSync(known);
    rmSync(known);
    try {
      clock = T0 + 100 * DAY;
      const run = await cli('run', '--job', 'web-files');
      expect(run.code).not.toBe(0);
      expect(run.stdout + run.stderr).toContain(
        `the job's host does not know the host key of 127.0.0.3 (duplicity's sftp backend, paramiko`,
      );
      expect(run.stdout + run.stderr).toContain(`\`ssh -p ${hosts!.port} root@127.0.0.3\``);
      const v = await cli('verify', '--job', 'web-files');
      expect(v.code).not.toBe(0);
      expect(v.stdout + v.stderr).toContain('does not know the host key of 127.0.0.3');
    } finally {
      writeFileSync(known, saved);
    }
  }, 180_000);
});
