// Restore test of a pg-dump copy (SPEC §4 `verify`, issue #4): create a scratch database on the
// job's own server (`createdb backplan_verify_<random>`), restore the dump into it
// (`pg_restore --exit-on-error`, the dump streamed on stdin), then count the rows of every user
// table in the scratch database and in the source database, and compare. The scratch database
// is dropped afterwards, whether the restore worked or not.
//
// Why the source and not counts recorded at dump time: counting beside `pg_dump` would not see
// the dump's own snapshot either, and would need a second file per copy. Comparing with the
// source proves the copy restores into the same tables with the same rows as long as the source
// has not been written since the dump; on a busy database a difference is reported per table
// (with both numbers), so it is readable as "changed since" rather than "lost".
import { createHash, randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { capture, describeExit, exitOk, spawnArgv } from '../exec/process';
import type { RestoreResult } from './restore';

export interface PgRestoreCommands {
  database: string;
  conn: string[];
  tools: { psql: string; createdb: string; dropdb: string; pg_restore: string };
  /** Environment of every command (PGPASSWORD when the job has one), on top of Backplan's. */
  env: NodeJS.ProcessEnv;
}

export interface TableCount {
  table: string;
  rows: number;
  source?: number;
}

export interface PgRestoreResult extends RestoreResult {
  scratch: string;
  tables: TableCount[];
}

// Every ordinary table outside the system schemas, with its exact row count, as
// `schema.table NUL count NUL`. A fixed text: no value of the plan is ever pasted into it.
const COUNT_SQL = `SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname),
  (xpath('/row/c/text()', query_to_xml(format('SELECT count(*) AS c FROM %I.%I', n.nspname, c.relname), false, true, '')))[1]::text
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%'
ORDER BY 1`;

async function countRows(p: PgRestoreCommands, database: string): Promise<Map<string, number>> {
  const r = await capture([p.tools.psql, '--no-psqlrc', '--no-align', '--tuples-only', '--field-separator-zero', '--record-separator-zero', '--set=ON_ERROR_STOP=1', ...p.conn, `--dbname=${database}`, `--command=${COUNT_SQL}`], { env: p.env });
  if (!exitOk(r)) throw new Error(`counting rows in ${database}: ${describeExit('psql', r)}`);
  const parts = r.stdout.toString('utf8').split('\0');
  const out = new Map<string, number>();
  for (let i = 0; i + 1 < parts.length; i += 2) out.set(parts[i].replace(/^\n/, ''), Number(parts[i + 1]));
  return out;
}

export async function restoreDumpAndCount(dump: Readable, p: PgRestoreCommands): Promise<PgRestoreResult> {
  const scratch = `backplan_verify_${randomBytes(8).toString('hex')}`;
  const problems: string[] = [];
  const tables: TableCount[] = [];
  const h = createHash('sha256');
  let bytes = 0;
  let created = false;
  try {
    const source = await countRows(p, p.database);
    const c = await capture([p.tools.createdb, ...p.conn, '--', scratch], { env: p.env });
    if (!exitOk(c)) throw new Error(`cannot create the scratch database: ${describeExit('createdb', c)}`);
    created = true;
    const restore = spawnArgv([p.tools.pg_restore, '--exit-on-error', '--no-owner', '--no-privileges', ...p.conn, `--dbname=${scratch}`], { env: p.env, stdin: 'pipe', stdout: 'ignore' });
    dump.on('data', (d: Buffer) => {
      h.update(d);
      bytes += d.length;
    });
    // pg_restore may stop reading early (a damaged dump): its exit status says why.
    const fed = pipeline(dump, restore.child.stdin!).catch(() => undefined);
    const [, e] = await Promise.all([fed, restore.done]);
    if (!exitOk(e)) {
      problems.push(`the dump does not restore: ${describeExit('pg_restore', e)}`);
    } else {
      const restored = await countRows(p, scratch);
      for (const [table, rows] of source) {
        const got = restored.get(table);
        if (got === undefined) problems.push(`${table}: in the source database but not restored`);
        else if (got !== rows) problems.push(`${table}: ${got} rows restored, the source has ${rows}`);
        tables.push({ table, rows: got ?? 0, source: rows });
      }
      for (const [table, rows] of restored) if (!source.has(table)) {
        problems.push(`${table}: restored (${rows} rows) but not in the source database`);
        tables.push({ table, rows });
      }
    }
  } catch (e) {
    problems.push((e as Error).message);
  } finally {
    if (!dump.readableEnded) dump.destroy();
    if (created) {
      const d = await capture([p.tools.dropdb, '--if-exists', ...p.conn, '--', scratch], { env: p.env });
      if (!exitOk(d)) problems.push(`the scratch database ${scratch} could not be dropped: ${describeExit('dropdb', d)}`);
    }
  }
  const checked = problems.length ? 0 : tables.length;
  return { ok: problems.length === 0, archiveSha256: h.digest('hex'), bytes, checked, problems, scratch, tables };
}
