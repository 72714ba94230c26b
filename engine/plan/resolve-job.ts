// A job resolved once: what the simulation, the projections and the checks would otherwise derive
// again at every step of one trip (issue #14 "Resolve once, then compute"): its policy and keep
// mapping, its zone, the engine that prunes it, its effective schedule parsed in the owner's zone,
// its prune_schedule parsed, and its durations (rpo, expiry, keep.within, each tier's every and
// until) read once.
//
// Cached per job object (a WeakMap): a model built again by an incremental re-parse keeps the
// objects of unchanged entries, and these hit the cache. What a job's resolution reads outside
// its own entry (its policy when named, its host's zone and tool versions, the plan's zone, the
// jobs up its `from` chain for an inherited schedule) is compared on every lookup, so a changed
// policy, host or owner entry resolves the job afresh. The copies of a source depend on every
// other job: they are indexed once per jobs map (replicasOf in simulate-job.ts).
import type { JobModel, KeepModel, PlanModel, PolicyModel } from './model';
import { jobPolicy, jobZone } from './build-model';
import { effectiveSchedule, type EffectiveSchedule } from './effective-schedule';
import { engineForJob } from '../retention/index';
import { isSet, keepOf } from '../retention/common';
import type { RetentionEngine } from '../retention/types';
import { parseDuration, type Duration } from '../time/duration';
import { parseSchedule, type ScheduleResult } from '../time/schedule';

export interface ResolvedTier {
  every?: Duration;
  until?: Duration;
}

export interface ResolvedJob {
  job: JobModel;
  /** Its policy (named or inline), undefined without retention or for an unknown name. */
  policy: PolicyModel | undefined;
  /** The policy's keep mapping when it is one. */
  keep: KeepModel | undefined;
  /** Its host's zone, else the plan's. */
  zone: string;
  /** The engine that prunes it with its policy (on its host's tool versions). */
  engine: RetentionEngine;
  /** Its effective schedule (its own, or the one of the job it follows). */
  effective: EffectiveSchedule;
  /** The effective schedule parsed in the owner's zone; undefined when there is none. */
  schedule: ScheduleResult | undefined;
  /** Its prune_schedule parsed in its zone; undefined when it has none. */
  pruneSchedule: ScheduleResult | undefined;
  /** Durations that read as durations; a missing or unreadable one is undefined. */
  durations: { rpo?: Duration; expiry?: Duration; within?: Duration; tiers: ResolvedTier[] };
}

interface Entry {
  value: ResolvedJob;
  /** What the resolution read outside the job's own entry (compared by identity on each lookup). */
  deps: unknown[];
}

const cache = new WeakMap<JobModel, Entry>();

/**
 * Parsed schedules by zone and expression: jobs on one expression share one Schedule (a source
 * and its copies most often), so the fires the simulation expands per Schedule are shared too.
 */
const schedules = new Map<string, ScheduleResult>();

function parsed(expr: string, zone: string): ScheduleResult {
  const key = `${zone}\0${expr}`;
  let r = schedules.get(key);
  if (r === undefined) {
    r = parseSchedule(expr, zone);
    if (schedules.size >= 512) schedules.clear(); // an editor session types many expressions: bounded
    schedules.set(key, r);
  }
  return r;
}

/** The outside inputs of a job's resolution (see the header); cheap lookups, nothing parsed. */
function depsOf(
  plan: PlanModel,
  job: JobModel,
  policy: PolicyModel | undefined,
  effective: EffectiveSchedule,
): unknown[] {
  const host = job.host === undefined ? undefined : plan.hosts.get(job.host);
  const deps: unknown[] = [policy, host, plan.timezone];
  if (effective.ok) deps.push(effective.owner, effective.expr, effective.zone, effective.via?.join('\0'));
  else deps.push(effective.reason);
  return deps;
}

function sameDeps(a: readonly unknown[], b: readonly unknown[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function durationOf(value: unknown): Duration | undefined {
  if (!isSet(value)) return undefined;
  const r = parseDuration(String(value));
  return r.ok ? r.value : undefined;
}

/** The job resolved (see the header), from the cache when nothing it reads has changed. */
export function resolveJob(plan: PlanModel, job: JobModel): ResolvedJob {
  const policy = jobPolicy(plan, job);
  const effective = effectiveSchedule(plan, job);
  const deps = depsOf(plan, job, policy, effective);
  const hit = cache.get(job);
  if (hit && sameDeps(hit.deps, deps)) return hit.value;
  const zone = jobZone(plan, job);
  const keep = keepOf(policy);
  const tiers = Array.isArray(policy?.tiers) ? policy.tiers : [];
  const value: ResolvedJob = {
    job,
    policy,
    keep,
    zone,
    engine: engineForJob(plan, job, policy),
    effective,
    schedule: effective.ok ? parsed(effective.expr, effective.zone) : undefined,
    pruneSchedule: job.prune_schedule ? parsed(job.prune_schedule, zone) : undefined,
    durations: {
      rpo: durationOf(job.rpo),
      expiry: durationOf(policy?.expiry),
      within: durationOf(keep?.within),
      tiers: tiers.map((t) => ({ every: durationOf(t?.every), until: durationOf(t?.until) })),
    },
  };
  cache.set(job, { value, deps });
  return value;
}
