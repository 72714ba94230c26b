// What status needs of a plan (the JobInfo of each job: names, labels, rpo, schedule gap), kept
// in `<state>/status-plans.json` by plan path, so that `backplan status` called every minute by a
// monitoring system does not parse a large plan each time. An entry is used while the plan file
// has the same size and modification time and for at most an hour (rpo and schedule gaps are
// measured from `now`, over the year ahead). A cache: absent, corrupt or unwritable only means
// computing again. The state directory is never created for it.
import { readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { PlanModel } from '../../plan/model';
import { writeFileAtomic } from '../atomic-write';
import { jobInfos, type JobInfo } from './state';

const FILE = 'status-plans.json';
const VERSION = 1;
export const PLAN_CACHE_MS = 3600_000;

interface Entry {
  stamp: string;
  at: number;
  jobs: JobInfo[];
  monitoring?: unknown;
}

export interface CachedPlan {
  jobs: JobInfo[];
  monitoring?: unknown;
  /** True when the plan was parsed for this answer. */
  fresh: boolean;
}

function stampOf(planPath: string): string | undefined {
  try {
    const st = statSync(planPath);
    return `${st.size}:${st.mtimeMs}`;
  } catch {
    return undefined;
  }
}

/** The plan's JobInfos (and its `monitoring:`), from the cache when it is valid, else from `load()` (then cached). */
export function cachedPlan(stateDir: string, planPath: string, load: () => PlanModel, now: number): CachedPlan {
  const path = resolve(planPath);
  const stamp = stampOf(path);
  const file = join(resolve(stateDir), FILE);
  let all: Record<string, Entry> = {};
  try {
    const c = JSON.parse(readFileSync(file, 'utf8')) as { v: number; plans: Record<string, Entry> };
    if (c.v === VERSION && c.plans && typeof c.plans === 'object') all = c.plans;
  } catch {
    // no cache yet
  }
  const hit = all[path];
  if (stamp && hit && hit.stamp === stamp && now >= hit.at && now - hit.at < PLAN_CACHE_MS && Array.isArray(hit.jobs))
    return { jobs: hit.jobs, ...(hit.monitoring !== undefined ? { monitoring: hit.monitoring } : {}), fresh: false };
  const model = load();
  const jobs = jobInfos(model, now);
  if (stamp) {
    all[path] = { stamp, at: now, jobs, ...(model.monitoring !== undefined ? { monitoring: model.monitoring } : {}) };
    try {
      statSync(resolve(stateDir));
      writeFileAtomic(file, JSON.stringify({ v: VERSION, plans: all }), 0o600);
    } catch {
      // no state directory yet, or read-only: no cache
    }
  }
  return { jobs, ...(model.monitoring !== undefined ? { monitoring: model.monitoring } : {}), fresh: true };
}
