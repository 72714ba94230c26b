// The count rules (restic `forget`, borg `prune`, the native `keep` counts, which are restic's)
// decided on the simulator's held list without going through the engine: no SnapshotIn copies,
// no sort (the list is already in time order), no reason strings, and each snapshot's calendar
// buckets read once in its life instead of once per prune. The walks are the engines' own
// (restic.ts applyResticRules, borg.ts evaluate), in the same newest-first order, and each stops
// where the engine can keep nothing more, so a prune costs what it keeps plus what it removes,
// not the whole held set when that set is large for another reason (min, replication bases).
//
// Only the decision is made here; the reasons are the engine's, asked at the last prune, where
// the simulator also compares the two decisions and replays everything through the engine on
// any difference (as for tiers-incremental.ts).
import type { PolicyModel } from '../plan/model';
import { isZero, type Duration } from '../time/duration';
import { BORG_RULES, borgWithin, periodKey } from '../retention/borg';
import { dateOfDay, localParts, DAY, HOUR, MINUTE, type LocalParts } from '../retention/calendar';
import { countOf, hasExpiry, hasTiers, isSet, keepOf, policyDuration, WITHIN_RULES } from '../retention/common';
import { byDay, byHour, byIsoWeek, byMonth, byYear, RESTIC_BEFORE_0_16, toResticDuration } from '../retention/restic';
import type { RetentionEngine } from '../retention/types';
import { EXACT_FROM, EXACT_TO, zoneClockFor, type ZoneClock } from '../time/zone-clock';
import type { Rec } from './held';

type Bucket = (p: LocalParts, nr: number) => number;

/** restic's calendar rules after `last`, in applyResticRules' order. */
const RESTIC_BUCKETS: readonly Bucket[] = [byHour, byDay, byIsoWeek, byMonth, byYear];
const WINDOW_KEYS = ['within_hourly', 'within_daily', 'within_weekly', 'within_monthly', 'within_yearly'] as const;

interface Window {
  d: Duration;
  /** Index into RESTIC_BUCKETS; -1 for plain `within`. */
  bucket: number;
}

/** The count rules of one policy, ready to decide at any prune time. */
export class CountsFast {
  private readonly kind: 'restic' | 'borg';
  /** Native: windows from the prune time; restic: from the newest snapshot. */
  private readonly fromNow: boolean;
  private readonly keepsOldest: boolean;
  /** restic: last, then the RESTIC_BUCKETS counts; borg: the BORG_RULES counts. */
  private readonly counts: number[] = [];
  private readonly windows: Window[] = [];
  private readonly borgWithinMs: number | undefined;
  /** Nothing is removed (an empty restic or native policy). */
  private readonly keepAll: boolean;
  /** The zone's shared clock, as localParts reads it (null: luxon answers there). */
  private readonly partsClock: ZoneClock | null;
  /** One LocalParts filled again for each snapshot (read at once, never kept). */
  private readonly scratch: LocalParts = {
    year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0, millisecond: 0,
    dayNumber: 0, isoYear: 0, isoWeek: 0, offset: 0,
  };

  /** The evaluator of `engine` for `policy`, or undefined when it does not apply (the engine decides). */
  static for(engine: RetentionEngine, policy: PolicyModel, clock: ZoneClock, zone: string): CountsFast | undefined {
    try {
      if (engine.id !== 'restic' && engine.id !== 'native' && engine.id !== 'borg') return undefined;
      if (hasTiers(policy) || hasExpiry(policy)) return undefined;
      const tags = keepOf(policy)?.tags as unknown;
      if (Array.isArray(tags) && tags.length > 0) return undefined;
      return new CountsFast(engine, policy, clock, zone);
    } catch {
      return undefined; // let the engine itself report what it cannot read
    }
  }

  private constructor(
    engine: RetentionEngine,
    policy: PolicyModel,
    private readonly clock: ZoneClock,
    private readonly zone: string,
  ) {
    const keep = keepOf(policy);
    this.partsClock = zoneClockFor(zone);
    this.kind = engine.id === 'borg' ? 'borg' : 'restic';
    this.fromNow = engine.id === 'native';
    // The native engine runs restic's current rules; borg does not read this.
    this.keepsOldest = engine.id === 'native' || engine.release !== RESTIC_BEFORE_0_16.label;
    if (this.kind === 'borg') {
      for (const r of BORG_RULES) this.counts.push(countOf(keep?.[r.key]));
      const raw = keep?.within as unknown;
      if (isSet(raw) && String(raw).trim() !== '') {
        policyDuration(raw, ['keep', 'within']);
        const w = borgWithin(String(raw));
        if (!w.ok) throw new Error(w.message);
        this.borgWithinMs = w.hours * HOUR;
      }
      this.keepAll = false;
      return;
    }
    this.counts.push(countOf(keep?.last));
    for (const k of ['hourly', 'daily', 'weekly', 'monthly', 'yearly'] as const) this.counts.push(countOf(keep?.[k]));
    for (const key of WITHIN_RULES) {
      const raw = keep?.[key];
      if (!isSet(raw) || String(raw).trim() === '') continue;
      const d = policyDuration(raw, ['keep', key]);
      // A zero window is no window (restic: in its own units; native: any zero duration).
      if (this.fromNow ? isZero(d) : isZeroRestic(d)) continue;
      this.windows.push({ d, bucket: key === 'within' ? -1 : WINDOW_KEYS.indexOf(key) });
    }
    this.keepAll = this.windows.length === 0 && this.counts.every((c) => c === 0);
  }

  /** The bucket keys of a snapshot, computed once (restic: RESTIC_BUCKETS; borg: BORG_RULES). */
  private keysOf(r: Rec): number[] {
    if (r.keys) return r.keys;
    // borg reads local time at whole seconds.
    const p = this.partsOf(this.kind === 'borg' ? Math.floor(r.time / 1000) * 1000 : r.time);
    const keys: number[] = [];
    if (this.kind === 'borg') for (const b of BORG_RULES) keys.push(periodKey(p, b.rule));
    else for (const b of RESTIC_BUCKETS) keys.push(b(p, 0));
    r.keys = keys;
    return keys;
  }

  /** localParts(t, zone) without a new object, where the zone's table is exact (as computeParts reads it). */
  private partsOf(t: number): LocalParts {
    const clock = this.partsClock;
    if (!clock || !(t >= EXACT_FROM && t < EXACT_TO)) return localParts(t, this.zone, false);
    const p = this.scratch;
    const offset = clock.offset(t) / MINUTE;
    const wall = t + offset * MINUTE;
    const dayNumber = Math.floor(wall / DAY);
    const inDay = wall - dayNumber * DAY;
    const d = dateOfDay(dayNumber);
    p.year = d.year;
    p.month = d.month;
    p.day = d.day;
    p.hour = Math.floor(inDay / HOUR);
    p.minute = Math.floor((inDay % HOUR) / MINUTE);
    p.second = Math.floor((inDay % MINUTE) / 1000);
    p.millisecond = inDay % 1000;
    p.dayNumber = dayNumber;
    p.isoYear = d.isoYear;
    p.isoWeek = d.isoWeek;
    p.offset = offset;
    return p;
  }

  /**
   * Marks r.stamp = stamp on every held snapshot the engine would keep at prune time `now`.
   * The list (linked by prev/next, `head` the oldest) must have no two equal times: the engines
   * order those by input position, which a walk from the tail would reverse.
   */
  decide(now: number, head: Rec | null, tail: Rec | null, stamp: number): void {
    if (this.keepAll) {
      for (let r = tail; r; r = r.prev) r.stamp = stamp;
    } else if (this.kind === 'borg') {
      this.borg(now, tail, stamp);
    } else {
      this.restic(now, head, tail, stamp);
    }
  }

  private restic(now: number, head: Rec | null, tail: Rec | null, stamp: number): void {
    const oldest = this.keepsOldest ? head : null;
    const last = this.counts[0];
    if (last !== 0 && !(last < -1)) {
      // Every position is a bucket of its own: the `last` newest (a count left at the oldest keeps it too).
      let i = 0;
      for (let r = tail; r && (last === -1 || i < last); r = r.prev, i++) r.stamp = stamp;
    }
    for (let b = 0; b < RESTIC_BUCKETS.length; b++) {
      let count = this.counts[b + 1];
      if (count === 0 || count < -1) continue;
      let prev = -1;
      for (let r = tail; r && count !== 0; r = r.prev) {
        const v = (r.keys ?? this.keysOf(r))[b];
        if (v !== prev || r === oldest) {
          r.stamp = stamp;
          prev = v;
          if (count > 0) count--;
        }
      }
    }
    if (this.windows.length === 0) return;
    // restic measures its windows from the newest snapshot before now; native from now.
    let from: number | undefined = now;
    if (!this.fromNow) {
      from = undefined;
      for (let r = tail; r; r = r.prev) {
        if (r.time < now) {
          from = r.time;
          break;
        }
      }
    }
    for (const w of this.windows) {
      const cutoff = from === undefined ? -Infinity : this.cutoff(from, w.d);
      // Times descend from the tail: the window is a run of the newest.
      let prev = -1;
      for (let r = tail; r && r.time > cutoff; r = r.prev) {
        if (w.bucket < 0) {
          r.stamp = stamp;
          continue;
        }
        const v = (r.keys ?? this.keysOf(r))[w.bucket];
        if (v !== prev || r === oldest) {
          r.stamp = stamp;
          prev = v;
        }
      }
    }
  }

  private cutoff(from: number, d: Duration): number {
    if (this.fromNow) return this.clock.subtract(from, d);
    const r = toResticDuration(d);
    return this.clock.goAddDate(from, -r.years, -r.months, -r.days) - r.hours * HOUR;
  }

  private borg(now: number, tail: Rec | null, stamp: number): void {
    if (this.borgWithinMs !== undefined) {
      const target = now - this.borgWithinMs;
      for (let r = tail; r && r.time > target; r = r.prev) r.stamp = stamp;
    }
    for (let b = 0; b < BORG_RULES.length; b++) {
      const want = this.counts[b];
      if (want === 0) continue;
      let prev: number | undefined;
      let count = 0;
      let a: Rec | null = null;
      for (let r = tail; r; r = r.prev) {
        a = r;
        const period = (r.keys ?? this.keysOf(r))[b];
        if (period === prev) continue;
        prev = period;
        if (r.stamp === stamp) continue;
        r.stamp = stamp;
        if (++count === want) break;
      }
      if (a && count < want && a.stamp !== stamp) a.stamp = stamp;
    }
  }
}

function isZeroRestic(d: Duration): boolean {
  const r = toResticDuration(d);
  return r.years === 0 && r.months === 0 && r.days === 0 && r.hours === 0;
}
