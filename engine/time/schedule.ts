// Schedules: a cron expression (see cron.ts) evaluated in a time zone, and the instants at which
// it fires.
//
// ## The DST model (what Backplan assumes the host's cron does)
//
// Backplan exports schedules to cron, and models the Vixie-cron family (cronie, Debian's cron,
// ISC cron 4), whose behaviour at clock changes is documented in cron(8) and implemented in the
// main loop of cron.c. A job is *wildcard* when its minute or hour field starts with `*`
// (`*/15 * * * *`, `0 * * * *`, `0 */6 * * *`, @hourly); otherwise it is *fixed-time*
// (`30 2 * * *`, `0 1-3 * * *`, @daily).
//
// - Spring forward (a gap of 5 min to 3 h, e.g. 02:00→03:00): a fixed-time job whose local time
//   falls in the gap runs once, at the instant of the jump (03:00 local); a wildcard job simply
//   has no runs for the local times that do not exist.
// - Fall back (an overlap of up to 3 h, e.g. 03:00→02:00): a fixed-time job runs once, at the
//   first occurrence of its local time; a wildcard job runs at both occurrences.
// - Jumps of under 5 min forward run every job of the skipped minutes at the jump; jumps of more
//   than 3 h (a zone changing its offset by a day) are clock corrections for cron: skipped times
//   never run, repeated times run again.
// - Several scheduled times landing on the same instant are one run (cron queues a job once).
//
// This is cron running in the schedule's zone (the host's local time). cronie warns that a
// per-job CRON_TZ different from the host's zone is handled less carefully around the change.
// cron-parser, by contrast, moves a skipped 02:30 to 03:30, and systemd timers skip it; an
// exporter to another scheduler must say so. Every fire is a distinct epoch-ms instant; `next`,
// `prev` and `fires` all follow this one model, and so do intervals.ts and dst.ts.
// test/unit/time/cron-model.test.ts replays cronie's loop minute by minute to hold us to it.
import { civilFromDays } from './civil';
import { checkZone } from './zones';
import { parseCron, type CronError, type CronFields, type CronOk, type Span } from './cron';
import { zoneTable, type Transition, type ZoneTable } from './offsets';

export { parseCron, type CronError, type CronFields, type CronOk, type Span } from './cron';

const MINUTE = 60_000;
const DAY = 86_400_000;
/** How far next/prev search before giving up (a valid schedule fires at least every 8 years). */
const MAX_SCAN_DAYS = 366 * 30;
/** Default cap on the number of fires `fires()` returns. */
export const MAX_FIRES = 1_000_000;

export interface ZoneError {
  ok: false;
  kind: 'zone';
  message: string;
  /** Offsets inside the zone string (the whole of it). */
  start: number;
  end: number;
  suggestions: string[];
}

export type ScheduleError = CronError | ZoneError;
export type ScheduleResult = { ok: true; schedule: Schedule } | ScheduleError;

export interface RunChunk {
  /** The runs, sorted (built on first access for a regular chunk; do not write to it). */
  readonly runs: Float64Array;
  readonly first: number;
  readonly last: number;
  readonly count: number;
  /**
   * True when the runs are exactly one local day's `timesOfDay` at a single UTC offset (no clock
   * change near that day): the gaps inside the chunk are then those between timesOfDay.
   */
  readonly regular: boolean;
}

/** A day far from any clock change: local midnight + timesOfDay, at one offset. */
class RegularChunk implements RunChunk {
  readonly regular = true;
  readonly first: number;
  readonly last: number;
  readonly count: number;
  private built: Float64Array | undefined;

  constructor(
    private readonly base: number,
    private readonly times: readonly number[],
  ) {
    this.first = base + times[0];
    this.last = base + times[times.length - 1];
    this.count = times.length;
  }

  get runs(): Float64Array {
    if (!this.built) {
      const out = new Float64Array(this.times.length);
      for (let i = 0; i < out.length; i++) out[i] = this.base + this.times[i];
      this.built = out;
    }
    return this.built;
  }
}

class ArrayChunk implements RunChunk {
  readonly first: number;
  readonly last: number;
  readonly count: number;

  constructor(
    readonly runs: Float64Array,
    readonly regular = false,
  ) {
    this.first = runs[0];
    this.last = runs[runs.length - 1];
    this.count = runs.length;
  }
}

export interface Schedule {
  /** The expression as written. */
  readonly expr: string;
  /** The five-field form (aliases expanded). */
  readonly normalized: string;
  readonly zone: string;
  readonly fields: CronFields;
  /** Cron's wildcard job (minute or hour field starts with `*`): see the DST model above. */
  readonly wildcard: boolean;
  /** Offsets of the five fields inside `expr`. */
  readonly spans: Span[];
  /** The first fire strictly after `after` (epoch ms); Infinity if none within 30 years. */
  next(after: number): number;
  /** The last fire strictly before `before`; -Infinity if none within 30 years. */
  prev(before: number): number;
  /** The fires t with from < t <= to, in order; throws a RangeError past `max` fires. */
  fires(from: number, to: number, max?: number): number[];
  /** Calls fn for every fire t with from < t <= to, in order, without building an array; fn may return false to stop. */
  forEachFire(from: number, to: number, fn: (t: number) => boolean | void): void;
  /**
   * The fires t with from < t <= to as consecutive sorted chunks (about one per local day): the
   * fastest way through hundreds of thousands of fires. Chunk arrays may be shared with a cache:
   * read them, do not write them.
   */
  chunks(from: number, to: number): Iterable<RunChunk>;
  /** The times of day the schedule names, in ms after local midnight, sorted. */
  readonly timesOfDay: readonly number[];
  /** The first n fires strictly after `from`. */
  nextRuns(from: number, n: number): number[];
}

/**
 * Parse a schedule (`30 2 * * *`, `@daily`, ...) to be evaluated in `zone` (an IANA name).
 * Errors carry offsets inside `expr` (kind `cron`) or say the zone is wrong (kind `zone`: point
 * at the timezone). Firing follows the DST model in this module's header.
 */
export function parseSchedule(expr: string, zone: string): ScheduleResult {
  const cron = parseCron(expr);
  if (!cron.ok) return cron;
  const z = checkZone(zone);
  if (!z.ok) {
    return { ok: false, kind: 'zone', message: z.message, start: 0, end: String(zone ?? '').length, suggestions: z.suggestions };
  }
  return { ok: true, schedule: new CronSchedule(String(expr), cron, zone) };
}

/** Parse or throw: for callers holding an already validated schedule. */
export function schedule(expr: string, zone: string): Schedule {
  const r = parseSchedule(expr, zone);
  if (!r.ok) throw new Error(r.message);
  return r.schedule;
}

/** Weekday (0 = Sunday) of a day number. */
export function weekdayOfDay(day: number): number {
  return (((day + 4) % 7) + 7) % 7;
}

function firstAbove(arr: ArrayLike<number>, x: number): number {
  let lo = 0;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (arr[mid] > x) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Sorted distinct values of a Float64Array (sorted in place, trimmed copy returned). */
function sortUnique(all: Float64Array): Float64Array {
  all.sort();
  let w = 0;
  for (let i = 0; i < all.length; i++) if (i === 0 || all[i] !== all[w - 1]) all[w++] = all[i];
  return w === all.length ? all : all.slice(0, w);
}

function mergeUnique(a: Float64Array, b: Float64Array): Float64Array {
  const all = new Float64Array(a.length + b.length);
  all.set(a);
  all.set(b, a.length);
  return sortUnique(all);
}

/** What cron does with a local time that a transition makes skipped or repeated (see the header). */
export function cronDstEffect(
  tr: Transition,
  wildcard: boolean,
): 'runs-at-jump' | 'not-run' | 'runs-once' | 'runs-twice' {
  const minutes = Math.round(Math.abs(tr.after - tr.before) / MINUTE);
  if (tr.after > tr.before) {
    // cron wakes up `minutes + 1` virtual minutes late.
    const late = minutes + 1;
    if (late <= 5) return 'runs-at-jump';
    if (late <= 180) return wildcard ? 'not-run' : 'runs-at-jump';
    return 'not-run';
  }
  // cron finds the clock `minutes - 1` minutes behind its virtual time.
  if (1 - minutes >= -180) return wildcard ? 'runs-twice' : 'runs-once';
  return 'runs-twice';
}

class CronSchedule implements Schedule {
  readonly normalized: string;
  readonly fields: CronFields;
  readonly wildcard: boolean;
  readonly spans: Span[];
  /** Offsets in ms from local midnight of every (hour, minute) the schedule names, sorted. */
  private readonly times: number[];
  /** Day arrays made from `times` at one offset (see RunChunk.regular). */
  private readonly regularDays = new WeakSet<Float64Array>();
  private readonly monthOk: boolean[];
  private readonly domOk: boolean[];
  private readonly dowOk: boolean[];
  private readonly table: ZoneTable;
  private readonly dayCache = new Map<number, Float64Array>();

  constructor(
    readonly expr: string,
    cron: CronOk,
    readonly zone: string,
  ) {
    this.normalized = cron.normalized;
    this.fields = cron.fields;
    this.spans = cron.spans;
    this.wildcard = cron.fields.minuteStar || cron.fields.hourStar;
    this.times = [];
    for (const h of cron.fields.hours) for (const m of cron.fields.minutes) this.times.push((h * 60 + m) * MINUTE);
    this.monthOk = Array.from({ length: 13 }, (_, i) => cron.fields.months.includes(i));
    this.domOk = Array.from({ length: 32 }, (_, i) => cron.fields.daysOfMonth.includes(i));
    this.dowOk = Array.from({ length: 7 }, (_, i) => cron.fields.daysOfWeek.includes(i));
    this.table = zoneTable(zone);
  }

  /** Does local day number `day` match the day, month and weekday fields? */
  matchesDay(day: number): boolean {
    const { month: m, day: d } = civilFromDays(day);
    if (!this.monthOk[m]) return false;
    const dom = this.domOk[d];
    const dow = this.dowOk[weekdayOfDay(day)];
    return this.fields.domStar || this.fields.dowStar ? dom && dow : dom || dow;
  }

  /** Does the schedule name local time `local` (wall clock written as UTC ms)? */
  matchesLocal(local: number): boolean {
    const day = Math.floor(local / DAY);
    const inDay = local - day * DAY;
    if (inDay % MINUTE !== 0) return false;
    const minuteOfDay = inDay / MINUTE;
    return (
      this.fields.hours.includes(Math.floor(minuteOfDay / 60)) &&
      this.fields.minutes.includes(minuteOfDay % 60) &&
      this.matchesDay(day)
    );
  }

  private localDay(t: number): number {
    return Math.floor((t + this.table.offsetAt(t)) / DAY);
  }

  /** The fires produced by the local times of day number `day`, sorted and distinct. */
  /**
   * The fires produced by the local times of day number `day`, sorted and distinct. Float64Array:
   * epoch ms do not fit V8's small integers, and a plain array would box every one of them.
   */
  private dayFires(day: number): Float64Array {
    const cached = this.dayCache.get(day);
    if (cached) return cached;
    const out = this.computeDay(day);
    if (this.dayCache.size >= 64) this.dayCache.clear();
    this.dayCache.set(day, out);
    return out;
  }

  private computeDay(day: number): Float64Array {
    if (!this.matchesDay(day)) return EMPTY;
    const l0 = day * DAY;
    // The day's runs lie within [l0 - 14 h, l0 + 36 h] (offsets span -12 h to +14 h): a
    // transition outside [l0 - 1 d, l0 + 2 d) cannot touch them.
    const near = this.table.universal ? [] : this.table.transitionsBetween(l0 - DAY, l0 + 2 * DAY);
    if (near.length === 0) {
      const base = l0 - this.table.offsetAt(l0);
      const out = new Float64Array(this.times.length);
      for (let i = 0; i < out.length; i++) out[i] = base + this.times[i];
      this.regularDays.add(out);
      return out;
    }
    // At most two runs per local time (an overlap); typed so that epoch ms are not boxed.
    const runs = new Float64Array(this.times.length * 2);
    const n = this.resolveTransitionDay(l0, near, runs);
    return sortUnique(runs.slice(0, n));
  }

  /**
   * The runs of the local times of the day starting at local midnight `l0`, when transitions
   * (`near`, in order, all those within a day) are close: each local time is looked up in the
   * pieces of constant offset between transitions; none found is a gap, two an overlap.
   */
  private resolveTransitionDay(l0: number, near: readonly Transition[], out: Float64Array): number {
    const n = near.length;
    let w = 0;
    for (const tm of this.times) {
      const local = l0 + tm;
      let found = 0;
      let first = 0;
      let second = 0;
      for (let i = 0; i <= n; i++) {
        const t = local - (i === 0 ? near[0].before : near[i - 1].after);
        if ((i === 0 || t >= near[i - 1].at) && (i === n || t < near[i].at)) {
          if (found === 0) first = t;
          else second = t;
          found++;
        }
      }
      if (found === 1) {
        out[w++] = first;
      } else if (found >= 2) {
        const tr = near.find((x) => x.after < x.before && x.at > first && x.at <= second) ?? near[0];
        out[w++] = first;
        if (cronDstEffect(tr, this.wildcard) === 'runs-twice') out[w++] = second;
      } else {
        const gap = near.find((x) => x.after > x.before && local >= x.at + x.before && local < x.at + x.after);
        if (gap && cronDstEffect(gap, this.wildcard) === 'runs-at-jump') out[w++] = gap.at;
      }
    }
    return w;
  }

  next(after: number): number {
    if (!Number.isFinite(after)) throw new RangeError(`next(): not a time: ${after}`);
    let day = this.localDay(after) - 1;
    for (let i = 0; i < MAX_SCAN_DAYS; i++, day++) {
      const arr = this.dayFires(day);
      const k = firstAbove(arr, after);
      if (k < arr.length) {
        let best = arr[k];
        // Local days can interleave around a fall-back overlap at midnight: look one day further.
        const following = this.dayFires(day + 1);
        const j = firstAbove(following, after);
        if (j < following.length && following[j] < best) best = following[j];
        return best;
      }
    }
    return Number.POSITIVE_INFINITY;
  }

  prev(before: number): number {
    if (!Number.isFinite(before)) throw new RangeError(`prev(): not a time: ${before}`);
    let day = this.localDay(before) + 1;
    for (let i = 0; i < MAX_SCAN_DAYS; i++, day--) {
      const arr = this.dayFires(day);
      const idx = lastBelow(arr, before);
      if (idx >= 0) {
        let best = arr[idx];
        const preceding = this.dayFires(day - 1);
        const j = lastBelow(preceding, before);
        if (j >= 0 && preceding[j] > best) best = preceding[j];
        return best;
      }
    }
    return Number.NEGATIVE_INFINITY;
  }

  get timesOfDay(): readonly number[] {
    return this.times;
  }

  *chunks(from: number, to: number): Generator<RunChunk, void, undefined> {
    if (!Number.isFinite(from) || !Number.isFinite(to)) throw new RangeError(`fires(): not a time range: ${from}..${to}`);
    if (!(to > from)) return;
    const d0 = this.localDay(from) - 1;
    const d1 = this.localDay(to) + 1;
    const clipped = (c: RunChunk): RunChunk | undefined => {
      if (c.first > from && c.last <= to) return c;
      const part = clip(c.runs, from, to);
      return part.length > 0 ? new ArrayChunk(part) : undefined;
    };
    // A day's runs are held back until the next day with runs is known to start later (local
    // days interleave only around a fall-back overlap at midnight).
    let pending: RunChunk | undefined;
    for (let day = d0; day <= d1; day++) {
      const c = this.chunkOfDay(day);
      if (!c) continue;
      if (pending && c.first <= pending.last) {
        pending = new ArrayChunk(mergeUnique(pending.runs, c.runs));
        continue;
      }
      if (pending) {
        const out = clipped(pending);
        if (out) yield out;
        if (pending.last > to) return;
      }
      pending = c;
    }
    if (pending) {
      const out = clipped(pending);
      if (out) yield out;
    }
  }

  /** The runs of one local day as a chunk (not cached: long scans would only evict what next/prev reuse). */
  private chunkOfDay(day: number): RunChunk | undefined {
    const cached = this.dayCache.get(day);
    if (cached) return cached.length > 0 ? new ArrayChunk(cached, this.regularDays.has(cached)) : undefined;
    if (!this.matchesDay(day)) return undefined;
    const l0 = day * DAY;
    if (this.table.universal || this.table.transitionsBetween(l0 - DAY, l0 + 2 * DAY).length === 0) {
      return new RegularChunk(l0 - this.table.offsetAt(l0), this.times);
    }
    const runs = this.computeDay(day);
    return runs.length > 0 ? new ArrayChunk(runs) : undefined;
  }

  forEachFire(from: number, to: number, fn: (t: number) => boolean | void): void {
    for (const { runs } of this.chunks(from, to)) {
      for (let i = 0; i < runs.length; i++) if (fn(runs[i]) === false) return;
    }
  }

  fires(from: number, to: number, max = MAX_FIRES): number[] {
    const out: number[] = [];
    this.forEachFire(from, to, (t) => {
      if (out.length >= max) {
        throw new RangeError(`more than ${max} runs of \`${this.expr}\` between ${new Date(from).toISOString()} and ${new Date(to).toISOString()}`);
      }
      out.push(t);
    });
    return out;
  }

  nextRuns(from: number, n: number): number[] {
    const out: number[] = [];
    let t = from;
    for (let i = 0; i < n; i++) {
      t = this.next(t);
      if (!Number.isFinite(t)) break;
      out.push(t);
    }
    return out;
  }
}

const EMPTY = new Float64Array(0);

/** The part of a sorted array with from < t <= to (a view, not a copy). */
function clip(arr: Float64Array, from: number, to: number): Float64Array {
  const a = firstAbove(arr, from);
  const b = firstAbove(arr, to);
  return a === 0 && b === arr.length ? arr : arr.subarray(a, b);
}

function lastBelow(arr: ArrayLike<number>, x: number): number {
  let lo = 0;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (arr[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

/** True when `s` is a Schedule built by parseSchedule (helps callers that accept either form). */
export function isSchedule(s: unknown): s is Schedule {
  return s instanceof CronSchedule;
}

/** Does the schedule name this local wall-clock time (written as UTC ms) on a matching day? */
export function namesLocalTime(s: Schedule, local: number): boolean {
  return s instanceof CronSchedule ? s.matchesLocal(local) : false;
}
