// What a job's restore needs first, and the measured restore time of that whole chain against
// the job's `rto` (SPEC §11, rule rto-exceeded, the hover of a job, `backplan runbook`).
//
// A job's restore needs first (its restore DEPENDENCIES, transitively, each once):
// - the jobs of its `after:` list: what must exist before it in a run must be back before it
//   (the database dump an application's files are backed up after);
// - the base of an incremental chain: for a job that copies the output of its `from` job (a
//   zfs-send, btrfs-send or incus-copy of a send, a copy of a copy), that `from` job when it is
//   itself a copy that must be restored (not a snapshot job: snapshots live on the source and
//   are what the copy replaces).
// The chain's restore time is the sum of the newest measured restore of each job of it
// (engine/recovery/measured.ts); a job never measured leaves the sum incomplete.
import { kindInfo } from '../kinds';
import type { JobModel, PlanModel } from '../plan/model';
import { approxMs, parseDuration } from '../time/duration';
import type { MeasuredRestore } from './measured';

export interface RestoreDependency {
  job: string;
  /** Why it comes first. */
  why: 'after' | 'base';
}

/** The direct dependencies of a job's restore (jobs that exist in the plan). */
export function directDependencies(plan: PlanModel, job: JobModel): RestoreDependency[] {
  const out: RestoreDependency[] = [];
  for (const a of job.after) if (plan.jobs.has(a) && a !== job.name) out.push({ job: a, why: 'after' });
  if (job.from !== undefined && job.from !== job.name && kindInfo(job.kind)?.copiesFrom) {
    const base = plan.jobs.get(job.from);
    if (base && !kindInfo(base.kind)?.snapshot && !out.some((d) => d.job === base.name)) out.push({ job: base.name, why: 'base' });
  }
  return out;
}

/**
 * Every job the restore of `name` needs first, transitively, dependencies before what needs
 * them (post-order, plan order among siblings); `name` itself is not in it. Cycles are cut.
 */
export function restoreDependencies(plan: PlanModel, name: string): RestoreDependency[] {
  const out: RestoreDependency[] = [];
  const seen = new Set<string>([name]);
  const visit = (n: string) => {
    const j = plan.jobs.get(n);
    if (!j) return;
    for (const d of directDependencies(plan, j)) {
      if (seen.has(d.job)) continue;
      seen.add(d.job);
      visit(d.job);
      out.push(d);
    }
  };
  visit(name);
  return out;
}

/** A job's `rto` in seconds (months and years approximated), when it has a valid one. */
export function rtoOf(job: JobModel): { text: string; seconds: number } | undefined {
  const text = job.raw.rto;
  if (typeof text !== 'string') return undefined;
  const d = parseDuration(text);
  return d.ok ? { text, seconds: approxMs(d.value) / 1000 } : undefined;
}

export interface RtoSum {
  job: string;
  rto?: { text: string; seconds: number };
  /** The job itself last, after what it needs. */
  parts: { job: string; why?: RestoreDependency['why']; measured?: MeasuredRestore }[];
  /** Sum of the measured parts (seconds). */
  seconds: number;
  /** Jobs of the chain with no measured restore. */
  unmeasured: string[];
  /** The sum is complete and longer than `rto`, or already longer with parts missing. */
  exceeded: boolean;
}

export function rtoSum(plan: PlanModel, name: string, measured: ReadonlyMap<string, MeasuredRestore> | undefined): RtoSum {
  const job = plan.jobs.get(name);
  const rto = job ? rtoOf(job) : undefined;
  const parts: RtoSum['parts'] = [
    ...restoreDependencies(plan, name).map((d) => ({ job: d.job, why: d.why, ...(measured?.get(d.job) ? { measured: measured.get(d.job)! } : {}) })),
    { job: name, ...(measured?.get(name) ? { measured: measured.get(name)! } : {}) },
  ];
  const seconds = parts.reduce((s, p) => s + (p.measured?.seconds ?? 0), 0);
  const unmeasured = parts.filter((p) => !p.measured).map((p) => p.job);
  return { job: name, ...(rto ? { rto } : {}), parts, seconds, unmeasured, exceeded: rto !== undefined && seconds > rto.seconds };
}

/** `41 s`, `3 min 5 s`, `2 h 4 min`: a measured restore time. */
export function formatSeconds(s: number): string {
  if (s < 60) return `${s < 10 ? (Math.round(s * 10) / 10).toString() : Math.round(s)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.round(s - m * 60)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** "`db` 5 min 0 s + `app` 1 h 2 min = 1 h 7 min": how the sum is made (parts never measured say so). */
export function describeSum(sum: RtoSum, code: (s: string) => string = (s) => `\`${s}\``): string {
  const terms = sum.parts.map((p) => `${code(p.job)} ${p.measured ? formatSeconds(p.measured.seconds) : 'never measured'}`);
  return sum.parts.length === 1 ? terms[0] : `${terms.join(' + ')} = ${formatSeconds(sum.seconds)}${sum.unmeasured.length ? ' so far' : ''}`;
}
