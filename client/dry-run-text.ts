// The text of the dry-run document: every step of `backplan plan`, grouped by job, with its
// host, its argv and, for prune steps, what it would prune and by which rules. Pure (no vscode
// import) so that it can be tested on its own.
import type { PlanResult, PlanStepJson } from '../server/protocol';

export interface DryRunHeader {
  plan: string;
  job?: string;
  generated: Date;
}

function quoteArg(a: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}

export function argvLine(argv: readonly string[]): string {
  return argv.map(quoteArg).join(' ');
}

function stepLines(s: PlanStepJson): string[] {
  const lines = [`  ${s.id}  ${s.phase}  on ${s.host}`, `    ${s.description}`];
  if (s.pipe?.length) {
    s.pipe.forEach((p, i) => lines.push(`${i === 0 ? '    argv: ' : '        | '}[${p.host}] ${argvLine(p.argv)}`));
  } else if (s.argv?.length) {
    lines.push(`    argv: ${argvLine(s.argv)}`);
  }
  if (s.prune) {
    lines.push(`    prunes: with ${s.prune.engine} rules in ${s.prune.timezone}; never fewer than ${s.prune.min} newest cop${s.prune.min === 1 ? 'y' : 'ies'}`);
    lines.push(`    why: ${s.display.replace(/^\[[^\]]*\]\s*/, '')}`);
  } else if (!s.argv?.length && !s.pipe?.length) {
    lines.push(`    does: ${s.display}`);
  }
  if (s.env && Object.keys(s.env).length) lines.push(`    env: ${Object.keys(s.env).join(', ')} (values are never shown)`);
  for (const n of s.notes ?? []) lines.push(`    note: ${n}`);
  return lines;
}

export function dryRunText(r: PlanResult, h: DryRunHeader): string {
  const out: string[] = [
    `Dry run of ${h.plan}${h.job ? `, job ${h.job}` : ''}`,
    `Nothing here was run or changed (backplan plan, ${h.generated.toISOString().replace(/\.\d+Z$/, 'Z')}).`,
    '',
  ];
  if (r.planErrors?.length) {
    out.push('The plan has errors; fix them to see its steps:', ...r.planErrors.map((e) => `  ${e}`), '');
    return `${out.join('\n')}\n`;
  }
  const byJob = new Map<string, PlanStepJson[]>();
  for (const s of r.steps) byJob.set(s.job, [...(byJob.get(s.job) ?? []), s]);
  const order = r.order.length ? r.order : [...byJob.keys()];
  for (const job of order) {
    const steps = byJob.get(job) ?? [];
    out.push(`Job ${job}`);
    if (!steps.length) out.push('  (no steps)');
    for (const s of steps) out.push(...stepLines(s));
    out.push('');
  }
  for (const s of r.skipped) out.push(`Skipped ${s.job}: ${s.reason}`);
  for (const e of r.errors) out.push(`Error in ${e.job}: ${e.message}`);
  const jobs = order.length;
  out.push(`${r.steps.length} step${r.steps.length === 1 ? '' : 's'} for ${jobs} job${jobs === 1 ? '' : 's'}.`);
  return `${out.join('\n')}\n`;
}
