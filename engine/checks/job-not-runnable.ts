// A job that `backplan plan` and `backplan run` would refuse: its kind's driver finds a problem
// that no other rule knows about (restic without a password, `encrypt` on a kind that cannot
// encrypt, an archive on a remote host, an invalid `incus_binary` ...). Each job is planned here
// the way `backplan plan` plans it (planJob), with no live state: nothing is read, run or
// contacted, so errors that need the hosts (a target that already exists, a resume token)
// cannot appear. Each driver error becomes one finding, on the field it is about when the
// driver says which (DriverProblem.at), else on the job's name.
//
// Problems other rules report are not repeated: a job is left out while another rule reports
// an error on it, or on the host, storage, policy or source job it uses (an unknown kind or
// reference, a schema error, an inline secret, a bad duration or cron ...), or while its retention
// is one its pruning engine cannot express (retention-unsupported).
import { isMap, isScalar } from 'yaml';
import type { Fix, OffsetRange, RuleId } from '../findings';
import { jobPolicy } from '../plan/build-model';
import type { JobModel, PlanModel } from '../plan/model';
import { resolveLocalPaths } from '../plan/resolve-paths';
import { engineForJob } from '../retention/index';
import type { DriverProblem } from '../run/steps/driver-kit';
import { planJob } from '../run/steps/plan-steps';
import type { CheckContext, Rule, RuleFinding } from './rule';
import { envNameOf, insertPair } from './shared/insert';

/** Rules whose errors already say why such a job cannot run. */
const COVERING: readonly RuleId[] = [
  'yaml-syntax',
  'schema',
  'cron-invalid',
  'duration-invalid',
  'unknown-reference',
  'dependency-cycle',
  'retention-invalid',
  'secret-inline',
];

/**
 * Relative local paths are resolved against the plan file's directory before planning
 * (cli/load-plan.ts); a plan checked from memory has none, and any absolute directory stands in.
 */
const NO_PLAN_DIR = '/plan-directory';

type Sections = Record<'hosts' | 'storage' | 'policies' | 'jobs', Map<string, OffsetRange>>;

/** For each entry of the four named sections: the text from its key to the end of its value. */
function entrySpans(ctx: CheckContext): Sections {
  const out: Sections = { hosts: new Map(), storage: new Map(), policies: new Map(), jobs: new Map() };
  for (const section of Object.keys(out) as (keyof Sections)[]) {
    const map = ctx.doc?.get(section, true);
    if (!isMap(map)) continue;
    for (const pair of map.items) {
      const key = pair.key;
      if (!isScalar(key) || !key.range) continue;
      const name = String(key.value);
      if (out[section].has(name)) continue;
      const end = (pair.value as { range?: number[] } | null)?.range?.[1] ?? key.range[1];
      out[section].set(name, { start: key.range[0], end: Math.max(end, key.range[1]) });
    }
  }
  return out;
}

/** The entries a job's planning reads: itself, its hosts, storages, named policy and source job. */
function spansOf(plan: PlanModel, job: JobModel, sections: Sections): OffsetRange[] {
  const hosts = new Set<string | undefined>([job.host]);
  const storages = [job.to, job.storage];
  const from = job.from !== undefined ? plan.jobs.get(job.from) : undefined;
  if (from) {
    hosts.add(from.host);
    storages.push(from.storage);
  }
  for (const s of storages) if (s !== undefined) hosts.add(plan.storage.get(s)?.host);
  const spans = [sections.jobs.get(job.name)];
  if (from) spans.push(sections.jobs.get(from.name));
  for (const h of hosts) if (h !== undefined) spans.push(sections.hosts.get(h));
  for (const s of storages) if (s !== undefined) spans.push(sections.storage.get(s));
  if (typeof job.retention === 'string') spans.push(sections.policies.get(job.retention));
  return spans.filter((s): s is OffsetRange => s !== undefined);
}

/** Whether a finding lies (at least partly) in an entry; an empty range counts at its offset. */
const touches = (r: OffsetRange, s: OffsetRange) => (r.start === r.end ? r.start >= s.start && r.start <= s.end : r.start < s.end && r.end > s.start);

/** Errors of the covering rules (those not turned off), as ranges. */
function coveredRanges(ctx: CheckContext): OffsetRange[] {
  const out: OffsetRange[] = [];
  for (const id of COVERING) {
    if (ctx.model.checks.levels[id] === 'off') continue;
    let findings: readonly RuleFinding[];
    try {
      findings = ctx.findingsOf(id);
    } catch {
      continue; // that rule's own failure is reported by the pipeline
    }
    for (const f of findings) if ((f.severity ?? 'error') === 'error') out.push(f.range);
  }
  return out;
}

function retentionUnsupported(ctx: CheckContext, job: JobModel): boolean {
  if (ctx.model.checks.levels['retention-unsupported'] === 'off') return false;
  const policy = jobPolicy(ctx.model, job);
  return policy !== undefined && engineForJob(ctx.model, job, policy).unsupported(policy).length > 0;
}

/**
 * The fix of a restic job without a repository password: `password_env` with a variable named
 * after the job (the restic driver says `restic needs the repository password`).
 */
function passwordFix(ctx: CheckContext, job: JobModel, message: string): Fix[] | undefined {
  if (job.kind !== 'restic' || !message.startsWith('restic needs the repository password')) return undefined;
  const name = `BACKPLAN_${envNameOf(job.name)}_PASSWORD`;
  const edit = insertPair(ctx.text, ctx.doc, job.at, 'password_env', name);
  if (!edit) return undefined;
  const title =
    `Read the password from the environment: \`password_env: ${name}\` ` +
    `(export ${name} where backplan runs)`;
  return [{ title, edits: [edit], preferred: true }];
}

function findingsFor(ctx: CheckContext, plan: PlanModel, job: JobModel, own: OffsetRange | undefined): RuleFinding[] {
  const planned = planJob(job, plan, { now: ctx.now });
  // An unknown kind is the schema's; a driver that throws is a bug of Backplan, which
  // `backplan plan` reports as an internal error: nothing the plan's author can fix here.
  if (planned.outcome !== 'planned') return [];
  const problems: DriverProblem[] = planned.result.problems ?? planned.result.errors.map((message) => ({ message }));
  return problems.map((p) => {
    const range = p.at ? ctx.locate(p.at, 'value') : ctx.locate(job.at, 'key');
    const outside = own !== undefined && !(range.start >= own.start && range.end <= own.end);
    const fixes = passwordFix(ctx, job, p.message);
    return {
      range,
      message: p.message,
      ...(fixes ? { fixes } : {}),
      // On a host or storage several jobs share: say which job cannot run.
      ...(outside ? { related: [{ message: `job \`${job.name}\` cannot run`, range: ctx.locate(job.at, 'key') }] } : {}),
    };
  });
}

/** One finding per place and message; the jobs that share it are listed together. */
function merge(findings: RuleFinding[]): RuleFinding[] {
  const byKey = new Map<string, RuleFinding>();
  for (const f of findings) {
    const key = `${f.range.start}:${f.range.end}:${f.message}`;
    const seen = byKey.get(key);
    if (!seen) byKey.set(key, f);
    else if (f.related) seen.related = [...(seen.related ?? []), ...f.related];
  }
  return [...byKey.values()];
}

export const rule: Rule = {
  id: 'job-not-runnable',
  defaultSeverity: 'error',
  summary: 'A job that `backplan plan` and `backplan run` would refuse (a problem its kind\'s driver finds).',
  check(ctx) {
    if (ctx.model.jobs.size === 0) return [];
    const plan = resolveLocalPaths(ctx.model, ctx.baseDir ?? NO_PLAN_DIR);
    const sections = entrySpans(ctx);
    const covered = coveredRanges(ctx);
    const out: RuleFinding[] = [];
    for (const job of plan.jobs.values()) {
      if (job.enabled === false) continue;
      const spans = spansOf(plan, job, sections);
      if (covered.some((r) => spans.some((s) => touches(r, s)))) continue;
      if (retentionUnsupported(ctx, job)) continue;
      out.push(...findingsFor(ctx, plan, job, sections.jobs.get(job.name)));
    }
    return merge(out);
  },
};
