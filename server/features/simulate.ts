// `backplan/simulate`: the retention simulation of a job (or of the jobs using a policy, or of
// every job), as `backplan simulate --format json` gives it, each job with its timeline SVG.
// A policy that no job uses is simulated on a daily schedule at 00:00 in the plan's zone, pruned
// by Backplan's own engine (marked `synthetic`).
import { simulateJob, simulatePlan, type SimulatedJob } from '../../engine/simulate/simulate-job';
import { timelineSvg } from '../../engine/simulate/svg';
import type { JobModel, PlanModel } from '../../engine/plan/model';
import type { Analysis } from '../documents';
import type { SimulatedJobJson, SimulateParams, SimulateResult } from '../protocol';

function parseTime(iso: string | undefined, what: string): number | undefined {
  if (iso === undefined || iso === '') return undefined;
  const t = Date.parse(iso);
  if (Number.isNaN(t)) throw new Error(`\`${what}\` is not an ISO-8601 date: ${iso}`);
  return t;
}

function withSvg(j: SimulatedJob, synthetic = false): SimulatedJobJson {
  let svg = '';
  try {
    svg = timelineSvg(j);
  } catch (e) {
    svg = '';
  }
  return { ...j, svg, ...(synthetic ? { synthetic: true } : {}) };
}

export function simulate(a: Analysis, params: SimulateParams): SimulateResult {
  if (!a.result.model) return { jobs: [], skipped: [], error: 'the plan cannot be read: fix its YAML syntax first' };
  const plan = a.model;
  let from: number | undefined;
  let at: number | undefined;
  try {
    from = parseTime(params.from, 'from');
    at = parseTime(params.at, 'at');
  } catch (e) {
    return { jobs: [], skipped: [], error: (e as Error).message };
  }
  const opts = { now: a.now, from: from ?? a.now, ...(at !== undefined ? { at } : {}), ...(params.horizon ? { horizon: params.horizon } : {}) };
  const out: SimulateResult = { jobs: [], skipped: [] };
  const one = (p: PlanModel, name: string, synthetic = false) => {
    try {
      out.jobs.push(withSvg(simulateJob(p, name, opts), synthetic));
    } catch (e) {
      out.skipped.push({ job: name, reason: e instanceof Error ? e.message : String(e) });
    }
  };
  if (params.job !== undefined) {
    if (!plan.jobs.has(params.job)) return { jobs: [], skipped: [], error: `there is no job \`${params.job}\` in this plan` };
    one(plan, params.job);
    return out;
  }
  if (params.policy !== undefined) {
    const policy = plan.policies.get(params.policy);
    if (!policy) return { jobs: [], skipped: [], error: `there is no policy \`${params.policy}\` in this plan` };
    const users = [...plan.jobs.values()].filter((j) => j.retention === params.policy);
    if (users.length > 0) {
      for (const u of users) one(plan, u.name);
      return out;
    }
    const name = `policy ${params.policy}`;
    const job: JobModel = { name, at: ['policies', params.policy], kind: 'archive', schedule: '0 0 * * *', retention: params.policy, after: [], enabled: true, raw: {} };
    one({ ...plan, jobs: new Map([[name, job]]) }, name, true);
    return out;
  }
  try {
    const r = simulatePlan(plan, opts);
    return { jobs: r.jobs.map((j) => withSvg(j)), skipped: r.skipped };
  } catch (e) {
    return { jobs: [], skipped: [], error: e instanceof Error ? e.message : String(e) };
  }
}
