// cron: one /etc/cron.d file for the machine that holds the plan, a line per scheduled
// `backplan` invocation, grouped under `CRON_TZ=` by zone (cronie evaluates the following lines in
// that zone, the DST model Backplan's schedules follow; a cron without CRON_TZ uses the system
// zone). Commands go through /bin/sh: every word is shell-quoted and `%` (a newline to cron) is
// escaped.
// Syntax: crontab(5) of cronie (https://man7.org/linux/man-pages/man5/crontab.5.html): fields
// `minute hour day-of-month month day-of-week user command` in /etc/cron.d, CRON_TZ.
import type { PlanModel } from '../plan/model';
import { invocations, ridersComment, skipReason, type Invocation } from './backplan-units';
import { shWord } from './script';
import type { ExportOptions, ExportResult } from './types';

/** A word of the command as /bin/sh reads it, with `%` escaped for cron. */
function cronWord(word: string): string {
  return shWord(word).replace(/%/g, '\\%');
}

export function exportCron(plan: PlanModel, opts: ExportOptions, jobs: string[]): ExportResult {
  const result: ExportResult = { target: 'cron', files: [], skipped: [], problems: [] };
  const byZone = new Map<string, Invocation[]>();
  for (const name of jobs) {
    const inv = invocations(plan, plan.jobs.get(name)!, opts);
    for (const p of inv.problems) result.problems.push({ job: name, message: p });
    const skip = skipReason(name, inv, jobs);
    if (skip !== undefined) result.skipped.push({ job: name, reason: skip });
    for (const i of inv.ok) byZone.set(i.zone, [...(byZone.get(i.zone) ?? []), i]);
  }
  if (!byZone.size) return result;
  const lines = ['# Backplan schedules (backplan export --to cron). Needs a cron that honours CRON_TZ (cronie).', 'SHELL=/bin/sh', ''];
  const covered: string[] = [];
  for (const [zone, list] of byZone) {
    lines.push(`CRON_TZ=${zone}`);
    for (const i of list) {
      const riders = ridersComment(i);
      if (riders) lines.push(riders);
      lines.push(`${i.schedule} root ${i.argv.map(cronWord).join(' ')}`);
      for (const j of [i.job, ...i.riders]) if (!covered.includes(j)) covered.push(j);
    }
    lines.push('');
  }
  result.files.push({ host: 'local', path: '/etc/cron.d/backplan', jobs: covered, content: lines.join('\n') });
  return result;
}
