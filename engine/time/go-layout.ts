// Go time layouts (`2006-01-02_15-04-05`), as Go's time.Format reads them: the layout is the
// reference time `Mon Jan 2 15:04:05 MST 2006` written the way the result should look. Incus
// names scheduled snapshots with pongo2's `date` filter, which is Go's `Time.Format`, over the
// daemon's clock in its local zone. Elements (found left to right, the first match wins, as Go's
// nextStdChunk does): 2006 06 (year), January Jan 1 01 (month), Monday Mon (weekday), 2 _2 02
// (day), __2 002 (day of year), 15 3 03 (hour), 4 04 (minute), 5 05 (second), PM pm, MST (zone
// abbreviation), Z0700 Z070000 Z07 Z07:00 Z07:00:00 -0700 -070000 -07 -07:00 -07:00:00 (offset;
// the Z forms print `Z` at offset 0), `.000`/`,000` and `.999`/`,999` (fractional seconds, the
// 9s dropping trailing zeros). Anything else is literal: `1` is a month and `3` an hour wherever
// they stand, `Jan` is a month only when no lower-case letter follows it.
//
// goLayoutParser is the inverse, for names read back: a regular expression per element, then
// the time rebuilt in the zone (or at the written offset) and formatted again, which must give
// the same text (this rejects impossible dates, weekdays that do not match, wall-clock times that
// do not exist in the zone, and a wrong split of unpadded numbers).
import { DateTime, FixedOffsetZone } from 'luxon';

export type GoElement =
  | 'LongYear' | 'Year' | 'LongMonth' | 'Month' | 'NumMonth' | 'ZeroMonth' | 'LongWeekDay' | 'WeekDay'
  | 'Day' | 'UnderDay' | 'ZeroDay' | 'UnderYearDay' | 'ZeroYearDay' | 'Hour' | 'Hour12' | 'ZeroHour12'
  | 'Minute' | 'ZeroMinute' | 'Second' | 'ZeroSecond' | 'PM' | 'pm' | 'TZ'
  | 'ISO8601TZ' | 'ISO8601SecondsTZ' | 'ISO8601ShortTZ' | 'ISO8601ColonTZ' | 'ISO8601ColonSecondsTZ'
  | 'NumTZ' | 'NumSecondsTZ' | 'NumShortTZ' | 'NumColonTZ' | 'NumColonSecondsTZ' | 'Frac0' | 'Frac9';

export type GoChunk = { lit: string } | { el: GoElement; text: string; digits?: number; sep?: string };

const ZONES: [string, GoElement][] = [
  ['-070000', 'NumSecondsTZ'],
  ['-07:00:00', 'NumColonSecondsTZ'],
  ['-0700', 'NumTZ'],
  ['-07:00', 'NumColonTZ'],
  ['-07', 'NumShortTZ'],
  ['Z070000', 'ISO8601SecondsTZ'],
  ['Z07:00:00', 'ISO8601ColonSecondsTZ'],
  ['Z0700', 'ISO8601TZ'],
  ['Z07:00', 'ISO8601ColonTZ'],
  ['Z07', 'ISO8601ShortTZ'],
];
const ZERO_X: GoElement[] = ['ZeroMonth', 'ZeroDay', 'ZeroHour12', 'ZeroMinute', 'ZeroSecond', 'Year'];

/** The layout as literal text and elements, in order. */
export function goLayout(layout: string): GoChunk[] {
  const out: GoChunk[] = [];
  let lit = '';
  const push = (el: GoElement, text: string, extra: Partial<{ digits: number; sep: string }> = {}) => {
    if (lit) out.push({ lit });
    lit = '';
    out.push({ el, text, ...extra });
  };
  let i = 0;
  const at = (s: string) => layout.startsWith(s, i);
  while (i < layout.length) {
    const c = layout[i];
    const next = layout[i + 1];
    let took = 0;
    if (c === 'J' && at('Jan')) {
      if (at('January')) (push('LongMonth', 'January'), (took = 7));
      else if (!/^[a-z]/.test(layout.slice(i + 3))) (push('Month', 'Jan'), (took = 3));
    } else if (c === 'M' && layout.length >= i + 3) {
      if (at('Mon')) {
        if (at('Monday')) (push('LongWeekDay', 'Monday'), (took = 6));
        else if (!/^[a-z]/.test(layout.slice(i + 3))) (push('WeekDay', 'Mon'), (took = 3));
      }
      if (!took && at('MST')) (push('TZ', 'MST'), (took = 3));
    } else if (c === '0') {
      if (next !== undefined && next >= '1' && next <= '6') (push(ZERO_X[+next - 1], `0${next}`), (took = 2));
      else if (at('002')) (push('ZeroYearDay', '002'), (took = 3));
    } else if (c === '1') {
      if (next === '5') (push('Hour', '15'), (took = 2));
      else (push('NumMonth', '1'), (took = 1));
    } else if (c === '2') {
      if (at('2006')) (push('LongYear', '2006'), (took = 4));
      else (push('Day', '2'), (took = 1));
    } else if (c === '_') {
      if (next === '2') {
        if (layout.startsWith('2006', i + 1)) {
          lit += '_';
          push('LongYear', '2006');
          took = 5;
        } else (push('UnderDay', '_2'), (took = 2));
      } else if (at('__2')) (push('UnderYearDay', '__2'), (took = 3));
    } else if (c === '3') (push('Hour12', '3'), (took = 1));
    else if (c === '4') (push('Minute', '4'), (took = 1));
    else if (c === '5') (push('Second', '5'), (took = 1));
    else if (c === 'P' && next === 'M') (push('PM', 'PM'), (took = 2));
    else if (c === 'p' && next === 'm') (push('pm', 'pm'), (took = 2));
    else if (c === '-' || c === 'Z') {
      const z = ZONES.find(([s]) => at(s));
      if (z) (push(z[1], z[0]), (took = z[0].length));
    } else if ((c === '.' || c === ',') && (next === '0' || next === '9')) {
      let j = i + 1;
      while (j < layout.length && layout[j] === next) j++;
      if (!/[0-9]/.test(layout[j] ?? '')) {
        push(next === '0' ? 'Frac0' : 'Frac9', layout.slice(i, j), { digits: j - i - 1, sep: c });
        took = j - i;
      }
    }
    if (took) i += took;
    else {
      lit += c;
      i++;
    }
  }
  if (lit) out.push({ lit });
  return out;
}

const pad = (n: number, w: number) => String(Math.abs(n)).padStart(w, '0');
const LONG_MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const LONG_DAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];

/** The zone's abbreviation as the system's tzdata would give it (best effort: Intl's names). */
function zoneAbbreviation(t: DateTime): string {
  if (t.zoneName === 'UTC' || t.zoneName === 'Etc/UTC') return 'UTC';
  for (const locale of ['en-US', 'en-GB']) {
    const name = t.setLocale(locale).offsetNameShort;
    if (name && /^[A-Z]{2,5}$/.test(name)) return name;
  }
  // tzdata writes the offset for zones without a usual abbreviation (`+03`, `+0530`).
  const o = t.offset;
  return `${o < 0 ? '-' : '+'}${pad(Math.floor(Math.abs(o) / 60), 2)}${Math.abs(o) % 60 ? pad(Math.abs(o) % 60, 2) : ''}`;
}

function offsetText(el: GoElement, offsetMin: number): string {
  if (offsetMin === 0 && el.startsWith('ISO')) return 'Z';
  const a = Math.abs(offsetMin);
  const colon = el.includes('Colon');
  let s = `${offsetMin < 0 ? '-' : '+'}${pad(Math.floor(a / 60), 2)}`;
  if (!el.includes('Short')) s += `${colon ? ':' : ''}${pad(a % 60, 2)}`;
  if (el.includes('Seconds')) s += `${colon ? ':' : ''}00`;
  return s;
}

/** One element of `t`; `frac` is the fractional-second text to use instead of t's milliseconds. */
function element(c: Extract<GoChunk, { el: GoElement }>, t: DateTime, frac?: string): string {
  const h12 = t.hour % 12 === 0 ? 12 : t.hour % 12;
  switch (c.el) {
    case 'LongYear': return pad(t.year, 4);
    case 'Year': return pad(t.year % 100, 2);
    case 'LongMonth': return LONG_MONTHS[t.month - 1];
    case 'Month': return LONG_MONTHS[t.month - 1].slice(0, 3);
    case 'NumMonth': return String(t.month);
    case 'ZeroMonth': return pad(t.month, 2);
    case 'LongWeekDay': return LONG_DAYS[t.weekday - 1];
    case 'WeekDay': return LONG_DAYS[t.weekday - 1].slice(0, 3);
    case 'Day': return String(t.day);
    case 'UnderDay': return t.day < 10 ? ` ${t.day}` : String(t.day);
    case 'ZeroDay': return pad(t.day, 2);
    case 'UnderYearDay': return String(t.ordinal).padStart(3, ' ');
    case 'ZeroYearDay': return pad(t.ordinal, 3);
    case 'Hour': return pad(t.hour, 2);
    case 'Hour12': return String(h12);
    case 'ZeroHour12': return pad(h12, 2);
    case 'Minute': return String(t.minute);
    case 'ZeroMinute': return pad(t.minute, 2);
    case 'Second': return String(t.second);
    case 'ZeroSecond': return pad(t.second, 2);
    case 'PM': return t.hour >= 12 ? 'PM' : 'AM';
    case 'pm': return t.hour >= 12 ? 'pm' : 'am';
    case 'TZ': return zoneAbbreviation(t);
    case 'Frac0':
    case 'Frac9': {
      if (frac !== undefined) return frac;
      const nine = pad(t.millisecond, 3) + '000000';
      let d = nine.slice(0, c.digits);
      if (c.el === 'Frac9') d = d.replace(/0+$/, '');
      return d ? `${c.sep}${d}` : '';
    }
    default: return offsetText(c.el, t.offset);
  }
}

/** `ms` formatted with the layout in `zone`, as Go's Time.Format does. */
export function goFormat(ms: number, layout: string | GoChunk[], zone: string): string {
  const t = DateTime.fromMillis(ms, { zone });
  const chunks = typeof layout === 'string' ? goLayout(layout) : layout;
  return chunks.map((c) => ('lit' in c ? c.lit : element(c, t))).join('');
}

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function elementRe(c: Extract<GoChunk, { el: GoElement }>): string {
  switch (c.el) {
    case 'LongYear': return '(\\d{4})';
    case 'Year': case 'ZeroMonth': case 'ZeroDay': case 'Hour': case 'ZeroHour12': case 'ZeroMinute': case 'ZeroSecond':
      return '(\\d{2})';
    case 'LongMonth': return `(${LONG_MONTHS.join('|')})`;
    case 'Month': return `(${LONG_MONTHS.map((m) => m.slice(0, 3)).join('|')})`;
    case 'LongWeekDay': return `(${LONG_DAYS.join('|')})`;
    case 'WeekDay': return `(${LONG_DAYS.map((m) => m.slice(0, 3)).join('|')})`;
    case 'NumMonth': case 'Day': case 'Hour12': case 'Minute': case 'Second': return '(\\d{1,2})';
    case 'UnderDay': return '( \\d|\\d{2})';
    case 'UnderYearDay': return '( {0,2}\\d{1,3})';
    case 'ZeroYearDay': return '(\\d{3})';
    case 'PM': return '(AM|PM)';
    case 'pm': return '(am|pm)';
    case 'TZ': return '([A-Za-z]{2,5}|[+-]\\d{2}(?:\\d{2})?)';
    case 'Frac0': return `(${esc(c.sep!)}\\d{${c.digits}})`;
    case 'Frac9': return `((?:${esc(c.sep!)}\\d{1,${c.digits}})?)`;
    default: {
      const colon = c.el.includes('Colon') ? ':' : '';
      let re = `[+-]\\d{2}`;
      if (!c.el.includes('Short')) re += `${colon}\\d{2}`;
      if (c.el.includes('Seconds')) re += `${colon}\\d{2}`;
      return c.el.startsWith('ISO') ? `(Z|${re})` : `(${re})`;
    }
  }
}

export interface GoLayoutParser {
  /** The regular expression source of each formatted layout (one capture group per element). */
  res: string[];
  /** Number of capture groups in each of `res`. */
  groups: number[];
  /** True when the names hold a whole date (a year, and a month and day or a day of year). */
  holdsDate: boolean;
  /** The instant from the captured texts (one list per layout), or undefined if they name none. */
  time(captured: string[][]): number | undefined;
}

/**
 * The inverse of goFormat for `layouts` that follow one another in a name (an Incus pattern may
 * hold several `date` tags): their elements together make one time, in `zone` unless an offset
 * is written.
 */
export function goLayoutParser(layouts: string[], zone: string): GoLayoutParser {
  const parsed = layouts.map((l) => goLayout(l));
  const els = new Set(parsed.flat().flatMap((c) => ('el' in c ? [c.el] : [])));
  const has = (...e: GoElement[]) => e.some((x) => els.has(x));
  const twelve = has('Hour12', 'ZeroHour12') && !has('Hour');
  const holdsDate =
    has('LongYear', 'Year') &&
    (has('UnderYearDay', 'ZeroYearDay') || (has('LongMonth', 'Month', 'NumMonth', 'ZeroMonth') && has('Day', 'UnderDay', 'ZeroDay'))) &&
    (!twelve || has('PM', 'pm'));
  const parsers = parsed.map((chunks) => {
    const re = chunks.map((c) => ('lit' in c ? esc(c.lit) : elementRe(c))).join('');
    const groups = chunks.filter((c) => 'el' in c).length;
    return { chunks, re, groups };
  });
  const time = (captured: string[][]): number | undefined => {
    if (!holdsDate) return undefined;
    const v: { year?: number; month?: number; day?: number; ordinal?: number; hour: number; minute: number; second: number; ms: number; pm?: boolean; offset?: number } = { hour: 0, minute: 0, second: 0, ms: 0 };
    const fracs: string[] = [];
    parsers.forEach((p, k) => {
      let g = 0;
      for (const c of p.chunks) {
        if ('lit' in c) continue;
        const s = captured[k][g++];
        const n = Number(s.trim());
        switch (c.el) {
          case 'LongYear': v.year = n; break;
          case 'Year': v.year = n >= 69 ? 1900 + n : 2000 + n; break;
          case 'LongMonth': v.month = LONG_MONTHS.indexOf(s) + 1; break;
          case 'Month': v.month = LONG_MONTHS.findIndex((m) => m.startsWith(s)) + 1; break;
          case 'NumMonth': case 'ZeroMonth': v.month = n; break;
          case 'Day': case 'UnderDay': case 'ZeroDay': v.day = n; break;
          case 'UnderYearDay': case 'ZeroYearDay': v.ordinal = n; break;
          case 'Hour': case 'Hour12': case 'ZeroHour12': v.hour = n; break;
          case 'Minute': case 'ZeroMinute': v.minute = n; break;
          case 'Second': case 'ZeroSecond': v.second = n; break;
          case 'PM': case 'pm': v.pm = s.toLowerCase() === 'pm'; break;
          case 'Frac0': case 'Frac9': fracs.push(s); if (s.length > 1) v.ms = Math.floor(Number(`0.${s.slice(1)}`) * 1000 + 1e-6); break;
          case 'LongWeekDay': case 'WeekDay': case 'TZ': break;
          default: if (s === 'Z') v.offset = 0; else {
            const d = s.replace(/:/g, '');
            v.offset = (s[0] === '-' ? -1 : 1) * (Number(d.slice(1, 3)) * 60 + (d.length >= 5 ? Number(d.slice(3, 5)) : 0));
          }
        }
      }
    });
    if (twelve) {
      if (v.hour < 1 || v.hour > 12) return undefined;
      v.hour = (v.hour % 12) + (v.pm ? 12 : 0);
    }
    const z = v.offset !== undefined ? FixedOffsetZone.instance(v.offset) : zone;
    const base = { year: v.year!, hour: v.hour, minute: v.minute, second: v.second, millisecond: v.ms };
    const t =
      v.ordinal !== undefined && v.month === undefined
        ? DateTime.fromObject({ ...base, ordinal: v.ordinal }, { zone: z })
        : DateTime.fromObject({ ...base, month: v.month ?? 1, day: v.day ?? 1 }, { zone: z });
    if (!t.isValid) return undefined;
    // Formatted again in the zone the names are made in, it must give the same text.
    const back = t.setZone(zone);
    let f = 0;
    for (let k = 0; k < parsers.length; k++) {
      let g = 0;
      for (const c of parsers[k].chunks) {
        if ('lit' in c) continue;
        const s = captured[k][g++];
        const want = c.el === 'Frac0' || c.el === 'Frac9' ? fracs[f++] : element(c, back);
        if (c.el === 'TZ' ? !zoneMatches(s, back) : want !== s) return undefined;
      }
    }
    return t.toMillis();
  };
  return { res: parsers.map((p) => p.re), groups: parsers.map((p) => p.groups), holdsDate, time };
}

function zoneMatches(s: string, t: DateTime): boolean {
  return s === zoneAbbreviation(t) || /^[A-Z]{2,5}$/.test(s);
}
