// `backplan restore` of pg-dump and mysql-dump jobs through the built command, against real
// servers the test starts (test/helpers/postgres.ts, test/helpers/mariadb.ts): back up with
// `backplan run`, then delete, change and drop rows and tables; restore into a new database
// (`--to NEWDB`) and in place (`--in-place --yes`: the current database moved aside, nothing
// dropped) and compare exact row counts and the content of the tables; a database that exists
// and holds tables refused, an empty one accepted; a damaged dump failing in one clear line with
// no database left behind under the target's name or a temporary one; a MySQL database holding
// a view refused in place, untouched; a gpg-encrypted dump decrypted and restored; the journal
// holding the restore's duration and bytes.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backplanAsync } from '../helpers/cli-async';
import { ensureBuilt } from '../helpers/cli';
import { requireTools } from '../helpers/integration';
import { mariadbAvailable, startMariaDb, type MariaDb } from '../helpers/mariadb';
import { postgresAvailable, startPostgres, type PgServer } from '../helpers/postgres';
import { readJournal } from '../../engine/run/state/journal';

const pgOk = postgresAvailable();
const myOk = mariadbAvailable();
const gpgOk = myOk && requireTools('gpg', 'gpgconf');
const SECRET = `pw-${randomBytes(9).toString('hex')}`;

function endsOf(state: string, job: string, command: 'restore' | 'verify' = 'restore'): Record<string, unknown>[] {
  const runs = join(state, 'runs');
  return readdirSync(runs)
    .sort()
    .map((f) => readJournal(join(runs, f)))
    .filter((j) => j.some((l) => l.type === 'run-start' && l.command === command))
    .map((j) => j.find((l) => l.type === 'step-end' && l.step === `${job}/${command}`) as unknown as Record<string, unknown>);
}
const restoreEnds = (state: string, job: string) => endsOf(state, job);

describe.skipIf(!pgOk)('backplan restore of a pg-dump job', () => {
  let pg: PgServer | undefined;
  let work = '';
  const JOB = 'app-db';
  const cli = (...args: string[]) =>
    backplanAsync([args[0], join(work, 'p.backplan.yaml'), ...args.slice(1), '--state-dir', join(work, 'state')], {
      env: { PGHOST: pg!.sock },
    });
  const dbs = () => pg!.sql('postgres', 'SELECT datname FROM pg_database ORDER BY 1').split('\n');
  const counts = (db: string) => pg!.sql(db, `SELECT (SELECT count(*) FROM items) || ' ' || (SELECT count(*) FROM audit."log entries")`);
  const digest = (db: string) => pg!.sql(db, "SELECT md5(string_agg(id || ':' || name, ',' ORDER BY id)) FROM items");

  beforeAll(async () => {
    ensureBuilt();
    work = mkdtempSync(join(tmpdir(), 'bp-restore-pg-'));
    pg = await startPostgres();
    pg.sql('postgres', 'CREATE DATABASE appdb');
    pg.sql('appdb', 'CREATE TABLE items (id int PRIMARY KEY, name text); INSERT INTO items SELECT g, md5(g::text) FROM generate_series(1, 500) g');
    pg.sql('appdb', 'CREATE SCHEMA audit; CREATE TABLE audit."log entries" (n int); INSERT INTO audit."log entries" SELECT g FROM generate_series(1, 7) g');
    writeFileSync(
      join(work, 'p.backplan.yaml'),
      [
        'version: 1',
        'hosts:',
        '  this-machine: { site: home }',
        'storage:',
        `  dumps: { host: this-machine, path: ${JSON.stringify(join(work, 'backups'))} }`,
        'jobs:',
        `  ${JOB}:`,
        '    kind: pg-dump',
        '    host: this-machine',
        '    database: appdb',
        '    db_user: postgres',
        `    db_port: ${pg.port}`,
        '    to: dumps',
        '    rto: 2h',
        'checks: { coverage-3-2-1: off, no-restore-test: off }',
        '',
      ].join('\n'),
    );
  }, 180_000);

  afterAll(() => {
    pg?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  }, 60_000);

  it('restores into a new database and in place, rows exact; refuses a database holding tables; fails clearly on a damaged dump', async () => {
    const run = await cli('run');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const whole = digest('appdb');
    // verify measures its restore: the line, and duration and bytes in the journal.
    const v = await cli('verify', '--job', JOB);
    expect(v.stderr).toBe('');
    expect(v.code).toBe(0);
    expect(v.stdout).toMatch(/\nverified \d+(\.\d)? KiB in \d+(\.\d)? s \(RTO 2h: ok\)\n$/);
    const [vend] = endsOf(join(work, 'state'), JOB, 'verify');
    expect((vend.detail as { bytes: number }).bytes).toBeGreaterThan(10_000);
    expect((vend.detail as { durationSeconds: number }).durationSeconds).toBeGreaterThan(0);
    // After the dump: rows deleted and changed, a table dropped.
    pg!.sql('appdb', "DELETE FROM items WHERE id > 400; UPDATE items SET name = 'garbage' WHERE id < 10; DROP TABLE audit.\"log entries\"");
    const changed = digest('appdb');

    const r = await cli('restore', '--job', JOB, '--to', 'restored');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^restored ${JOB}: ${JOB}-\\d{8}T\\d{6}Z\\.dump \\(read from storage dumps \\(the job's own storage\\)\\) to restored\\n`));
    expect(r.stdout).toMatch(/\nrestored \d+(\.\d)? KiB in \d+(\.\d)? s \(RTO 2h: ok\)\n$/);
    expect(counts('restored')).toBe('500 7');
    expect(digest('restored')).toBe(whole);
    expect(dbs().filter((d) => d.startsWith('backplan_restore_'))).toEqual([]);
    const [end] = restoreEnds(join(work, 'state'), JOB);
    expect(end).toMatchObject({ status: 'ok', detail: { target: 'restored', movedAside: null } });
    const detail = end.detail as { bytes: number; durationSeconds: number };
    expect(detail.bytes).toBeGreaterThan(10_000);
    expect(detail.durationSeconds).toBeGreaterThan(0);

    // A database that holds tables is refused and left as it was; an empty one is accepted.
    const again = await cli('restore', '--job', JOB, '--to', 'restored');
    expect(again.code).toBe(1);
    expect(again.stderr).toBe(
      "backplan: database restored exists and holds 2 tables: a restore never replaces data; give --to a new name (or an empty database), or use --in-place --yes to move the job's own database aside first\n",
    );
    expect(digest('restored')).toBe(whole);
    pg!.sql('postgres', 'CREATE DATABASE empty');
    const empty = await cli('restore', '--job', JOB, '--to', 'empty', '--format', 'json');
    expect(empty.code).toBe(0);
    expect(JSON.parse(empty.stdout)).toMatchObject({ job: JOB, storage: 'dumps', target: 'empty', movedAside: null, result: 'ok' });
    expect(counts('empty')).toBe('500 7');

    // In place: the job's database renamed aside, the copy restored under its name.
    const ip = await cli('restore', '--job', JOB, '--in-place', '--yes', '--format', 'json');
    expect(ip.stderr).toBe('');
    expect(ip.code).toBe(0);
    const doc = JSON.parse(ip.stdout);
    expect(doc.movedAside).toMatch(/^appdb_before_restore_\d{8}t\d{6}z$/);
    expect(counts('appdb')).toBe('500 7');
    expect(digest('appdb')).toBe(whole);
    expect(digest(doc.movedAside)).toBe(changed);
    expect(pg!.sql(doc.movedAside, 'SELECT count(*) FROM items')).toBe('400');

    // A damaged dump: one line, nothing under the target's name, no temporary database left.
    const dir = join(work, 'backups', JOB);
    const [file] = readdirSync(dir);
    const bytes = readFileSync(join(dir, file));
    truncateSync(join(dir, file), Math.floor(bytes.length / 2));
    const bad = await cli('restore', '--job', JOB, '--to', 'broken');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^backplan: restore of app-db failed: the dump does not restore: pg_restore exited with status 1: .+\n$/);
    expect(dbs()).not.toContain('broken');
    expect(dbs().filter((d) => d.startsWith('backplan_restore_'))).toEqual([]);
    writeFileSync(join(dir, file), bytes);
  }, 180_000);
});

describe.skipIf(!myOk)('backplan restore of a mysql-dump job', () => {
  let db: MariaDb | undefined;
  let work = '';
  let gnupg = '';
  const JOB = 'shop-db';
  const cli = (...args: string[]) =>
    backplanAsync([args[0], join(work, 'p.backplan.yaml'), ...args.slice(1), '--state-dir', join(work, 'state')], {
      env: { BP_TEST_MYSQL_PW: SECRET, MYSQL_UNIX_PORT: join(work, 'no-such-socket'), GNUPGHOME: gnupg },
    });
  const dbs = () => db!.sql('SHOW DATABASES').split('\n');
  const counts = (d: string) => db!.sql('SELECT (SELECT COUNT(*) FROM items), (SELECT COUNT(*) FROM `odd ``name`)', d).replace('\t', ' ');
  const digest = (d: string) => db!.sql("SELECT MD5(GROUP_CONCAT(id, ':', name, ':', HEX(data) ORDER BY id SEPARATOR ',')) FROM items", d);

  beforeAll(async () => {
    ensureBuilt();
    work = mkdtempSync(join(tmpdir(), 'bp-restore-my-'));
    db = await startMariaDb();
    db.sql(`SET SESSION group_concat_max_len = 1000000; CREATE DATABASE shop; CREATE DATABASE vault; CREATE USER backup@localhost IDENTIFIED BY '${SECRET}'; GRANT ALL ON *.* TO backup@localhost`);
    db.sql('SET GLOBAL group_concat_max_len = 10000000');
    for (const d of ['shop', 'vault']) {
      db.sql('CREATE TABLE items (id INT PRIMARY KEY, name TEXT, data BLOB); INSERT INTO items SELECT seq, MD5(seq), UNHEX(MD5(seq)) FROM seq_1_to_500', d);
      db.sql('CREATE TABLE `odd ``name` (x INT); INSERT INTO `odd ``name` VALUES (1), (2), (3)', d);
    }
    const job = (name: string, database: string, extra: string[] = []) => [
      `  ${name}:`,
      '    kind: mysql-dump',
      '    host: this-machine',
      `    database: ${database}`,
      '    db_user: backup',
      `    db_port: ${db!.port}`,
      '    password_env: BP_TEST_MYSQL_PW',
      '    to: dumps',
      ...extra,
    ];
    gnupg = join(work, 'gnupg');
    const enc = gpgOk ? ['    encrypt: { gpg: { recipient: restore-test@backplan.invalid } }'] : [];
    if (gpgOk) {
      mkdirSync(gnupg);
      chmodSync(gnupg, 0o700);
      const key = spawnSync('gpg', ['--homedir', gnupg, '--batch', '--no-tty', '--pinentry-mode', 'loopback', '--passphrase', '', '--quick-generate-key', 'Backplan Restore Test <restore-test@backplan.invalid>', 'future-default', 'default', 'never'], { encoding: 'utf8', timeout: 60_000 });
      if (key.status !== 0) throw new Error(`gpg key generation failed: ${key.stderr}`);
    }
    writeFileSync(
      join(work, 'p.backplan.yaml'),
      [
        'version: 1',
        'hosts:',
        '  this-machine: { site: home, tools: { mysqldump: mariadb-dump, mysql: mariadb } }',
        'storage:',
        `  dumps: { host: this-machine, path: ${JSON.stringify(join(work, 'backups'))} }`,
        'jobs:',
        ...job(JOB, 'shop', ['    rto: 0min']),
        ...job('vault-db', 'vault', enc),
        'checks: { coverage-3-2-1: off, no-restore-test: off }',
        '',
      ].join('\n'),
    );
  }, 180_000);

  afterAll(async () => {
    if (gnupg) spawnSync('gpgconf', ['--homedir', gnupg, '--kill', 'all'], { timeout: 20_000 });
    await db?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  }, 60_000);

  it('restores into a new database and in place, rows exact; refuses a database holding tables or a view; fails clearly on a damaged dump', async () => {
    const run = await cli('run', '--job', JOB);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const whole = digest('shop');
    db!.sql("DELETE FROM items WHERE id > 400; UPDATE items SET name = 'garbage' WHERE id < 10; DROP TABLE `odd ``name`", 'shop');
    const changed = digest('shop');

    const r = await cli('restore', '--job', JOB, '--to', 'restored');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^restored ${JOB}: ${JOB}-\\d{8}T\\d{6}Z\\.sql \\(read from storage dumps \\(the job's own storage\\)\\) to restored\\n`));
    expect(r.stdout).toMatch(/\nrestored \d+(\.\d)? KiB in \d+(\.\d)? s \(RTO 0min: exceeded\)\n$/);
    expect(counts('restored')).toBe('500 3');
    expect(digest('restored')).toBe(whole);
    expect(dbs().filter((d) => d.startsWith('backplan_restore_'))).toEqual([]);
    const [end] = restoreEnds(join(work, 'state'), JOB);
    expect(end).toMatchObject({ status: 'ok', detail: { target: 'restored', movedAside: null } });
    expect((end.detail as { bytes: number }).bytes).toBeGreaterThan(20_000);

    // A database holding tables is refused; an empty one is accepted.
    const again = await cli('restore', '--job', JOB, '--to', 'restored');
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('backplan: database restored exists and holds 2 tables: a restore never replaces data');
    expect(digest('restored')).toBe(whole);
    db!.sql('CREATE DATABASE empty');
    const empty = await cli('restore', '--job', JOB, '--to', 'empty');
    expect(empty.stderr).toBe('');
    expect(empty.code).toBe(0);
    expect(counts('empty')).toBe('500 3');

    // In place: the current tables moved aside with one RENAME TABLE, the restored ones in.
    const ip = await cli('restore', '--job', JOB, '--in-place', '--yes', '--format', 'json');
    expect(ip.stderr).toBe('');
    expect(ip.code).toBe(0);
    const doc = JSON.parse(ip.stdout);
    expect(doc.movedAside).toMatch(/^shop_before_restore_\d{8}t\d{6}z$/);
    expect(counts('shop')).toBe('500 3');
    expect(digest('shop')).toBe(whole);
    expect(digest(doc.movedAside)).toBe(changed);
    expect(db!.sql('SELECT COUNT(*) FROM items', doc.movedAside)).toBe('400');
    expect(dbs().filter((d) => d.startsWith('backplan_restore_'))).toEqual([]);

    // A database holding a view cannot be moved aside by RENAME TABLE: refused, untouched.
    db!.sql('CREATE VIEW v AS SELECT id FROM items', 'shop');
    db!.sql('DELETE FROM items WHERE id = 1', 'shop');
    const view = await cli('restore', '--job', JOB, '--in-place', '--yes');
    expect(view.code).toBe(1);
    expect(view.stderr).toMatch(/^backplan: shop holds v \(view\): a MySQL restore moves tables with RENAME TABLE, .*nothing was changed\n$/);
    expect(db!.sql('SELECT COUNT(*) FROM items', 'shop')).toBe('499');

    // A damaged dump: one line, nothing under the target's name, no temporary database left.
    const dir = join(work, 'backups', JOB);
    const [file] = readdirSync(dir);
    const text = readFileSync(join(dir, file), 'utf8');
    writeFileSync(join(dir, file), text.replace('INSERT INTO `items` VALUES', 'INSERT INTO `items` VALUS'));
    const bad = await cli('restore', '--job', JOB, '--to', 'broken');
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/^backplan: restore of shop-db failed: .*ERROR 1064/);
    expect(dbs()).not.toContain('broken');
    expect(dbs().filter((d) => d.startsWith('backplan_restore_'))).toEqual([]);
    for (const o of [r, again, empty, ip, view, bad]) expect(o.stdout + o.stderr).not.toContain(SECRET);
  }, 180_000);

  it.skipIf(!gpgOk)('restores a gpg-encrypted dump, decrypted on this machine', async () => {
    const run = await cli('run', '--job', 'vault-db');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const [file] = readdirSync(join(work, 'backups', 'vault-db'));
    expect(file).toMatch(/\.sql\.gpg$/);
    expect(readFileSync(join(work, 'backups', 'vault-db', file)).includes(Buffer.from('INSERT INTO'))).toBe(false);
    const whole = digest('vault');
    db!.sql('DROP TABLE items', 'vault');
    const r = await cli('restore', '--job', 'vault-db', '--in-place', '--yes');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\nrestored \d+(\.\d)? KiB in \d+(\.\d)? s\n$/);
    expect(counts('vault')).toBe('500 3');
    // No rto on the job: the verify line has no parenthesis either.
    const v = await cli('verify', '--job', 'vault-db');
    expect(v.code).toBe(0);
    expect(v.stdout).toMatch(/\nverified \d+(\.\d)? KiB in \d+(\.\d)? s\n$/);
    expect(digest('vault')).toBe(whole);
  }, 120_000);
});
