// A throwaway PostgreSQL server for a test, as test/integration/run-pg-dump.test.ts starts one:
// initdb -A trust as user postgres, a free port, a private socket directory (and Debian's
// default one), fsync off. Commands reach it through PGHOST=<sock> and the port.
import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REQUIRE_INTEGRATION, requireTools } from './integration';

/** initdb and pg_ctl live in the versioned directory, not on PATH. */
export function pgBin(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  for (const v of readdirSync(root).sort().reverse()) {
    const bin = join(root, v, 'bin');
    if (['initdb', 'pg_ctl', 'pg_isready'].every((t) => existsSync(join(bin, t)))) return bin;
  }
  return undefined;
}

/** True when a server can be started here; throws in CI when it cannot. */
export function postgresAvailable(): boolean {
  if (!requireTools('pg_dump', 'pg_restore', 'psql', 'createdb', 'dropdb', 'runuser')) return false;
  const why = !pgBin()
    ? 'no initdb/pg_ctl under /usr/lib/postgresql/*/bin (run scripts/install-test-deps.sh)'
    : process.getuid?.() !== 0
      ? 'starting a server as user postgres needs root'
      : spawnSync('id', ['-u', 'postgres']).status !== 0
        ? 'no user postgres'
        : undefined;
  if (!why) return true;
  if (REQUIRE_INTEGRATION) throw new Error(`BACKPLAN_REQUIRE_INTEGRATION=1 but ${why}`);
  console.warn(`skipping: ${why}`);
  return false;
}

export interface PgServer {
  dir: string;
  sock: string;
  port: number;
  /** SQL as postgres in `database`; stdout unaligned, tuples only, trimmed. */
  sql(database: string, sql: string): string;
  stop(): void;
}

const DEFAULT_SOCKETS = '/var/run/postgresql';

function asPostgres(argv: string[], timeout = 60_000) {
  return spawnSync('runuser', ['-u', 'postgres', '--', ...argv], { encoding: 'utf8', timeout });
}

function idsOf(user: string): { uid: number; gid: number } {
  const uid = Number(spawnSync('id', ['-u', user], { encoding: 'utf8' }).stdout.trim());
  const gid = Number(spawnSync('id', ['-g', user], { encoding: 'utf8' }).stdout.trim());
  return { uid, gid };
}

export async function startPostgres(): Promise<PgServer> {
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
    const r = asPostgres([join(bin, 'pg_ctl'), '-D', data, '-l', join(dir, 'server.log'), '-w', '-t', '60', '-o', `-p ${port} -k ${sock} -c listen_addresses=127.0.0.1 -c fsync=off`, 'start'], 90_000);
    if (r.status === 0) {
      const t0 = Date.now();
      while (spawnSync(join(bin, 'pg_isready'), ['-h', sock, '-p', String(port), '-q']).status !== 0) {
        if (Date.now() - t0 > 60_000) throw new Error('PostgreSQL did not become ready within 60 s');
        await new Promise((res) => setTimeout(res, 50));
      }
      return {
        dir,
        sock,
        port,
        sql(database, sql) {
          const q = spawnSync('psql', ['--no-psqlrc', '-At', '-v', 'ON_ERROR_STOP=1', '-h', sock, '-p', String(port), '-U', 'postgres', '-d', database, '-c', sql], { encoding: 'utf8', timeout: 60_000 });
          if (q.status !== 0) throw new Error(`psql: ${q.stderr}`);
          return q.stdout.trim();
        },
        stop() {
          asPostgres([join(bin, 'pg_ctl'), '-D', data, '-m', 'immediate', '-w', 'stop']);
          rmSync(dir, { recursive: true, force: true });
        },
      };
    }
    last = `${r.stdout}${r.stderr}${existsSync(join(dir, 'server.log')) ? readFileSync(join(dir, 'server.log'), 'utf8').slice(-2000) : ''}`;
  }
  throw new Error(`PostgreSQL did not start on any port tried: ${last}`);
}
