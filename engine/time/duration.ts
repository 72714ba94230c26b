// Plan durations: `Nmin Nh Nd Nw Nmo Ny`, combinable (`1y2mo3d`). A bare `m` is ambiguous
// (minutes or months?) and rejected with both readings offered as fixes.
import { DateTime } from 'luxon';
import { EXACT_FROM, EXACT_TO, zoneClockFor } from './zone-clock';

import type { Duration } from './duration-type';

export type { Duration } from './duration-type';

export const UNITS = ['y', 'mo', 'w', 'd', 'h', 'min'] as const;
export type DurationUnit = (typeof UNITS)[number];

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export type DurationResult =
  | { ok: true; value: Duration }
  | {
      ok: false;
      message: string;
      /** Offsets inside the duration string of the part at fault. */
      start: number;
      end: number;
      /** Whole-string replacements that would make it valid (bare `m` → `min` / `mo`). */
      suggestions: string[];
    };

const PART = /(\d+)\s*([a-zA-Z]*)/y;

/** Common spellings of the units, offered as fixes (`3days` → `3d`). */
const SPELLINGS: Readonly<Record<string, DurationUnit>> = {
  mins: 'min',
  minute: 'min',
  minutes: 'min',
  hr: 'h',
  hrs: 'h',
  hour: 'h',
  hours: 'h',
  day: 'd',
  days: 'd',
  wk: 'w',
  wks: 'w',
  week: 'w',
  weeks: 'w',
  mon: 'mo',
  mos: 'mo',
  month: 'mo',
  months: 'mo',
  yr: 'y',
  yrs: 'y',
  year: 'y',
  years: 'y',
  // Upper-case forms of the units themselves (Incus writes `1H`, `2D`; Backplan units are lower case).
  min: 'min',
  h: 'h',
  d: 'd',
  w: 'w',
  mo: 'mo',
  y: 'y',
};

export function parseDuration(text: string): DurationResult {
  const s = String(text);
  const value: Duration = { y: 0, mo: 0, w: 0, d: 0, h: 0, min: 0 };
  const fail = (message: string, start: number, end: number, suggestions: string[] = []): DurationResult => ({
    ok: false,
    message,
    start,
    end,
    suggestions,
  });
  if (s.trim() === '') return fail('empty duration: write for example `7d`, `12h` or `1y2mo`', 0, s.length);
  const seen = new Set<string>();
  let i = 0;
  while (i < s.length) {
    if (/\s/.test(s[i])) {
      i++;
      continue;
    }
    PART.lastIndex = i;
    const m = PART.exec(s);
    if (!m) {
      return fail(`\`${s}\` is not a duration: expected a number followed by a unit (min, h, d, w, mo, y)`, i, s.length);
    }
    const [whole, digits, unitRaw] = m;
    const unit = unitRaw;
    const unitStart = i + whole.length - unit.length;
    if (unit === 'm' || unit === 'M') {
      return fail(
        `\`${digits}${unit}\` is ambiguous: write \`${digits}min\` for minutes or \`${digits}mo\` for months`,
        i,
        i + whole.length,
        [s.slice(0, unitStart) + 'min' + s.slice(unitStart + unit.length), s.slice(0, unitStart) + 'mo' + s.slice(unitStart + unit.length)],
      );
    }
    if (unit === '') {
      return fail(`\`${digits}\` has no unit: add one of min, h, d, w, mo, y (e.g. \`${digits}d\`)`, i, i + whole.length, [
        `${s.slice(0, i + whole.length)}d${s.slice(i + whole.length)}`,
      ]);
    }
    if (!(UNITS as readonly string[]).includes(unit)) {
      const meant = SPELLINGS[unit.toLowerCase()];
      const fix = meant ? [s.slice(0, unitStart) + meant + s.slice(unitStart + unit.length)] : [];
      const hint = meant ? `write \`${digits}${meant}\`` : 'use min, h, d, w, mo or y';
      return fail(`unknown duration unit \`${unit}\`: ${hint}`, unitStart, unitStart + unit.length, fix);
    }
    if (seen.has(unit)) return fail(`the unit \`${unit}\` appears twice in \`${s}\``, unitStart, unitStart + unit.length);
    seen.add(unit);
    value[unit as DurationUnit] = Number(digits);
    i += whole.length;
  }
  return { ok: true, value };
}

/** Parse or throw: for callers that hold an already validated duration. */
export function duration(text: string): Duration {
  const r = parseDuration(text);
  if (!r.ok) throw new Error(r.message);
  return r.value;
}

export function formatDuration(d: Duration): string {
  const out = UNITS.filter((u) => d[u] !== 0).map((u) => `${d[u]}${u}`).join('');
  return out === '' ? '0min' : out;
}

export function isZero(d: Duration): boolean {
  return UNITS.every((u) => d[u] === 0);
}

/** The fixed-length part (w, d, h, min) in milliseconds. */
function fixedMs(d: Duration): number {
  return d.w * 7 * DAY + d.d * DAY + d.h * HOUR + d.min * MINUTE;
}

/**
 * `time − d` with calendar arithmetic for months and years (same wall-clock time one calendar
 * month earlier, in `zone`; the day is clamped to the month's last day) and fixed lengths for
 * weeks, days, hours and minutes.
 */
export function subtractDuration(time: number, d: Duration, zone: string): number {
  let t = time;
  if (d.y !== 0 || d.mo !== 0) t = calendarShift(t, -d.y, -d.mo, zone);
  return t - fixedMs(d);
}

// Shifting by months through luxon costs tens of microseconds (an Intl call per offset); a
// simulation shifts at every prune. ZoneClock does luxon's exact steps on the zone's offset table,
// where that table is exact (zone-clock.ts: zoneClockFor); luxon does the rest.
/** Same wall-clock time `years` and `months` later (negative: earlier) in `zone`; throws for an unknown zone. */
function calendarShift(time: number, years: number, months: number, zone: string): number {
  if (time >= EXACT_FROM && time < EXACT_TO) {
    const clock = zoneClockFor(zone);
    if (clock) {
      const t = clock.addMonths(time, years * 12 + months);
      if (t >= EXACT_FROM && t < EXACT_TO) return t;
    }
  }
  const dt = DateTime.fromMillis(time, { zone });
  // luxon returns an invalid DateTime (NaN millis) for an unknown zone: fail loudly instead.
  if (!dt.isValid) throw new Error(`cannot do calendar arithmetic in \`${zone}\`: ${dt.invalidExplanation ?? dt.invalidReason}`);
  return dt.plus({ years, months }).toMillis();
}

/** `time + d`, the mirror of subtractDuration. */
export function addDuration(time: number, d: Duration, zone: string): number {
  let t = time;
  if (d.y !== 0 || d.mo !== 0) t = calendarShift(t, d.y, d.mo, zone);
  return t + fixedMs(d);
}

/** Shortest length the duration can have (months of 28 days, years of 365 days). */
export function minMs(d: Duration): number {
  return fixedMs(d) + d.mo * 28 * DAY + d.y * 365 * DAY;
}

/** Longest length the duration can have (months of 31 days, years of 366 days). */
export function maxMs(d: Duration): number {
  return fixedMs(d) + d.mo * 31 * DAY + d.y * 366 * DAY;
}

/** Average length, for display and rough projections only. */
export function approxMs(d: Duration): number {
  return fixedMs(d) + d.mo * 30.436875 * DAY + d.y * 365.2425 * DAY;
}

/**
 * Human-readable length of a span in milliseconds, e.g. `45min`, `6h`, `23h 30min`, `1d 2h`,
 * `35d`: minutes are shown below a day, hours (rounded) from a day up.
 */
export function formatSpan(ms: number): string {
  if (ms < 0) return `-${formatSpan(-ms)}`;
  const minutes = Math.round(ms / MINUTE);
  if (minutes < 60) return `${minutes}min`;
  if (minutes < 24 * 60) {
    const h = Math.floor(minutes / 60);
    const m = minutes % 60;
    return m === 0 ? `${h}h` : `${h}h ${m}min`;
  }
  const hoursTotal = Math.round(minutes / 60);
  const days = Math.floor(hoursTotal / 24);
  const hours = hoursTotal % 24;
  return hours === 0 ? `${days}d` : `${days}d ${hours}h`;
}

export const MS = { MINUTE, HOUR, DAY };
