// The one call the commands that change things (run, prune, verify) make when they are done:
// publish the plan's metrics where its `monitoring:` says (engine/ops/metrics/publish.ts). A
// failure to write or push is one warning line on stderr; it never changes the exit code.
import { resolve } from 'node:path';
import type { PlanModel } from '../engine/plan/model';
import { publishMetrics } from '../engine/ops/metrics/publish';
import type { Out } from './output';

export async function publishAfter(out: Pick<Out, 'error'>, plan: PlanModel, planFile: string, stateDir: string): Promise<void> {
  if (plan.monitoring === undefined) return;
  try {
    const r = await publishMetrics(plan, resolve(planFile), stateDir);
    for (const w of r.warnings) out.error(`backplan: warning: ${w}\n`);
  } catch (e) {
    out.error(`backplan: warning: could not publish the metrics: ${String((e as Error)?.message ?? e).split('\n')[0]}\n`);
  }
}
