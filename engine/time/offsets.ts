// UTC offsets of a zone as a table of transitions, built once per zone and year from luxon and
// then read with plain arithmetic. Asking luxon (Intl underneath) for every fire of a minutely
// schedule over a year would cost seconds; the table answers in nanoseconds.
//
// A year's transitions are found by sampling the offset at every UTC midnight and bisecting each
// change to the minute. Two changes within the same day that cancel out would be missed; the tz
// database has none since the 1940s.
import { IANAZone } from 'luxon';
import { isUniversalZone } from './zones';

const MINUTE = 60_000;
const DAY = 86_400_000;

export interface Transition {
  /** The instant (epoch ms) from which `after` applies. */
  at: number;
  /** UTC offsets in ms (local = instant + offset) before and after the change. */
  before: number;
  after: number;
}

interface YearTable {
  startOffset: number;
  transitions: Transition[];
}

export class ZoneTable {
  private readonly years = new Map<number, YearTable>();
  private readonly luxonZone: IANAZone | undefined;
  readonly universal: boolean;

  constructor(readonly zone: string) {
    this.universal = isUniversalZone(zone);
    this.luxonZone = this.universal ? undefined : IANAZone.create(zone);
    if (this.luxonZone && !this.luxonZone.isValid) throw new Error(`unknown timezone \`${zone}\``);
    if (this.luxonZone) {
      try {
        this.offsetFormat = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'longOffset' });
      } catch {
        this.offsetFormat = undefined;
      }
    }
  }

  /** Intl's `longOffset` name (`GMT+02:00`) is about five times cheaper to get than luxon's offset. */
  private readonly offsetFormat: Intl.DateTimeFormat | undefined;

  private rawOffset(t: number): number {
    if (!this.luxonZone) return 0;
    if (this.offsetFormat) {
      const m = /GMT(?:([+-])(\d{1,2}):?(\d{2})?(?::?(\d{2}))?)?$/.exec(this.offsetFormat.format(t));
      if (m) {
        if (!m[1]) return 0;
        const ms = (Number(m[2]) * 3600 + Number(m[3] ?? 0) * 60 + Number(m[4] ?? 0)) * 1000;
        return m[1] === '-' ? -ms : ms;
      }
    }
    return Math.round(this.luxonZone.offset(t) * MINUTE);
  }

  private year(y: number): YearTable {
    let table = this.years.get(y);
    if (table) return table;
    const start = Date.UTC(y, 0, 1);
    const end = Date.UTC(y + 1, 0, 1);
    const transitions: Transition[] = [];
    const startOffset = this.rawOffset(start);
    if (!this.universal) {
      let prevT = start;
      let prevOff = startOffset;
      for (let t = start + DAY; t <= end; t += DAY) {
        const off = this.rawOffset(t);
        if (off !== prevOff) {
          // First minute in (prevT, t] whose offset differs from prevOff.
          let lo = prevT / MINUTE;
          let hi = t / MINUTE;
          while (hi - lo > 1) {
            const mid = Math.floor((lo + hi) / 2);
            if (this.rawOffset(mid * MINUTE) === prevOff) lo = mid;
            else hi = mid;
          }
          const at = hi * MINUTE;
          // A change exactly at the next year's first instant belongs to that year.
          if (at < end) transitions.push({ at, before: prevOff, after: this.rawOffset(at) });
        }
        prevT = t;
        prevOff = off;
      }
    }
    table = { startOffset, transitions };
    this.years.set(y, table);
    return table;
  }

  /** UTC offset in ms at instant t. */
  offsetAt(t: number): number {
    if (this.universal) return 0;
    const table = this.year(new Date(t).getUTCFullYear());
    const tr = table.transitions;
    let off = table.startOffset;
    for (let i = 0; i < tr.length && tr[i].at <= t; i++) off = tr[i].after;
    return off;
  }

  /** Transitions with from <= at < to, in order. */
  transitionsBetween(from: number, to: number): Transition[] {
    if (this.universal || !(to > from)) return [];
    const out: Transition[] = [];
    const y0 = new Date(from).getUTCFullYear();
    const y1 = new Date(to).getUTCFullYear();
    for (let y = y0; y <= y1; y++) {
      for (const tr of this.year(y).transitions) if (tr.at >= from && tr.at < to) out.push(tr);
    }
    return out;
  }
}

const tables = new Map<string, ZoneTable>();

/** The shared table of a zone (throws for an unknown zone). */
export function zoneTable(zone: string): ZoneTable {
  let t = tables.get(zone);
  if (!t) {
    t = new ZoneTable(zone);
    tables.set(zone, t);
  }
  return t;
}
