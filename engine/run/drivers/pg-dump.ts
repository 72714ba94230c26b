// pg-dump — `pg_dump --format=custom --dbname=DB` on the job's host (local socket, as the
// runner's user), streamed (optionally through gpg) into a dated `.dump` file in
// `<to.path>/<job>/`, renamed when whole. Pruned natively.
// Syntax: https://www.postgresql.org/docs/current/app-pgdump.html (-F/--format=custom, -d/--dbname,
// output to stdout when -f is omitted; PGPASSWORD in https://www.postgresql.org/docs/current/libpq-envars.html);
// checked against `pg_dump --help` (PostgreSQL 15).
import type { JobModel, PlanModel } from '../../plan/model';
import { connection, Kit, streamToFile, type DriverContext, type DriverResult } from '../driver-kit';

export function steps(job: JobModel, plan: PlanModel, ctx: DriverContext): DriverResult {
  const k = new Kit(job, plan, ctx);
  const host = k.jobHost();
  const db = k.name('database');
  const pw = k.secret('password');
  const conn = connection(k, '--username');
  const producer = db
    ? { host, argv: [k.tool(job.host, 'pg_dump'), '--format=custom', ...conn, `--dbname=${db}`], ...(pw ? { env: { PGPASSWORD: pw } } : {}) }
    : undefined;
  return streamToFile(k, host, producer, '.dump', `pg_dump of ${db}`);
}
