// Calendar helpers shared by the pruning-engine evaluators: local wall-clock parts of an instant
// in an IANA zone, ISO weeks, and Go's `time.AddDate` (which restic and Incus use and whose
// overflow rules differ from luxon's: Go normalises Jan 31 + 1 month to Mar 3, luxon clamps it to
// Feb 28). All times are epoch milliseconds; zone offsets come from luxon.
import { Info, type Zone } from 'luxon';
import { civilFromDays, daysFromCivil } from '../time/civil';
import { EXACT_FROM, EXACT_TO, zoneClockFor } from '../time/zone-clock';

export { civilFromDays, daysFromCivil };

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

/** The wall-clock reading of an instant in a zone. */
export interface LocalParts {
  year: number;
  /** 1..12 */
  month: number;
  /** 1..31 */
  day: number;
  hour: number;
  minute: number;
  second: number;
  millisecond: number;
  /** Days since 1970-01-01 of the local date (negative before). */
  dayNumber: number;
  /** ISO-8601 week-numbering year and week (1..53). */
  isoYear: number;
  isoWeek: number;
  /** Offset from UTC in minutes at that instant. */
  offset: number;
}

const zoneCache = new Map<string, Zone>();

/** The luxon zone for an IANA name (or `UTC`); throws on an unknown zone. */
export function zoneOf(name: string): Zone {
  let z = zoneCache.get(name);
  if (z === undefined) {
    const found = Info.normalizeZone(name);
    if (!found || !found.isValid) throw new Error(`unknown time zone \`${name}\``);
    z = found;
    zoneCache.set(name, z);
  }
  return z;
}

// Asking luxon (Intl) for an offset costs microseconds; pruning a million snapshots asks a
// million times. Offsets are remembered per zone at the start of each UTC hour: when an hour
// starts with the same offset as the next one, the offset holds throughout it (no zone changes
// offset twice within an hour); the rare hour that holds a change is asked exactly.
const OFFSET_CACHE_LIMIT = 500_000;
const offsetCaches = new Map<string, Map<number, number>>();

function hourStartOffset(cache: Map<number, number>, z: Zone, hour: number): number {
  let o = cache.get(hour);
  if (o === undefined) {
    o = z.offset(hour * HOUR);
    if (cache.size >= OFFSET_CACHE_LIMIT) cache.clear();
    cache.set(hour, o);
  }
  return o;
}

/** Offset from UTC, in minutes, of `zone` at the instant `ms`. */
export function offsetAt(ms: number, zone: string): number {
  // Where the zone's offset table is exact, read it (no Intl call for a new hour).
  if (ms >= EXACT_FROM && ms < EXACT_TO) {
    const clock = zoneClockFor(zone);
    if (clock) return clock.offset(ms) / MINUTE;
  }
  let cache = offsetCaches.get(zone);
  if (cache === undefined) {
    cache = new Map();
    offsetCaches.set(zone, cache);
  }
  const z = zoneOf(zone);
  const hour = Math.floor(ms / HOUR);
  const start = hourStartOffset(cache, z, hour);
  return hourStartOffset(cache, z, hour + 1) === start ? start : z.offset(ms);
}

/** Monday = 0 ... Sunday = 6 (1970-01-01 was a Thursday). */
export function weekdayOf(dayNumber: number): number {
  return (((dayNumber + 3) % 7) + 7) % 7;
}

function isoWeekOf(dayNumber: number): { isoYear: number; isoWeek: number } {
  // The ISO week belongs to the year that holds its Thursday.
  const thursday = dayNumber - weekdayOf(dayNumber) + 3;
  const isoYear = civilFromDays(thursday).year;
  const isoWeek = Math.floor((thursday - daysFromCivil(isoYear, 1, 1)) / 7) + 1;
  return { isoYear, isoWeek };
}

// Sorted snapshots come in runs of the same day: the last day's date is kept at hand. A
// simulation reads the same few hundred days at every prune: those are remembered too.
interface DayDate {
  year: number;
  month: number;
  day: number;
  isoYear: number;
  isoWeek: number;
}
const DAYS_CACHE_LIMIT = 100_000;
const days = new Map<number, DayDate>();
let lastDay = NaN;
let lastDate: DayDate = { year: 0, month: 0, day: 0, isoYear: 0, isoWeek: 0 };
export function dateOfDay(dayNumber: number): DayDate {
  if (dayNumber !== lastDay) {
    let d = days.get(dayNumber);
    if (d === undefined) {
      d = { ...civilFromDays(dayNumber), ...isoWeekOf(dayNumber) };
      if (days.size >= DAYS_CACHE_LIMIT) days.clear();
      days.set(dayNumber, d);
    }
    lastDate = d;
    lastDay = dayNumber;
  }
  return lastDate;
}

// Simulations prune the same snapshots again and again: remember their local parts.
const PARTS_CACHE_LIMIT = 200_000;
const partsCaches = new Map<string, Map<number, LocalParts>>();

/**
 * Wall-clock parts of `ms` in `zone`. `remember: false` skips the cache, for callers that see
 * each instant once (one pruning decision over a long list).
 */
export function localParts(ms: number, zone: string, remember = true): LocalParts {
  if (!remember) return computeParts(ms, zone);
  let cache = partsCaches.get(zone);
  if (cache === undefined) {
    cache = new Map();
    partsCaches.set(zone, cache);
  }
  const hit = cache.get(ms);
  if (hit !== undefined) return hit;
  const parts = computeParts(ms, zone);
  if (cache.size >= PARTS_CACHE_LIMIT) cache.clear();
  cache.set(ms, parts);
  return parts;
}

function computeParts(ms: number, zone: string): LocalParts {
  const offset = offsetAt(ms, zone);
  const wall = ms + offset * MINUTE;
  const dayNumber = Math.floor(wall / DAY);
  const inDay = wall - dayNumber * DAY;
  const { year, month, day, isoYear, isoWeek } = dateOfDay(dayNumber);
  return {
    year,
    month,
    day,
    hour: Math.floor(inDay / HOUR),
    minute: Math.floor((inDay % HOUR) / MINUTE),
    second: Math.floor((inDay % MINUTE) / 1000),
    millisecond: inDay % 1000,
    dayNumber,
    isoYear,
    isoWeek,
    offset,
  };
}

/**
 * The instant whose wall clock in `zone` reads `wall` (milliseconds of a wall-clock reading
 * counted as if it were UTC), resolved the way Go's `time.Date` does it: take the offset in
 * force at `wall` read as UTC; if the resulting instant lies in another zone period, use the
 * offset of that period instead. A wall time in a spring-forward gap therefore moves forward
 * (02:30 → 03:30 in Europe/Paris) and an ambiguous fall-back time takes the later offset.
 */
export function goWallToInstant(wall: number, zone: string): number {
  const o1 = offsetAt(wall, zone);
  const utc = wall - o1 * MINUTE;
  const o2 = offsetAt(utc, zone);
  return o2 === o1 ? utc : wall - o2 * MINUTE;
}

/**
 * Go's `t.AddDate(years, months, days)` with `t` read in `zone`: the wall-clock date is moved
 * field by field and then normalised, so overflowing days roll into the next month (Jan 31 +
 * 1 month = Feb 31 = Mar 3, or Mar 2 in a leap year) instead of being clamped; the time of day
 * is kept as a wall-clock reading.
 */
export function goAddDate(ms: number, years: number, months: number, days: number, zone: string): number {
  const p = localParts(ms, zone);
  const monthIndex = p.month - 1 + months;
  const year = p.year + years + Math.floor(monthIndex / 12);
  const month = (((monthIndex % 12) + 12) % 12) + 1;
  const dayNumber = daysFromCivil(year, month, 1) + (p.day - 1) + days;
  const wall = dayNumber * DAY + p.hour * HOUR + p.minute * MINUTE + p.second * 1000 + p.millisecond;
  return goWallToInstant(wall, zone);
}

const pad = (n: number, w = 2): string => {
  const s = String(Math.abs(n)).padStart(w, '0');
  return n < 0 ? `-${s}` : s;
};

/** `YYYY-MM-DD` of a day number. */
export function formatDay(dayNumber: number): string {
  const { year, month, day } = civilFromDays(dayNumber);
  return `${pad(year, 4)}-${pad(month)}-${pad(day)}`;
}

/** Local ISO-8601 reading of an instant with its offset, e.g. `2026-03-04T12:00:00+01:00`. */
export function formatLocal(ms: number, zone: string): string {
  const p = localParts(ms, zone);
  const off = p.offset;
  const sign = off < 0 ? '-' : '+';
  const abs = Math.abs(off);
  const frac = p.millisecond === 0 ? '' : `.${String(p.millisecond).padStart(3, '0')}`;
  return (
    `${formatDay(p.dayNumber)}T${pad(p.hour)}:${pad(p.minute)}:${pad(p.second)}${frac}` +
    `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`
  );
}
