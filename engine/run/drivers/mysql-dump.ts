// mysql-dump — `mysqldump --single-transaction --routines --events DB` on the job's host, streamed
// (optionally through gpg) into a dated `.sql` file in `<to.path>/<job>/`, renamed when whole.
// MariaDB ≥ 11 names the binary `mariadb-dump`: set `hosts.X.tools.mysqldump: mariadb-dump`.
// Pruned natively.
// Syntax: https://dev.mysql.com/doc/refman/8.0/en/mysqldump.html and
// https://mariadb.com/kb/en/mariadb-dump/ (--single-transaction, --routines, --events, output to
// stdout; MYSQL_PWD in https://dev.mysql.com/doc/refman/8.0/en/environment-variables.html).
// Not run here (no MySQL/MariaDB client on this machine).
import type { JobModel, PlanModel } from '../../plan/model';
import { connection, Kit, streamToFile, type DriverContext, type DriverResult } from '../driver-kit';

export function steps(job: JobModel, plan: PlanModel, ctx: DriverContext): DriverResult {
  const k = new Kit(job, plan, ctx);
  const host = k.jobHost();
  const db = k.name('database');
  const pw = k.secret('password');
  const producer = db
    ? {
        host,
        argv: [k.tool(job.host, 'mysqldump'), '--single-transaction', '--routines', '--events', ...connection(k, '--user'), db],
        ...(pw ? { env: { MYSQL_PWD: pw } } : {}),
      }
    : undefined;
  return streamToFile(k, host, producer, '.sql', `mysqldump of ${db}`);
}
