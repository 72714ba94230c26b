// A plan's jobs in the groups that can be simulated apart (for worker threads, cli/simulate-threads.ts):
// a job that names another in `from` (a copy replayed with its source, a btrbk or sanoid pair, a
// job that follows another's schedule) is in that job's group, transitively. Within a group the
// jobs keep their plan order; each group carries a weight, about the runs its jobs make per day,
// so that the largest groups can be handed out first.
import type { PlanModel } from '../plan/model';
import { resolveJob } from '../plan/resolve-job';
import { MS } from '../time/duration';
import { typicalInterval } from './simulate-job';

export interface JobGroup {
  /** Job names, in plan order. */
  names: string[];
  /** About how many runs its jobs make per day (at least 1 per job). */
  weight: number;
}

/** The groups in the plan order of their first job (see the header). */
export function simulationGroups(plan: PlanModel, from: number): JobGroup[] {
  const names = [...plan.jobs.keys()];
  const parent = new Map<string, string>(names.map((n) => [n, n]));
  const root = (n: string): string => {
    let r = n;
    while (parent.get(r) !== r) r = parent.get(r)!;
    for (let x = n; x !== r; ) {
      const next = parent.get(x)!;
      parent.set(x, r);
      x = next;
    }
    return r;
  };
  for (const job of plan.jobs.values()) {
    if (typeof job.from === 'string' && parent.has(job.from)) parent.set(root(job.name), root(job.from));
  }
  const byRoot = new Map<string, JobGroup>();
  for (const name of names) {
    const r = root(name);
    let g = byRoot.get(r);
    if (!g) byRoot.set(r, (g = { names: [], weight: 0 }));
    g.names.push(name);
    g.weight += runsPerDay(plan, name, from);
  }
  return [...byRoot.values()];
}

function runsPerDay(plan: PlanModel, name: string, from: number): number {
  const job = plan.jobs.get(name)!;
  if (!job.enabled) return 1;
  const s = resolveJob(plan, job).schedule;
  if (!s?.ok) return 1;
  return Math.max(1, MS.DAY / Math.max(MS.MINUTE, typicalInterval(s.schedule, from)));
}
