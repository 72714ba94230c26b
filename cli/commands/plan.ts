// `backplan plan PLAN [--job J]`: the dry run — every step in order, with its host and exact
// argv. Nothing is run, read or written.
import { planSteps } from '../../engine/run/plan-steps';
import { formatStep } from '../../engine/run/step';
import { stepToJson } from '../../engine/run/step-json';
import type { CommandContext } from '../command';
import { loadPlan } from '../load-plan';
import { paint } from '../output';

export function runPlan(cmd: CommandContext): number {
  const format = cmd.format(['text', 'json']);
  const [file, ...extra] = cmd.positionals;
  if (!file || extra.length > 0) cmd.usage('plan needs exactly one plan file: backplan plan PLAN [--job J]');
  const job = cmd.string('job');
  const loaded = loadPlan(file);
  if (job !== undefined && !loaded.model.jobs?.has(job)) cmd.usage(`no job \`${job}\` in ${file}; jobs: ${[...(loaded.model.jobs?.keys() ?? [])].join(', ')}`);
  if (loaded.errors.length > 0) {
    cmd.out.error(`${loaded.errors.join('\n')}\nbackplan: the plan has errors; fix them before planning a run\n`);
    return 1;
  }
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
