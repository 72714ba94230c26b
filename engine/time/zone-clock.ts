// Fast calendar arithmetic, for the simulator and for duration.ts's calendar shifts. A ten-year
// simulation asks "what is T − 1mo" and "which day/week/month bucket is this snapshot in"
// hundreds of thousands of times; luxon answers each in tens of microseconds (it goes through
// Intl), which alone would take seconds. ZoneClock answers the same questions from the zone's
// transition table (time/offsets.ts) with plain arithmetic, and reproduces, step by step, the
// exact algorithms of the reference helpers:
//
// - addMonths        = luxon `DateTime.fromMillis(t, {zone}).plus({months})` (what
//                      time/duration.ts addDuration/subtractDuration use for y and mo: same
//                      wall-clock time, day clamped to the month's last day, then luxon's
//                      offset fix-up for wall times in a DST gap or overlap);
// - goAddDate        = retention/calendar.ts goAddDate (Go's AddDate: overflowing days roll
//                      over, wall time resolved like Go's time.Date);
// - bucketKey        = the `key` of retention/native.ts bucketOf.
//
// test/unit/simulate/clock.test.ts checks every one of them against its reference on random
// instants in several zones (DST, half-hour zones, a zone that skipped a whole day), and
// test/unit/time/calendar-shift.test.ts checks duration.ts's shifts against luxon itself.
import { IANAZone } from 'luxon';
import type { Duration } from './duration-type';
import { zoneTable, type ZoneTable } from './offsets';
import { civilFromDays, daysFromCivil } from './civil';
import type { BucketScheme } from './bucket-scheme';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const MINUTES_PER_DAY = 24 * 60;
/** Day number of Monday 1969-12-29 (native.ts counts ISO weeks from there). */
const FIRST_MONDAY = -3;

function isLeap(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

export function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeap(year) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** The fixed-length part (w, d, h, min) of a duration in ms. */
export function fixedPartMs(d: Duration): number {
  return d.w * 7 * DAY + d.d * DAY + d.h * HOUR + d.min * MINUTE;
}

export interface WallParts {
  year: number;
  month: number;
  day: number;
  /** Days since 1970-01-01 of the local date. */
  dayNumber: number;
  /** Milliseconds since local midnight (wall clock). */
  inDay: number;
  /** UTC offset in ms at the instant. */
  offset: number;
}

export class ZoneClock {
  private readonly table: ZoneTable;
  /** Offsets as a flat table over the years loaded so far: offs[i] applies from starts[i]. */
  private starts: number[] = [];
  private offs: number[] = [];
  private firstYear = 0;
  private lastYear = -1;
  private hint = 0;
  private rangeStart = Infinity;
  private rangeEnd = -Infinity;

  constructor(readonly zone: string) {
    this.table = zoneTable(zone);
  }

  /** Extends the table to cover instant t (whole UTC years, one year of margin each way). */
  private load(t: number): void {
    const y = new Date(t).getUTCFullYear();
    const lo = this.lastYear < this.firstYear ? y - 1 : Math.min(this.firstYear, y - 1);
    const hi = this.lastYear < this.firstYear ? y + 1 : Math.max(this.lastYear, y + 1);
    const start = Date.UTC(lo, 0, 1);
    const end = Date.UTC(hi + 1, 0, 1);
    const starts = [-Infinity];
    const offs = [this.table.offsetAt(start)];
    for (const tr of this.table.transitionsBetween(start, end)) {
      starts.push(tr.at);
      offs.push(tr.after);
    }
    this.starts = starts;
    this.offs = offs;
    this.firstYear = lo;
    this.lastYear = hi;
    this.rangeStart = start;
    this.rangeEnd = end;
    this.hint = 0;
  }

  /** UTC offset in ms at instant t (local wall clock = t + offset). */
  offset(t: number): number {
    if (this.table.universal) return 0;
    if (!(t >= this.rangeStart && t < this.rangeEnd)) this.load(t);
    const starts = this.starts;
    let i = this.hint;
    if (starts[i] <= t && (i + 1 === starts.length || starts[i + 1] > t)) return this.offs[i];
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= t) lo = mid;
      else hi = mid - 1;
    }
    i = lo;
    this.hint = i;
    return this.offs[i];
  }

  parts(t: number): WallParts {
    const offset = this.offset(t);
    const local = t + offset;
    const dayNumber = Math.floor(local / DAY);
    const { year, month, day } = civilFromDays(dayNumber);
    return { year, month, day, dayNumber, inDay: local - dayNumber * DAY, offset };
  }

  /** luxon's `fixOffset`: the instant of wall time `local`, guessing offset `o` first. */
  private fixOffset(local: number, o: number): number {
    let guess = local - o;
    const o2 = this.offset(guess);
    if (o === o2) return guess;
    guess -= o2 - o;
    const o3 = this.offset(guess);
    if (o2 === o3) return guess;
    return local - Math.min(o2, o3);
  }

  /** luxon `DateTime.fromMillis(t, {zone}).plus({months})` (negative to go back). */
  addMonths(t: number, months: number): number {
    if (months === 0) return t;
    const offset = this.offset(t);
    const local = t + offset;
    const dayNumber = Math.floor(local / DAY);
    return this.fixOffset(this.monthShiftedDay(dayNumber, months) * DAY + (local - dayNumber * DAY), offset);
  }

  /** Per month shift, the last (day → shifted day) computed: consecutive fires share their day. */
  private readonly shifted = new Map<number, { day: number; to: number }>();

  /** The day number `months` calendar months from `dayNumber`, the day clamped to the month's length. */
  private monthShiftedDay(dayNumber: number, months: number): number {
    const hit = this.shifted.get(months);
    if (hit !== undefined && hit.day === dayNumber) return hit.to;
    const p = civilFromDays(dayNumber);
    const index = p.month - 1 + months;
    const year = p.year + Math.floor(index / 12);
    const month = index - Math.floor(index / 12) * 12 + 1;
    const to = daysFromCivil(year, month, Math.min(p.day, daysInMonth(year, month)));
    if (hit !== undefined) {
      hit.day = dayNumber;
      hit.to = to;
    } else {
      this.shifted.set(months, { day: dayNumber, to });
    }
    return to;
  }

  /** time/duration.ts subtractDuration(t, d, zone). */
  subtract(t: number, d: Duration): number {
    const months = d.y * 12 + d.mo;
    return (months === 0 ? t : this.addMonths(t, -months)) - fixedPartMs(d);
  }

  /** time/duration.ts addDuration(t, d, zone). */
  add(t: number, d: Duration): number {
    const months = d.y * 12 + d.mo;
    return (months === 0 ? t : this.addMonths(t, months)) + fixedPartMs(d);
  }

  /** retention/calendar.ts goWallToInstant. */
  goWallToInstant(wall: number): number {
    const o1 = this.offset(wall);
    const utc = wall - o1;
    const o2 = this.offset(utc);
    return o2 === o1 ? utc : wall - o2;
  }

  /** retention/calendar.ts goAddDate(t, years, months, days, zone). */
  goAddDate(t: number, years: number, months: number, days: number): number {
    const p = this.parts(t);
    const monthIndex = p.month - 1 + months;
    const year = p.year + years + Math.floor(monthIndex / 12);
    const month = (((monthIndex % 12) + 12) % 12) + 1;
    const dayNumber = daysFromCivil(year, month, 1) + (p.day - 1) + days;
    return this.goWallToInstant(dayNumber * DAY + p.inDay);
  }

  /** The `key` of retention/native.ts bucketOf(t, scheme, zone). */
  bucketKey(t: number, scheme: BucketScheme): number {
    const local = t + this.offset(t);
    const dayNumber = Math.floor(local / DAY);
    switch (scheme.unit) {
      case 'minutes': {
        const perDay = Math.ceil(MINUTES_PER_DAY / scheme.size);
        const minuteOfDay = Math.floor((local - dayNumber * DAY) / MINUTE);
        return dayNumber * perDay + Math.floor(minuteOfDay / scheme.size);
      }
      case 'days':
        return Math.floor(dayNumber / scheme.size);
      case 'weeks':
        return Math.floor((dayNumber - FIRST_MONDAY) / (7 * scheme.size));
      case 'months': {
        const { year, month } = civilFromDays(dayNumber);
        return Math.floor(((year - 1970) * 12 + month - 1) / scheme.size);
      }
      case 'years':
        return Math.floor((civilFromDays(dayNumber).year - 1970) / scheme.size);
    }
  }
}

// The offset table (time/offsets.ts) is exact from 1980 to 2200: every offset change since then
// falls on a whole minute, at most one per day. Outside, or for names luxon reads but that are
// not IANA zones (fixed offsets, the system zone), callers ask luxon.
export const EXACT_FROM = Date.UTC(1980, 0, 1);
export const EXACT_TO = Date.UTC(2200, 0, 1);
const clocks = new Map<string, ZoneClock | null>();

/** The shared clock of an IANA zone, or null when `zone` is not one. */
export function zoneClockFor(zone: string): ZoneClock | null {
  let c = clocks.get(zone);
  if (c === undefined) {
    try {
      c = IANAZone.isValidZone(zone) ? new ZoneClock(zone) : null;
    } catch {
      c = null;
    }
    if (clocks.size > 1000) clocks.clear();
    clocks.set(zone, c);
  }
  return c;
}
