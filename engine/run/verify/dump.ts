// `backplan verify` of a database dump job (pg-dump, mysql-dump): restore one stored copy into a
// scratch database on the job's own server and compare row counts with the source
// (builtin/db-verify.ts). The database tools run where the server is reachable — the job's host,
// over ssh when it is remote, with the job's secrets sent by environment — and the copy streams
// to them from wherever it is stored (this machine, or the storage's host over ssh). An
// encrypted copy (`.gpg`) is decrypted on this machine on the way (builtin/dump-source.ts).
import type { JobModel, PlanModel } from '../../plan/model';
import { restoreAndCount, type DbRestoreResult } from '../builtin/db-verify';
import { gpgDecryptArgv, openDump } from '../builtin/dump-source';
import { mysqlOps } from '../builtin/mysql-restore';
import { pgOps } from '../builtin/pg-restore';
import { restoreTarget as mysqlTarget, type MysqlRestoreTarget } from '../drivers/mysql-dump';
import { restoreTarget as pgTarget, type PgRestoreTarget } from '../drivers/pg-dump';
import { EnvError, resolveEnv } from '../exec/env';
import type { HostFs } from '../exec/files';
import type { Hosts } from '../exec/hosts';
import { hostRunner } from '../exec/on-host';
import type { Redactor } from '../exec/redact';
import { LOCAL } from '../exec/quote';

export type DumpTarget = PgRestoreTarget | MysqlRestoreTarget;

export const DUMP_KINDS = new Set(['pg-dump', 'mysql-dump']);

/** The server a dump job's copies are restored on, or why it cannot be reached from the plan. */
export function dumpTarget(job: JobModel, plan: PlanModel, now: number): { target?: DumpTarget; errors: string[] } {
  if (job.kind === 'pg-dump') return pgTarget(job, plan, { now });
  if (job.kind === 'mysql-dump') return mysqlTarget(job, plan, { now });
  return { errors: [`kind ${job.kind} is not a database dump`] };
}

export function describeTarget(t: DumpTarget, copyPath: string): string {
  return `restore ${copyPath} into a scratch database${t.host === LOCAL ? '' : ` on ${t.host}`} and compare row ` +
    `counts with ${t.database}`;
}

export async function verifyDump(
  t: DumpTarget,
  copyPath: string,
  fs: HostFs,
  hosts: Hosts,
  redactor: Redactor,
): Promise<DbRestoreResult> {
  // Secrets are resolved on the host that uses them (a `*_file` is read there) and registered
  // with the run's redactor, like a step's.
  let env: Record<string, string>;
  try {
    env = await resolveEnv({ host: t.host, argv: [], ...(t.env ? { env: t.env } : {}) }, hosts, redactor);
  } catch (e) {
    if (!(e instanceof EnvError)) throw e;
    return { ok: false, archiveSha256: '', bytes: 0, checked: 0, problems: [e.message], scratch: '', tables: [] };
  }
  const run = hostRunner(hosts, t.host, env);
  const src = openDump(fs.read(copyPath), copyPath.endsWith('.gpg') ? { decrypt: gpgDecryptArgv() } : {});
  const ops = t.kind === 'pg-dump' ? pgOps(run, t.conn, t.tools) : mysqlOps(run, t.conn, t.tools.mysql);
  return restoreAndCount(src, t.database, ops);
}
