// A name that points nowhere: job.host, storage.host and an incus-copy's `remote` (hosts),
// job.storage and job.to (storage), job.retention as a string (policies), job.from and job.after
// (jobs). The finding sits on the value; the closest defined name is offered as the preferred
// quick fix, and a missing host, storage or policy can be created as a skeleton to fill in.
import type { Fix, OffsetRange } from '../findings';
import { kindInfo } from '../kinds';
import { closest } from '../plan/did-you-mean';
import type { JobModel, YamlPath } from '../plan/model';
import type { CheckContext, Rule, RuleFinding } from './rule';
import { insertEntry, type Field } from './shared/insert';
import { annotatedOf } from './shared/values';

type Kind = 'host' | 'storage' | 'policy' | 'job';

const SECTION: Record<Kind, string> = { host: 'hosts', storage: 'storage', policy: 'policies', job: 'jobs' };

/** Replace the scalar at `range` by `name`, keeping the quotes the user wrote. */
export function renameFix(text: string, range: OffsetRange, name: string): Fix {
  const written = text.slice(range.start, range.end);
  const q = written[0] === '"' || written[0] === "'" ? written[0] : '';
  return { title: `Change to \`${name}\``, edits: [{ range, newText: `${q}${name}${q}` }], preferred: true };
}

function candidates(ctx: CheckContext, kind: Kind): string[] {
  const m = ctx.model;
  return [...(kind === 'host' ? m.hosts : kind === 'storage' ? m.storage : kind === 'policy' ? m.policies : m.jobs).keys()];
}

/** A name that can be written as a plain YAML key and is a valid plan name. */
const CREATABLE = (name: string) =>
  /^[a-z0-9][a-z0-9._-]*$/.test(name) &&
  !/^[0-9._-]+$/.test(name) &&
  !/^(true|false|null|yes|no|on|off|y|n)$/.test(name);

/**
 * The fields of a new entry the reference can point at: enough for the plan to check clean, the
 * values to be adjusted (an address, a path). `job` is the job that refers to it, if any.
 */
function skeleton(
  ctx: CheckContext,
  kind: Kind,
  name: string,
  job: JobModel | undefined,
  field: string,
): Field[] | undefined {
  if (kind === 'host') return [['address', name]];
  if (kind === 'policy') {
    if (job && kindInfo(job.kind)?.engine === 'velero') return [['expiry', '30d']];
    // duplicity prunes whole chains only: a count of chains is what it can say
    if (job && kindInfo(job.kind)?.engine === 'duplicity') return [['keep', '{ full: 3 }']];
    return [['keep', '{ daily: 7, weekly: 4, monthly: 6 }']];
  }
  if (kind !== 'storage') return undefined;
  // a copy lands on the host that receives it (an incus-copy's remote), else beside the job
  const host = job && field === 'to' && typeof job.raw.remote === 'string' ? job.raw.remote : job?.host;
  const fields: Field[] = [];
  if (host !== undefined && ctx.model.hosts.has(host)) fields.push(['host', host]);
  fields.push(['media', 'hdd']);
  // kinds that write files into the storage need a directory there
  const info = job ? kindInfo(job.kind) : undefined;
  if (field === 'to' && info && !info.copiesFrom && !info.snapshot) fields.push(['path', `/srv/backplan/${name}`]);
  return fields;
}

/** The fix that creates the missing entry (preferred when no defined name is close). */
function createFix(
  ctx: CheckContext,
  kind: Kind,
  name: string,
  job: JobModel | undefined,
  field: string,
  preferred: boolean,
): Fix | undefined {
  if (!CREATABLE(name)) return undefined;
  const fields = skeleton(ctx, kind, name, job, field);
  const edit = fields && insertEntry(ctx.text, ctx.doc, SECTION[kind], name, fields);
  if (!edit) return undefined;
  const title = `Create ${kind} \`${name}\` under \`${SECTION[kind]}:\` (to fill in)`;
  return { title, edits: [edit], ...(preferred ? { preferred } : {}) };
}

function report(
  ctx: CheckContext,
  kind: Kind,
  name: string,
  path: YamlPath,
  exclude?: string,
  job?: JobModel,
): RuleFinding {
  const range = ctx.locate(path, 'value');
  const names = candidates(ctx, kind).filter((n) => n !== exclude);
  const guess = closest(name, names);
  const section = SECTION[kind];
  let message = `unknown ${kind} \`${name}\``;
  if (guess) message += `: did you mean \`${guess}\`?`;
  else if (names.length === 0) message += `: no ${kind} is defined; add it under \`${section}:\``;
  else {
    const shown = names.slice(0, 5).map((n) => `\`${n}\``).join(', ');
    message += `: define it under \`${section}:\` or use one of ${shown}${names.length > 5 ? ', …' : ''}`;
  }
  const fixes: Fix[] = guess ? [renameFix(ctx.text, range, guess)] : [];
  const create = createFix(ctx, kind, name, job, String(path[path.length - 1]), !guess);
  if (create) fixes.push(create);
  return { range, message, ...(fixes.length > 0 ? { fixes } : {}) };
}

export const rule: Rule = {
  id: 'unknown-reference',
  defaultSeverity: 'error',
  summary: 'A host, storage, policy or job name is not defined.',
  check(ctx) {
    const m = ctx.model;
    const out: RuleFinding[] = [];
    // host names in fields the schema marks as references only for some kinds (`remote`): read
    // from the schema walk, so that a `remote` where the kind has none stays a schema error only
    const remotes = new Map<string, string>();
    for (const v of annotatedOf(ctx)) {
      if (v.ref === 'hosts' && v.path.length === 3 && v.path[0] === 'jobs' && v.path[2] === 'remote' && typeof v.value === 'string') {
        remotes.set(String(v.path[1]), v.value);
      }
    }
    for (const s of m.storage.values()) {
      if (s.host !== undefined && !m.hosts.has(s.host)) out.push(report(ctx, 'host', s.host, [...s.at, 'host']));
    }
    for (const job of m.jobs.values()) {
      const at = job.at;
      if (job.host !== undefined && !m.hosts.has(job.host)) {
        out.push(report(ctx, 'host', job.host, [...at, 'host'], undefined, job));
      }
      if (job.storage !== undefined && !m.storage.has(job.storage)) {
        out.push(report(ctx, 'storage', job.storage, [...at, 'storage'], undefined, job));
      }
      if (job.to !== undefined && !m.storage.has(job.to)) {
        out.push(report(ctx, 'storage', job.to, [...at, 'to'], undefined, job));
      }
      if (typeof job.retention === 'string' && !m.policies.has(job.retention)) {
        out.push(report(ctx, 'policy', job.retention, [...at, 'retention'], undefined, job));
      }
      // `remote` of an incus-copy names the host that receives the copy (also its Incus remote)
      if (remotes.has(job.name) && !m.hosts.has(remotes.get(job.name)!)) {
        out.push(report(ctx, 'host', remotes.get(job.name)!, [...at, 'remote'], undefined, job));
      }
      if (job.from !== undefined && !m.jobs.has(job.from)) out.push(report(ctx, 'job', job.from, [...at, 'from'], job.name));
      const afterIsList = Array.isArray(job.raw.after);
      job.after.forEach((name, i) => {
        if (!m.jobs.has(name)) out.push(report(ctx, 'job', name, afterIsList ? [...at, 'after', i] : [...at, 'after'], job.name));
      });
    }
    // A value inherited through a merge key is one place in the text: report it once.
    const seen = new Set<string>();
    return out.filter((f) => {
      const k = `${f.range.start}:${f.range.end}`;
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    });
  },
};
