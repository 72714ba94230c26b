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
import { localParts, HOUR, type LocalParts } from '../retention/calendar';
import { countOf, hasExpiry, hasTiers, isSet, keepOf, policyDuration, WITHIN_RULES } from '../retention/common';
import { byDay, byHour, byIsoWeek, byMonth, byYear, RESTIC_BEFORE_0_16, toResticDuration } from '../retention/restic';
import type { RetentionEngine } from '../retention/types';
import type { ZoneClock } from './clock';
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

/** Keeps the newest-first order and the kept flags of one decision (reused from prune to prune). */
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
  private order: Rec[] = [];
  private kept = new Uint8Array(64);

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
    if (this.kind === 'borg') {
      const p = localParts(Math.floor(r.time / 1000) * 1000, this.zone, false);
      r.keys = BORG_RULES.map((b) => periodKey(p, b.rule));
    } else {
      const p = localParts(r.time, this.zone, false);
      r.keys = RESTIC_BUCKETS.map((b) => b(p, 0));
    }
    return r.keys;
  }

  /**
   * Marks r.stamp = stamp on every held snapshot the engine would keep at prune time `now`
   * (`tail`: the newest held snapshot of the list linked by prev/next).
   */
  decide(now: number, tail: Rec | null, stamp: number): void {
    // Newest first; equal times in creation order (the engines' stable sort of an ascending list).
    const order = this.order;
    order.length = 0;
    for (let r = tail; r; r = r.prev) order.push(r);
    const n = order.length;
    for (let i = 0; i + 1 < n; i++) {
      if (order[i + 1].time !== order[i].time) continue;
      let j = i + 1;
      while (j + 1 < n && order[j + 1].time === order[i].time) j++;
      for (let a = i, b = j; a < b; a++, b--) [order[a], order[b]] = [order[b], order[a]];
      i = j;
    }
    if (this.kept.length < n) this.kept = new Uint8Array(n * 2);
    const kept = this.kept;
    kept.fill(0, 0, n);
    if (this.keepAll) kept.fill(1, 0, n);
    else if (this.kind === 'borg') this.borg(now, order, kept);
    else this.restic(now, order, kept);
    for (let i = 0; i < n; i++) if (kept[i]) order[i].stamp = stamp;
  }

  private restic(now: number, order: Rec[], kept: Uint8Array): void {
    const n = order.length;
    const oldest = this.keepsOldest ? n - 1 : -1;
    const last = this.counts[0];
    if (last !== 0 && !(last < -1)) {
      const upTo = last === -1 ? n : Math.min(n, last);
      for (let i = 0; i < upTo; i++) kept[i] = 1;
      // A count left when it reaches the oldest keeps it (already kept: every position differs).
    }
    for (let b = 0; b < RESTIC_BUCKETS.length; b++) {
      let count = this.counts[b + 1];
      if (count === 0 || count < -1) continue;
      let prev = -1;
      for (let i = 0; i < n && count !== 0; i++) {
        const v = this.keysOf(order[i])[b];
        if (v !== prev || i === oldest) {
          kept[i] = 1;
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
      for (const r of order) if (r.time < now && (from === undefined || r.time > from)) from = r.time;
    }
    for (const w of this.windows) {
      const cutoff = from === undefined ? -Infinity : this.cutoff(from, w.d);
      if (w.bucket < 0) {
        for (let i = 0; i < n && order[i].time > cutoff; i++) kept[i] = 1;
        continue;
      }
      let prev = -1;
      for (let i = 0; i < n; i++) {
        if (!(order[i].time > cutoff)) continue;
        const v = this.keysOf(order[i])[w.bucket];
        if (v !== prev || i === oldest) {
          kept[i] = 1;
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

  private borg(now: number, order: Rec[], kept: Uint8Array): void {
    const n = order.length;
    if (this.borgWithinMs !== undefined) {
      const target = now - this.borgWithinMs;
      for (let i = 0; i < n; i++) if (order[i].time > target) kept[i] = 1;
    }
    for (let b = 0; b < BORG_RULES.length; b++) {
      const want = this.counts[b];
      if (want === 0) continue;
      let prev: number | undefined;
      let count = 0;
      let a = -1;
      for (let i = 0; i < n; i++) {
        a = i;
        const period = this.keysOf(order[i])[b];
        if (period === prev) continue;
        prev = period;
        if (kept[i]) continue;
        kept[i] = 1;
        if (++count === want) break;
      }
      if (a >= 0 && count < want && !kept[a]) kept[a] = 1;
    }
  }
}

function isZeroRestic(d: Duration): boolean {
  const r = toResticDuration(d);
  return r.years === 0 && r.months === 0 && r.days === 0 && r.hours === 0;
}
