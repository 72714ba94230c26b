// systemd: one oneshot service and one timer per scheduled `backplan` invocation, for the machine
// that holds the plan (Backplan reaches the other hosts itself). `Persistent=true` runs a fire
// missed while the machine was off at the next boot, as anacron would.
// Syntax: https://www.freedesktop.org/software/systemd/man/latest/systemd.timer.html,
// systemd.service (Type=oneshot, ExecStart quoting: `%` → `%%`, `$` → `$$`), systemd.unit
// (unit names: ASCII letters, digits, `:_.\` and `-` as separator; systemd-escape for others).
import type { PlanModel } from '../plan/model';
import { invocations, ridersComment, skipReason } from './backplan-units';
import { onCalendar } from './on-calendar';
import type { ExportFile, ExportOptions, ExportResult } from './types';

/** systemd-escape: keep `[A-Za-z0-9:_.]` (not a leading `.`), `/` as `-`, `\xNN` for every other byte. */
export function unitEscape(name: string): string {
  let out = '';
  const bytes = Buffer.from(name, 'utf8');
  for (let i = 0; i < bytes.length; i++) {
    const c = String.fromCharCode(bytes[i]);
    if (/[A-Za-z0-9:_]/.test(c) || (c === '.' && i > 0)) out += c;
    else if (c === '/') out += '-';
    else out += `\\x${bytes[i].toString(16).padStart(2, '0')}`;
  }
  return out;
}

/** One word of an ExecStart= line (systemd's own quoting, not a shell's). */
export function execWord(word: string): string {
  const escaped = word.replace(/%/g, '%%').replace(/\$/g, '$$$$');
  if (/^[A-Za-z0-9_@+=:,./-]+$/.test(escaped)) return escaped;
  return `"${escaped.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

export function exportSystemd(plan: PlanModel, opts: ExportOptions, jobs: string[]): ExportResult {
  const result: ExportResult = { target: 'systemd', files: [], skipped: [], problems: [] };
  for (const name of jobs) {
    const job = plan.jobs.get(name)!;
    const inv = invocations(plan, job, opts);
    for (const p of inv.problems) result.problems.push({ job: name, message: p });
    const skip = skipReason(name, inv, jobs);
    if (skip !== undefined) result.skipped.push({ job: name, reason: skip });
    for (const i of inv.ok) {
      const cal = onCalendar(i.schedule, i.zone);
      if (!cal.ok) {
        result.problems.push({ job: name, message: cal.message });
        continue;
      }
      const unit = `backplan-${unitEscape(name)}${i.command === 'run' ? '' : `-${i.command}`}`;
      const riders = ridersComment(i);
      const covers = [name, ...i.riders];
      const service: ExportFile = {
        host: 'local',
        path: `/etc/systemd/system/${unit}.service`,
        jobs: covers,
        content: [
          ...(riders ? [riders] : []),
          '[Unit]',
          `Description=Backplan: ${i.command} job ${name}`,
          'Wants=network-online.target',
          'After=network-online.target',
          '',
          '[Service]',
          'Type=oneshot',
          `ExecStart=${i.argv.map(execWord).join(' ')}`,
          '',
        ].join('\n'),
      };
      const timer: ExportFile = {
        host: 'local',
        path: `/etc/systemd/system/${unit}.timer`,
        jobs: covers,
        content: [
          ...(riders ? [riders] : []),
          '[Unit]',
          `Description=Backplan: ${i.command} job ${name} at \`${i.schedule}\` (${i.zone})`,
          '',
          '[Timer]',
          ...cal.values.map((v) => `OnCalendar=${v}`),
          'Persistent=true',
          '',
          '[Install]',
          'WantedBy=timers.target',
          '',
        ].join('\n'),
      };
      result.files.push(service, timer);
    }
  }
  return result;
}
