// When a job runs on its own (README "The plan format", `schedule` and `from`): its own
// `schedule`; else, for a job with `from: X`, X's effective schedule, transitively along a chain
// of copies without a schedule of their own. Such a job *follows* X: `backplan run --job X` runs
// it after X, every time (so X's exported timer runs it too), and the simulation and the checks
// give it X's fires. The fires are the owner's: its expression in the owner's zone (a follower on
// a host in another zone still runs when X runs). `after` never lends a schedule: it only orders
// jobs that run anyway.
//
// A chain through a disabled job, a `from` that names no job and a `from` cycle end with no
// schedule: nothing starts the job but a run by hand. The job itself may be disabled (its
// effective schedule is still what it would follow; the callers skip disabled jobs).
import type { JobModel, PlanModel, YamlPath } from './model';
import { jobZone } from './build-model';

export type EffectiveSchedule =
  | {
      ok: true;
      /** The cron expression (as written; it may be invalid: cron-invalid says so). */
      expr: string;
      /** The zone it is evaluated in: the owner's. */
      zone: string;
      /** The job whose `schedule` it is: the job itself, or the first job up the `from` chain with one. */
      owner: JobModel;
      /** Set when inherited: the jobs it follows, its `from` first, up to the owner. */
      via?: string[];
      /** YAML path of the expression (the owner's `schedule`). */
      path: YamlPath;
    }
  | {
      ok: false;
      /** Why nothing schedules the job, as a sentence end: `no schedule: runs only when started by hand`. */
      reason: string;
    };

/** Whether the job has a `schedule` of its own (valid or not): then it never follows another job. */
export function hasOwnSchedule(job: JobModel): boolean {
  return job.schedule !== undefined || (job.raw !== undefined && job.raw.schedule !== undefined && job.raw.schedule !== null);
}

/** The job's effective schedule and where it comes from (see the module header). */
export function effectiveSchedule(plan: PlanModel, job: JobModel): EffectiveSchedule {
  const via: string[] = [];
  const seen = new Set<string>([job.name]);
  let cur = job;
  for (;;) {
    if (hasOwnSchedule(cur)) {
      if (typeof cur.schedule !== 'string') return { ok: false, reason: `the schedule of \`${cur.name}\` is not a cron expression` };
      return {
        ok: true,
        expr: cur.schedule,
        zone: jobZone(plan, cur),
        owner: cur,
        ...(via.length ? { via } : {}),
        path: [...cur.at, 'schedule'],
      };
    }
    if (typeof cur.from !== 'string') {
      return { ok: false, reason: via.length ? `no schedule: it follows \`${via[via.length - 1]}\`, which runs only when started by hand` : 'no schedule: runs only when started by hand' };
    }
    const next = plan.jobs.get(cur.from);
    if (!next) return { ok: false, reason: `no schedule, and \`from: ${cur.from}\` names no job of this plan` };
    if (seen.has(next.name)) return { ok: false, reason: `no schedule: \`from\` goes round in a cycle (${[job.name, ...via, next.name].join(' → ')})` };
    if (next.enabled === false) return { ok: false, reason: `no schedule: it follows \`${next.name}\`, which is disabled` };
    seen.add(next.name);
    via.push(next.name);
    cur = next;
  }
}

/**
 * The enabled jobs that follow `name` (they have no schedule of their own and reach it through
 * `from`, through enabled jobs only), transitively, in plan order: what `backplan run --job NAME`
 * runs after it.
 */
export function followersOf(plan: PlanModel, name: string): string[] {
  const reached = new Set<string>([name]);
  const out: string[] = [];
  for (let grew = true; grew; ) {
    grew = false;
    for (const j of plan.jobs.values()) {
      if (reached.has(j.name) || j.enabled === false || hasOwnSchedule(j)) continue;
      if (typeof j.from === 'string' && reached.has(j.from)) {
        reached.add(j.name);
        grew = true;
      }
    }
  }
  for (const j of plan.jobs.keys()) if (j !== name && reached.has(j)) out.push(j);
  return out;
}
