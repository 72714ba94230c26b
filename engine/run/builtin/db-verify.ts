// The restore test of a database dump (SPEC §4 `verify`, issue #4), whatever the database:
// count the rows of every table of the source database, create a scratch database next to it
// (`backplan_verify_<random>`), restore the copy into it, count again and compare table by
// table. The scratch database is dropped afterwards, whether the restore worked or not.
// pg-restore.ts and mysql-restore.ts say how each server does those four things.
//
// Why the source and not counts recorded at dump time: counting beside the dump tool would not
// see the dump's own snapshot either, and would need a second file per copy. Comparing with the
// source proves the copy restores into the same tables with the same rows as long as the source
// has not been written since the dump; on a busy database a difference is reported per table
// (with both numbers), so it is readable as "changed since" rather than "lost".
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { DumpSource } from './dump-source';
import type { RestoreResult } from './restore';

export interface TableCount {
  table: string;
  rows: number;
  source?: number;
}

export interface DbRestoreResult extends RestoreResult {
  scratch: string;
  tables: TableCount[];
}

/** What a database server does for a restore test; each method throws an Error with one line. */
export interface DbOps {
  /** Exact row count of every table of `database`, by a display name of the table. */
  count(database: string): Promise<Map<string, number>>;
  create(scratch: string): Promise<void>;
  /** Restore `dump` into `scratch`: undefined, or why it does not restore. */
  restore(scratch: string, dump: Readable): Promise<string | undefined>;
  drop(scratch: string): Promise<void>;
}

export function scratchName(): string {
  return `backplan_verify_${randomBytes(8).toString('hex')}`;
}

export async function restoreAndCount(src: DumpSource, database: string, ops: DbOps): Promise<DbRestoreResult> {
  const scratch = scratchName();
  const problems: string[] = [];
  const tables: TableCount[] = [];
  let created = false;
  try {
    const source = await ops.count(database);
    await ops.create(scratch);
    created = true;
    const [restoreProblem, readProblem] = await Promise.all([ops.restore(scratch, src.stream), src.done]);
    // A copy that could not be read or decrypted explains a failed restore, so it comes first.
    if (readProblem) problems.push(readProblem);
    if (restoreProblem) problems.push(restoreProblem);
    if (problems.length === 0) {
      const restored = await ops.count(scratch);
      for (const [table, rows] of source) {
        const got = restored.get(table);
        if (got === undefined) problems.push(`${table}: in the source database but not restored`);
        else if (got !== rows) problems.push(`${table}: ${got} rows restored, the source has ${rows}`);
        tables.push({ table, rows: got ?? 0, source: rows });
      }
      for (const [table, rows] of restored) {
        if (source.has(table)) continue;
        problems.push(`${table}: restored (${rows} rows) but not in the source database`);
        tables.push({ table, rows });
      }
    }
  } catch (e) {
    problems.push((e as Error).message);
  } finally {
    if (!src.stream.readableEnded) src.stream.destroy();
    if (created) {
      try {
        await ops.drop(scratch);
      } catch (e) {
        problems.push(`the scratch database ${scratch} could not be dropped: ${(e as Error).message}`);
      }
    }
  }
  const checked = problems.length ? 0 : tables.length;
  return {
    ok: problems.length === 0,
    archiveSha256: src.sha256(),
    bytes: src.bytes(),
    checked,
    problems,
    scratch,
    tables,
  };
}
