// `backplan plan PLAN [--job J]`: the dry run — every step in order, with its host and exact
// argv. Nothing is run, read or written.
import { planSteps } from '../../engine/run/steps/plan-steps';
import { formatStep } from '../../engine/run/steps/step';
import { stepToJson } from '../../engine/run/steps/step-json';
import type { CommandContext } from '../command';
import { loadPlanFor } from '../load-plan';
import { paint } from '../output';

export function runPlan(cmd: CommandContext): number {
  const format = cmd.format();
  const loaded = loadPlanFor(cmd, 'plan');
  if (typeof loaded === 'number') return loaded;
  const job = cmd.string('job');
  const result = planSteps(loaded.model, { job, now: Date.now() });
  if (format === 'json') {
    cmd.out.write(JSON.stringify({ steps: result.steps.map(stepToJson), errors: result.errors, skipped: result.skipped, order: result.order }, null, 2) + '\n');
  } else {
    const lines: string[] = [];
    let current = '';
    for (const s of result.steps) {
      if (s.job !== current) {
        current = s.job;
        lines.push(paint(cmd.out, 'bold', `${s.job}`));
      }
      lines.push(`  ${paint(cmd.out, 'gray', s.id)} ${s.phase}: ${s.description}`);
      lines.push(`    ${formatStep(s)}`);
      for (const n of s.notes ?? []) lines.push(`    ${paint(cmd.out, 'gray', `note: ${n}`)}`);
    }
    for (const s of result.skipped) lines.push(paint(cmd.out, 'gray', `${s.job}: skipped (${s.reason})`));
    for (const e of result.errors) lines.push(paint(cmd.out, 'red', `${e.job}: ${e.message}`));
    lines.push(`${result.steps.length} steps for ${result.order.length} jobs; dry run: nothing was executed`);
    cmd.out.write(lines.join('\n') + '\n');
  }
  return result.errors.length > 0 ? 1 : 0;
}
