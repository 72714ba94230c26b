// `encrypt: {gpg: {recipient}}` for real: a throwaway key made in a temporary GNUPGHOME (batch,
// no passphrase), an archive job and a mysql-dump job (a MariaDB server the test starts)
// encrypted to it. Asserted: the stored copies are OpenPGP messages for that key (gpg lists
// their packets) and hold none of the plaintext; `backplan verify` decrypts them on the way
// (archive: every file against the manifest; dump: restore into a scratch database and exact
// row counts); a keyring without the secret key, or a damaged encrypted copy, fails verify
// clearly; the database password never appears in output or journal.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backplan, ensureBuilt, type CliResult } from '../helpers/cli';
import { requireTools } from '../helpers/integration';
import { mariadbAvailable, startMariaDb, type MariaDb } from '../helpers/mariadb';

const RECIPIENT = 'backplan-test@example.invalid';
const SECRET = `pw-${randomBytes(9).toString('hex')}`;
const CANARY = `canary-${randomBytes(6).toString('hex')}`;
const ok = requireTools('gpg', 'gpgconf') && mariadbAvailable();

let work = '';
let gnupg = '';
let stranger = '';
let db: MariaDb | undefined;
const outputs: CliResult[] = [];

function gpg(home: string, args: string[]) {
  return spawnSync('gpg', ['--homedir', home, '--batch', '--no-tty', ...args], { encoding: 'utf8', timeout: 60_000 });
}

function cli(args: string[], home = gnupg): CliResult {
  const r = backplan([...args, '--state-dir', join(work, 'state')], { env: { GNUPGHOME: home, BP_TEST_MYSQL_PW: SECRET } });
  outputs.push(r);
  return r;
}

/** What gpg says about a file's packets (an OpenPGP message lists a pubkey-encrypted session key). */
function packets(path: string): string {
  const r = gpg(gnupg, ['--list-packets', path]);
  return `${r.stdout}${r.stderr}`;
}

const stored = (job: string) => {
  const d = join(work, 'backups', job);
  return existsSync(d) ? readdirSync(d).sort() : [];
};

describe.skipIf(!ok)('gpg encryption of archives and dumps', () => {
  beforeAll(async () => {
    ensureBuilt();
    work = mkdtempSync(join(tmpdir(), 'bp-gpg-'));
    gnupg = join(work, 'gnupg');
    stranger = join(work, 'stranger');
    for (const h of [gnupg, stranger]) {
      mkdirSync(h);
      chmodSync(h, 0o700);
    }
    const key = gpg(gnupg, ['--pinentry-mode', 'loopback', '--passphrase', '', '--quick-generate-key', `Backplan Test <${RECIPIENT}>`, 'future-default', 'default', 'never']);
    if (key.status !== 0) throw new Error(`gpg key generation failed: ${key.stderr}`);
    // The stranger holds the public key only: it can encrypt, never decrypt.
    const pub = spawnSync('gpg', ['--homedir', gnupg, '--batch', '--export', RECIPIENT]);
    expect(spawnSync('gpg', ['--homedir', stranger, '--batch', '--import'], { input: pub.stdout }).status).toBe(0);

    mkdirSync(join(work, 'docs', 'sub'), { recursive: true });
    writeFileSync(join(work, 'docs', 'notes.txt'), `${CANARY}\n`.repeat(50));
    writeFileSync(join(work, 'docs', 'sub', 'data.bin'), randomBytes(20_000));

    db = await startMariaDb();
    db.sql(`CREATE DATABASE shop; CREATE USER backup@localhost IDENTIFIED BY '${SECRET}'; GRANT ALL ON *.* TO backup@localhost`);
    db.sql(`CREATE TABLE items (id INT PRIMARY KEY, note TEXT); INSERT INTO items SELECT seq, '${CANARY}' FROM seq_1_to_300`, 'shop');

    writeFileSync(
      join(work, 'enc.backplan.yaml'),
      [
        'version: 1',
        'hosts:',
        '  this-machine: { site: home }',
        'storage:',
        '  vault: { host: this-machine, path: ./backups }',
        'jobs:',
        '  docs:',
        '    kind: archive',
        '    host: this-machine',
        '    paths: [./docs]',
        '    to: vault',
        `    encrypt: { gpg: { recipient: ${RECIPIENT} } }`,
        '  shop-db:',
        '    kind: mysql-dump',
        '    host: this-machine',
        '    database: shop',
        '    db_user: backup',
        `    db_port: ${db.port}`,
        '    password_env: BP_TEST_MYSQL_PW',
        '    to: vault',
        `    encrypt: { gpg: { recipient: ${RECIPIENT} } }`,
        '',
      ].join('\n'),
    );
  }, 180_000);

  afterAll(async () => {
    for (const h of [gnupg, stranger]) if (h && existsSync(h)) spawnSync('gpgconf', ['--homedir', h, '--kill', 'all'], { timeout: 20_000 });
    await db?.stop();
    if (work && !process.env.BP_KEEP) rmSync(work, { recursive: true, force: true });
  }, 60_000);

  it('stores OpenPGP messages only, verifies them by decrypting, and fails clearly without the key or on a damaged copy', () => {
    const plan = join(work, 'enc.backplan.yaml');
    const r = cli(['run', plan]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);

    const [archive] = stored('docs').filter((n) => !n.endsWith('.sha256'));
    const [dump] = stored('shop-db');
    expect(archive).toMatch(/^docs-\d{8}T\d{6}Z\.tar\.gz\.gpg$/);
    expect(dump).toMatch(/^shop-db-\d{8}T\d{6}Z\.sql\.gpg$/);
    for (const [job, name] of [['docs', archive], ['shop-db', dump]]) {
      const path = join(work, 'backups', job, name);
      const bytes = readFileSync(path);
      // Encrypted to the test key, and nothing of the plaintext shows through.
      expect(packets(path)).toMatch(/:pubkey enc packet: version 3, algo 18/);
      expect(bytes.includes(CANARY)).toBe(false);
      expect(bytes.subarray(0, 2).equals(Buffer.from([0x1f, 0x8b]))).toBe(false);
      expect(bytes.includes('INSERT INTO')).toBe(false);
    }

    const va = cli(['verify', plan, '--job', 'docs']);
    expect(va.stderr).toBe('');
    expect(va.code).toBe(0);
    expect(va.stdout).toContain(`verified docs: ${archive} restored; archive sha256 matches its manifest and all 2 files are identical`);
    const vd = cli(['verify', plan, '--job', 'shop-db', '--format', 'json']);
    expect(vd.stderr).toBe('');
    expect(vd.code).toBe(0);
    const j = JSON.parse(vd.stdout);
    expect(j).toMatchObject({ ok: true, copy: dump, tables: [{ table: 'items', rows: 300, source: 300 }] });
    expect(db!.sql("SHOW DATABASES LIKE 'backplan\\_verify\\_%'")).toBe('');

    // A keyring with the public key only cannot decrypt: verify says so, for both kinds.
    const na = cli(['verify', plan, '--job', 'docs'], stranger);
    expect(na.code).toBe(1);
    expect(na.stdout).toMatch(/FAILED docs: .*\n {2}cannot restore the archive: gpg exited with status 2: .*No secret key/);
    const nd = cli(['verify', plan, '--job', 'shop-db'], stranger);
    expect(nd.code).toBe(1);
    expect(nd.stdout).toMatch(new RegExp(`FAILED shop-db: ${dump.replace(/\./g, '\\.')}\\n  cannot decrypt the copy: gpg exited with status 2: .*No secret key`));
    expect(db!.sql("SHOW DATABASES LIKE 'backplan\\_verify\\_%'")).toBe('');

    // A damaged encrypted dump: gpg's own error comes first.
    const path = join(work, 'backups', 'shop-db', dump);
    const whole = readFileSync(path);
    truncateSync(path, Math.floor(whole.length / 2));
    const bad = cli(['verify', plan, '--job', 'shop-db']);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(new RegExp(`FAILED shop-db: ${dump.replace(/\./g, '\\.')}\\n  cannot decrypt the copy: gpg exited with status 2`));
    expect(db!.sql("SHOW DATABASES LIKE 'backplan\\_verify\\_%'")).toBe('');
    writeFileSync(path, whole);

    // SPEC §8.8: the database password is in no output and no journal.
    for (const o of outputs) expect(o.stdout + o.stderr).not.toContain(SECRET);
    const runs = join(work, 'state', 'runs');
    for (const f of readdirSync(runs)) expect(readFileSync(join(runs, f), 'utf8')).not.toContain(SECRET);
  }, 150_000);
});
