// A plan's job → simulate(): the job's schedule and prune_schedule evaluated in the job's zone
// (its host's, else the plan's), its policy, and the engine its kind prunes with. The result is
// the job entry of `backplan simulate --format json` (SPEC §7), times as local ISO-8601 with the
// zone's offset.
//
// Defaults: `from` = now; `at` = from + horizon; the default horizon is the longest age the
// policy keeps, plus 10% (so the oldest band or count is seen filling up and then turning over),
// or one year when the policy keeps something forever or its reach is unknown (at least 10% past
// the longest finite age then).
//
// A job's runs are the fires of its effective schedule (plan/effective-schedule): its own, else,
// for a job with `from` and no schedule, the fires of the job it follows, in that job's zone, at
// the same instants: `backplan run --job X` runs the followers right after X with the run's one
// clock, so their copies carry X's time (the names are the run's start), and at one instant X's
// events come first (copy-job.ts).
//
// Copy jobs (incus-copy, zfs-send, btrfs-send with `from`) make no snapshots of their own: their
// history is derived from the source job's (same from/at), see copy-job.ts; the times are the
// source's snapshot times. A source job with copies is replayed together with all of them, both
// when it is simulated and when one of its copies is: each copy's replication base stays on the
// source (SPEC §8.4), so the source holds more than its policy alone says when a copy runs less
// often than the source prunes. Its default horizon is then long enough for a base to be kept
// and replaced (one run of the slowest copy plus one of the source).
//
// Incus's own scheduler (`snapshots.schedule`) reads `@hourly`, `@daily`, `@weekly`, `@monthly`
// and `@yearly` with a minute (and hour) derived from the instance's database id, to spread the
// load; the plan cannot know that id, and time/schedule.ts reads the aliases as the cron macros
// (`@daily` = 00:00). For such jobs the simulated counts and gaps are right; the times of day of
// the snapshots may be shifted by that fixed amount.
import type { JobModel, PlanModel, PolicyModel } from '../plan/model';
import { resolveJob, type ResolvedJob } from '../plan/resolve-job';
import { COUNT_RULES, countOf, hasExpiry, isSet, keepOf, WITHIN_RULES } from '../retention/common';
import { replaySanoid, type SanoidReplay, type SanoidSnapshot } from '../retention/sanoid';
import { replaySanoidSend } from './sanoid-send';
import type { EngineId } from '../retention/types';
import { formatLocal } from '../retention/calendar';
import { addDuration, approxMs, formatSpan, MS, parseDuration, type Duration } from '../time/duration';
import type { Schedule, ScheduleResult } from '../time/schedule';
import { rulesWithCounts, type RuleRow } from './rules';
import { SimulationError, simulate, type SimulateResult } from './simulate';
import { simulateBtrbkPair } from './btrbk-send';
import {
  simulateReplication,
  type CopyMode,
  type CopySide,
  type ReplicaSide,
  type ReplicationInput,
  type ReplicationResult,
} from './copy-job';
import { kindInfo } from '../kinds';
import { chainSummary, fullEveryMs, runTypes, typedEngine, type ChainSummary } from './duplicity-chains';
import type { BackupSetType } from '../retention/duplicity';

/** More fires than this in one simulation is refused (a minutely schedule over ten years). */
export const MAX_SIMULATED_FIRES = 6_000_000;

export interface SimulateJobOptions {
  /** Start (epoch ms); default `now`. */
  from?: number;
  /** Target date (epoch ms); default from + horizon. */
  at?: number;
  /** Plan duration (`2y`, `6mo`) or parsed duration; ignored when `at` is given. */
  horizon?: string | Duration;
  /** The current instant (default Date.now()); only used as the default `from`. */
  now?: number;
  /** Passed to simulate() (tests compare both paths). */
  strategy?: 'auto' | 'generic';
}

export interface WorstGapJson {
  ms: number;
  human: string;
  from: string;
  to: string;
  /** The gap ends at the present (newest snapshot → next run, or → `at`). */
  live: boolean;
}

export interface SimulatedJob {
  job: string;
  engine: EngineId;
  timezone: string;
  /** The expression of its effective schedule (its own, or the one of the job it follows). */
  schedule: string;
  /** Set when the job has no schedule of its own: the job whose schedule it runs on (after it). */
  scheduleOf?: string;
  pruneSchedule?: string;
  from: string;
  at: string;
  /** The min applied (0 for incus and velero, which delete expired snapshots whatever their number). */
  min: number;
  /** Held at `at`, newest first (duplicity: with each set's type). */
  /** `name`: sanoid jobs, the name sanoid gives the snapshot (its type is the name's last word). */
  snapshots: { time: string; reasons: string[]; type?: BackupSetType; name?: string }[];
  /** duplicity jobs: the chains held at `at`, their restore points and projected storage. */
  duplicity?: ChainSummary;
  stats: {
    created: number;
    removed: number;
    expired: number;
    count: number;
    minCount: number;
    maxCount: number;
    oldest: string | null;
    newest: string | null;
    worstGap: WorstGapJson | null;
    prunes: number;
  };
  /** The policy's rules (and min/newest when they hold something), with how many held snapshots each keeps. */
  rules: (RuleRow & { count: number })[];
}

export interface SimulatedPlan {
  jobs: SimulatedJob[];
  /** Jobs left out, and why (disabled, no schedule, no retention, unreadable ...). */
  skipped: { job: string; reason: string }[];
}

const YEAR = 365 * MS.DAY;

function durationOf(value: unknown): Duration | undefined {
  if (!isSet(value)) return undefined;
  const r = parseDuration(String(value));
  return r.ok ? r.value : undefined;
}

/**
 * The longest age the policy keeps, in ms: `Infinity` when something is kept forever (a last tier
 * without `until`, an unlimited count), 0 when nothing bounds it. `interval` (the schedule's
 * typical gap) turns `last: N` into an age.
 */
export function retentionReach(engine: EngineId, policy: PolicyModel, interval: number): number {
  let reach = 0;
  const tiers = Array.isArray(policy.tiers) ? policy.tiers : [];
  tiers.forEach((t) => {
    const until = durationOf(t?.until);
    if (until) reach = Math.max(reach, approxMs(until));
    else reach = Infinity;
  });
  const keep = keepOf(policy);
  if (keep) {
    const unit: Record<(typeof COUNT_RULES)[number], number> = {
      last: interval,
      hourly: MS.HOUR,
      daily: MS.DAY,
      weekly: 7 * MS.DAY,
      monthly: 30.436875 * MS.DAY,
      yearly: 365.2425 * MS.DAY,
    };
    for (const rule of COUNT_RULES) {
      const n = countOf(keep[rule]);
      if (n < 0) reach = Infinity;
      else if (n > 0) reach = Math.max(reach, n * unit[rule]);
    }
    for (const rule of WITHIN_RULES) {
      const d = durationOf(keep[rule]);
      if (d) reach = Math.max(reach, approxMs(d));
    }
  }
  if (hasExpiry(policy)) {
    const d = durationOf(policy.expiry);
    if (d) reach = Math.max(reach, approxMs(d));
  } else if (engine === 'velero') {
    reach = Math.max(reach, 30 * MS.DAY);
  }
  return reach;
}

/**
 * The default horizon in ms (see the module header). `baseReach`: how old a replication base
 * kept for a copy can get (0 for a job without copies).
 */
export function defaultHorizon(engine: EngineId, policy: PolicyModel, interval: number, baseReach = 0): number {
  const reach = Math.max(retentionReach(engine, policy, interval), baseReach);
  if (reach === Infinity) {
    // Forever: a year, or 10% past the longest finite age if that is longer.
    const finite = retentionReach(engine, { ...policy, tiers: (policy.tiers ?? []).filter((t) => isSet(t?.until)), keep: finiteKeep(policy) }, interval);
    return Math.max(YEAR, Math.ceil(finite * 1.1));
  }
  if (reach <= 0) return YEAR;
  return Math.ceil(reach * 1.1);
}

function finiteKeep(policy: PolicyModel): PolicyModel['keep'] {
  const keep = keepOf(policy);
  if (!keep) return undefined;
  const out: Record<string, unknown> = { ...keep };
  for (const rule of COUNT_RULES) if (countOf(keep[rule]) < 0) delete out[rule];
  return out as PolicyModel['keep'];
}

/** The typical gap between fires: the median gap over the first fires after `from`. */
export function typicalInterval(schedule: Schedule, from: number): number {
  const runs = schedule.nextRuns(from, 50);
  if (runs.length < 2) return MS.DAY;
  const gaps = runs.slice(1).map((t, i) => t - runs[i]).sort((a, b) => a - b);
  return gaps[Math.floor(gaps.length / 2)];
}

/**
 * Within one simulatePlan call: the fires of each schedule by period. A source and its copies are
 * each asked for again by every job of the group (read only). The schedules themselves are the
 * resolved jobs' (plan/resolve-job.ts: one parse per expression and zone).
 */
let planMemo: { fires: WeakMap<Schedule, Map<string, number[]>>; jobs: Map<JobModel, ResolvedJob> } | undefined;

/** The job resolved, once per simulation trip (resolveJob's cache checks what it read each time). */
function resolvedJob(plan: PlanModel, job: JobModel): ResolvedJob {
  const memo = planMemo?.jobs;
  let r = memo?.get(job);
  if (r === undefined) {
    r = resolveJob(plan, job);
    memo?.set(job, r);
  }
  return r;
}

/** Runs fn as one trip: schedules expanded and jobs resolved once within it (nested trips share the outer one). */
function trip<T>(fn: () => T): T {
  if (planMemo) return fn();
  planMemo = { fires: new WeakMap(), jobs: new Map() };
  try {
    return fn();
  } finally {
    planMemo = undefined;
  }
}

function firesBetween(schedule: Schedule, from: number, at: number, what: string): number[] {
  const memo = planMemo?.fires;
  let byPeriod = memo?.get(schedule);
  const hit = byPeriod?.get(`${from}\0${at}`);
  if (hit) return hit;
  const out = expandFires(schedule, from, at, what);
  if (memo) {
    if (!byPeriod) memo.set(schedule, (byPeriod = new Map()));
    byPeriod.set(`${from}\0${at}`, out);
  }
  return out;
}

function expandFires(schedule: Schedule, from: number, at: number, what: string): number[] {
  const out: number[] = [];
  let overflow = false;
  // forEachFire gives from < t ≤ to: start one millisecond early so that a fire at `from` counts.
  schedule.forEachFire(from - 1, at, (t) => {
    if (out.length >= MAX_SIMULATED_FIRES) {
      overflow = true;
      return false;
    }
    out.push(t);
  });
  if (overflow) {
    throw new SimulationError(`the ${what} fires more than ${MAX_SIMULATED_FIRES.toLocaleString('en-US')} times in this period: simulate a shorter horizon`);
  }
  return out;
}

/** A resolved schedule, or the error that it cannot be read. */
function readable(r: ScheduleResult, expr: string, what: string): Schedule {
  if (!r.ok) throw new SimulationError(`the ${what} \`${expr}\` cannot be read: ${r.message}`);
  return r.schedule;
}

/** The job's prune_schedule, parsed in its zone; undefined when it has none. */
function pruneScheduleOf(plan: PlanModel, job: JobModel, what: string): Schedule | undefined {
  const r = resolvedJob(plan, job).pruneSchedule;
  return r && job.prune_schedule ? readable(r, job.prune_schedule, what) : undefined;
}

/**
 * The job's run schedule: its effective schedule, parsed in its owner's zone; `what` names it
 * in errors (`schedule`, `schedule of \`X\``). Throws SimulationError when there is none.
 */
function runSchedule(plan: PlanModel, job: JobModel, what = 'schedule'): { schedule: Schedule; expr: string; owner?: string } {
  const resolved = resolvedJob(plan, job);
  const eff = resolved.effective;
  if (!eff.ok) throw new SimulationError(eff.reason);
  const owner = eff.via ? eff.owner.name : undefined;
  const label = owner !== undefined ? `schedule of \`${owner}\` (which ${what === 'schedule' ? 'it' : 'that job'} follows)` : what;
  const schedule = readable(resolved.schedule!, eff.expr, label);
  return { schedule, expr: eff.expr, ...(owner !== undefined ? { owner } : {}) };
}

/** Runs fn, prefixing the message of any failure with the job's name. */
function forJob<T>(jobName: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    throw new SimulationError(message.startsWith('job `') ? message : `job \`${jobName}\`: ${message}`);
  }
}

/** Why a job cannot be simulated, or undefined when it can. */
export function whyNotSimulated(plan: PlanModel, job: JobModel): string | undefined {
  if (!job.enabled) return 'disabled';
  const resolved = resolvedJob(plan, job);
  if (!resolved.effective.ok) return resolved.effective.reason;
  if (job.retention === undefined) return 'no retention';
  if (!resolved.policy) return `unknown policy \`${String(job.retention)}\``;
  return undefined;
}

/** Simulate one job (see the module header for the defaults). Throws SimulationError. */
export function simulateJob(plan: PlanModel, jobName: string, opts: SimulateJobOptions = {}): SimulatedJob {
  return trip(() => simulateJobWith(plan, jobName, opts, undefined));
}

/**
 * The replays of a source with its copies done so far in one simulatePlan call, by source,
 * period and strategy: a source and each of its copies replay the same history, so it is done
 * once. The copies' order only changes the order of the source's base reasons, so a source reuses
 * a replay made with its copies in its own order, a copy any replay of the same copies.
 */
type Replays = Map<string, { copies: string[]; result: ReplicationResult }>;

function replayed(
  input: ReplicationInput,
  label: string | undefined,
  replays: Replays | undefined,
  asSource: boolean,
): ReplicationResult {
  const names = input.copies.map((c) => c.name);
  const key = `${input.sourceName}\0${input.from}\0${input.at}\0${input.strategy ?? ''}`;
  const hit = replays?.get(key);
  if (hit && hit.copies.length === names.length) {
    if (asSource ? hit.copies.every((n, i) => n === names[i]) : names.every((n) => hit.copies.includes(n))) {
      if (asSource) return hit.result;
      // Reorder the copies as asked (the source's own result is not read on this path).
      return { source: hit.result.source, copies: names.map((n) => hit.result.copies[hit.copies.indexOf(n)]) };
    }
  }
  const result = label === undefined ? simulateReplication(input) : simulateReplication(input, label);
  replays?.set(key, { copies: names, result });
  return result;
}

function simulateJobWith(
  plan: PlanModel,
  jobName: string,
  opts: SimulateJobOptions,
  replays: Replays | undefined,
): SimulatedJob {
  const job = plan.jobs.get(jobName);
  if (!job) throw new SimulationError(`there is no job \`${jobName}\``);
  return forJob(jobName, () => {
    const why = whyNotSimulated(plan, job);
    if (why !== undefined && why !== 'disabled') throw new SimulationError(`job \`${jobName}\` cannot be simulated: ${why}`);
    const resolved = resolvedJob(plan, job);
    const policy = resolved.policy!;
    const zone = resolved.zone;
    const engine = resolved.engine;
    const runs = runSchedule(plan, job);
    const schedule = runs.schedule;
    const pruneSchedule = pruneScheduleOf(plan, job, 'prune_schedule');

    const from = opts.from ?? opts.now ?? Date.now();
    let at = opts.at;
    if (at === undefined) {
      if (opts.horizon !== undefined) {
        const h = typeof opts.horizon === 'string' ? parseDuration(opts.horizon) : { ok: true as const, value: opts.horizon };
        if (!h.ok) throw new SimulationError(`the horizon \`${String(opts.horizon)}\` is not a duration: ${h.message}`);
        at = addDuration(from, h.value, zone);
      } else {
        at = from + defaultHorizon(engine.id, policy, typicalInterval(schedule, from), baseReach(plan, job, from));
      }
    }
    if (!(at >= from)) throw new SimulationError('the target date is before the start date');

    const fires = firesBetween(schedule, from, at, 'schedule');
    const pruneAt = pruneSchedule ? firesBetween(pruneSchedule, from, at, 'prune_schedule') : undefined;
    const mode = copyMode(job);
    // sanoid keeps no replication base: its source is replayed alone, its sends with it (sanoid-send.ts).
    if (mode === 'send' && sanoidSource(plan, job)) return sanoidReplicaEntry(plan, job, runs, policy, from, at, fires);
    if (!mode && engine.id === 'sanoid') return sanoidEntry(job, runs, policy, zone, from, at, fires);
    const copies = mode ? [] : replicasOf(plan, job);
    // A btrbk pair (pruner: btrbk on a btrfs-snapshot and its btrfs-send): both replayed by btrbk's rules.
    const btrbk = simulateBtrbkPair(plan, job, from, at);
    if (btrbk) return jobEntry(job, runs, engine.id, policy, zone, from, at, btrbk);
    let result: SimulateResult;
    if (mode) {
      result = simulateCopyJob(plan, job, from, at, opts.strategy, replays);
    } else if (copies.length > 0) {
      const own: CopySide = { fires, pruneAt, engine, policy, timezone: zone };
      result = replayed(
        { source: own, sourceName: job.name, copies: copies.map((c) => replicaSide(plan, c, zone, from, at)), from, at, strategy: opts.strategy },
        `job \`${job.name}\``,
        replays,
        true,
      ).source;
    } else if (engine.id === 'duplicity') {
      // Each run's set type, from the run times and full_every (duplicity-chains.ts).
      const types = runTypes(fires, fullEveryMs(job));
      const typeAt = new Map(fires.map((t, i) => [t, types[i]]));
      const typed = typedEngine(engine, typeAt);
      result = simulate({ fires, engine: typed, policy, timezone: zone, pruneAt, from, at, strategy: opts.strategy });
      const entry = jobEntry(job, runs, engine.id, policy, zone, from, at, result);
      const held = result.snapshots.map((s) => typeAt.get(s.time) ?? 'incremental');
      entry.snapshots.forEach((s, i) => (s.type = held[i]));
      entry.duplicity = chainSummary(job, undefined, held);
      return entry;
    } else {
      result = simulate({ fires, engine, policy, timezone: zone, pruneAt, from, at, strategy: opts.strategy });
    }
    return jobEntry(job, runs, engine.id, policy, zone, from, at, result);
  });
}

/**
 * The copy jobs that keep a replication base on `source`'s snapshots, in plan order: the enabled
 * jobs of a copying kind (kinds.ts) with `from: source` and a schedule (their own, or the
 * source's when they follow it), as its prune lists them
 * (the drivers' `protectBaseOf`; a disabled or unscheduled copy never receives anything, so it
 * shares no snapshot). incus-copy with `refresh: false` is left out: its standby instance has
 * no snapshots to share.
 */
export function replicasOf(plan: PlanModel, source: JobModel): JobModel[] {
  return (copiersOf(plan.jobs).get(source.name) ?? []).filter(
    (j) => j.name !== source.name && j.enabled && resolvedJob(plan, j).effective.ok && !(j.kind === 'incus-copy' && j.raw.refresh === false),
  );
}

/** The jobs of a copying kind by the name in their `from`, in plan order: once per jobs map (never changed once built). */
const copiers = new WeakMap<PlanModel['jobs'], Map<string, JobModel[]>>();

function copiersOf(jobs: PlanModel['jobs']): Map<string, JobModel[]> {
  let index = copiers.get(jobs);
  if (index) return index;
  index = new Map();
  for (const j of jobs.values()) {
    if (typeof j.from !== 'string' || kindInfo(j.kind)?.copiesFrom !== true) continue;
    const list = index.get(j.from);
    if (list) list.push(j);
    else index.set(j.from, [j]);
  }
  copiers.set(jobs, index);
  return index;
}

/**
 * The other jobs whose runs the simulation of `job` replays: a copy's source and the source's
 * other copies; a source's copies. Empty for a job that is neither.
 */
export function replayedWith(plan: PlanModel, job: JobModel): JobModel[] {
  const src = job.from !== undefined && kindInfo(job.kind)?.copiesFrom ? plan.jobs.get(job.from) : undefined;
  if (src) return [src, ...replicasOf(plan, src).filter((c) => c !== job)];
  return replicasOf(plan, job);
}

/**
 * How old a replication base that `job` keeps for its copies can get: the typical interval of
 * its slowest copy plus its own (0 without copies, or when a schedule cannot be read).
 */
export function baseReach(plan: PlanModel, job: JobModel, from: number): number {
  const own = resolvedJob(plan, job).schedule;
  if (!own?.ok) return 0;
  let slowest = 0;
  for (const c of replicasOf(plan, job)) {
    const r = resolvedJob(plan, c).schedule;
    if (r?.ok) slowest = Math.max(slowest, typicalInterval(r.schedule, from));
  }
  return slowest > 0 ? slowest + typicalInterval(own.schedule, from) : 0;
}

/**
 * How a copy job replicates its source (copy-job.ts), or undefined for a job that makes its own
 * snapshots. incus-copy with `refresh: false` is refused: it copies one snapshot, once, into a new
 * instance that holds no snapshots, so there is no history to project.
 */
function copyMode(job: JobModel): CopyMode | undefined {
  if (job.from === undefined || !kindInfo(job.kind)?.copiesFrom) return undefined;
  if (job.kind !== 'incus-copy') return 'send';
  if (job.raw.refresh === false) {
    throw new SimulationError('`refresh: false` copies the newest snapshot once, into a new instance without snapshots: there is no snapshot history to simulate');
  }
  return 'mirror';
}

/** The copy's history, derived from its source job's, replayed with the source's other copies. */
function simulateCopyJob(
  plan: PlanModel,
  job: JobModel,
  from: number,
  at: number,
  strategy: SimulateJobOptions['strategy'],
  replays: Replays | undefined,
): SimulateResult {
  const src = plan.jobs.get(job.from!);
  if (!src) throw new SimulationError(`its source \`${job.from}\` is not a job of this plan`);
  const why = whyNotSimulated(plan, src);
  if (why !== undefined && why !== 'no retention') {
    throw new SimulationError(`its source \`${src.name}\` cannot be simulated (${why}), so neither can its copies`);
  }
  const resolvedSrc = resolvedJob(plan, src);
  const srcZone = resolvedSrc.zone;
  const srcPolicy = resolvedSrc.policy;
  const srcSchedule = runSchedule(plan, src, `schedule of \`${src.name}\``).schedule;
  const srcPrune = pruneScheduleOf(plan, src, `prune_schedule of \`${src.name}\``);
  // This copy, even when disabled (it is the one asked for), and every other copy of the source.
  const others = replicasOf(plan, src).filter((c) => c !== job);
  const copies = [job, ...others].map((c) => replicaSide(plan, c, srcZone, from, at));
  const input: ReplicationInput = {
    source: {
      fires: firesBetween(srcSchedule, from, at, `schedule of \`${src.name}\``),
      pruneAt: srcPrune ? firesBetween(srcPrune, from, at, `prune_schedule of \`${src.name}\``) : undefined,
      engine: resolvedSrc.engine,
      policy: srcPolicy,
      timezone: srcZone,
    },
    sourceName: src.name,
    copies,
    from,
    at,
    strategy,
  };
  return replayed(input, undefined, replays, false).copies[0];
}

/**
 * A copy job as its source's replay sees it: its runs and prunes in its own zone, its policy
 * (none: never pruned) evaluated in the source host's zone (`srcZone`) as the drivers do.
 */
function replicaSide(plan: PlanModel, copy: JobModel, srcZone: string, from: number, at: number): ReplicaSide {
  return forCopy(copy, () => {
    const mode = copyMode(copy)!;
    const resolved = resolvedJob(plan, copy);
    if (copy.retention !== undefined && !resolved.policy) throw new SimulationError(`unknown policy \`${String(copy.retention)}\``);
    const policy = resolved.policy;
    const schedule = runSchedule(plan, copy).schedule;
    const pruneSchedule = pruneScheduleOf(plan, copy, 'prune_schedule');
    // incus-copy prunes only for a policy with keep or tiers (an expiry alone is not applied on
    // the standby).
    const neverPruned = !policy || (copy.kind === 'incus-copy' && policy.keep === undefined && policy.tiers === undefined);
    return {
      name: copy.name,
      mode,
      fires: firesBetween(schedule, from, at, 'schedule'),
      pruneAt: neverPruned ? [] : pruneSchedule ? firesBetween(pruneSchedule, from, at, 'prune_schedule') : undefined,
      engine: resolved.engine,
      policy,
      timezone: srcZone,
    };
  });
}

/** Runs fn, naming the copy in any failure (a source's simulation replays its copies too). */
function forCopy<T>(copy: JobModel, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (!(e instanceof SimulationError)) throw e;
    throw new SimulationError(`its copy \`${copy.name}\`: ${e.message}`);
  }
}

/** The source of a zfs-send job when it is a `pruner: sanoid` zfs-snapshot job. */
function sanoidSource(plan: PlanModel, job: JobModel): JobModel | undefined {
  const src = job.kind === 'zfs-send' && job.from !== undefined ? plan.jobs.get(job.from) : undefined;
  return src && resolvedJob(plan, src).engine.id === 'sanoid' ? src : undefined;
}

/** A simulated entry from what sanoid holds (`held`, oldest first) and its replay's figures. */
function sanoidResult(
  held: readonly SanoidSnapshot[],
  r: Omit<SanoidReplay, 'held'>,
  prunes: number,
  lastRun: number | undefined,
): SimulateResult {
  const newestFirst = held.slice().reverse();
  return {
    snapshots: newestFirst.map((h) => ({ time: h.time, reasons: [`sanoid ${h.type}`] })),
    stats: {
      created: r.created,
      removed: r.removed,
      expired: 0,
      count: held.length,
      minCount: r.counts.reduce((a, b) => Math.min(a, b), r.counts[0] ?? 0),
      maxCount: r.counts.reduce((a, b) => Math.max(a, b), 0),
      oldest: held.length ? held[0].time : null,
      newest: held.length ? held[held.length - 1].time : null,
      worstGap: r.worstGap,
      prunes,
    },
    min: 0,
    lastPrune: lastRun === undefined ? null : Math.floor(lastRun / 1000) * 1000,
    strategy: 'generic',
  };
}

/**
 * A `pruner: sanoid` job: sanoid runs at each fire, takes the types due and prunes by its own
 * rules (retention/sanoid.ts); `min` does not apply (sanoid has none), nor does prune_schedule.
 */
function sanoidEntry(
  job: JobModel,
  runs: { expr: string; owner?: string },
  policy: PolicyModel,
  zone: string,
  from: number,
  at: number,
  fires: readonly number[],
): SimulatedJob {
  const r = replaySanoid(fires.filter((t) => t >= from), policy, zone, at);
  const lastRun = fires.filter((t) => t >= from && t <= at).pop();
  const result = sanoidResult(r.held, r, r.counts.length, lastRun);
  const entry = jobEntry(job, runs, 'sanoid', policy, zone, from, at, result);
  const names = r.held.slice().reverse();
  entry.snapshots.forEach((s, i) => (s.name = names[i].name));
  return entry;
}

/**
 * A zfs-send job from a `pruner: sanoid` source: it must be `pruner: sanoid` too (sanoid prunes
 * the target by type); replayed with its source (sanoid-send.ts), times in the source's zone.
 */
function sanoidReplicaEntry(
  plan: PlanModel,
  job: JobModel,
  runs: { expr: string; owner?: string },
  policy: PolicyModel,
  from: number,
  at: number,
  fires: readonly number[],
): SimulatedJob {
  const src = sanoidSource(plan, job)!;
  if (resolvedJob(plan, job).engine.id !== 'sanoid') {
    throw new SimulationError(
      `its source \`${src.name}\` is pruned by sanoid (typed autosnap_* snapshots): add \`pruner: sanoid\` to this job`,
    );
  }
  const resolvedSrc = resolvedJob(plan, src);
  const srcPolicy = resolvedSrc.policy;
  if (!srcPolicy) throw new SimulationError(`its source \`${src.name}\` has no retention`);
  const srcZone = resolvedSrc.zone;
  const srcFires = firesBetween(runSchedule(plan, src, `schedule of \`${src.name}\``).schedule, from, at, 'schedule');
  const sends = fires.filter((t) => t >= from);
  const input = { sourceRuns: srcFires, sendRuns: sends, source: srcPolicy, target: policy, zone: srcZone, at };
  const r = replaySanoidSend(input);
  const lastRun = sends.filter((t) => t <= at).pop();
  const result = sanoidResult(r.target, r.stats, r.stats.prunes, lastRun);
  const entry = jobEntry(job, runs, 'sanoid', policy, resolvedJob(plan, job).zone, from, at, result);
  const names = r.target.slice().reverse();
  entry.snapshots.forEach((s, i) => (s.name = names[i].name));
  return entry;
}

function jobEntry(
  job: JobModel,
  runs: { expr: string; owner?: string },
  engine: EngineId,
  policy: PolicyModel,
  zone: string,
  from: number,
  at: number,
  r: SimulateResult,
): SimulatedJob {
  const iso = (t: number): string => formatLocal(t, zone);
  const g = r.stats.worstGap;
  const snapshots = r.snapshots.map((s) => ({ time: iso(s.time), reasons: s.reasons }));
  const entry: SimulatedJob = {
    job: job.name,
    engine,
    timezone: zone,
    schedule: runs.expr,
    ...(runs.owner !== undefined ? { scheduleOf: runs.owner } : {}),
    from: iso(from),
    at: iso(at),
    min: r.min,
    snapshots,
    stats: {
      created: r.stats.created,
      removed: r.stats.removed,
      expired: r.stats.expired,
      count: r.stats.count,
      minCount: r.stats.minCount,
      maxCount: r.stats.maxCount,
      oldest: r.stats.oldest === null ? null : iso(r.stats.oldest),
      newest: r.stats.newest === null ? null : iso(r.stats.newest),
      worstGap: g === null ? null : { ms: g.ms, human: formatSpan(g.ms), from: iso(g.from), to: iso(g.to), live: g.live },
      prunes: r.stats.prunes,
    },
    rules: rulesWithCounts(engine, policy, r.snapshots),
  };
  if (job.prune_schedule) entry.pruneSchedule = job.prune_schedule;
  return entry;
}

export interface SimulatePlanOptions extends SimulateJobOptions {
  /** Only this job (an error when it cannot be simulated). */
  job?: string;
}

/** One job's outcome in a plan's simulation: its entry, or why it was left out. */
export type PlanEntry = { job: string; result: SimulatedJob; skipped?: undefined } | { job: string; skipped: string };

/**
 * The outcomes of the jobs `names`, in that order, within one trip (schedules expanded once, a
 * source's replay with its copies shared by the jobs of its group). Jobs simulated together must
 * be given together (fleet-groups.ts): the result of a job then does not depend on what else is
 * simulated in the same call. `opts` must fix `from` (or `now`).
 */
export function simulateJobs(plan: PlanModel, names: readonly string[], opts: SimulateJobOptions): PlanEntry[] {
  const replays: Replays = new Map();
  const out: PlanEntry[] = [];
  trip(() => {
    for (const name of names) {
      const job = plan.jobs.get(name);
      const why = job ? whyNotSimulated(plan, job) : `there is no job \`${name}\``;
      if (why !== undefined) {
        out.push({ job: name, skipped: why });
        continue;
      }
      try {
        out.push({ job: name, result: simulateJobWith(plan, name, opts, replays) });
      } catch (e) {
        if (!(e instanceof SimulationError)) throw e;
        out.push({ job: name, skipped: e.message });
      }
    }
  });
  return out;
}

/** The outcomes as simulatePlan gives them: entries and skipped jobs, each in plan order. */
export function planOf(entries: Iterable<PlanEntry>): SimulatedPlan {
  const out: SimulatedPlan = { jobs: [], skipped: [] };
  for (const e of entries) {
    if (e.skipped !== undefined) out.skipped.push({ job: e.job, reason: e.skipped });
    else out.jobs.push(e.result);
  }
  return out;
}

/** The options every job of one simulatePlan call shares: one `now`, hence one default `from`. */
export function planOptions(opts: SimulatePlanOptions): SimulateJobOptions {
  const now = opts.now ?? Date.now();
  return { ...opts, now, from: opts.from ?? now };
}

/** Every enabled job with a schedule and a retention (or only `opts.job`). */
export function simulatePlan(plan: PlanModel, opts: SimulatePlanOptions = {}): SimulatedPlan {
  const common = planOptions(opts);
  if (opts.job !== undefined) return { jobs: [simulateJob(plan, opts.job, common)], skipped: [] };
  return planOf(simulateJobs(plan, [...plan.jobs.keys()], common));
}
