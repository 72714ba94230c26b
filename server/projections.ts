// Retention projections for hovers and inlay hints: the engine's simulateJob, bounded so that an
// editor request stays fast, and cached by what the projection depends on (the job's kind,
// schedules, zone, policy, and the start hour) rather than by document version, so that an edit
// elsewhere in the plan re-simulates nothing.
//
// Bounds: a projection simulates at most `maxFires` runs of the schedule from the start of the
// current hour. When the job's default horizon (engine/simulate/simulate-job.ts: the longest age
// the policy keeps + 10%, or a year) needs more runs, the window is cut to `maxFires` runs and
// the projection says so (`capped`); the window is also cut at `maxFires` runs of every job the
// simulation replays with this one (a copy's source and the source's other copies, a source's
// copies: engine/simulate/copy-job.ts). Hovers that find nothing cached simulate a small window at
// once and queue the full one; inlay hints compute within a time budget and queue the rest
// (see Projector.queue); the server asks the client to refresh when the queue is done.
import { jobPolicy, jobZone } from '../engine/plan/build-model';
import type { JobModel, PlanModel, PolicyModel } from '../engine/plan/model';
import { engineIdFor } from '../engine/retention/index';
import { baseReach, defaultHorizon, replayedWith, simulateJob, whyNotSimulated, type SimulatedJob } from '../engine/simulate/simulate-job';
import { rowsOfReasons } from '../engine/simulate/rules';
import { MS } from '../engine/time/duration';
import type { ScheduleResult } from '../engine/time/schedule';
import { resolveJob } from '../engine/plan/resolve-job';
import { effectiveSchedule } from '../engine/plan/effective-schedule';

/** A job's effective schedule (its own, or the one of the job it follows), parsed; undefined without one. */
function runSchedule(plan: PlanModel, job: JobModel): ScheduleResult | undefined {
  return resolveJob(plan, job).schedule; // parsed once per job entry, shared with the simulation
}

/** Runs simulated by the projections of inlay hints and complete hovers. */
export const FULL_FIRES = 1500;
/** Runs simulated by a hover that found nothing cached (answers in well under 50 ms). */
export const QUICK_FIRES = 120;

export interface Projection {
  job: string;
  /** Why there is no projection (no schedule, no retention, an error of the plan ...). */
  error?: string;
  result?: SimulatedJob;
  /** Set when the window was cut: `fires` runs simulated instead of about `wanted`. */
  capped?: { fires: number; wanted: number; horizonMs: number; simulatedMs: number };
  /** Time the simulation took. */
  ms: number;
  maxFires: number;
}

export interface RuleProjection {
  id: string;
  label: string;
  count: number;
  /** Age at the horizon of the oldest snapshot this rule keeps (ms), undefined when it keeps none. */
  oldestAge?: number;
}

const hourFloor = (t: number): number => Math.floor(t / MS.HOUR) * MS.HOUR;

function policyShape(p: PolicyModel | undefined): unknown {
  if (!p) return null;
  return { keep: p.keep ?? null, tiers: p.tiers ?? null, expiry: p.expiry ?? null, min: p.min ?? null };
}

/** What a projection of `jobName` depends on, as a string; undefined when the job does not exist. */
export function projectionKey(plan: PlanModel, jobName: string, from: number, maxFires: number): string | undefined {
  const job = plan.jobs.get(jobName);
  if (!job) return undefined;
  // A copy job's projection is derived from its source's history, and a source's keeps the bases
  // of its copies (engine/simulate/copy-job.ts): it depends on all of them.
  return JSON.stringify([
    ...jobShape(plan, job),
    job.from ?? null,
    replayedWith(plan, job).map((j) => [j.name, j.from ?? null, ...jobShape(plan, j)]),
    hourFloor(from),
    maxFires,
  ]);
}

function jobShape(plan: PlanModel, job: JobModel): unknown[] {
  return [
    job.kind,
    job.raw.refresh ?? null,
    ...(() => {
      const eff = effectiveSchedule(plan, job);
      return eff.ok ? [eff.expr, eff.zone] : [null, null];
    })(),
    job.prune_schedule ?? null,
    job.enabled,
    job.retention === undefined ? null : typeof job.retention === 'string' ? ['named', policyShape(jobPolicy(plan, job))] : policyShape(job.retention),
    jobZone(plan, job),
  ];
}

/** Simulate `jobName` from the start of the hour of `now`, at most `maxFires` runs. Never throws. */
export function project(plan: PlanModel, jobName: string, now: number, maxFires: number): Projection {
  const t0 = performance.now();
  const done = (p: Omit<Projection, 'ms' | 'maxFires'>): Projection => ({ ...p, ms: performance.now() - t0, maxFires });
  try {
    const job = plan.jobs.get(jobName);
    if (!job) return done({ job: jobName, error: `no job \`${jobName}\`` });
    const why = whyNotSimulated(plan, job);
    if (why !== undefined && why !== 'disabled') return done({ job: jobName, error: why });
    const parsed = runSchedule(plan, job);
    if (!parsed) return done({ job: jobName, error: 'no schedule' });
    if (!parsed.ok) return done({ job: jobName, error: `the schedule cannot be read: ${parsed.message}` });
    const from = hourFloor(now);
    const runs = parsed.schedule.nextRuns(from - 1, 50);
    if (runs.length === 0) return done({ job: jobName, error: 'the schedule never fires' });
    const gaps = runs.slice(1).map((t, i) => t - runs[i]).sort((a, b) => a - b);
    const interval = gaps.length > 0 ? Math.max(MS.MINUTE, gaps[Math.floor(gaps.length / 2)]) : MS.DAY;
    const policy = jobPolicy(plan, job)!;
    const horizon = defaultHorizon(engineIdFor(job.kind, policy, job.raw.pruner), policy, interval, baseReach(plan, job, from));
    const wanted = Math.ceil(horizon / interval);
    let at = from + horizon;
    let capped: Projection['capped'];
    if (wanted > maxFires) {
      // the time of the maxFires-th run (after the run at `from`, if any)
      const first = parsed.schedule.nextRuns(from - 1, maxFires);
      at = first.length > 0 ? first[first.length - 1] : from + maxFires * interval;
      capped = { fires: first.length, wanted, horizonMs: horizon, simulatedMs: at - from };
    }
    // The jobs replayed with this one (a copy's source and its other copies, a source's copies):
    // bound their runs as well.
    for (const other of replayedWith(plan, job)) {
      const otherParsed = runSchedule(plan, other);
      if (!otherParsed?.ok) continue;
      const otherRuns = otherParsed.schedule.nextRuns(from - 1, maxFires);
      if (otherRuns.length === maxFires && otherRuns[otherRuns.length - 1] < at) {
        at = otherRuns[otherRuns.length - 1];
        const own = parsed.schedule.nextRuns(from - 1, maxFires).filter((t) => t <= at).length;
        capped = { fires: own, wanted, horizonMs: horizon, simulatedMs: at - from };
      }
    }
    const result = simulateJob(plan, jobName, { from, at });
    return done({ job: jobName, result, ...(capped ? { capped } : {}) });
  } catch (e) {
    return done({ job: jobName, error: e instanceof Error ? e.message : String(e) });
  }
}

/** The projection's rules with the age of the oldest snapshot each keeps. */
export function ruleProjections(p: Projection): RuleProjection[] {
  const r = p.result;
  if (!r) return [];
  const at = Date.parse(r.at);
  const oldest = new Map<string, number>();
  for (const s of r.snapshots) {
    const t = Date.parse(s.time);
    for (const id of rowsOfReasons(s.reasons)) {
      const o = oldest.get(id);
      if (o === undefined || t < o) oldest.set(id, t);
    }
  }
  return r.rules.map((row) => {
    const o = oldest.get(row.id);
    return { id: row.id, label: row.label, count: row.count, ...(o !== undefined ? { oldestAge: at - o } : {}) };
  });
}

/** A coarse age: `45min`, `6h`, `15d`, `6mo`, `2y`. */
export function roughAge(ms: number): string {
  const m = Math.max(0, ms);
  if (m < MS.HOUR) return `${Math.round(m / MS.MINUTE)}min`;
  if (m < 2 * MS.DAY) return `${Math.round(m / MS.HOUR)}h`;
  if (m < 60 * MS.DAY) return `${Math.round(m / MS.DAY)}d`;
  const months = m / (30.436875 * MS.DAY);
  if (months < 23.5) return `${Math.round(months)}mo`;
  const years = m / (365.2425 * MS.DAY);
  return `${Number.isInteger(Math.round(years * 10) / 10) ? Math.round(years) : (Math.round(years * 10) / 10).toFixed(1)}y`;
}

/** A projection's one-line summary: `≈114 kept, oldest 6mo` (+ the window when capped). */
export function summaryLine(p: Projection): string | undefined {
  const r = p.result;
  if (!r) return undefined;
  const at = Date.parse(r.at);
  const oldest = r.stats.oldest ? `, oldest ${roughAge(at - Date.parse(r.stats.oldest))}` : '';
  const capped = p.capped ? ` (first ${p.capped.fires} runs)` : '';
  return `≈${r.stats.count} kept${oldest}${capped}`;
}

interface Entry {
  key: string;
  projection: Projection;
}

/** The projection cache (LRU by key) and the background queue. */
export class Projector {
  private readonly cache = new Map<string, Entry>();
  private readonly waiting = new Map<string, { plan: PlanModel; run: () => void }>();
  private scheduled = false;
  private readonly idleListeners: (() => void)[] = [];

  constructor(private readonly max = 2000) {}

  /** The cached projection, or undefined. */
  peek(plan: PlanModel, job: string, now: number, maxFires: number): Projection | undefined {
    const key = projectionKey(plan, job, now, maxFires);
    if (key === undefined) return undefined;
    const e = this.cache.get(key);
    if (e) {
      this.cache.delete(key);
      this.cache.set(key, e);
    }
    return e?.projection;
  }

  /** The projection, computed now when it is not cached. */
  get(plan: PlanModel, job: string, now: number, maxFires: number): Projection {
    const cached = this.peek(plan, job, now, maxFires);
    if (cached) return cached;
    const key = projectionKey(plan, job, now, maxFires);
    const projection = project(plan, job, now, maxFires);
    if (key !== undefined) this.store(key, projection);
    return projection;
  }

  private store(key: string, projection: Projection): void {
    this.cache.set(key, { key, projection });
    while (this.cache.size > this.max) this.cache.delete(this.cache.keys().next().value as string);
  }

  /** Compute this projection later, one job per turn of the event loop. */
  queue(plan: PlanModel, job: string, now: number, maxFires: number): void {
    const key = projectionKey(plan, job, now, maxFires);
    if (key === undefined || this.cache.has(key) || this.waiting.has(key)) return;
    this.waiting.set(key, {
      plan,
      run: () => {
        if (!this.cache.has(key)) this.store(key, project(plan, job, now, maxFires));
      },
    });
    this.schedule();
  }

  /**
   * Drop the queued work of a plan a newer edit replaced: what the new version still needs is
   * queued again by its own requests, and a stale simulation must not delay the next check.
   */
  dropQueued(plan: PlanModel): void {
    const before = this.waiting.size;
    for (const [key, w] of this.waiting) if (w.plan === plan) this.waiting.delete(key);
    if (before > 0 && this.waiting.size === 0) for (const l of this.idleListeners) l();
  }

  /** Called once each time the queue empties. */
  onIdle(listener: () => void): void {
    this.idleListeners.push(listener);
  }

  get pending(): number {
    return this.waiting.size;
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.step());
  }

  private step(): void {
    this.scheduled = false;
    const next = this.waiting.entries().next();
    if (next.done) return;
    const [key, w] = next.value;
    this.waiting.delete(key);
    try {
      w.run();
    } catch {
      // project() never throws; a failure here must not stop the queue
    }
    if (this.waiting.size > 0) this.schedule();
    else for (const l of this.idleListeners) l();
  }

  /** Drop queued work (shutdown). */
  clear(): void {
    this.waiting.clear();
  }
}
