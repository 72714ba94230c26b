// Restoring a `pg-dump` or `mysql-dump` copy into a database on the job's own server, with the
// job's connection and secrets (by environment; over ssh when the job's host is remote), the
// copy streamed from wherever it is stored and decrypted on this machine when it is a `.gpg`
// copy — as verify does (verify/dump.ts, builtin/dump-source.ts).
//
// The copy is restored into a temporary database (`backplan_restore_<random>`) that takes the
// target's name only when whole, so a failed or killed restore never leaves a database under the
// target's name that looks restored:
// - PostgreSQL: `ALTER DATABASE tmp RENAME TO target`. In place, the job's own database is
//   renamed aside in the same transaction (`ALTER DATABASE db RENAME TO db_before_restore_STAMP;
//   ALTER DATABASE tmp RENAME TO db`): nothing is dropped, the old data stays whole beside it.
//   PostgreSQL refuses to rename a database others are connected to: stop the application first.
// - MySQL/MariaDB have no RENAME DATABASE: the tables move with one `RENAME TABLE` statement
//   (atomic) into the target (created empty first), and in place the current tables move into
//   `db_before_restore_STAMP` in that same statement. Views, triggers, routines and events do
//   not move with RENAME TABLE, so a database (or a copy) holding them is refused, untouched.
import { randomBytes } from 'node:crypto';
import { pgOps } from '../builtin/pg-restore';
import { mysqlOps } from '../builtin/mysql-restore';
import { gpgDecryptArgv, openDump } from '../builtin/dump-source';
import type { DbOps } from '../builtin/db-verify';
import { EnvError, resolveEnv } from '../exec/env';
import { fsFor } from '../exec/files';
import { hostRunner, type HostRunner } from '../exec/on-host';
import { describeExit, exitOk } from '../exec/process';
import { dumpTarget, type DumpTarget } from '../verify/dump';
import type { CommandStep } from '../steps/step';
import { listInventory, storageOf } from './common';
import { RestoreError, type DbRestorer, type KindContext, type RestoreAction } from './types';

/** Database names Backplan pastes into SQL (quoted): letters, digits, `_` and `-`, not first. */
const DB_NAME = /^[A-Za-z0-9_][A-Za-z0-9_-]{0,62}$/;

export function checkDbName(name: string): void {
  if (!DB_NAME.test(name))
    throw new RestoreError(
      `--to ${JSON.stringify(name)}: a database name for restore is 1 to 63 letters, digits, \`_\` or \`-\` (not first)`,
    );
}

function targetOf(ctx: KindContext): DumpTarget {
  const t = dumpTarget(ctx.job, ctx.plan, Date.now());
  if (!t.target) throw new RestoreError(`job ${ctx.job.name}: ${t.errors.join('; ')}`);
  return t.target;
}

async function runnerOf(ctx: KindContext, t: DumpTarget): Promise<HostRunner> {
  try {
    const env = await resolveEnv({ host: t.host, argv: [], ...(t.env ? { env: t.env } : {}) }, ctx.x.hosts, ctx.x.redactor);
    return hostRunner(ctx.x.hosts, t.host, env);
  } catch (e) {
    throw new RestoreError(e instanceof EnvError ? e.message : `cannot reach ${t.host}: ${(e as Error).message}`);
  }
}

function opsOf(run: HostRunner, t: DumpTarget): DbOps {
  return t.kind === 'pg-dump' ? pgOps(run, t.conn, t.tools) : mysqlOps(run, t.conn, t.tools.mysql);
}

function tempName(): string {
  return `backplan_restore_${randomBytes(6).toString('hex')}`;
}

// ---- PostgreSQL ---------------------------------------------------------------------------

const pq = (name: string) => `"${name.replace(/"/g, '""')}"`;

function psqlArgv(t: DumpTarget & { kind: 'pg-dump' }, sql: string): string[] {
  return [t.tools.psql, '--no-psqlrc', '--no-align', '--tuples-only', '--set=ON_ERROR_STOP=1', ...t.conn, '--dbname=postgres', `--command=${sql}`];
}

async function psql(ctx: KindContext, t: DumpTarget & { kind: 'pg-dump' }, sql: string, what: string): Promise<string> {
  const run = await runnerOf(ctx, t);
  const r = await run.capture(psqlArgv(t, sql));
  if (!exitOk(r)) throw new RestoreError(ctx.x.redactor.text(`${what}: ${describeExit('psql', r)}`));
  return r.stdout.toString('utf8').trim();
}

// ---- MySQL / MariaDB ------------------------------------------------------------------------

const mq = (name: string) => `\`${name.replace(/`/g, '``')}\``;
const lit = (name: string) => `'${name.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;

function mysqlArgv(t: DumpTarget & { kind: 'mysql-dump' }, sql: string): string[] {
  return [t.tools.mysql, '--batch', '--skip-column-names', ...t.conn, `--execute=${sql}`];
}

async function mysql(ctx: KindContext, t: DumpTarget & { kind: 'mysql-dump' }, sql: string, what: string): Promise<string> {
  const run = await runnerOf(ctx, t);
  const r = await run.capture(mysqlArgv(t, sql));
  if (!exitOk(r)) {
    const err = r.stderr.split('\n').find((l) => l.startsWith('ERROR'));
    throw new RestoreError(ctx.x.redactor.text(`${what}: ${err ?? describeExit('mysql', r)}`));
  }
  return r.stdout.toString('utf8');
}

/** The base tables of `db`, and a count of what RENAME TABLE cannot move (views, triggers, routines, events). */
async function mysqlObjects(
  ctx: KindContext,
  t: DumpTarget & { kind: 'mysql-dump' },
  db: string,
): Promise<{ tables: string[]; others: string[] }> {
  const sql = [
    `SELECT 'T', HEX(table_name), table_type FROM information_schema.tables WHERE table_schema = ${lit(db)}`,
    `SELECT 'R', HEX(routine_name), routine_type FROM information_schema.routines WHERE routine_schema = ${lit(db)}`,
    `SELECT 'G', HEX(trigger_name), 'TRIGGER' FROM information_schema.triggers WHERE trigger_schema = ${lit(db)}`,
    `SELECT 'E', HEX(event_name), 'EVENT' FROM information_schema.events WHERE event_schema = ${lit(db)}`,
  ].join(' UNION ALL ');
  const out = await mysql(ctx, t, sql, `cannot list the tables of ${db}`);
  const tables: string[] = [];
  const others: string[] = [];
  for (const line of out.split('\n')) {
    const [k, hex, type] = line.split('\t');
    if (!hex && !k) continue;
    const name = Buffer.from(hex ?? '', 'hex').toString('utf8');
    if (k === 'T' && type === 'BASE TABLE') tables.push(name);
    else if (k) others.push(`${name} (${(type ?? '').toLowerCase()})`);
  }
  return { tables, others };
}

function refuseOthers(db: string, others: string[], why: string): void {
  if (others.length)
    throw new RestoreError(
      `${db} holds ${others.slice(0, 5).join(', ')}${others.length > 5 ? ' ...' : ''}: a MySQL restore moves tables ` +
        `with RENAME TABLE, which cannot move views, triggers, routines or events; ${why}`,
    );
}

// ---- The two kinds ------------------------------------------------------------------------

function list(ctx: KindContext) {
  const step = ctx.steps.find((s): s is CommandStep => s.type === 'command' && s.phase === 'backup' && Boolean(s.inventory));
  const inv = step?.inventory;
  if (!inv || inv.type !== 'files') throw new RestoreError(`job ${ctx.job.name}: no ${ctx.job.kind} inventory`);
  return listInventory(ctx, inv, storageOf(ctx.job), "the job's own storage");
}

async function exists(ctx: KindContext, t: DumpTarget, db: string): Promise<boolean> {
  if (t.kind === 'pg-dump')
    return (await psql(ctx, t, `SELECT 1 FROM pg_database WHERE datname = '${db}'`, `cannot look for ${db}`)) === '1';
  const out = await mysql(ctx, t, `SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name = ${lit(db)}`, `cannot look for ${db}`);
  return out.trim() === '1';
}

function makeRestorer(): DbRestorer {
  return {
    target: 'database',
    ownDatabase: (ctx) => targetOf(ctx).database,
    list,
    async checkTarget(ctx, database, inPlace) {
      checkDbName(database);
      const t = targetOf(ctx);
      if (!(await exists(ctx, t, database))) return;
      if (inPlace) {
        if (t.kind === 'mysql-dump')
          refuseOthers(database, (await mysqlObjects(ctx, t, database)).others, 'nothing was changed');
        return;
      }
      const counted = await opsOf(await runnerOf(ctx, t), t)
        .count(database)
        .catch((e: Error) => {
          throw new RestoreError(e.message);
        });
      if (counted.size > 0)
        throw new RestoreError(
          `database ${database} exists and holds ${counted.size} table${counted.size === 1 ? '' : 's'}: a restore never ` +
            `replaces data; give --to a new name (or an empty database), or use --in-place --yes to move the job's ` +
            `own database aside first`,
        );
    },
    restore(ctx, copy, req) {
      const t = targetOf(ctx);
      const tmp = tempName();
      let read = 0;
      let created = false;
      let moved: string | undefined;
      const on = t.host === 'local' ? '' : ` on ${t.host}`;
      const actions: RestoreAction[] = [
        {
          description: `create the temporary database ${tmp}${on}`,
          host: t.host,
          argv: t.kind === 'pg-dump' ? [t.tools.createdb, ...t.conn, '--', tmp] : mysqlArgv(t, `CREATE DATABASE ${mq(tmp)}`),
          async run() {
            await opsOf(await runnerOf(ctx, t), t)
              .create(tmp)
              .catch((e: Error) => {
                throw new RestoreError(e.message);
              });
            created = true;
          },
        },
        {
          description: `restore ${copy.path}${copy.host === 'local' ? '' : ` (read from ${copy.host})`} into ${tmp}` +
            `${copy.name.endsWith('.gpg') ? ' through gpg --decrypt on this machine' : ''}`,
          host: t.host,
          argv:
            t.kind === 'pg-dump'
              ? [t.tools.pg_restore, '--exit-on-error', '--no-owner', '--no-privileges', ...t.conn, `--dbname=${tmp}`]
              : [t.tools.mysql, '--binary-mode', ...t.conn, `--database=${tmp}`],
          async run() {
            const src = openDump(
              fsFor(copy.host, ctx.x.hosts).read(copy.path),
              copy.name.endsWith('.gpg') ? { decrypt: gpgDecryptArgv() } : {},
            );
            const ops = opsOf(await runnerOf(ctx, t), t);
            const [problem, readProblem] = await Promise.all([ops.restore(tmp, src.stream), src.done]);
            read = src.bytes();
            if (readProblem || problem) throw new RestoreError(ctx.x.redactor.text(readProblem ?? problem!));
          },
        },
      ];
      if (t.kind === 'pg-dump') {
        const sql = req.aside
          ? `ALTER DATABASE ${pq(req.database)} RENAME TO ${pq(req.aside)}; ALTER DATABASE ${pq(tmp)} RENAME TO ${pq(req.database)}`
          : `ALTER DATABASE ${pq(tmp)} RENAME TO ${pq(req.database)}`;
        actions.push({
          description: req.aside
            ? `rename ${req.database} to ${req.aside} and ${tmp} to ${req.database}, in one transaction`
            : `drop ${req.database} if it exists and is empty, then rename ${tmp} to ${req.database}`,
          host: t.host,
          argv: psqlArgv(t, sql),
          async run() {
            if (req.aside && !(await exists(ctx, t, req.database))) {
              await psql(ctx, t, `ALTER DATABASE ${pq(tmp)} RENAME TO ${pq(req.database)}`, `cannot give ${tmp} the name ${req.database}`);
              created = false;
              return;
            }
            if (!req.aside && (await exists(ctx, t, req.database))) {
              const counted = await opsOf(await runnerOf(ctx, t), t).count(req.database);
              if (counted.size > 0) throw new RestoreError(`database ${req.database} is no longer empty; nothing was replaced`);
              await psql(ctx, t, `DROP DATABASE ${pq(req.database)}`, `cannot drop the empty database ${req.database}`);
            }
            await psql(ctx, t, sql, `cannot give ${tmp} the name ${req.database}`);
            created = false;
            if (req.aside) moved = req.aside;
          },
        });
      } else {
        actions.push({
          description: req.aside
            ? `move the tables of ${req.database} into ${req.aside} and those of ${tmp} into ${req.database}, in one RENAME TABLE`
            : `move the tables of ${tmp} into ${req.database} with one RENAME TABLE`,
          host: t.host,
          argv: mysqlArgv(t, `RENAME TABLE ${req.aside ? `${mq(req.database)}.… TO ${mq(req.aside)}.…, ` : ''}${mq(tmp)}.… TO ${mq(req.database)}.…`),
          async run() {
            const restored = await mysqlObjects(ctx, t, tmp);
            refuseOthers(`the copy ${copy.name}`, restored.others, 'restore it by hand with the mysql client');
            const pairs: string[] = [];
            const pre: string[] = [];
            if (req.aside && (await exists(ctx, t, req.database))) {
              const current = await mysqlObjects(ctx, t, req.database);
              refuseOthers(req.database, current.others, 'nothing was changed');
              pre.push(`CREATE DATABASE ${mq(req.aside)}`);
              moved = req.aside;
              for (const n of current.tables) pairs.push(`${mq(req.database)}.${mq(n)} TO ${mq(req.aside)}.${mq(n)}`);
            } else if (!(await exists(ctx, t, req.database))) {
              pre.push(`CREATE DATABASE ${mq(req.database)}`);
            } else {
              const counted = await opsOf(await runnerOf(ctx, t), t).count(req.database);
              if (counted.size > 0) throw new RestoreError(`database ${req.database} is no longer empty; nothing was replaced`);
            }
            for (const n of restored.tables) pairs.push(`${mq(tmp)}.${mq(n)} TO ${mq(req.database)}.${mq(n)}`);
            const sql = [...pre, ...(pairs.length ? [`RENAME TABLE ${pairs.join(', ')}`] : [])].join('; ');
            if (sql) await mysql(ctx, t, sql, `cannot move the restored tables into ${req.database}`);
            await mysql(ctx, t, `DROP DATABASE ${mq(tmp)}`, `cannot drop the emptied ${tmp}`);
            created = false;
          },
        });
      }
      return {
        actions,
        bytes: () => read,
        movedAside: () => moved,
        async cleanup() {
          if (!created) return;
          await opsOf(await runnerOf(ctx, t), t)
            .drop(tmp)
            .catch(() => undefined);
          created = false;
        },
      };
    },
  };
}

export const pgRestorer: DbRestorer = makeRestorer();
export const mysqlRestorer: DbRestorer = makeRestorer();
