// A throwaway MariaDB server for a test (TESTING.md "Storage and snapshot systems"):
// `mariadb-install-db` into a temp dir, then `mariadbd` as root (`--user=root`) on a private
// socket and a random loopback port, in its own process group so that stopping it ends it all.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REQUIRE_INTEGRATION, requireTools } from './integration';

/** True when a MariaDB server can be started here; throws in CI when it cannot. */
export function mariadbAvailable(): boolean {
  if (!requireTools('mariadb-install-db', 'mariadbd', 'mariadb', 'mariadb-dump')) return false;
  if (process.getuid?.() === 0) return true;
  const why = 'starting mariadbd with --user=root needs root';
  if (REQUIRE_INTEGRATION) throw new Error(`BACKPLAN_REQUIRE_INTEGRATION=1 but ${why}`);
  console.warn(`skipping: ${why}`);
  return false;
}

export interface MariaDb {
  dir: string;
  sock: string;
  port: number;
  /** Run SQL as root over the socket; returns stdout (tab-separated, no column names). */
  sql(sql: string, database?: string): string;
  stop(): Promise<void>;
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port }, () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

export async function startMariaDb(): Promise<MariaDb> {
  const dir = mkdtempSync(join(tmpdir(), 'bp-mariadb-'));
  const data = join(dir, 'data');
  const sock = join(dir, 'sock');
  const log = join(dir, 'server.log');
  const init = spawnSync('mariadb-install-db', ['--no-defaults', '--user=root', `--datadir=${data}`, '--auth-root-authentication-method=normal', '--skip-test-db'], { encoding: 'utf8', timeout: 120_000 });
  if (init.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`mariadb-install-db failed: ${init.stdout}${init.stderr}`);
  }
  let proc: ChildProcess | undefined;
  let port = 0;
  for (let attempt = 0; attempt < 5 && !proc; attempt++) {
    port = 20_000 + Math.floor(Math.random() * 40_000);
    const p = spawn(
      'mariadbd',
      ['--no-defaults', '--user=root', `--datadir=${data}`, `--socket=${sock}`, `--port=${port}`, '--bind-address=127.0.0.1', `--pid-file=${join(dir, 'pid')}`, `--log-error=${log}`, '--innodb-flush-log-at-trx-commit=0', '--skip-log-bin'],
      { detached: true, stdio: 'ignore' },
    );
    const t0 = Date.now();
    let exited = false;
    p.once('exit', () => (exited = true));
    while (!exited && !(existsSync(sock) && (await listening(port)))) {
      if (Date.now() - t0 > 60_000) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    if (!exited && existsSync(sock)) proc = p;
    else if (!exited) process.kill(-p.pid!, 'SIGKILL');
  }
  if (!proc) {
    const tail = existsSync(log) ? readFileSync(log, 'utf8').slice(-2000) : '';
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`mariadbd did not start: ${tail}`);
  }
  const server = proc;
  return {
    dir,
    sock,
    port,
    sql(sql, database) {
      const r = spawnSync('mariadb', ['--no-defaults', `--socket=${sock}`, '--user=root', '--batch', '--skip-column-names', ...(database ? [`--database=${database}`] : []), `--execute=${sql}`], { encoding: 'utf8', timeout: 60_000 });
      if (r.status !== 0) throw new Error(`mariadb: ${r.stderr}`);
      return r.stdout.trim();
    },
    async stop() {
      if (server.exitCode === null && server.signalCode === null) {
        const closed = new Promise((r) => server.once('exit', r));
        process.kill(-server.pid!, 'SIGTERM');
        const killed = setTimeout(() => {
          try {
            process.kill(-server.pid!, 'SIGKILL');
          } catch {
            // already gone
          }
        }, 20_000);
        await closed;
        clearTimeout(killed);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
