// How PostgreSQL does a restore test (db-verify.ts has the flow): the job's own client tools on
// the job's host, with its connection (`--port`, `--username`, PGPASSWORD by environment):
// `createdb` makes the scratch database, `pg_restore --exit-on-error` reads the custom-format
// dump on stdin, `psql` counts the rows of every user table, `dropdb` removes it.
import type { HostRunner } from '../exec/on-host';
import { LOCAL } from '../exec/quote';
import { describeExit, exitOk } from '../exec/process';
import type { DbOps } from './db-verify';

export interface PgTools {
  psql: string;
  createdb: string;
  dropdb: string;
  pg_restore: string;
}

// Every ordinary table outside the system schemas, with its exact row count, as
// `schema.table NUL count NUL`. A fixed text: no value of the plan is ever pasted into it.
const COUNT_SQL = `SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname),
  (xpath('/row/c/text()', query_to_xml(format('SELECT count(*) AS c FROM %I.%I', n.nspname, c.relname), ` +
  `false, true, '')))[1]::text
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%'
ORDER BY 1`;

export function pgOps(run: HostRunner, conn: readonly string[], tools: PgTools): DbOps {
  const on = run.host === LOCAL ? '' : ` on ${run.host}`;
  return {
    async count(database) {
      const r = await run.capture([
        tools.psql,
        '--no-psqlrc',
        '--no-align',
        '--tuples-only',
        '--field-separator-zero',
        '--record-separator-zero',
        '--set=ON_ERROR_STOP=1',
        ...conn,
        `--dbname=${database}`,
        `--command=${COUNT_SQL}`,
      ]);
      if (!exitOk(r)) throw new Error(`counting rows in ${database}${on}: ${describeExit('psql', r)}`);
      const parts = r.stdout.toString('utf8').split('\0');
      const out = new Map<string, number>();
      for (let i = 0; i + 1 < parts.length; i += 2) out.set(parts[i].replace(/^\n/, ''), Number(parts[i + 1]));
      return out;
    },
    async create(scratch) {
      const r = await run.capture([tools.createdb, ...conn, '--', scratch]);
      if (!exitOk(r)) throw new Error(`cannot create the scratch database${on}: ${describeExit('createdb', r)}`);
    },
    async restore(scratch, dump) {
      const e = await run.feed(
        [tools.pg_restore, '--exit-on-error', '--no-owner', '--no-privileges', ...conn, `--dbname=${scratch}`],
        dump,
      );
      return exitOk(e) ? undefined : `the dump does not restore: ${describeExit('pg_restore', e)}`;
    },
    async drop(scratch) {
      const r = await run.capture([tools.dropdb, '--if-exists', ...conn, '--', scratch]);
      if (!exitOk(r)) throw new Error(describeExit('dropdb', r));
    },
  };
}
