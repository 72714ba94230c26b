// How MySQL/MariaDB does a restore test (db-verify.ts has the flow): the `mysql` client (the
// `mariadb` client answers to that name too) on the job's host with the job's connection
// (`--port`, `--user`, MYSQL_PWD by environment, option files as usual): CREATE DATABASE for
// the scratch database, the dump fed on stdin with `--database=SCRATCH` (the dump is made
// without `--databases`, so it holds no `USE` and lands where it is told), exact counts of
// every table, DROP DATABASE.
//
// A dump cut at a statement boundary still restores; mysqldump ends every whole dump with a
// `-- Dump completed` comment, so a restore that worked without it is reported as cut short.
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { HostRunner } from '../exec/on-host';
import { describeExit, exitOk, type Exit } from '../exec/process';
import { LOCAL } from '../exec/quote';
import type { DbOps } from './db-verify';

// Exact row count of every table of the current database, as `HEX(name) TAB count` lines: the
// server builds one UNION query from information_schema (names quoted with backticks, doubled
// inside) and runs it. Hex keeps any character of a name out of the client's escaping. A fixed
// text: no value of the plan is ever pasted into it.
export const MYSQL_COUNT_SQL = [
  'SET SESSION group_concat_max_len = 4294967295;',
  "SELECT IFNULL(GROUP_CONCAT(CONCAT('SELECT ', QUOTE(HEX(table_name)), ', COUNT(*) FROM `', REPLACE(table_name, " +
    "'`', '``'), '`')",
  "  ORDER BY table_name SEPARATOR ' UNION ALL '), 'SELECT 1, 1 FROM DUAL WHERE FALSE') INTO @backplan_count",
  "  FROM information_schema.tables WHERE table_schema = DATABASE() AND table_type IN ('BASE TABLE', 'SYSTEM " +
    "VERSIONED');",
  'PREPARE backplan_count FROM @backplan_count;',
  'EXECUTE backplan_count;',
  'DEALLOCATE PREPARE backplan_count;',
].join('\n');

const TRAILER = '-- Dump completed';

/** The client's own error line (`ERROR 1064 (42000) at line 39: ...`) rather than the echoed statement. */
function describeMysql(argv0: string, e: Exit): string {
  const err = e.stderr.split('\n').find((l) => l.startsWith('ERROR'));
  if (!err || e.spawnError) return describeExit(argv0, e);
  return `${argv0} exited with status ${e.code}: ${err.length > 300 ? `${err.slice(0, 300)}…` : err}`;
}

export function mysqlOps(run: HostRunner, conn: readonly string[], mysql: string): DbOps {
  const on = run.host === LOCAL ? '' : ` on ${run.host}`;
  const client = (...args: string[]) => [mysql, '--batch', '--skip-column-names', ...conn, ...args];
  const exec = async (sql: string, what?: string) => {
    const r = await run.capture(client(`--execute=${sql}`));
    if (!exitOk(r)) throw new Error(`${what ? `${what}${on}: ` : ''}${describeMysql('mysql', r)}`);
  };
  return {
    async count(database) {
      const r = await run.capture(client(`--database=${database}`, `--execute=${MYSQL_COUNT_SQL}`));
      if (!exitOk(r)) throw new Error(`counting rows in ${database}${on}: ${describeMysql('mysql', r)}`);
      const out = new Map<string, number>();
      for (const line of r.stdout.toString('utf8').split('\n')) {
        const m = /^([0-9A-Fa-f]*)\t(\d+)$/.exec(line);
        if (m) out.set(Buffer.from(m[1], 'hex').toString('utf8'), Number(m[2]));
      }
      return out;
    },
    // The scratch name is Backplan's own (`backplan_verify_` and hex), never a value of the plan.
    create: (scratch) => exec(`CREATE DATABASE \`${scratch}\``, 'cannot create the scratch database'),
    async restore(scratch, dump) {
      let tail = '';
      const watch = new Transform({
        transform(chunk: Buffer, _enc, cb) {
          tail = (tail + chunk.toString('latin1')).slice(-512);
          cb(null, chunk);
        },
      });
      const piped = pipeline(dump, watch).catch(() => undefined);
      // --binary-mode: dumps may hold NUL bytes and \r\n inside strings, restored as they are.
      const e = await run.feed([mysql, '--binary-mode', ...conn, `--database=${scratch}`], watch);
      await piped;
      if (!exitOk(e)) return `the dump does not restore: ${describeMysql('mysql', e)}`;
      if (!tail.includes(TRAILER))
        return `the dump ends without mysqldump's closing \`${TRAILER}\` line: it was cut short`;
      return undefined;
    },
    drop: (scratch) => exec(`DROP DATABASE IF EXISTS \`${scratch}\``),
  };
}
