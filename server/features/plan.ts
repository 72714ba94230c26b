// `backplan/plan`: the dry run of the plan (or of one job), in the shape of
// `backplan plan --format json`: every step in order with its host and exact argv. Nothing is
// run. Relative local paths are resolved against the plan file's folder, as the command does.
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { planSteps } from '../../engine/run/steps/plan-steps';
import { stepToJson } from '../../engine/run/steps/step-json';
import { resolveLocalPaths } from '../../engine/plan/resolve-paths';
import type { Analysis } from '../documents';
import type { PlanParams, PlanResult } from '../protocol';

export function planRequest(a: Analysis, params: PlanParams): PlanResult {
  const empty: PlanResult = { steps: [], errors: [], skipped: [], order: [] };
  const errors = a.result.findings
    .filter((f) => f.severity === 'error')
    .map((f) => {
      const p = a.lines.position(f.range.start);
      return `${p.line + 1}:${p.character + 1}: ${f.message} [${f.rule}]`;
    });
  if (errors.length > 0) return { ...empty, planErrors: errors };
  if (params.job !== undefined && !a.model.jobs.has(params.job)) return { ...empty, planErrors: [`there is no job \`${params.job}\` in this plan`] };
  let model = a.model;
  if (params.uri.startsWith('file:')) {
    try {
      model = resolveLocalPaths(model, dirname(fileURLToPath(params.uri)));
    } catch {
      // not a local file path: leave relative paths as written
    }
  }
  const r = planSteps(model, { job: params.job, now: a.now });
  return { steps: r.steps.map(stepToJson), errors: r.errors, skipped: r.skipped, order: r.order };
}
