// `backplan run`, `verify` and `prune` of a mysql-dump job against a real MariaDB 10.11 server
// that the test starts itself (test/helpers/mariadb.ts), through the built command and a user
// with a password (password_env). The job's tools are small spies in front of the real
// `mariadb-dump` / `mariadb` that record their argv, whether MYSQL_PWD reached them, and what
// the dump directory held while the dump ran. Asserted: the dump is written under `.partial`
// and renamed when whole; a dump that fails half-way leaves nothing behind; verify restores into
// a scratch database and compares exact row counts with the source, then drops it; a dump cut
// mid-statement and one cut at a statement boundary both fail verify clearly; a native prune
// keeps the newest; the password is never in argv, output or journal; `backplan check
// --state-dir` reads the journalled restore tests into no-restore-test.
// Across hosts: the dump runs on a database host over ssh and lands on a storage host over ssh;
// verify restores it on the database host, the password sent over the ssh channel's stdin.
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backplan, ensureBuilt, type CliResult } from '../helpers/cli';
import { mariadbAvailable, startMariaDb, type MariaDb } from '../helpers/mariadb';
import { sshHostsAvailable, startSshHosts, type SshHosts } from '../helpers/sshd';

const JOB = 'shop-db';
const DB = 'shop';
const SECRET = `pw-${randomBytes(9).toString('hex')}`;
const ok = mariadbAvailable();
const sshOk = ok && sshHostsAvailable();

let db: MariaDb | undefined;
let work = '';
const outputs: CliResult[] = [];

const dumpsDir = () => join(work, 'backups', JOB);
const dumps = () => (existsSync(dumpsDir()) ? readdirSync(dumpsDir()).sort() : []);
const scratchDbs = () => db!.sql("SHOW DATABASES LIKE 'backplan\\_verify\\_%'");
const spyLog = () => (existsSync(join(work, 'spy.log')) ? readFileSync(join(work, 'spy.log'), 'utf8') : '');

/** A tool in front of the real one: logs argv (never the environment's values) and execs it. */
function spy(name: string, real: string): string {
  const path = join(work, 'bin', name);
  writeFileSync(
    path,
    [
      '#!/bin/sh',
      `{ printf '%s argv:' ${name}; for a in "$@"; do printf ' [%s]' "$a"; done; printf '\\n'`,
      `  [ -n "$MYSQL_PWD" ] && echo '${name} MYSQL_PWD set'`,
      `  [ -n "$BP_SPY_LS" ] && ls -1 "$BP_SPY_LS" | sed 's/^/${name} sees /'; } >> "${join(work, 'spy.log')}"`,
      `if [ -n "$BP_SPY_FAIL" ]; then ${real} "$@" | head -c 3000; exit 3; fi`,
      `exec ${real} "$@"`,
      '',
    ].join('\n'),
  );
  chmodSync(path, 0o755);
  return path;
}

function plan(keep?: number): string {
  const text = [
    'version: 1',
    'hosts:',
    `  this-machine: { site: home, tools: { mysqldump: ${spy('mysqldump', 'mariadb-dump')}, mysql: ${spy('mysql', 'mariadb')} } }`,
    'storage:',
    '  dumps: { host: this-machine, path: ./backups }',
    ...(keep ? ['policies:', `  keep${keep}: { keep: { last: ${keep} } }`] : []),
    'jobs:',
    `  ${JOB}:`,
    '    kind: mysql-dump',
    '    host: this-machine',
    `    database: ${DB}`,
    '    db_user: backup',
    `    db_port: ${db!.port}`,
    '    password_env: BP_TEST_MYSQL_PW',
    '    to: dumps',
    '    schedule: "0 3 * * *"',
    ...(keep ? [`    retention: keep${keep}`] : []),
    '',
  ].join('\n');
  const file = join(work, keep ? `keep${keep}.backplan.yaml` : 'db.backplan.yaml');
  writeFileSync(file, text);
  return file;
}

function cli(args: string[], env: NodeJS.ProcessEnv = {}): CliResult {
  // No socket on purpose: the tools reach the server over TCP on db_port, as on a real host.
  const r = backplan([...args, '--state-dir', join(work, 'state')], { env: { BP_TEST_MYSQL_PW: SECRET, MYSQL_UNIX_PORT: join(work, 'no-such-socket'), ...env } });
  outputs.push(r);
  return r;
}

function journals(): string {
  const runs = join(work, 'state', 'runs');
  return readdirSync(runs).map((f) => readFileSync(join(runs, f), 'utf8')).join('');
}

describe.skipIf(!ok)('mysql-dump against a real MariaDB server', () => {
  beforeAll(async () => {
    ensureBuilt();
    work = mkdtempSync(join(tmpdir(), 'bp-myrun-'));
    mkdirSync(join(work, 'bin'));
    db = await startMariaDb();
    db.sql(`CREATE DATABASE ${DB}; CREATE USER backup@localhost IDENTIFIED BY '${SECRET}'; GRANT ALL ON *.* TO backup@localhost`);
    db.sql('CREATE TABLE items (id INT PRIMARY KEY, name TEXT, data BLOB); INSERT INTO items SELECT seq, MD5(seq), UNHEX(MD5(seq)) FROM seq_1_to_500', DB);
    db.sql('CREATE TABLE `odd ``name` (x INT); INSERT INTO `odd ``name` VALUES (1), (2), (3); CREATE VIEW v AS SELECT id FROM items; CREATE PROCEDURE p() SELECT 1', DB);
  }, 180_000);

  afterAll(async () => {
    await db?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  }, 60_000);

  it('dumps under a partial name, verifies by row counts, fails on cut dumps, prunes to the newest, and never shows the password', () => {
    const file = plan();
    // A dump that fails half-way: the run fails and leaves neither a copy nor a partial.
    const failed = cli(['run', file], { BP_SPY_FAIL: '1' });
    expect(failed.code).toBe(1);
    expect(failed.stdout + failed.stderr).toMatch(/mysqldump exited with status 3/);
    expect(dumps()).toEqual([]);

    const r = cli(['run', file], { BP_SPY_LS: dumpsDir() });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const [first, ...rest] = dumps();
    expect(rest).toEqual([]);
    expect(first).toMatch(/^shop-db-\d{8}T\d{6}Z\.sql$/);
    // While mysqldump ran, only the partial name existed.
    expect(spyLog()).toContain(`mysqldump sees ${first}.partial\n`);
    expect(spyLog()).not.toContain(`mysqldump sees ${first}\n`);
    const text = readFileSync(join(dumpsDir(), first), 'utf8');
    expect(text).toContain('INSERT INTO `items` VALUES');
    expect(text.trimEnd()).toMatch(/-- Dump completed on .*$/);

    const v = cli(['verify', file, '--job', JOB]);
    expect(v.stderr).toBe('');
    expect(v.code).toBe(0);
    expect(v.stdout).toContain(`verified ${JOB}: ${first} restored into a scratch database; the row counts of all 2 tables match the source (items 500, odd \`name 3)`);
    const j = JSON.parse(cli(['verify', file, '--job', JOB, '--format', 'json']).stdout);
    expect(j.ok).toBe(true);
    expect(j.tables).toEqual([
      { table: 'items', rows: 500, source: 500 },
      { table: 'odd `name', rows: 3, source: 3 },
    ]);
    const journal = readFileSync(j.journal, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(journal.find((l) => l.type === 'step-end' && l.step === `${JOB}/verify`)).toMatchObject({ status: 'ok', detail: { copy: first } });
    expect(scratchDbs()).toBe('');

    // Cut mid-statement: the client refuses it. Cut at a statement boundary: it restores, but
    // the closing comment is missing. Either way verify fails and the scratch database is gone.
    const path = join(dumpsDir(), first);
    const whole = readFileSync(path);
    writeFileSync(path, whole.subarray(0, whole.indexOf('INSERT INTO `items` VALUES') + 200));
    const bad = cli(['verify', file, '--job', JOB]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(new RegExp(`FAILED ${JOB}: ${first}\\n  the dump does not restore: mysql exited with status 1: ERROR 1064 \\(42000\\) at line \\d+`));
    expect(scratchDbs()).toBe('');
    // Byte offsets: the dump holds binary BLOB bytes, so string indexes would not match.
    const boundary = whole.indexOf('UNLOCK TABLES;\n') + 'UNLOCK TABLES;\n'.length;
    expect(boundary).toBeGreaterThan(100);
    writeFileSync(path, whole.subarray(0, boundary));
    const cut = cli(['verify', file, '--job', JOB]);
    expect(cut.code).toBe(1);
    expect(cut.stdout).toContain(`FAILED ${JOB}: ${first}\n  the dump ends without mysqldump's closing \`-- Dump completed\` line: it was cut short`);
    expect(scratchDbs()).toBe('');
    writeFileSync(path, whole);

    // The first dump made a day earlier; a second run; prune keeping 1 removes the older.
    const t = new Date(Date.now() - 86_400_000);
    const p = (n: number) => String(n).padStart(2, '0');
    const older = `${JOB}-${t.getUTCFullYear()}${p(t.getUTCMonth() + 1)}${p(t.getUTCDate())}T${p(t.getUTCHours())}${p(t.getUTCMinutes())}Z.sql`;
    renameSync(path, join(dumpsDir(), older));
    db!.sql("INSERT INTO items VALUES (501, 'new', NULL)", DB);
    expect(cli(['run', file]).code).toBe(0);
    const newest = dumps().find((n) => n !== older)!;
    expect(dumps()).toEqual([older, newest].sort());
    const pr = cli(['prune', plan(1), '--job', JOB]);
    expect(pr.code).toBe(0);
    expect(pr.stdout).toMatch(new RegExp(`removed\\s+${older}`));
    expect(dumps()).toEqual([newest]);
    const v2 = cli(['verify', file, '--job', JOB]);
    expect(v2.code).toBe(0);
    expect(v2.stdout).toContain('items 501');
    // The journalled result reaches no-restore-test: the plan has no `verify`, but a restore
    // test passed, so the finding is information rather than a warning.
    const restoreFinding = () => {
      const c = backplan(['check', file, '--state-dir', join(work, 'state'), '--format', 'json']);
      outputs.push(c);
      return JSON.parse(c.stdout).files[0].diagnostics.filter((d: { rule: string }) => d.rule === 'no-restore-test');
    };
    expect(restoreFinding()).toMatchObject([{ severity: 'info', message: expect.stringContaining(`a restore test of \`${JOB}\` passed on `) }]);

    // A wrong password fails verify clearly, and still never shows either password.
    const wrong = cli(['verify', file, '--job', JOB], { BP_TEST_MYSQL_PW: `${SECRET}-wrong` });
    expect(wrong.code).toBe(1);
    expect(wrong.stdout).toMatch(/counting rows in shop: mysql exited with status 1: ERROR 1045 \(28000\): Access denied for user 'backup'@'localhost' \(using password: YES\)/);
    // Now the newest restore test failed: a warning says so (beside the plain "no verify" one).
    const after = restoreFinding() as { severity: string; message: string }[];
    expect(after.map((d) => d.severity)).toEqual(['warning', 'warning']);
    expect(after[0].message.startsWith(`the last restore test of \`${JOB}\` failed (backplan verify, `)).toBe(true);
    expect(after[1].message.startsWith(`\`${JOB}\` has no \`verify\`: nothing tests`)).toBe(true);

    // SPEC §8.8: the password reached the tools by environment only; never in argv, output,
    // `plan`, or the journal.
    expect(spyLog()).toMatch(/^mysqldump MYSQL_PWD set$/m);
    expect(spyLog()).toMatch(/^mysql MYSQL_PWD set$/m);
    expect(spyLog()).toMatch(/^mysqldump argv: \[--single-transaction\] \[--routines\] \[--events\] \[--port=\d+\] \[--user=backup\] \[--\] \[shop\]$/m);
    const shown = backplan(['plan', file]);
    outputs.push(shown);
    expect(shown.stdout).toContain('MYSQL_PWD="$BP_TEST_MYSQL_PW"');
    for (const o of outputs) expect(o.stdout + o.stderr).not.toContain(SECRET);
    expect(spyLog()).not.toContain(SECRET);
    expect(journals()).not.toContain(SECRET);
  }, 150_000);

  describe.skipIf(!sshOk)('across hosts', () => {
    let ssh: SshHosts | undefined;
    beforeAll(async () => {
      ssh = await startSshHosts(2);
    }, 60_000);
    afterAll(async () => {
      await ssh?.close();
    }, 60_000);

    it('dumps on the database host into a storage host and verifies there, the password only in the environment', async () => {
      const vault = join(work, 'vault');
      const job = 'remote-shop';
      const file = join(work, 'remote.backplan.yaml');
      const tools = `tools: { mysqldump: ${spy('mysqldump', 'mariadb-dump')}, mysql: ${spy('mysql', 'mariadb')} }`;
      writeFileSync(
        file,
        [
          'version: 1',
          'hosts:',
          `  ${ssh!.hostLine('dbhost', 0, tools)}`,
          `  ${ssh!.hostLine('vault', 1)}`,
          'storage:',
          `  vault-dumps: { host: vault, path: ${vault} }`,
          'jobs:',
          `  ${job}:`,
          '    kind: mysql-dump',
          '    host: dbhost',
          `    database: ${DB}`,
          '    db_user: backup',
          `    db_port: ${db!.port}`,
          '    password_env: BP_TEST_MYSQL_PW',
          '    to: vault-dumps',
          '',
        ].join('\n'),
      );
      const before = spyLog().length;
      const run = (args: string[]) => {
        const r = backplan([...args, '--state-dir', join(work, 'state'), ...ssh!.sshArgs()], { env: { BP_TEST_MYSQL_PW: SECRET } });
        outputs.push(r);
        return r;
      };
      const r = run(['run', file]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const stored = readdirSync(join(vault, job));
      expect(stored).toEqual([expect.stringMatching(/^remote-shop-\d{8}T\d{6}Z\.sql$/)]);
      // sshd's log reaches this process between the (synchronous) CLI calls: let it arrive first.
      const sessions = async () => {
        await new Promise((res) => setTimeout(res, 300));
        return (ssh!.hosts[0].log().match(/Accepted publickey/g) ?? []).length;
      };
      const sessionsBefore = await sessions();
      const v = run(['verify', file, '--job', job, '--format', 'json']);
      // The restore ran on the database host.
      expect(await sessions()).toBeGreaterThan(sessionsBefore);
      expect(v.stderr).toBe('');
      expect(v.code).toBe(0);
      const items = Number(db!.sql('SELECT COUNT(*) FROM items', DB));
      expect(JSON.parse(v.stdout).tables).toEqual([
        { table: 'items', rows: items, source: items },
        { table: 'odd `name', rows: 3, source: 3 },
      ]);
      expect(scratchDbs()).toBe('');
      // The remote tools had the password in their environment, never in argv or output.
      const log = spyLog().slice(before);
      expect(log).toMatch(/^mysqldump MYSQL_PWD set$/m);
      expect(log).toMatch(/^mysql MYSQL_PWD set$/m);
      expect(log).not.toContain(SECRET);
      for (const o of outputs) expect(o.stdout + o.stderr).not.toContain(SECRET);
      expect(journals()).not.toContain(SECRET);
    }, 120_000);
  });
});
