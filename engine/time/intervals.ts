// Intervals between consecutive runs of a schedule, measured in real (elapsed) time over a
// horizon, DST included: `0 2 * * *` in Europe/Paris has a 23 h interval in March and a 25 h one
// in October; `30 2 * * *` has two intervals of 23.5 h around the March night, because cron runs
// the nonexistent 02:30 at 03:00 (see the DST model in schedule.ts).
//
// Exact: every fire of the horizon is accounted for. Days far from a clock change repeat the
// same times of day at one offset, so their inner gaps are computed once; days near a change
// are enumerated fire by fire. A minutely schedule over a year (525,600 fires) takes a few ms.
import { civilFromDays } from './civil';
import { weekdayOfDay, type Schedule } from './schedule';
import type { CronFields } from './cron';

const DAY = 86_400_000;
export const YEAR_MS = 365 * DAY;

export interface Interval {
  /** Length in ms. */
  ms: number;
  /** The fire that starts the interval. */
  after: number;
  /** The fire that ends it. */
  before: number;
}

export interface IntervalStats {
  longest: Interval;
  shortest: Interval;
  /** Fires t with from < t <= from + horizon. */
  count: number;
}

/**
 * Longest and shortest interval between consecutive runs, over the intervals that start at a
 * fire t with from < t <= from + horizonMs (the last of them ends at the first fire after the
 * horizon). When no fire falls in the horizon, the interval starting at the first fire after
 * `from` is used. Undefined only for a schedule that never fires again.
 */
export function intervalStats(schedule: Schedule, from: number, horizonMs = YEAR_MS): IntervalStats | undefined {
  const end = from + horizonMs;
  // Gaps inside a regular day (see RunChunk) are the same every day: found once here, so a
  // minutely schedule costs one step per day instead of 1,440.
  const tod = schedule.timesOfDay;
  let innerMax = -1;
  let innerMaxAt = 0;
  let innerMin = Number.POSITIVE_INFINITY;
  let innerMinAt = 0;
  for (let i = 1; i < tod.length; i++) {
    const g = tod[i] - tod[i - 1];
    if (g > innerMax) {
      innerMax = g;
      innerMaxAt = tod[i - 1] - tod[0];
    }
    if (g < innerMin) {
      innerMin = g;
      innerMinAt = tod[i - 1] - tod[0];
    }
  }
  // Plain local numbers in the hot loop (a closure would box every double it captures).
  let prev = Number.NaN;
  let count = 0;
  let maxMs = -1;
  let maxAfter = 0;
  let minMs = Number.POSITIVE_INFINITY;
  let minAfter = 0;
  for (const chunk of schedule.chunks(from, end)) {
    count += chunk.count;
    const first = chunk.first;
    const ms = first - prev; // NaN for the very first fire: both comparisons are false
    if (ms > maxMs) {
      maxMs = ms;
      maxAfter = prev;
    }
    if (ms < minMs) {
      minMs = ms;
      minAfter = prev;
    }
    if (chunk.regular) {
      if (innerMax > maxMs) {
        maxMs = innerMax;
        maxAfter = first + innerMaxAt;
      }
      if (innerMin < minMs) {
        minMs = innerMin;
        minAfter = first + innerMinAt;
      }
    } else {
      const runs = chunk.runs;
      for (let i = 1; i < runs.length; i++) {
        const g = runs[i] - runs[i - 1];
        if (g > maxMs) {
          maxMs = g;
          maxAfter = runs[i - 1];
        }
        if (g < minMs) {
          minMs = g;
          minAfter = runs[i - 1];
        }
      }
    }
    prev = chunk.last;
  }
  if (count === 0) {
    prev = schedule.next(from);
    if (!Number.isFinite(prev)) return undefined;
  }
  const closing = schedule.next(prev);
  if (Number.isFinite(closing)) {
    const ms = closing - prev;
    if (ms > maxMs) {
      maxMs = ms;
      maxAfter = prev;
    }
    if (ms < minMs) {
      minMs = ms;
      minAfter = prev;
    }
  }
  if (maxMs < 0) return undefined;
  return {
    longest: { ms: maxMs, after: maxAfter, before: maxAfter + maxMs },
    shortest: { ms: minMs, after: minAfter, before: minAfter + minMs },
    count,
  };
}

/** The longest interval between consecutive runs (see intervalStats for the window). */
export function longestInterval(schedule: Schedule, from: number, horizonMs = YEAR_MS): Interval | undefined {
  return intervalStats(schedule, from, horizonMs)?.longest;
}

/** The shortest interval between consecutive runs (see intervalStats for the window). */
export function shortestInterval(schedule: Schedule, from: number, horizonMs = YEAR_MS): Interval | undefined {
  return intervalStats(schedule, from, horizonMs)?.shortest;
}

const cycle = 146_097;
let cycleTable: Uint32Array | undefined;

/**
 * How many days of the 400-year cycle fall on each (month, day of month, weekday): counted once,
 * so a schedule sums 2,912 cells instead of walking 146,097 days (each job's schedule is its own
 * object: walking the cycle per job was a quarter of opening a 200-job plan).
 */
function cycleDays(): Uint32Array {
  if (cycleTable) return cycleTable;
  const table = new Uint32Array(13 * 32 * 7);
  const start = Date.UTC(2000, 0, 1) / DAY;
  for (let day = start; day < start + cycle; day++) {
    const { month, day: d } = civilFromDays(day);
    table[(month * 32 + d) * 7 + weekdayOfDay(day)]++;
  }
  return (cycleTable = table);
}

/**
 * Average number of runs per day over the 400-year Gregorian cycle, ignoring DST (an estimate for
 * storage projections and display: `0 *\/6 * * *` → 4, `0 0 * * 1` → 1/7, `0 0 29 2 *` → 97/146097).
 */
const perDayCache = new WeakMap<CronFields, number>();

export function firesPerDay(schedule: Schedule | CronFields): number {
  const f: CronFields = 'fields' in schedule ? schedule.fields : schedule;
  const cached = perDayCache.get(f);
  if (cached !== undefined) return cached;
  const table = cycleDays();
  const monthOk = Array.from({ length: 13 }, (_, i) => f.months.includes(i));
  const domOk = Array.from({ length: 32 }, (_, i) => f.daysOfMonth.includes(i));
  const dowOk = Array.from({ length: 7 }, (_, i) => f.daysOfWeek.includes(i));
  const both = f.domStar || f.dowStar;
  let days = 0;
  for (let m = 0; m < 13; m++) {
    if (!monthOk[m]) continue;
    for (let d = 0; d < 32; d++) {
      for (let w = 0; w < 7; w++) {
        const a = domOk[d];
        const b = dowOk[w];
        if (both ? a && b : a || b) days += table[(m * 32 + d) * 7 + w];
      }
    }
  }
  const result = (f.hours.length * f.minutes.length * days) / cycle;
  perDayCache.set(f, result);
  return result;
}
