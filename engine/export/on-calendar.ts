// A cron schedule as systemd `OnCalendar=` expressions, firing at the same instants outside DST
// changes. Each field becomes a list (runs of 3+ values as `A..B`); the zone is always written,
// so the timer does not depend on the host's own zone. Cron's day rule: when neither the
// day-of-month nor the day-of-week field starts with `*`, a day matches either of them, which
// systemd (whose components must all match) can only say with two expressions; otherwise both
// must match, as in systemd. Inside a DST gap or overlap the two differ (cron runs a skipped
// fixed-time job right after the gap; systemd skips it): the `dst-schedule` rule tells.
// Syntax: https://www.freedesktop.org/software/systemd/man/latest/systemd.time.html#Calendar%20Events
import { parseCron } from '../time/cron';

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

function runs(values: readonly number[]): number[][] {
  const out: number[][] = [];
  for (const v of values) {
    const last = out[out.length - 1];
    if (last && last[last.length - 1] === v - 1) last.push(v);
    else out.push([v]);
  }
  return out;
}

// A step series reaching the end of the range (cron `*/15` → `00/15`), else undefined.
function step(values: readonly number[], max: number): number | undefined {
  if (values.length < 3) return undefined;
  const s = values[1] - values[0];
  for (let i = 2; i < values.length; i++) if (values[i] - values[i - 1] !== s) return undefined;
  return values[values.length - 1] + s > max ? s : undefined;
}

/** `*` for the whole range, `A/S` for a step series, else a list with `A..B` for runs of three or more. */
function list(values: readonly number[], size: number, show: (v: number) => string = (v) => String(v).padStart(2, '0'), max?: number): string {
  if (values.length === size) return '*';
  const s = max === undefined ? undefined : step(values, max);
  if (s !== undefined && s > 1) return `${show(values[0])}/${s}`;
  return runs(values)
    .map((r) => (r.length >= 3 ? `${show(r[0])}..${show(r[r.length - 1])}` : r.map(show).join(',')))
    .join(',');
}

function weekdays(days: readonly number[]): string {
  // systemd counts Monday first, so Sunday (0) goes last: `Mon..Fri,Sun`.
  const mondayFirst = [...days].map((d) => (d + 6) % 7).sort((a, b) => a - b);
  return list(mondayFirst, 7, (d) => WEEKDAYS[(d + 1) % 7]);
}

export type OnCalendar = { ok: true; values: string[] } | { ok: false; message: string };

export function onCalendar(expr: string, zone: string): OnCalendar {
  const cron = parseCron(expr);
  if (!cron.ok) return { ok: false, message: cron.message };
  const f = cron.fields;
  const pad = (v: number) => String(v).padStart(2, '0');
  const time = `${list(f.hours, 24, pad, 23)}:${list(f.minutes, 60, pad, 59)}:00`;
  const months = list(f.months, 12, pad, 12);
  const days = list(f.daysOfMonth, 31, pad, 31);
  const dow = f.daysOfWeek.length === 7 ? '' : `${weekdays(f.daysOfWeek)} `;
  const tz = ` ${zone}`;
  if (f.domStar || f.dowStar) return { ok: true, values: [`${dow}*-${months}-${days} ${time}${tz}`] };
  // Both restricted: cron fires on either; one expression per side.
  return { ok: true, values: [`${dow}*-${months}-* ${time}${tz}`, `*-${months}-${days} ${time}${tz}`] };
}
