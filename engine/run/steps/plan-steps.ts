// `backplan plan`: every step of every job, in dependency order (`from` and `after`), with the
// exact argv of each. Pure: nothing is run or read; live state, when the runner has it, comes
// in through `opts.state`. With `job: X`, X and the jobs that follow it (plan/effective-schedule:
// no schedule of their own, `from` X, transitively), as `backplan run --job X` runs them.
import { followersOf } from '../../plan/effective-schedule';
import type { JobModel, PlanModel } from '../../plan/model';
import { driverFor } from '../drivers/index';
import type { DriverContext, DriverResult, JobState, Produced } from './driver-kit';
import type { Step } from './step';

export interface PlanStepsOptions {
  /**
   * Only this job, and the enabled jobs that follow it through `from` without a schedule of
   * their own (they run after it, every time it runs); not jobs that have their own schedule,
   * nor jobs that only list it in `after`.
   */
  job?: string;
  /** With `job`: that job alone, without its followers (the runner's replanning of one job, prune, verify). */
  alone?: boolean;
  /** The run's clock (names and dates), epoch milliseconds. */
  now: number;
  runId?: string;
  state?: Record<string, JobState>;
  /** Names already present where jobs write their copies (DriverContext.taken). */
  taken?: Record<string, ReadonlySet<string>>;
}

export interface PlanStepsResult {
  steps: Step[];
  errors: { job: string; message: string }[];
  skipped: { job: string; reason: string }[];
  /** Jobs in the order their steps appear. */
  order: string[];
}

function depsOf(job: JobModel): string[] {
  const out: string[] = [];
  if (typeof job.from === 'string') out.push(job.from);
  for (const a of Array.isArray(job.after) ? job.after : []) if (typeof a === 'string' && !out.includes(a)) out.push(a);
  return out;
}

/**
 * Topological order of `names` (declaration order among equals). Jobs on a cycle, and jobs
 * that depend on one, are returned in `blocked` with the cycle spelled out.
 */
export function orderJobs(plan: PlanModel): { order: string[]; blocked: { job: string; message: string }[] } {
  const names = [...plan.jobs.keys()];
  const deps = new Map(names.map((n) => [n, depsOf(plan.jobs.get(n)!).filter((d) => plan.jobs.has(d))]));
  const state = new Map<string, 'visiting' | 'done' | 'blocked'>();
  const order: string[] = [];
  const blocked = new Map<string, string>();

  // Iterative depth-first search (a plan may chain thousands of jobs).
  for (const root of names) {
    if (state.has(root)) continue;
    const path: string[] = [root];
    const next: number[] = [0];
    state.set(root, 'visiting');
    while (path.length) {
      const n = path[path.length - 1];
      const ds = deps.get(n)!;
      const i = next[next.length - 1];
      if (i < ds.length) {
        next[next.length - 1] = i + 1;
        const d = ds[i];
        const s = state.get(d);
        if (s === undefined) {
          state.set(d, 'visiting');
          path.push(d);
          next.push(0);
        } else if (s === 'visiting') {
          const cycle = [...path.slice(path.indexOf(d)), d];
          for (const c of cycle) if (!blocked.has(c)) blocked.set(c, `dependency cycle: ${cycle.join(' → ')}`);
        } else if (s === 'blocked' && !blocked.has(n)) {
          blocked.set(n, `depends on \`${d}\`, which cannot be ordered (${blocked.get(d)})`);
        }
        continue;
      }
      path.pop();
      next.pop();
      if (!blocked.has(n)) {
        const bad = ds.find((d) => state.get(d) === 'blocked' || blocked.has(d));
        if (bad !== undefined)
          blocked.set(n, `depends on \`${bad}\`, which cannot be ordered (${blocked.get(bad) ?? 'dependency cycle'})`);
      }
      if (blocked.has(n)) state.set(n, 'blocked');
      else {
        state.set(n, 'done');
        order.push(n);
      }
    }
  }
  return { order, blocked: names.filter((n) => blocked.has(n)).map((job) => ({ job, message: blocked.get(job)! })) };
}

export type PlannedJob =
  | { outcome: 'planned'; result: DriverResult }
  | { outcome: 'unknown-kind'; message: string }
  /** The driver threw: a bug in Backplan, reported instead of crashing the command. */
  | { outcome: 'internal-error'; message: string };

/**
 * One job through its kind's driver, as `backplan plan` does it (also used by the
 * `job-not-runnable` check, with no live state). Never throws.
 */
export function planJob(job: JobModel, plan: PlanModel, ctx: DriverContext): PlannedJob {
  const driver = driverFor(job.kind);
  if (!driver) return { outcome: 'unknown-kind', message: `unknown kind \`${String(job.kind)}\`` };
  try {
    return { outcome: 'planned', result: driver(job, plan, ctx) };
  } catch (e) {
    return {
      outcome: 'internal-error',
      message: `internal error while planning: ${(e as Error)?.message ?? String(e)}`,
    };
  }
}

/**
 * A job with a `prune_schedule` is pruned on that schedule (`backplan prune`, which the exported
 * units start), not after each run (SPEC §3; the simulation prunes it there too). Returns how to
 * say so, or undefined when the job prunes after its runs.
 */
export function deferredPrune(job: JobModel): string | undefined {
  const p = job.prune_schedule;
  return typeof p === 'string' && p.trim() !== '' ? `pruned on its prune_schedule (${p})` : undefined;
}

export function planSteps(plan: PlanModel, opts: PlanStepsOptions): PlanStepsResult {
  const errors: PlanStepsResult['errors'] = [];
  const skipped: PlanStepsResult['skipped'] = [];
  const steps: Step[] = [];
  const order: string[] = [];

  if (opts.job !== undefined && !plan.jobs.has(opts.job)) {
    errors.push({ job: opts.job, message: `no job named \`${opts.job}\` in the plan` });
    return { steps, errors, skipped, order };
  }
  const only =
    opts.job === undefined ? undefined : new Set([opts.job, ...(opts.alone ? [] : followersOf(plan, opts.job))]);
  const selected = (name: string) => only === undefined || only.has(name);
  for (const job of plan.jobs.values()) {
    for (const d of depsOf(job)) {
      if (!plan.jobs.has(d) && selected(job.name)) {
        errors.push({
          job: job.name,
          message: `${d === job.from ? 'from' : 'after'} \`${d}\` is not a job of this plan`,
        });
      }
    }
  }
  const { order: sorted, blocked } = orderJobs(plan);
  for (const b of blocked) if (selected(b.job)) errors.push(b);

  const produced: Record<string, Produced> = {};
  /** Last non-prune step of each planned job: what its dependants wait for. */
  const done = new Map<string, string>();
  for (const name of sorted) {
    if (!selected(name)) continue;
    const job = plan.jobs.get(name)!;
    if (job.enabled === false) {
      skipped.push({ job: name, reason: 'disabled (enabled: false)' });
      continue;
    }
    const ctx = { now: opts.now, runId: opts.runId, state: opts.state, produced, taken: opts.taken };
    const planned = planJob(job, plan, ctx);
    if (planned.outcome !== 'planned') {
      errors.push({ job: name, message: planned.message });
      continue;
    }
    const result = planned.result;
    if (result.errors.length) {
      for (const message of result.errors) errors.push({ job: name, message });
      continue;
    }
    if (result.produced) produced[name] = result.produced;
    const waitFor = depsOf(job)
      .map((d) => done.get(d))
      .filter((id): id is string => id !== undefined);
    if (result.steps.length && waitFor.length) {
      const first = result.steps[0];
      first.after = [...new Set([...waitFor, ...first.after])];
    }
    const last = [...result.steps].reverse().find((s) => s.phase !== 'prune');
    if (last) done.set(name, last.id);
    const deferred = deferredPrune(job);
    if (deferred) {
      for (const s of result.steps) {
        if (s.phase === 'prune')
          s.notes = [...(s.notes ?? []), `${deferred}: \`backplan run\` leaves it to \`backplan prune\``];
      }
    }
    steps.push(...result.steps);
    order.push(name);
  }
  return { steps, errors, skipped, order };
}
