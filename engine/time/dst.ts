// Schedule times that a daylight-saving change makes nonexistent (spring forward) or repeated
// (fall back), for the `dst-schedule` rule. What happens to those runs follows the cron model
// documented in schedule.ts: a fixed-time job in a gap runs at the jump, a wildcard job's runs
// in a gap are lost; in an overlap a fixed-time job runs once (first occurrence), a wildcard job
// twice.
import { cronDstEffect, namesLocalTime, parseSchedule, type Schedule } from './schedule';
import { zoneTable, type Transition } from './offsets';
import { YEAR_MS } from './intervals';

const MINUTE = 60_000;

export type DstEffect = 'runs-at-jump' | 'not-run' | 'runs-once' | 'runs-twice';

export interface DstIssue {
  /** `skipped`: the local times do not exist that day; `doubled`: they happen twice. */
  kind: 'skipped' | 'doubled';
  /** What cron does with the affected runs (the model of schedule.ts). */
  effect: DstEffect;
  zone: string;
  /** Local date of the change, `YYYY-MM-DD`. */
  date: string;
  /** Instant of the change (epoch ms). */
  at: number;
  /** The first affected local time (`02:30`). */
  localTime: string;
  /** Every affected local time, in order. */
  localTimes: string[];
  /** The instants at which the affected times really run (empty when they are lost). */
  runs: number[];
  /** Local clock reading before and after the change (`02:00` → `03:00`). */
  clockFrom: string;
  clockTo: string;
  message: string;
}

export interface DstOptions {
  /** Start of the window (epoch ms); default now. */
  from?: number;
  /** Length of the window; default 365 days. */
  horizonMs?: number;
}

const hhmm = (local: number): string => new Date(local).toISOString().slice(11, 16);
const ymd = (local: number): string => new Date(local).toISOString().slice(0, 10);

function offsetText(ms: number): string {
  const sign = ms < 0 ? '-' : '+';
  const m = Math.round(Math.abs(ms) / MINUTE);
  return `UTC${sign}${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
}

function timesText(times: string[]): string {
  if (times.length <= 4) return times.join(', ').replace(/, ([^,]*)$/, ' and $1');
  return `${times[0]} to ${times[times.length - 1]} (${times.length} times)`;
}

/** DST issues of `expr` in `zone` over the window; an invalid expression or zone has none (other rules report it). */
export function dstIssues(expr: string, zone: string, options: DstOptions = {}): DstIssue[] {
  const r = parseSchedule(expr, zone);
  return r.ok ? dstIssuesOf(r.schedule, options) : [];
}

/** DST issues of a parsed schedule: one per clock change in the window that touches a run. */
export function dstIssuesOf(schedule: Schedule, options: DstOptions = {}): DstIssue[] {
  const from = options.from ?? Date.now();
  const to = from + (options.horizonMs ?? YEAR_MS);
  const out: DstIssue[] = [];
  for (const tr of zoneTable(schedule.zone).transitionsBetween(from, to)) {
    const issue = issueAt(schedule, tr);
    if (issue) out.push(issue);
  }
  return out;
}

function issueAt(schedule: Schedule, tr: Transition): DstIssue | undefined {
  const gap = tr.after > tr.before;
  // Local readings that are skipped (gap) or repeated (overlap).
  const lo = tr.at + Math.min(tr.before, tr.after);
  const hi = tr.at + Math.max(tr.before, tr.after);
  const locals: number[] = [];
  for (let l = Math.ceil(lo / MINUTE) * MINUTE; l < hi; l += MINUTE) if (namesLocalTime(schedule, l)) locals.push(l);
  if (locals.length === 0) return undefined;
  const effect = cronDstEffect(tr, schedule.wildcard);
  const localTimes = locals.map(hhmm);
  const clockFrom = hhmm(tr.at + tr.before);
  const clockTo = hhmm(tr.at + tr.after);
  const date = ymd(tr.at + tr.before);
  const zone = schedule.zone;
  const what = timesText(localTimes);
  const one = locals.length === 1;
  const window = gap ? `${clockFrom}–${clockTo}` : `${clockTo}–${clockFrom}`;
  const advice = `schedule outside ${window} or use UTC`;
  let runs: number[];
  let consequence: string;
  if (gap) {
    runs = effect === 'runs-at-jump' ? [tr.at] : [];
    consequence =
      effect === 'runs-at-jump'
        ? `cron runs ${one ? 'it' : 'them'} at ${clockTo} instead`
        : `cron skips ${one ? 'that run' : `those ${locals.length} runs`}`;
  } else {
    const first = locals.map((l) => l - tr.before);
    const second = locals.map((l) => l - tr.after);
    runs = effect === 'runs-twice' ? [...first, ...second].sort((a, b) => a - b) : first;
    consequence =
      effect === 'runs-twice'
        ? `cron runs ${one ? 'it' : 'each'} twice (at ${offsetText(tr.before)} and at ${offsetText(tr.after)})`
        : `cron runs ${one ? 'it' : 'each'} only the first time (${offsetText(tr.before)})`;
  }
  const verb = gap ? (one ? 'does not exist' : 'do not exist') : one ? 'happens twice' : 'happen twice';
  const change = gap ? `clocks jump from ${clockFrom} to ${clockTo}` : `clocks go back from ${clockFrom} to ${clockTo}`;
  return {
    kind: gap ? 'skipped' : 'doubled',
    effect,
    zone,
    date,
    at: tr.at,
    localTime: localTimes[0],
    localTimes,
    runs,
    clockFrom,
    clockTo,
    message: `${what} ${verb} on ${date} in ${zone} (${change}): ${consequence}; ${advice}`,
  };
}
