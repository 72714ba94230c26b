// mysql-dump — `mysqldump --single-transaction --routines --events DB` on the job's host, streamed
// (optionally through gpg) into a dated `.sql` file in `<to.path>/<job>/`, renamed when whole.
// The database is named alone (not `--databases DB`), so the dump holds no `CREATE DATABASE` /
// `USE` and restores into whichever database it is fed to (the restore test's scratch one).
// MariaDB ships `mysqldump` as a name of `mariadb-dump` (10.x); where only `mariadb-dump`
// exists, set `hosts.X.tools.mysqldump: mariadb-dump` (and `tools.mysql: mariadb` for verify).
// The password travels as MYSQL_PWD in the environment (from `password_env`/`password_file`),
// or comes from the user's own option file (~/.my.cnf); never in argv. The server is the
// client's default (its socket, or MYSQL_UNIX_PORT / MYSQL_HOST of the environment), over TCP
// on `db_port` when set. Pruned natively.
// Syntax: https://dev.mysql.com/doc/refman/8.0/en/mysqldump.html and
// https://mariadb.com/kb/en/mariadb-dump/ (--single-transaction, --routines, --events, output to
// stdout; MYSQL_PWD in https://mariadb.com/kb/en/mariadb-environment-variables/); run against
// MariaDB 10.11 in test/integration/run-mysql-dump.test.ts.
import type { JobModel, PlanModel } from '../../plan/model';
import { connection, Kit, streamToFile, type DriverContext, type DriverResult } from '../steps/driver-kit';
import type { EnvValue } from '../steps/step';

export function steps(job: JobModel, plan: PlanModel, ctx: DriverContext): DriverResult {
  const k = new Kit(job, plan, ctx);
  const host = k.jobHost();
  const db = k.name('database');
  const pw = k.secret('password');
  const producer = db
    ? {
        host,
        argv: [
          k.tool(job.host, 'mysqldump'),
          '--single-transaction',
          '--routines',
          '--events',
          ...connection(k, '--user'),
          '--',
          db,
        ],
        ...(pw ? { env: { MYSQL_PWD: pw } } : {}),
      }
    : undefined;
  return streamToFile(k, host, producer, '.sql', `mysqldump of ${db}`);
}

/** How `backplan verify` reaches the job's server: the same host and connection as the dump. */
export interface MysqlRestoreTarget {
  kind: 'mysql-dump';
  host: string;
  database: string;
  /** `--port=N`, `--user=U` as the job sets them. */
  conn: string[];
  env?: Record<string, EnvValue>;
  tools: { mysql: string };
}

export function restoreTarget(
  job: JobModel,
  plan: PlanModel,
  ctx: DriverContext,
): { target?: MysqlRestoreTarget; errors: string[] } {
  const k = new Kit(job, plan, ctx);
  const host = k.jobHost();
  const database = k.name('database');
  const pw = k.secret('password');
  const conn = connection(k, '--user');
  const mysql = k.tool(job.host, 'mysql');
  if (k.errors.length || !database) return { errors: k.errors };
  return {
    target: { kind: 'mysql-dump', host, database, conn, ...(pw ? { env: { MYSQL_PWD: pw } } : {}), tools: { mysql } },
    errors: [],
  };
}
