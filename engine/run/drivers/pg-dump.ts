// pg-dump — `pg_dump --format=custom --dbname=DB` on the job's host (local socket, as the
// runner's user), streamed (optionally through gpg) into a dated `.dump` file in
// `<to.path>/<job>/`, renamed when whole. Pruned natively.
// Syntax: https://www.postgresql.org/docs/current/app-pgdump.html (-F/--format=custom, -d/--dbname,
// output to stdout when -f is omitted; PGPASSWORD in https://www.postgresql.org/docs/current/libpq-envars.html);
// checked against `pg_dump --help` (PostgreSQL 15).
// The socket directory or server address comes from libpq's own environment (PGHOST), which
// every command inherits from Backplan's.
import type { JobModel, PlanModel } from '../../plan/model';
import { connection, Kit, streamToFile, type DriverContext, type DriverResult } from '../steps/driver-kit';
import type { EnvValue } from '../steps/step';
import type { PgTools } from '../builtin/pg-restore';

export function steps(job: JobModel, plan: PlanModel, ctx: DriverContext): DriverResult {
  const k = new Kit(job, plan, ctx);
  const host = k.jobHost();
  const db = k.name('database');
  const pw = k.secret('password');
  const conn = connection(k, '--username');
  const producer = db
    ? {
        host,
        argv: [k.tool(job.host, 'pg_dump'), '--format=custom', ...conn, `--dbname=${db}`],
        ...(pw ? { env: { PGPASSWORD: pw } } : {}),
      }
    : undefined;
  return streamToFile(k, host, producer, '.dump', `pg_dump of ${db}`);
}

/** How `backplan verify` reaches the job's server: the same host and connection as the dump. */
export interface PgRestoreTarget {
  kind: 'pg-dump';
  host: string;
  database: string;
  /** `--port=N`, `--username=U` as the job sets them. */
  conn: string[];
  env?: Record<string, EnvValue>;
  tools: PgTools;
}

export function restoreTarget(
  job: JobModel,
  plan: PlanModel,
  ctx: DriverContext,
): { target?: PgRestoreTarget; errors: string[] } {
  const k = new Kit(job, plan, ctx);
  const host = k.jobHost();
  const database = k.name('database');
  const pw = k.secret('password');
  const conn = connection(k, '--username');
  const tool = (t: string) => k.tool(job.host, t);
  const tools = {
    psql: tool('psql'),
    createdb: tool('createdb'),
    dropdb: tool('dropdb'),
    pg_restore: tool('pg_restore'),
  };
  if (k.errors.length || !database) return { errors: k.errors };
  return {
    target: { kind: 'pg-dump', host, database, conn, ...(pw ? { env: { PGPASSWORD: pw } } : {}), tools },
    errors: [],
  };
}
