// sanoid 2.1.0's own snapshot taking and pruning (a job with `pruner: sanoid`), read from its
// source (/usr/sbin/sanoid: getsnaps, getsnapsbytype, take_snapshots, prune_snapshots) and
// sanoid.defaults.conf:
// - A snapshot belongs to sanoid only when its name starts with `autosnap` and ends in `ly`; its
//   type is the word after the last `_` (`autosnap_2026-01-05_23:59:00_daily` is a daily). Other
//   snapshots are never pruned. Each type is counted on its own: a run that is due for an hourly
//   and a daily takes two snapshots, `..._daily` and `..._hourly`, with the same timestamp.
// - Pruning, per type with count N and period P (frequently = frequent_period minutes, hourly
//   1 h, daily 1 d, weekly 7 d, monthly 31 d, yearly 365.25 d): oldest first, a snapshot goes when
//   it is older than now − N × P AND the type still has more than N. No calendar buckets: an
//   hourly stays while it is young enough or while the type has at most N, whatever its hour.
// - Taking, per type with a count > 0: a snapshot is taken when the type's newest is older than
//   its latest "preferred time" (hourly: this hour at hourly_min, else the previous hour; daily:
//   today at daily_hour:daily_min, else 24 h earlier; weekly: weekly_wday at weekly_hour:min,
//   else 7 days earlier; monthly: monthly_mday at monthly_hour:min, else 31 days earlier; yearly:
//   yearly_mon/mday at hour:min) or when it has none. Names use the local time of the run.
// - One run (`--take-snapshots --prune-snapshots`, or `--cron`) prunes the list it read BEFORE it
//   took its snapshots: the ones it takes are first counted by the next run.
// - DST (take_snapshots): on the day summer time ends, once it has, the hourly and daily preferred
//   times move by an hour ($dstOffset) and the repeated hour's hourly is named `..dst_hourly`
//   when its plain name exists; local wall times are Perl's timelocal. Ages are seconds since
//   creation: pruning has no DST case.
// Left out, as Backplan never writes them: prune_defer (capacity), pre/post/pruning scripts,
// recursive children. sanoid caches `zfs list` for 15 minutes and 2.1.0 does not refresh the cache
// after taking: runs closer than that see a stale list (the simulation assumes a fresh one).
import type { PolicyModel } from '../plan/model';
import { DAY, HOUR, localParts, MINUTE, offsetAt } from './calendar';
import { perlTimelocal } from './perl-time';
import { countOf, hasExpiry, hasTiers, isSet, keepOf, WITHIN_RULES } from './common';
import type {
  KeptSnapshot,
  RetentionContext,
  RetentionDecision,
  RetentionEngine,
  SnapshotIn,
  Unsupported,
} from './types';

export const SANOID_TYPES = ['frequently', 'hourly', 'daily', 'weekly', 'monthly', 'yearly'] as const;
export type SanoidType = (typeof SANOID_TYPES)[number];

/** The time-of-day settings of sanoid.defaults.conf (version 2), which the export writes as they are. */
export const SANOID_TIMING = {
  frequent_period: 15,
  hourly_min: 0,
  daily_hour: 23,
  daily_min: 59,
  weekly_wday: 1,
  weekly_hour: 23,
  weekly_min: 30,
  monthly_mday: 1,
  monthly_hour: 0,
  monthly_min: 0,
  yearly_mon: 1,
  yearly_mday: 1,
  yearly_hour: 0,
  yearly_min: 0,
} as const;

const S = 1000;

/**
 * The policy's `frequent_period` (minutes, beside `keep`; sanoid's default 15), or undefined
 * when it is written but is not a whole number of minutes from 1 (sanoid divides by it).
 */
export function frequentPeriod(policy: PolicyModel | undefined): number | undefined {
  const v = policy?.raw?.frequent_period;
  if (v === undefined) return SANOID_TIMING.frequent_period;
  return typeof v === 'number' && Number.isInteger(v) && v >= 1 ? v : undefined;
}

/** Period length in seconds per type (prune_snapshots); `fp` is frequent_period in minutes. */
function periodSeconds(type: SanoidType, fp: number): number {
  switch (type) {
    case 'frequently':
      return 60 * fp;
    case 'hourly':
      return 3600;
    case 'daily':
      return 86_400;
    case 'weekly':
      return 7 * 86_400;
    case 'monthly':
      return 31 * 86_400;
    case 'yearly':
      return 365.25 * 86_400;
  }
}

/** The count of each type as sanoid.conf will say it: a type the policy leaves out is 0. */
export function sanoidCounts(policy: PolicyModel | undefined): Record<SanoidType, number> {
  const keep = keepOf(policy) as Record<string, unknown> | undefined;
  const out = {} as Record<SanoidType, number>;
  for (const t of SANOID_TYPES) out[t] = Math.max(0, countOf(keep?.[t]));
  return out;
}

/** The type sanoid reads from a snapshot name, or undefined when sanoid does not own it. */
export function sanoidType(name: string | undefined): string | undefined {
  if (name === undefined || !name.startsWith('autosnap') || !name.endsWith('ly')) return undefined;
  return /.*_(\w*ly)/.exec(name)?.[1];
}

/**
 * The order sanoid creates one run's snapshots in (yearly first): of two snapshots with the same
 * time, the higher rank is the newer (the last `zfs snapshot`), so `zfs send -I` ends with it.
 */
export function sanoidCreationRank(name: string): number {
  const order = ['yearly', 'monthly', 'weekly', 'daily', 'hourly', 'frequently'];
  return order.indexOf(sanoidType(name) ?? '');
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** The name sanoid gives a snapshot of `type` taken at `ms` (its local time, whole seconds). */
export function sanoidName(ms: number, type: SanoidType, zone: string): string {
  const p = localParts(Math.floor(ms / S) * S, zone, false);
  const date = `${pad(p.year, 4)}-${pad(p.month)}-${pad(p.day)}`;
  return `autosnap_${date}_${pad(p.hour)}:${pad(p.minute)}:${pad(p.second)}_${type}`;
}

/** Perl's timelocal for a wall-clock reading in `zone` (month 1..12), in ms (perl-time.ts). */
function wallTime(zone: string, y: number, mo: number, d: number, h: number, min: number): number {
  return perlTimelocal(Date.UTC(y, mo - 1, d, h, min, 0), zone);
}

/** Perl's localtime isdst: the zone is ahead of its standard (smaller) offset of that year. */
function isDst(ms: number, zone: string): boolean {
  const y = new Date(ms).getUTCFullYear();
  const standard = Math.min(offsetAt(Date.UTC(y, 0, 1), zone), offsetAt(Date.UTC(y, 6, 1), zone));
  return offsetAt(ms, zone) > standard;
}

/**
 * take_snapshots' $dstOffset: one hour on the day summer time ended, once it has (the day began
 * in summer time and `now` is not), else 0. sanoid adds it to the hourly and daily preferred
 * times ("timelocal doesn't take DST into account"); the March change has no such correction.
 */
export function sanoidDstOffset(now: number, zone: string): number {
  const p = localParts(now, zone, false);
  const dayStart = wallTime(zone, p.year, p.month, p.day, 0, 0);
  return isDst(dayStart, zone) && !isDst(now, zone) ? HOUR : 0;
}

/**
 * The latest preferred time of `type` at `now` (take_snapshots), in ms; `fp`: frequent_period.
 * The arithmetic is sanoid's own, DST corrections included: a day back is 24 h, a week 7 × 24 h,
 * a month 31 days; on the day summer time ends the hourly and daily times move by $dstOffset.
 */
export function preferredTime(now: number, type: SanoidType, zone: string, fp: number = SANOID_TIMING.frequent_period): number {
  const p = localParts(now, zone, false);
  const T = SANOID_TIMING;
  // sanoid compares with time(), whole seconds.
  const nowS = Math.floor(now / S) * S;
  let t: number;
  switch (type) {
    case 'frequently': {
      // This hour at minute int(min / fp) × fp, 0 seconds (one past 59 never happens: slice ≤ min).
      const slice = Math.floor(p.minute / fp) * fp;
      t = wallTime(zone, p.year, p.month, p.day, p.hour, slice);
      return t > nowS ? t - fp * MINUTE : t;
    }
    case 'hourly': {
      t = wallTime(zone, p.year, p.month, p.day, p.hour, T.hourly_min) + sanoidDstOffset(now, zone);
      return t > nowS ? t - HOUR : t;
    }
    case 'daily': {
      const dst = sanoidDstOffset(now, zone);
      t = wallTime(zone, p.year, p.month, p.day, T.daily_hour, T.daily_min) + dst;
      // "check if the planned time has different DST flag than the current"
      if (isDst(t, zone) !== isDst(now, zone) && !isDst(t, zone)) t -= HOUR;
      if (t > nowS) t -= DAY + 2 * dst;
      return t;
    }
    case 'weekly': {
      // Perl's wday: 0 is Sunday. The target day is this week's or the next one's, then a week back.
      const wday = (((p.dayNumber + 4) % 7) + 7) % 7;
      const offset = (T.weekly_wday < wday ? 7 : 0) + T.weekly_wday - wday;
      t = wallTime(zone, p.year, p.month, p.day, T.weekly_hour, T.weekly_min) + offset * DAY;
      return t > nowS ? t - 7 * DAY : t;
    }
    case 'monthly':
      t = wallTime(zone, p.year, p.month, T.monthly_mday, T.monthly_hour, T.monthly_min);
      return t > nowS ? t - 31 * DAY : t;
    case 'yearly':
      t = wallTime(zone, p.year, T.yearly_mon, T.yearly_mday, T.yearly_hour, T.yearly_min);
      // sanoid steps back 31 × 365.25 days here; with the defaults (Jan 1 00:00) it never does.
      return t > nowS ? t - 31 * 365.25 * DAY : t;
  }
}

/**
 * take_snapshots' handleDst for one run: the first type due (the one that opens the dataset's
 * group) is the hourly, on the day summer time ended. Then a name that exists already (the
 * repeated hour's second `..._02:00:00_hourly`) is taken as `..._02:00:00dst_hourly` instead of
 * failing; without it `zfs snapshot` fails on the existing name and sanoid takes nothing of it.
 */
export function sanoidHandlesDst(now: number, due: readonly SanoidType[], zone: string): boolean {
  return due[0] === 'hourly' && sanoidDstOffset(now, zone) !== 0;
}

/** The name sanoid falls back to when `name` exists and it handles DST (`s/_([a-z]+)$/dst_$1/`). */
export function sanoidDstName(name: string): string {
  return name.replace(/_([a-z]+)$/, 'dst_$1');
}

/**
 * The types a run at `now` takes, in sanoid's order (yearly first), given the newest snapshot
 * of each type (`newest[type]`, ms; absent when the type has none).
 */
export function sanoidDue(
  now: number,
  counts: Readonly<Record<SanoidType, number>>,
  newest: Readonly<Partial<Record<string, number>>>,
  zone: string,
  fp: number = SANOID_TIMING.frequent_period,
): SanoidType[] {
  const order: SanoidType[] = ['yearly', 'monthly', 'weekly', 'daily', 'hourly', 'frequently'];
  const nowS = Math.floor(now / S);
  return order.filter((type) => {
    if (!(counts[type] > 0)) return false;
    const last = newest[type];
    if (last === undefined) return true;
    // newestage > maxage, both in whole seconds as sanoid computes them.
    return nowS - Math.floor(last / S) > nowS - Math.floor(preferredTime(now, type, zone, fp) / S);
  });
}

function unsupported(policy: PolicyModel): Unsupported[] {
  const out: Unsupported[] = [];
  const keep = keepOf(policy) as Record<string, unknown> | undefined;
  if (hasTiers(policy)) {
    out.push({ key: ['tiers'], message: 'sanoid keeps counts per type (hourly, daily, ...); it has no tiers' });
  }
  if (hasExpiry(policy)) out.push({ key: ['expiry'], message: 'sanoid has no expiry; it keeps counts per type' });
  // sanoid has no floor of newest copies: a `min` would be a promise nothing keeps.
  if (policy.min !== undefined) {
    out.push({ key: ['min'], message: 'sanoid has no `min`: it keeps the counts per type only' });
  }
  for (const k of ['last', ...WITHIN_RULES, 'tags', 'full', 'incrementals_of']) {
    if (isSet(keep?.[k])) {
      out.push({ key: ['keep', k], message: `sanoid cannot express \`keep.${k}\`: it keeps counts per type only` });
    }
  }
  for (const t of SANOID_TYPES) {
    const v = keep?.[t];
    if (isSet(v) && !(typeof v === 'number' && Number.isInteger(v) && v >= 0)) {
      out.push({ key: ['keep', t], message: `sanoid needs a whole number for \`keep.${t}\` (no unlimited)` });
    }
  }
  if (frequentPeriod(policy) === undefined) {
    const message = 'sanoid needs `frequent_period` as a whole number of minutes from 1 (it divides by it)';
    out.push({ key: ['frequent_period'], message });
  }
  if (!SANOID_TYPES.some((t) => countOf(keep?.[t]) > 0)) {
    const message = 'sanoid takes no snapshot without a count above 0 for some type (hourly, daily, ...)';
    out.push({ key: ['keep'], message });
  }
  return out;
}

/** One prune_snapshots pass at `ctx.now` over snapshots named by `name` (else `id`). */
function evaluate(snapshots: readonly SnapshotIn[], policy: PolicyModel, ctx: RetentionContext): RetentionDecision {
  const counts = sanoidCounts(policy);
  const fp = frequentPeriod(policy) ?? SANOID_TIMING.frequent_period;
  const nowS = Math.floor(ctx.now / S);
  const reasons = new Map<SnapshotIn, string[]>();
  const removed = new Set<SnapshotIn>();
  const byType = new Map<SanoidType, SnapshotIn[]>();
  for (const s of snapshots) {
    const type = sanoidType(s.name ?? s.id);
    if (type === undefined || !(SANOID_TYPES as readonly string[]).includes(type)) {
      reasons.set(s, ['not a sanoid snapshot (autosnap_<date>_<type>): sanoid never prunes it']);
      continue;
    }
    const list = byType.get(type as SanoidType) ?? [];
    list.push(s);
    byType.set(type as SanoidType, list);
  }
  for (const [type, list] of byType) {
    const n = counts[type];
    const period = periodSeconds(type, fp);
    const maxAge = nowS - n * period;
    const sorted = list.slice().sort((a, b) => Math.floor(a.time / S) - Math.floor(b.time / S));
    let left = sorted.length;
    for (const s of sorted) {
      if (Math.floor(s.time / S) < maxAge && left > n) {
        removed.add(s);
        left--;
      } else if (Math.floor(s.time / S) >= maxAge) {
        reasons.set(s, [`${type} ${n}: younger than ${n} × ${periodWords(type, fp)}`]);
      } else {
        reasons.set(s, [`${type} ${n}: the type has no more than ${n}`]);
      }
    }
  }
  const newestFirst = snapshots.slice().sort((a, b) => b.time - a.time);
  const keep: KeptSnapshot[] = [];
  const remove: SnapshotIn[] = [];
  for (const s of newestFirst) {
    if (removed.has(s)) remove.push(s);
    else keep.push({ snapshot: s, reasons: reasons.get(s) ?? [] });
  }
  return { keep, remove };
}

function periodWords(type: SanoidType, fp: number): string {
  const words: Record<SanoidType, string> = {
    frequently: `${fp} min`,
    hourly: '1 h',
    daily: '1 d',
    weekly: '7 d',
    monthly: '31 d',
    yearly: '365.25 d',
  };
  return words[type];
}

export const sanoidEngine: RetentionEngine = {
  id: 'sanoid',
  release: 'sanoid 2.1.0',
  unsupported,
  evaluate,
};

export interface SanoidSnapshot {
  time: number;
  name: string;
  type: SanoidType;
}

export interface SanoidReplay {
  /** Held at the end, oldest first. */
  held: SanoidSnapshot[];
  created: number;
  removed: number;
  /** Held count after each run. */
  counts: number[];
  /** The largest distance between two restore points held together, or from the newest to the next run. */
  worstGap: { ms: number; from: number; to: number; live: boolean } | null;
}

/** sanoid's prune (prune_snapshots) of `held` at `now`: what it removes, by name. */
export function sanoidPrune(
  held: readonly SanoidSnapshot[],
  policy: PolicyModel,
  zone: string,
  now: number,
): Set<string> {
  const decision = evaluate(
    held.map((h) => ({ time: h.time, id: h.name })),
    policy,
    { now, timezone: zone },
  );
  return new Set(decision.remove.map((s) => s.id!));
}

/** A dataset whose snapshots sanoid takes and prunes (`autosnap = yes`), in creation order. */
export class SanoidDataset {
  held: SanoidSnapshot[] = [];
  private readonly newest: Partial<Record<string, number>> = {};
  private readonly counts: Record<SanoidType, number>;
  private readonly fp: number;

  constructor(
    private readonly policy: PolicyModel,
    private readonly zone: string,
  ) {
    this.counts = sanoidCounts(policy);
    this.fp = frequentPeriod(policy) ?? SANOID_TIMING.frequent_period;
  }

  /**
   * One run at `ms` (whole seconds): takes the types due (yearly first, so the smallest type is
   * the newest), then prunes the list it read before taking.
   */
  run(ms: number): { taken: SanoidSnapshot[]; removed: SanoidSnapshot[] } {
    const now = Math.floor(ms / S) * S;
    const due = sanoidDue(now, this.counts, this.newest, this.zone, this.fp);
    // A name already there (the repeated hour of the October change): `dst` when sanoid handles it,
    // else `zfs snapshot` fails and that type is not taken (sanoid prints CRITICAL ERROR).
    const names = new Set(this.held.map((h) => h.name));
    const dst = sanoidHandlesDst(now, due, this.zone);
    const taken: SanoidSnapshot[] = [];
    for (const type of due) {
      let name = sanoidName(now, type, this.zone);
      if (names.has(name) && dst) name = sanoidDstName(name);
      if (names.has(name)) continue;
      names.add(name);
      taken.push({ time: now, name, type });
    }
    const gone = sanoidPrune(this.held, this.policy, this.zone, now);
    const removed = this.held.filter((h) => gone.has(h.name));
    this.held = this.held.filter((h) => !gone.has(h.name)).concat(taken);
    for (const t of taken) this.newest[t.type] = now;
    return { taken, removed };
  }
}

/** Tracks the worst gap between restore points held together, or from the newest to the next instant. */
export class GapTracker {
  worst: SanoidReplay['worstGap'] = null;

  private gap(ms: number, from: number, to: number, live: boolean): void {
    if (this.worst === null || ms > this.worst.ms) this.worst = { ms, from, to, live };
  }

  /** After a run: `held` in creation order, `next` the next run (or the end). */
  seen(held: readonly SanoidSnapshot[], next: number): void {
    for (let j = 1; j < held.length; j++) {
      const a = held[j - 1].time;
      const b = held[j].time;
      if (b > a) this.gap(b - a, a, b, false);
    }
    const last = held[held.length - 1];
    if (last !== undefined && next > last.time) this.gap(next - last.time, last.time, next, true);
  }
}

/**
 * sanoid run at each of `runs` (ascending ms), from an empty dataset: each run takes the types
 * due, then prunes the list it read before taking (see the header), until `at`.
 */
export function replaySanoid(runs: readonly number[], policy: PolicyModel, zone: string, at: number): SanoidReplay {
  const ds = new SanoidDataset(policy, zone);
  let created = 0;
  let removed = 0;
  const sizes: number[] = [];
  const gaps = new GapTracker();
  for (let i = 0; i < runs.length; i++) {
    if (Math.floor(runs[i] / S) * S > at) break;
    const r = ds.run(runs[i]);
    removed += r.removed.length;
    created += r.taken.length;
    sizes.push(ds.held.length);
    gaps.seen(ds.held, i + 1 < runs.length && runs[i + 1] <= at ? runs[i + 1] : at);
  }
  return { held: ds.held, created, removed, counts: sizes, worstGap: gaps.worst };
}
