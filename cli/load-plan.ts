// Loading a plan for the commands that act on it (plan, simulate, run ...): read, check,
// refuse on errors with the list, and return the model with local paths resolved.
import { dirname, resolve } from 'node:path';
import { checkText } from '../engine/check';
import type { Finding } from '../engine/findings';
import type { PlanModel } from '../engine/plan/model';
import { resolveLocalPaths } from '../engine/plan/resolve-paths';
import { LineIndex } from '../engine/text/positions';
import type { CommandContext } from './command';
import { readPlanFile } from './read-plan';

export interface LoadedPlan {
  path: string;
  model: PlanModel;
  findings: Finding[];
  /** `path:line:col: message [rule]` for each error, empty when the plan has none. */
  errors: string[];
}

export function loadPlan(path: string, now?: number): LoadedPlan {
  const text = readPlanFile(path);
  const result = checkText(text, { now, baseDir: dirname(resolve(path)) });
  const lines = new LineIndex(text);
  const errors = result.findings
    .filter((f) => f.severity === 'error')
    .map((f) => {
      const p = lines.position(f.range.start);
      return `${path}:${p.line + 1}:${p.character + 1}: ${f.message} [${f.rule}]`;
    });
  const model = resolveLocalPaths(result.model ?? ({} as PlanModel), dirname(resolve(path)));
  return { path, model, findings: result.findings, errors };
}

/**
 * For the commands that act on one plan (plan, simulate, run, prune, verify): the plan named by
 * the single positional, with `--job` checked; exit 1 (after listing them) on check errors.
 */
export function loadPlanFor(cmd: CommandContext, verb: string, usage = cmd.usageLine): { file: string; model: PlanModel } | number {
  const [file, ...extra] = cmd.positionals;
  if (!file || extra.length > 0) cmd.usage(`${verb} needs exactly one plan file: ${usage}`);
  const job = cmd.string('job');
  const loaded = loadPlan(file);
  if (job !== undefined && !loaded.model.jobs?.has(job)) cmd.usage(`no job \`${job}\` in ${file}; jobs: ${[...(loaded.model.jobs?.keys() ?? [])].join(', ')}`);
  if (loaded.errors.length > 0) {
    cmd.out.error(`${loaded.errors.join('\n')}\nbackplan: the plan has errors; fix them before you ${verb} (backplan check ${file})\n`);
    return 1;
  }
  return { file, model: loaded.model };
}
