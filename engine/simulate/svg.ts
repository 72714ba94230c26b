// The timeline picture of a simulated job, in the spirit of the Proxmox prune simulator: time
// runs left to right over the held window (oldest kept snapshot → the target date), one row per
// rule of the policy (labelled "keep all < 15d", "1/day < 1mo", "daily 7" ...), each held
// snapshot a mark on the row(s) of its reasons and a tick on the "held" row at the top, a
// calendar axis in the job's zone at the bottom, and a title with the job, the engine, the count,
// the oldest snapshot and the as-of date. Hovering a mark shows its time and reasons (<title>).
//
// Standalone SVG 1.1 (xmlns, no external fonts or styles: generic `sans-serif`), every text
// escaped, and deterministic: the same job entry always gives the same bytes (tests compare
// them). About 250 bytes per snapshot: 500 snapshots stay well under 200 KB.
import { civilFromDays, DAY, HOUR } from '../retention/calendar';
import { ZoneClock } from './clock';
import { rowsOfReasons } from './rules';
import type { SimulatedJob } from './simulate-job';

export interface TimelineOptions {
  /** Total width in px (default 960). */
  width?: number;
  /** Replaces the first title line. */
  title?: string;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
export const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#17becf', '#8c564b', '#e377c2', '#bcbd22', '#7f7f7f'];
const ROW_H = 22;
const TOP = 58;

export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** `2026-01-01T01:00:00+01:00` → `2026-01-01 01:00` (the zone is printed beside it). */
const short = (iso: string): string => {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})/.exec(iso);
  return m ? `${m[1]} ${m[2]}` : iso;
};

const n1 = (x: number): string => {
  const s = x.toFixed(1);
  return s.endsWith('.0') ? s.slice(0, -2) : s;
};

interface Step {
  unit: 'hour' | 'day' | 'week' | 'month' | 'year';
  n: number;
  /** Approximate length, to choose the step. */
  ms: number;
}

const STEPS: Step[] = [
  { unit: 'hour', n: 1, ms: HOUR },
  { unit: 'hour', n: 3, ms: 3 * HOUR },
  { unit: 'hour', n: 6, ms: 6 * HOUR },
  { unit: 'hour', n: 12, ms: 12 * HOUR },
  { unit: 'day', n: 1, ms: DAY },
  { unit: 'day', n: 2, ms: 2 * DAY },
  { unit: 'week', n: 1, ms: 7 * DAY },
  { unit: 'week', n: 2, ms: 14 * DAY },
  { unit: 'month', n: 1, ms: 30.4 * DAY },
  { unit: 'month', n: 3, ms: 91 * DAY },
  { unit: 'month', n: 6, ms: 182 * DAY },
  { unit: 'year', n: 1, ms: 365 * DAY },
  { unit: 'year', n: 2, ms: 730 * DAY },
  { unit: 'year', n: 5, ms: 1826 * DAY },
  { unit: 'year', n: 10, ms: 3652 * DAY },
];

interface Tick {
  t: number;
  label: string;
}

/** Calendar ticks in [t0, t1] in the zone, at most about `max` of them. */
export function calendarTicks(t0: number, t1: number, zone: string, max: number): Tick[] {
  const clock = new ZoneClock(zone);
  const span = t1 - t0;
  const step = STEPS.find((s) => span / s.ms <= max) ?? STEPS[STEPS.length - 1];
  const first = clock.parts(t0);
  const last = clock.parts(t1);
  const ticks: Tick[] = [];
  let prevYear: number | undefined;
  const push = (wallDay: number, hour: number): void => {
    const t = clock.goWallToInstant(wallDay * DAY + hour * HOUR);
    if (t < t0 || t > t1 || (ticks.length > 0 && t <= ticks[ticks.length - 1].t)) return;
    const p = clock.parts(t);
    let label: string;
    if (step.unit === 'year') label = String(p.year);
    else if (step.unit === 'month') label = p.month === 1 || prevYear === undefined ? `${MONTHS[p.month - 1]} ${p.year}` : MONTHS[p.month - 1];
    else {
      label = `${MONTHS[p.month - 1]} ${p.day}`;
      if (prevYear !== undefined && p.year !== prevYear) label += ` ${p.year}`;
      if (step.unit === 'hour' && hour !== 0) label = `${String(hour).padStart(2, '0')}:00`;
    }
    prevYear = p.year;
    ticks.push({ t, label });
  };
  for (let day = first.dayNumber; day <= last.dayNumber; day++) {
    const date = civilFromDays(day);
    switch (step.unit) {
      case 'hour':
        for (let h = 0; h < 24; h += step.n) push(day, h);
        break;
      case 'day':
        if (day % step.n === 0) push(day, 0);
        break;
      case 'week':
        // Mondays (day 4 was Monday 1970-01-05), every n weeks.
        if ((((day - 4) % (7 * step.n)) + 7 * step.n) % (7 * step.n) === 0) push(day, 0);
        break;
      case 'month':
        if (date.day === 1 && (date.month - 1) % step.n === 0) push(day, 0);
        break;
      case 'year':
        if (date.day === 1 && date.month === 1 && date.year % step.n === 0) push(day, 0);
        break;
    }
  }
  return ticks;
}

/** The SVG document of a simulated job (see the module header). */
export function timelineSvg(job: SimulatedJob, opts: TimelineOptions = {}): string {
  const width = Math.max(480, Math.round(opts.width ?? 960));
  const zone = job.timezone;
  const at = Date.parse(job.at);
  const times = job.snapshots.map((s) => Date.parse(s.time));
  const oldest = times.length > 0 ? Math.min(...times) : Date.parse(job.from);
  const t1 = at;
  let t0 = Math.min(oldest, t1);
  if (t1 - t0 < HOUR) t0 = t1 - HOUR;
  // A little room on the left so the oldest mark is not cut in half.
  const pad = (t1 - t0) * 0.01;
  const lo = t0 - pad;

  const rows = [{ id: '*', label: 'held', count: job.snapshots.length }, ...job.rules];
  const longest = Math.max(...rows.map((r) => `${r.label} (${r.count})`.length));
  const left = Math.min(280, Math.max(120, Math.round(longest * 6.6) + 28));
  const right = width - 18;
  const x = (t: number): number => left + ((t - lo) / (t1 - lo)) * (right - left);
  const rowY = new Map(rows.map((r, i) => [r.id, TOP + i * ROW_H + ROW_H / 2]));
  const color = new Map(rows.map((r, i) => [r.id, i === 0 ? '#444444' : PALETTE[(i - 1) % PALETTE.length]]));
  const bottom = TOP + rows.length * ROW_H;
  const height = bottom + 44;

  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
  );
  const title = opts.title ?? `${job.job} — ${job.engine} — ${job.stats.count} snapshot${job.stats.count === 1 ? '' : 's'} held at ${short(job.at)}`;
  out.push(`<title>${escapeXml(title)}</title>`);
  out.push(`<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`);
  out.push(`<text x="12" y="22" font-size="15" font-weight="bold">${escapeXml(title)}</text>`);
  const gap = job.stats.worstGap;
  const sub = [
    `oldest ${job.stats.oldest ? short(job.stats.oldest) : '—'}`,
    `created ${job.stats.created}, removed ${job.stats.removed}`,
    `count ${job.stats.minCount}–${job.stats.maxCount}`,
    `worst gap ${gap ? gap.human : '—'}`,
    `zone ${zone}`,
  ].join(' · ');
  out.push(`<text x="12" y="42" fill="#555555">${escapeXml(sub)}</text>`);

  // Row bands and labels.
  rows.forEach((r, i) => {
    const y = TOP + i * ROW_H;
    if (i % 2 === 0) out.push(`<rect x="${left}" y="${y}" width="${right - left}" height="${ROW_H}" fill="#f4f4f4"/>`);
    out.push(
      `<text class="rule" data-rule="${escapeXml(r.id)}" x="${left - 8}" y="${y + ROW_H / 2 + 4}" text-anchor="end" fill="${color.get(r.id)}">${escapeXml(`${r.label} (${r.count})`)}</text>`,
    );
  });

  // Calendar axis.
  const ticks = calendarTicks(t0, t1, zone, Math.max(2, Math.floor((right - left) / 90)));
  out.push(`<g class="axis" stroke="#cccccc">`);
  for (const tk of ticks) out.push(`<line x1="${n1(x(tk.t))}" y1="${TOP}" x2="${n1(x(tk.t))}" y2="${bottom + 4}"/>`);
  out.push(`<line x1="${left}" y1="${bottom}" x2="${right}" y2="${bottom}" stroke="#888888"/>`);
  out.push(`</g>`);
  for (const tk of ticks) {
    const tx = x(tk.t);
    // Labels near the edges are anchored inwards so they are not cut.
    const anchor = tx > right - 30 ? 'end' : tx < left + 30 ? 'start' : 'middle';
    out.push(`<text x="${n1(tx)}" y="${bottom + 18}" text-anchor="${anchor}" fill="#333333">${escapeXml(tk.label)}</text>`);
  }
  out.push(`<line x1="${n1(x(t1))}" y1="${TOP - 4}" x2="${n1(x(t1))}" y2="${bottom}" stroke="#000000" stroke-dasharray="3,3"/>`);
  out.push(`<text x="${n1(x(t1))}" y="${bottom + 36}" text-anchor="end" fill="#000000">${escapeXml(`as of ${short(job.at)} (${zone})`)}</text>`);

  // One group per held snapshot: a tick on the "held" row and a dot on each row of its reasons.
  const heldY = rowY.get('*')!;
  job.snapshots.forEach((s, i) => {
    const cx = n1(x(times[i]));
    const tip = `${s.time} — ${s.reasons.join('; ')}`;
    const parts = [`<g class="snapshot"><title>${escapeXml(tip)}</title>`, `<line x1="${cx}" y1="${heldY - 6}" x2="${cx}" y2="${heldY + 6}" stroke="#444444"/>`];
    for (const id of rowsOfReasons(s.reasons)) {
      const y = rowY.get(id);
      if (y !== undefined) parts.push(`<circle cx="${cx}" cy="${y}" r="3.5" fill="${color.get(id)}"/>`);
    }
    parts.push('</g>');
    out.push(parts.join(''));
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}
