// `backplan runbook PLAN [--lost HOST]... [--state-dir D] [--at ISO] [--format markdown|html|json]
// [--out FILE]` (SPEC §11): the disaster-recovery runbook of the plan, one chapter per host that
// can be lost (engine/recovery/runbook.ts), as Markdown, standalone HTML or JSON
// (engine/recovery/render.ts). Deterministic: the same plan, state directory and --at give the
// same bytes; without --at the current time is used and said in the header. --out writes the
// file atomically (a temporary file renamed over it).
import { dirname, resolve } from 'node:path';
import { writeFileAtomic } from '../../engine/ops/atomic-write';
import { LastSuccessReader } from '../../engine/ops/status/history';
import { closest } from '../../engine/plan/did-you-mean';
import { restoreHistory } from '../../engine/recovery/measured';
import { renderHtml, renderJson, renderMarkdown } from '../../engine/recovery/render';
import { buildRunbook } from '../../engine/recovery/runbook';
import type { CommandContext } from '../command';
import { loadPlan } from '../load-plan';
import { parseTime } from '../parse-time';

export function runRunbook(cmd: CommandContext): number {
  const [file, ...extra] = cmd.positionals;
  if (!file || extra.length > 0) cmd.usage(`runbook needs exactly one plan file: ${cmd.usageLine}`);
  const format = (cmd.string('format') ?? 'markdown') as 'markdown' | 'html' | 'json';
  const atText = cmd.string('at');
  const at = atText !== undefined ? parseTime(atText) : undefined;
  if (at !== undefined && Number.isNaN(at)) cmd.usage(`--at ${atText}: expected an ISO 8601 date or time`);
  const lost = (cmd.options.lost as string[] | undefined) ?? [];
  const loaded = loadPlan(file);
  if (loaded.errors.length > 0) {
    cmd.out.error(`${loaded.errors.join('\n')}\nbackplan: the plan has errors; fix them before writing its runbook (backplan check ${file})\n`);
    return 1;
  }
  const hosts = [...(loaded.model.hosts?.keys() ?? [])];
  for (const h of lost) {
    if (loaded.model.hosts?.has(h)) continue;
    const near = closest(h, hosts);
    cmd.usage(`--lost ${h}: no host \`${h}\` in ${file}${near ? ` (did you mean \`${near}\`?)` : ''}; hosts: ${hosts.join(', ') || 'none'}`);
  }
  const stateOption = cmd.string('state-dir');
  const stateDir = stateOption !== undefined ? resolve(stateOption) : undefined;
  const runbook = buildRunbook({
    plan: loaded.model,
    planPath: file,
    now: at ?? Date.now(),
    fixed: at !== undefined,
    ...(lost.length ? { lost } : {}),
    ...(stateDir !== undefined
      ? { journal: { lastSuccess: new LastSuccessReader().read(stateDir, file), restores: restoreHistory(stateDir, file) } }
      : {}),
    baseDir: dirname(resolve(file)),
  });
  const text = format === 'html' ? renderHtml(runbook) : format === 'json' ? renderJson(runbook) : renderMarkdown(runbook);
  const out = cmd.string('out');
  if (out === undefined) {
    cmd.out.write(text);
    return 0;
  }
  try {
    writeFileAtomic(resolve(out), text);
  } catch (e) {
    cmd.out.error(`backplan: cannot write ${out}: ${(e as Error).message}\n`);
    return 2;
  }
  return 0;
}
