// `backplan run`, `verify` and `prune` of a pg-dump job against a real PostgreSQL server that
// the test starts itself (initdb -A trust as user postgres, a free port, a private socket
// directory, fsync off), through the built command: the dump is written under `.partial` and
// renamed when whole, verify restores it into a scratch database and compares row counts with
// the source (and fails clearly on a truncated dump, leaving no scratch database behind), and
// a native prune keeping 1 removes the older dump and keeps the newest. Counts are compared with
// the source at verify time (engine/run/builtin/db-verify.ts says why), so a row written after
// the dump shows as a difference.
// Across hosts (issue #4, "a pg_dump shipped to a storage host"): with two sshd hosts
// (test/helpers/sshd.ts), pg_dump runs on the database host over ssh, its output is written on a
// storage host over ssh, and verify streams the copy back from the storage host into pg_restore
// on the database host, where the server is reachable (its default socket directory).
import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backplan, ensureBuilt } from '../helpers/cli';
import { REQUIRE_INTEGRATION, requireTools } from '../helpers/integration';
import { sshHostsAvailable, startSshHosts, type SshHosts } from '../helpers/sshd';

const JOB = 'app-db';
const DB = 'appdb';

/** initdb and pg_ctl live in the versioned directory, not on PATH. */
function pgBin(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  for (const v of readdirSync(root).sort().reverse()) {
    const bin = join(root, v, 'bin');
    if (['initdb', 'pg_ctl', 'pg_isready'].every((t) => existsSync(join(bin, t)))) return bin;
  }
  return undefined;
}

function serverAvailable(): boolean {
  if (!requireTools('pg_dump', 'pg_restore', 'psql', 'createdb', 'dropdb', 'runuser')) return false;
  const why = !pgBin() ? 'no initdb/pg_ctl under /usr/lib/postgresql/*/bin (run scripts/install-test-deps.sh)' : process.getuid?.() !== 0 ? 'starting a server as user postgres needs root' : spawnSync('id', ['-u', 'postgres']).status !== 0 ? 'no user postgres' : undefined;
  if (!why) return true;
  if (REQUIRE_INTEGRATION) throw new Error(`BACKPLAN_REQUIRE_INTEGRATION=1 but ${why}`);
  console.warn(`skipping: ${why}`);
  return false;
}

const ok = serverAvailable();
const sshOk = ok && sshHostsAvailable();
// The server's default socket directory (libpq's, on Debian): remote commands find the server
// there, as they would on a real database host.
const DEFAULT_SOCKETS = '/var/run/postgresql';

/** A command as user postgres, argv only. */
function asPostgres(argv: string[], timeout = 60_000) {
  return spawnSync('runuser', ['-u', 'postgres', '--', ...argv], { encoding: 'utf8', timeout });
}

interface Server {
  dir: string;
  data: string;
  sock: string;
  port: number;
}

let server: Server | undefined;
let work: string;

async function startServer(): Promise<Server> {
  const bin = pgBin()!;
  const dir = mkdtempSync(join(tmpdir(), 'bp-pg-'));
  const { uid, gid } = idsOf('postgres');
  chownSync(dir, uid, gid);
  const data = join(dir, 'data');
  const sock = join(dir, 'sock');
  mkdirSync(sock);
  chownSync(sock, uid, gid);
  if (!existsSync(DEFAULT_SOCKETS)) {
    mkdirSync(DEFAULT_SOCKETS, { recursive: true });
    chownSync(DEFAULT_SOCKETS, uid, gid);
  }
  const init = asPostgres([join(bin, 'initdb'), '--auth=trust', '--username=postgres', '--no-sync', '--no-instructions', '-D', data]);
  if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr}`);
  let last = '';
  for (let attempt = 0; attempt < 8; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 40_000);
    // pg_ctl hands -o to the server through a shell: only a number and a mkdtemp path go in.
    const r = asPostgres([join(bin, 'pg_ctl'), '-D', data, '-l', join(dir, 'server.log'), '-w', '-t', '60', '-o', `-p ${port} -k ${sock},${DEFAULT_SOCKETS} -c listen_addresses=127.0.0.1 -c fsync=off`, 'start'], 90_000);
    if (r.status === 0) {
      const s = { dir, data, sock, port };
      await ready(bin, s);
      return s;
    }
    last = `${r.stdout}${r.stderr}${existsSync(join(dir, 'server.log')) ? readFileSync(join(dir, 'server.log'), 'utf8').slice(-2000) : ''}`;
  }
  throw new Error(`PostgreSQL did not start on any port tried: ${last}`);
}

function idsOf(user: string): { uid: number; gid: number } {
  const uid = Number(spawnSync('id', ['-u', user], { encoding: 'utf8' }).stdout.trim());
  const gid = Number(spawnSync('id', ['-g', user], { encoding: 'utf8' }).stdout.trim());
  return { uid, gid };
}

async function ready(bin: string, s: Server): Promise<void> {
  const t0 = Date.now();
  for (;;) {
    if (spawnSync(join(bin, 'pg_isready'), ['-h', s.sock, '-p', String(s.port), '-q']).status === 0) return;
    if (Date.now() - t0 > 60_000) throw new Error('PostgreSQL did not become ready within 60 s');
    await new Promise((r) => setTimeout(r, 50));
  }
}

function psql(database: string, sql: string): string {
  const r = spawnSync('psql', ['--no-psqlrc', '-At', '-v', 'ON_ERROR_STOP=1', '-h', server!.sock, '-p', String(server!.port), '-U', 'postgres', '-d', database, '-c', sql], { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`psql: ${r.stderr}`);
  return r.stdout.trim();
}

function plan(keep?: number): string {
  const text = [
    'version: 1',
    'hosts:',
    '  this-machine: { site: home }',
    'storage:',
    '  dumps: { host: this-machine, path: ./backups }',
    ...(keep ? ['policies:', `  keep${keep}: { keep: { last: ${keep} } }`] : []),
    'jobs:',
    `  ${JOB}:`,
    '    kind: pg-dump',
    '    host: this-machine',
    `    database: ${DB}`,
    '    db_user: postgres',
    `    db_port: ${server!.port}`,
    '    to: dumps',
    '    schedule: "0 3 * * *"',
    ...(keep ? [`    retention: keep${keep}`] : []),
    '',
  ].join('\n');
  const file = join(work, keep ? `keep${keep}.backplan.yaml` : 'db.backplan.yaml');
  writeFileSync(file, text);
  return file;
}

function cli(args: string[]) {
  // libpq finds the private socket directory through PGHOST, inherited by every command.
  return backplan([...args, '--state-dir', join(work, 'state')], { env: { PGHOST: server!.sock } });
}

const dumpsDir = () => join(work, 'backups', JOB);
const dumps = () => (existsSync(dumpsDir()) ? readdirSync(dumpsDir()).sort() : []);
const scratchDbs = () => psql('postgres', "SELECT count(*) FROM pg_database WHERE datname LIKE 'backplan_verify_%'");

describe.skipIf(!ok)('pg-dump against a real PostgreSQL server', () => {
  beforeAll(async () => {
    ensureBuilt();
    work = mkdtempSync(join(tmpdir(), 'bp-pgrun-'));
    server = await startServer();
    psql('postgres', `CREATE DATABASE ${DB}`);
    psql(DB, 'CREATE TABLE items (id int PRIMARY KEY, name text); INSERT INTO items SELECT g, md5(g::text) FROM generate_series(1, 500) g');
    psql(DB, 'CREATE SCHEMA audit; CREATE TABLE audit."log entries" (at timestamptz DEFAULT now()); INSERT INTO audit."log entries" SELECT now() FROM generate_series(1, 7)');
  }, 180_000);

  afterAll(() => {
    if (server) {
      asPostgres([join(pgBin()!, 'pg_ctl'), '-D', server.data, '-m', 'immediate', '-w', 'stop']);
      rmSync(server.dir, { recursive: true, force: true });
    }
    if (work) rmSync(work, { recursive: true, force: true });
  }, 60_000);

  it('dumps, verifies by row counts, fails on a truncated dump, and prunes to the newest', () => {
    const file = plan();
    const r = cli(['run', file]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const [first, ...rest] = dumps();
    expect(rest).toEqual([]);
    expect(first).toMatch(/^app-db-\d{8}T\d{6}Z\.dump$/);
    // A custom-format archive, whole: pg_restore can list it.
    expect(readFileSync(join(dumpsDir(), first)).subarray(0, 5).toString()).toBe('PGDMP');
    expect(spawnSync('pg_restore', ['--list', join(dumpsDir(), first)]).status).toBe(0);

    const v = cli(['verify', file, '--job', JOB]);
    expect(v.stderr).toBe('');
    expect(v.code).toBe(0);
    expect(v.stdout).toContain(`verified ${JOB}: ${first} restored into a scratch database; the row counts of all 2 tables match the source (audit."log entries" 7, public.items 500)`);
    const j = JSON.parse(cli(['verify', file, '--job', JOB, '--format', 'json']).stdout);
    expect(j.ok).toBe(true);
    expect(j.tables).toEqual([
      { table: 'audit."log entries"', rows: 7, source: 7 },
      { table: 'public.items', rows: 500, source: 500 },
    ]);
    // The result is in the journal.
    const journal = readFileSync(j.journal, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(journal.find((l) => l.type === 'step-end' && l.step === `${JOB}/verify`)).toMatchObject({ status: 'ok', detail: { copy: first } });
    expect(scratchDbs()).toBe('0');

    // A truncated dump: verify fails clearly, and the scratch database is gone all the same.
    const path = join(dumpsDir(), first);
    const whole = readFileSync(path);
    truncateSync(path, Math.floor(whole.length / 2));
    const bad = cli(['verify', file, '--job', JOB]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(new RegExp(`FAILED ${JOB}: ${first}\\n  the dump does not restore: pg_restore exited with status 1`));
    expect(scratchDbs()).toBe('0');
    writeFileSync(path, whole);

    // The first dump made a day earlier; a second run; prune keeping 1 removes the older.
    const t = new Date(Date.now() - 86_400_000);
    const p = (n: number) => String(n).padStart(2, '0');
    const older = `${JOB}-${t.getUTCFullYear()}${p(t.getUTCMonth() + 1)}${p(t.getUTCDate())}T${p(t.getUTCHours())}${p(t.getUTCMinutes())}Z.dump`;
    renameSync(path, join(dumpsDir(), older));
    psql(DB, 'INSERT INTO items VALUES (501, \'new\')');
    const r2 = cli(['run', file]);
    expect(r2.code).toBe(0);
    const newest = dumps().find((n) => n !== older)!;
    expect(dumps()).toEqual([older, newest].sort());
    const pr = cli(['prune', plan(1), '--job', JOB]);
    expect(pr.code).toBe(0);
    expect(pr.stdout).toMatch(new RegExp(`removed\\s+${older}`));
    expect(dumps()).toEqual([newest]);
    const v2 = cli(['verify', file, '--job', JOB]);
    expect(v2.code).toBe(0);
    expect(v2.stdout).toContain('public.items 501');

    // The comparison is with the source as it is now: a row written since the dump is reported.
    psql(DB, 'INSERT INTO items VALUES (502, \'later\')');
    const v3 = cli(['verify', file, '--job', JOB]);
    expect(v3.code).toBe(1);
    expect(v3.stdout).toContain(`FAILED ${JOB}: ${newest}\n  public.items: 501 rows restored, the source has 502`);
    expect(scratchDbs()).toBe('0');
  }, 120_000);

  describe.skipIf(!sshOk)('across hosts', () => {
    let ssh: SshHosts | undefined;
    beforeAll(async () => {
      ssh = await startSshHosts(2);
    }, 60_000);
    afterAll(async () => {
      await ssh?.close();
    }, 60_000);

    it('dumps on the database host, stores on a storage host, and verifies by streaming the copy back to the server', async () => {
      const vault = join(work, 'vault');
      const job = 'remote-db';
      const file = join(work, 'remote.backplan.yaml');
      writeFileSync(
        file,
        [
          'version: 1',
          'hosts:',
          `  ${ssh!.hostLine('dbhost', 0)}`,
          `  ${ssh!.hostLine('vault', 1)}`,
          'storage:',
          `  vault-dumps: { host: vault, path: ${vault} }`,
          'jobs:',
          `  ${job}:`,
          '    kind: pg-dump',
          '    host: dbhost',
          `    database: ${DB}`,
          '    db_user: postgres',
          `    db_port: ${server!.port}`,
          '    to: vault-dumps',
          '',
        ].join('\n'),
      );
      // No PGHOST here: the remote commands must find the server on their own host.
      const run = (args: string[]) => backplan([...args, '--state-dir', join(work, 'state'), ...ssh!.sshArgs()], { env: { PGHOST: '' } });
      // sshd's log reaches this process between the (synchronous) CLI calls: let it arrive first.
      const sessions = async (i: number) => {
        await new Promise((r) => setTimeout(r, 300));
        return (ssh!.hosts[i].log().match(/Accepted publickey/g) ?? []).length;
      };
      const r = run(['run', file]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const stored = readdirSync(join(vault, job));
      expect(stored).toHaveLength(1);
      expect(stored[0]).toMatch(/^remote-db-\d{8}T\d{6}Z\.dump$/);
      const copy = join(vault, job, stored[0]);
      expect(readFileSync(copy).subarray(0, 5).toString()).toBe('PGDMP');

      const before = [await sessions(0), await sessions(1)];
      const v = run(['verify', file, '--job', job, '--format', 'json']);
      expect(v.stderr).toBe('');
      expect(v.code).toBe(0);
      const j = JSON.parse(v.stdout);
      expect(j.ok).toBe(true);
      const items = Number(psql(DB, 'SELECT count(*) FROM items'));
      expect(j.tables).toEqual([
        { table: 'audit."log entries"', rows: 7, source: 7 },
        { table: 'public.items', rows: items, source: items },
      ]);
      // Both hosts were reached over ssh during verify: the copy read on the storage host, the
      // restore and the counts on the database host.
      expect(await sessions(0)).toBeGreaterThan(before[0]);
      expect(await sessions(1)).toBeGreaterThan(before[1]);
      const journal = readFileSync(j.journal, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
      expect(journal.find((l) => l.type === 'step-start' && l.step === `${job}/verify`)?.description).toBe(`restore ${copy} into a scratch database on dbhost and compare row counts with ${DB}`);
      expect(scratchDbs()).toBe('0');

      // A damaged copy on the storage host fails verify clearly; no scratch database is left.
      const whole = readFileSync(copy);
      truncateSync(copy, Math.floor(whole.length / 2));
      const bad = run(['verify', file, '--job', job]);
      expect(bad.code).toBe(1);
      expect(bad.stdout).toMatch(new RegExp(`FAILED ${job}: ${stored[0]}\\n  the dump does not restore: pg_restore exited with status 1`));
      expect(scratchDbs()).toBe('0');
      writeFileSync(copy, whole);
    }, 120_000);
  });
});
