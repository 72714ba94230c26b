// A file backup (restic, borg, rsync, archive) that copies the data directory of a running
// database gets files caught mid-write: not a restorable database. It is safe when a dump job of
// that database engine on the same host runs first (listed in `after`, directly or through other
// jobs' `after`/`from`), or when the directory is excluded.
// - A path that is a database directory, or inside one, fires unless a dump runs first.
// - A path that contains one (`/`, `/var`, `/var/lib`) fires only when the plan shows that the
//   database exists on that host (a dump job of its engine there) and that dump is not ordered
//   first: backing up `/` on a host without a database is fine.
// The finding sits on the path item. Excluding the directory (or an ancestor) silences it.
import type { JobModel, PlanModel } from '../plan/model';
import type { Rule, RuleFinding } from './rule';

const FILE_KINDS = new Set(['restic', 'borg', 'rsync', 'archive']);

interface DbDir {
  dir: string;
  engine: string;
  /** The job kind that dumps it consistently; undefined when Backplan has none. */
  dump?: 'pg-dump' | 'mysql-dump';
  tool: string;
}

const DB_DIRS: DbDir[] = [
  { dir: '/var/lib/postgresql', engine: 'PostgreSQL', dump: 'pg-dump', tool: 'pg_dump' },
  { dir: '/var/lib/pgsql', engine: 'PostgreSQL', dump: 'pg-dump', tool: 'pg_dump' },
  { dir: '/var/lib/postgres', engine: 'PostgreSQL', dump: 'pg-dump', tool: 'pg_dump' },
  { dir: '/var/lib/mysql', engine: 'MySQL/MariaDB', dump: 'mysql-dump', tool: 'mysqldump' },
  { dir: '/var/lib/mariadb', engine: 'MariaDB', dump: 'mysql-dump', tool: 'mysqldump' },
  { dir: '/var/lib/mongodb', engine: 'MongoDB', tool: 'mongodump' },
];

/** `/var/lib/` → `/var/lib`; `//x` → `/x`; glob tails `/**` and `/*` dropped. */
function norm(p: string): string {
  let s = p.trim().replace(/\/+/g, '/');
  s = s.replace(/\/\*\*?$/, '');
  if (s.length > 1) s = s.replace(/\/$/, '');
  return s;
}

const within = (inner: string, outer: string) => outer === '/' ? inner.startsWith('/') : inner === outer || inner.startsWith(outer + '/');

function list(v: unknown): { value: string; index?: number }[] {
  if (typeof v === 'string') return [{ value: v }];
  if (Array.isArray(v)) return v.flatMap((x, index) => (typeof x === 'string' ? [{ value: x, index }] : []));
  return [];
}

/** Every job that finishes before `job` in a run: `after` and `from`, transitively. */
function runsBefore(plan: PlanModel, job: JobModel): Set<string> {
  const seen = new Set<string>();
  const stack = [...job.after, ...(job.from !== undefined ? [job.from] : [])];
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (seen.has(n) || n === job.name) continue;
    seen.add(n);
    const j = plan.jobs.get(n);
    if (j) stack.push(...j.after, ...(j.from !== undefined ? [j.from] : []));
  }
  return seen;
}

export const rule: Rule = {
  id: 'db-without-dump',
  defaultSeverity: 'warning',
  summary: 'A file backup reads a live database directory with no dump job before it.',
  check(ctx) {
    const plan = ctx.model;
    const out: RuleFinding[] = [];
    for (const job of plan.jobs.values()) {
      if (!FILE_KINDS.has(job.kind) || !job.enabled) continue;
      const excludes = list(job.raw.exclude).map((e) => norm(e.value));
      const before = runsBefore(plan, job);
      const dumpsHere = [...plan.jobs.values()].filter((j) => j.enabled && j.host === job.host && (j.kind === 'pg-dump' || j.kind === 'mysql-dump'));
      const pathsIsList = Array.isArray(job.raw.paths);
      for (const item of list(job.raw.paths)) {
        const p = norm(item.value);
        if (!p.startsWith('/')) continue;
        const reported = new Set<string>();
        for (const db of DB_DIRS) {
          if (reported.has(db.dump ?? db.engine)) continue;
          const inside = within(p, db.dir);
          const contains = !inside && within(db.dir, p);
          if (!inside && !contains) continue;
          if (excludes.some((e) => within(db.dir, e) || (inside && within(p, e)))) continue;
          // Under a parent path the engine's directory is not known: excluding any of its
          // usual directories (`/var/lib/pgsql` or `/var/lib/postgresql`) shows it is handled.
          const group = DB_DIRS.filter((d) => (d.dump ?? d.engine) === (db.dump ?? db.engine));
          if (contains && group.some((d) => excludes.some((e) => within(d.dir, e)))) continue;
          const dumps = dumpsHere.filter((j) => j.kind === db.dump);
          if (dumps.some((d) => before.has(d.name))) continue;
          if (contains && dumps.length === 0) continue;
          reported.add(db.dump ?? db.engine);
          const where = job.host !== undefined ? ` on \`${job.host}\`` : '';
          const what = inside
            ? `\`${item.value}\` is the data directory of a live ${db.engine} server`
            : `\`${item.value}\` includes \`${db.dir}\`, the data directory of the ${db.engine} server${where}`;
          let todo: string;
          if (dumps.length > 0) {
            const names = dumps.map((d) => `\`${d.name}\``).join(' or ');
            todo = `${names} dumps it but does not run first: add \`after: [${dumps[0].name}]\` to \`${job.name}\``;
          } else if (db.dump) {
            todo = `add a \`${db.dump}\` job${where} and list it in this job's \`after:\``;
          } else {
            todo = `dump it with ${db.tool} before this job runs`;
          }
          out.push({
            range: ctx.locate(pathsIsList && item.index !== undefined ? [...job.at, 'paths', item.index] : [...job.at, 'paths'], 'value'),
            message:
              `${what}: files copied while it runs are not a consistent database. ` +
              `${todo[0].toUpperCase()}${todo.slice(1)}, or exclude the directory (\`exclude: [${db.dir}]\`)`,
          });
        }
      }
    }
    return out;
  },
};
