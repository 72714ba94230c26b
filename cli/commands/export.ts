// `backplan export PLAN --to systemd|cron|incus|sanoid|velero|borgmatic [--job J]`: the files that
// hand the plan's scheduling to a native scheduler, printed (text: each file under a header naming
// its host and path; json: `{target, files, skipped, problems}`). Nothing is written or run.
import { resolve } from 'node:path';
import { EXPORT_TARGETS, exportPlan, isExportTarget } from '../../engine/export/index';
import type { CommandContext } from '../command';
import { loadPlanFor } from '../load-plan';
import { paint } from '../output';

export function runExport(cmd: CommandContext): number {
  const format = cmd.format();
  const to = cmd.string('to');
  if (to === undefined) cmd.usage(`export needs --to: ${cmd.usageLine}`);
  if (!isExportTarget(to)) cmd.usage(`--to must be one of ${EXPORT_TARGETS.join(', ')} (got \`${to}\`)`);
  const loaded = loadPlanFor(cmd, 'export');
  if (typeof loaded === 'number') return loaded;
  const command = cmd.string('command');
  const r = exportPlan(loaded.model, to, { planPath: resolve(loaded.file), job: cmd.string('job'), ...(command ? { command } : {}) });
  if (format === 'json') {
    cmd.out.write(JSON.stringify(r, null, 2) + '\n');
  } else {
    const parts: string[] = [];
    for (const f of r.files) parts.push(`${paint(cmd.out, 'bold', `# ==> [${f.host}] ${f.path}`)}\n${f.content}`);
    cmd.out.write(parts.join('\n'));
    const notes: string[] = [];
    for (const s of r.skipped) notes.push(`${s.job}: not exported (${s.reason})`);
    for (const p of r.problems) notes.push(paint(cmd.out, 'red', `${p.job}: cannot export to ${to}: ${p.message}`));
    if (!r.files.length) notes.push(`no job of this plan can be exported to ${to}`);
    if (notes.length) cmd.out.error(`${notes.join('\n')}\n`);
  }
  return r.problems.length ? 1 : 0;
}
