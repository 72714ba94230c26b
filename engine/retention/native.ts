// Backplan's own pruner (SPEC §3), for the kinds Backplan prunes itself (zfs, btrfs, rsync,
// archives, dumps, images, incus copies ...). A policy may combine three forms:
//
// - `keep`: restic's counting rules, evaluated by restic's own core (applyResticRules), except
//   that the `within*` windows are measured back from the prune time (ctx.now) with the plan's
//   calendar arithmetic (subtractDuration: months and years are calendar, clamped to the month's
//   last day; weeks, days, hours and minutes are fixed lengths), not from the newest snapshot.
// - `tiers`: age bands. At prune time T a snapshot taken at s is in band i when
//   T − until(i) < s ≤ T − until(i−1) (until(−1) = 0). `keep: all` keeps every snapshot of the
//   band; `every: D` keeps the OLDEST snapshot of each calendar bucket of size D (in
//   ctx.timezone) among the band's snapshots; snapshots older than the last `until` are removed.
//   A snapshot newer than T (clock skew) is kept.
// - `expiry`: a snapshot is removed once created + expiry ≤ now, whatever else would keep it.
//
// `keep` and `tiers` together keep the union of what each keeps. A policy with none of the
// three removes nothing. `min` is not an engine rule: the runner and the simulator apply it.
//
// Why the oldest of each bucket: pruning runs after every backup, each time with a later T.
// Suppose s is kept as the oldest snapshot of bucket B in band i at time T. At a later T' where s
// is still in band i, any snapshot of B older than s that is in band i at T' was already in band
// i at T (the band's lower edge only moves forward), so it would have been the oldest instead of
// s: there is none, and s is still the oldest, so it stays kept until it leaves the band. Newer
// snapshots that age into the band later join B behind s and are removed. With the NEWEST of
// each bucket instead, every new arrival in the band would displace the one kept before, and
// after it aged on the previous representative would already be gone, so buckets would empty
// out over successive prunes. Pruning at the same T twice is idempotent for the same reason.
// One exception comes from the calendar arithmetic itself: T − 1mo clamps a missing day to the
// month's last day (03-29 03:00 − 1mo = 02-28 03:00, while 03-28 20:00 − 1mo = 02-28 20:00), so
// around month ends a band's edge can move BACK for a few hours and let an older survivor of the
// next band re-enter and displace the kept one (see the "month-end exception" test). Edges
// given in h/d/w only move forward and are fully stable.
//
// Bucket sizes (`every`), counted in the zone's wall-clock calendar:
// - `Nmin`, `Nh` (and mixes like `1h30min`) up to a day: from each local midnight; a size that
//   does not divide the day leaves a shorter last bucket (7h: 00:00, 07:00, 14:00, 21:00-24:00).
//   On a fall-back night the repeated wall-clock hour falls in the same bucket, as restic's
//   hourly rule does.
// - a whole number of days (`Nd`, `48h`, and mixes of weeks and days like `1w2d` = 9 days):
//   local days counted from 1970-01-01;
// - weeks only (`Nw`): ISO weeks counted from Monday 1969-12-29;
// - `Nmo` (and `1y6mo` = 18 months): months counted from January 1970; `Ny`: years from 1970.
// Mixing calendar units (y, mo) with fixed ones, or a fixed size above one day that is not a
// whole number of days (`1d12h`), has no calendar bucket: unsupported() reports it.
import type { PolicyModel, TierModel } from '../plan/model';
import { formatDuration, isZero, subtractDuration, addDuration, type Duration } from '../time/duration';
import { formatDay, formatLocal, localParts } from './calendar';
import { addReason, decide, hasExpiry, isSet, policyDuration, sortNewestFirst } from './common';
import { applyResticRules, isEmptyResticRules, resticRulesFromKeep } from './restic';
import type { RetentionContext, RetentionDecision, RetentionEngine, SnapshotIn, Unsupported } from './types';

import type { BucketScheme } from '../time/bucket-scheme';

export type { BucketScheme } from '../time/bucket-scheme';

const MINUTES_PER_DAY = 24 * 60;
/** Day number of Monday 1969-12-29. */
const FIRST_MONDAY = -3;

/** The calendar bucket scheme of an `every` duration, or the reason it has none. */
export function bucketScheme(d: Duration): BucketScheme | { error: string } {
  if (isZero(d)) return { error: 'a bucket size must be longer than zero' };
  const calendar = d.y !== 0 || d.mo !== 0;
  const fixed = d.w !== 0 || d.d !== 0 || d.h !== 0 || d.min !== 0;
  if (calendar && fixed) {
    return {
      error: `\`${formatDuration(d)}\` mixes calendar units (y, mo) with fixed ones (w, d, h, min), so it has no calendar bucket: use months/years only, or weeks/days/hours only`,
    };
  }
  if (calendar) return d.mo === 0 ? { unit: 'years', size: d.y } : { unit: 'months', size: d.y * 12 + d.mo };
  if (d.d === 0 && d.h === 0 && d.min === 0) return { unit: 'weeks', size: d.w };
  const minutes = ((d.w * 7 + d.d) * 24 + d.h) * 60 + d.min;
  if (minutes % MINUTES_PER_DAY === 0) return { unit: 'days', size: minutes / MINUTES_PER_DAY };
  if (minutes < MINUTES_PER_DAY) return { unit: 'minutes', size: minutes };
  return {
    error: `\`${formatDuration(d)}\` is longer than a day but not a whole number of days, so it has no calendar bucket: use whole days (e.g. \`2d\`) or at most 24h`,
  };
}

const pad2 = (n: number): string => String(n).padStart(2, '0');

/** The key of the bucket a time falls in (unique within one scheme). */
export function bucketKey(time: number, scheme: BucketScheme, zone: string): number {
  const p = localParts(time, zone);
  switch (scheme.unit) {
    case 'minutes':
      return p.dayNumber * Math.ceil(MINUTES_PER_DAY / scheme.size) + Math.floor((p.hour * 60 + p.minute) / scheme.size);
    case 'days':
      return Math.floor(p.dayNumber / scheme.size);
    case 'weeks':
      return Math.floor((p.dayNumber - FIRST_MONDAY) / (7 * scheme.size));
    case 'months':
      return Math.floor(((p.year - 1970) * 12 + p.month - 1) / scheme.size);
    case 'years':
      return Math.floor((p.year - 1970) / scheme.size);
  }
}

/** The start of a bucket as a local label: `2026-03-04 06:00`, `2026-03-04`, `2026-03`, `2026`. */
export function bucketLabel(key: number, scheme: BucketScheme): string {
  switch (scheme.unit) {
    case 'minutes': {
      const perDay = Math.ceil(MINUTES_PER_DAY / scheme.size);
      const day = Math.floor(key / perDay);
      const start = (key - day * perDay) * scheme.size;
      return `${formatDay(day)} ${pad2(Math.floor(start / 60))}:${pad2(start % 60)}`;
    }
    case 'days':
      return formatDay(key * scheme.size);
    case 'weeks':
      return formatDay(FIRST_MONDAY + key * 7 * scheme.size);
    case 'months': {
      const start = key * scheme.size;
      const year = 1970 + Math.floor(start / 12);
      return `${year}-${pad2((((start % 12) + 12) % 12) + 1)}`;
    }
    case 'years':
      return String(1970 + key * scheme.size);
  }
}

/** The bucket a time falls in: its key and its start as a label. */
export function bucketOf(time: number, scheme: BucketScheme, zone: string): { key: number; label: string } {
  const key = bucketKey(time, scheme, zone);
  return { key, label: bucketLabel(key, scheme) };
}

/** A tier band at a prune time: snapshots with lower < time ≤ upper belong to it. */
export interface TierBand {
  /** 0-based position in `tiers`. */
  index: number;
  tier: TierModel;
  /** Exclusive; -Infinity for a last band without `until`. */
  lower: number;
  /** Inclusive. */
  upper: number;
  until?: Duration;
  every?: Duration;
  scheme?: BucketScheme;
}

function tiersOf(policy: PolicyModel | undefined): TierModel[] {
  return Array.isArray(policy?.tiers) ? policy!.tiers : [];
}

/** The bands of a policy's tiers at prune time `now` (empty when the policy has no tiers). */
export function tierBands(policy: PolicyModel | undefined, now: number, zone: string): TierBand[] {
  const bands: TierBand[] = [];
  let upper = now;
  tiersOf(policy).forEach((raw, index) => {
    const tier: TierModel = raw !== null && typeof raw === 'object' ? raw : {};
    const until = isSet(tier.until) ? policyDuration(tier.until, ['tiers', index, 'until']) : undefined;
    const every = isSet(tier.every) ? policyDuration(tier.every, ['tiers', index, 'every']) : undefined;
    const lower = until ? subtractDuration(now, until, zone) : -Infinity;
    let scheme: BucketScheme | undefined;
    if (every && tier.keep !== 'all') {
      const s = bucketScheme(every);
      if ('error' in s) throw new Error(`tiers.${index}.every: ${s.error}`);
      scheme = s;
    }
    bands.push({ index, tier, lower, upper, until, every, scheme });
    upper = lower;
  });
  return bands;
}

export const FUTURE_REASON = 'newer than the prune time';

/** Add the reasons of the tier rules for the snapshots of `sorted` (newest first). */
function applyTiers(sorted: readonly SnapshotIn[], policy: PolicyModel, ctx: RetentionContext, reasons: Map<number, string[]>): void {
  const bands = tierBands(policy, ctx.now, ctx.timezone);
  // Per band, bucket → position of the oldest snapshot seen so far (the list runs newest
  // first, so the last one seen wins).
  const oldest = bands.map(() => new Map<number, number>());
  const keepAll = bands.map((b) => (b.until ? `tier ${b.index + 1}: keep all < ${formatDuration(b.until)}` : `tier ${b.index + 1}: keep all`));
  // Bands run from young to old like the list, so one cursor finds each snapshot's band.
  let cursor = 0;
  sorted.forEach((snapshot, i) => {
    if (snapshot.time > ctx.now) {
      addReason(reasons, i, FUTURE_REASON);
      return;
    }
    while (cursor < bands.length && !(bands[cursor].lower < snapshot.time)) cursor++;
    const band = bands[cursor];
    if (!band || !(snapshot.time <= band.upper)) return; // older than the last `until` (or an empty band)
    if (band.tier.keep === 'all') {
      addReason(reasons, i, keepAll[band.index]);
    } else if (band.scheme) {
      oldest[band.index].set(bucketKey(snapshot.time, band.scheme, ctx.timezone), i);
    }
  });
  const winners: { index: number; reason: string }[] = [];
  bands.forEach((band, b) => {
    if (!band.scheme || !band.every) return;
    const every = formatDuration(band.every);
    for (const [key, index] of oldest[b]) {
      winners.push({ index, reason: `tier ${band.index + 1}: oldest of ${every} bucket ${bucketLabel(key, band.scheme)}` });
    }
  });
  // Report in list order, so reasons do not depend on map order.
  winners.sort((a, b) => a.index - b.index).forEach((w) => addReason(reasons, w.index, w.reason));
}

function unsupported(policy: PolicyModel): Unsupported[] {
  const out: Unsupported[] = [];
  tiersOf(policy).forEach((tier, index) => {
    if (tier === null || typeof tier !== 'object' || !isSet(tier.every) || tier.keep === 'all') return;
    let every: Duration;
    try {
      every = policyDuration(tier.every, ['tiers', index, 'every']);
    } catch {
      return; // duration-invalid reports it
    }
    const s = bucketScheme(every);
    if ('error' in s) out.push({ key: ['tiers', index, 'every'], message: `Backplan's pruner cannot bucket by ${s.error}` });
  });
  return out;
}

export const NO_RULE_REASON = 'no retention rule: nothing is removed';

function evaluate(snapshots: readonly SnapshotIn[], policy: PolicyModel, ctx: RetentionContext): RetentionDecision {
  const sorted = sortNewestFirst(snapshots);
  const reasons = new Map<number, string[]>();
  let ruled = false;

  const rules = resticRulesFromKeep(policy, (d) =>
    isZero(d) ? undefined : { cutoff: subtractDuration(ctx.now, d, ctx.timezone), label: formatDuration(d) },
  );
  if (!isEmptyResticRules(rules)) {
    ruled = true;
    for (const k of applyResticRules(sorted, rules, ctx.timezone).keep) {
      for (const r of k.reasons) addReason(reasons, k.index, r);
    }
  }

  if (tiersOf(policy).length > 0) {
    ruled = true;
    applyTiers(sorted, policy, ctx, reasons);
  }

  const expiry = hasExpiry(policy) ? policyDuration(policy.expiry, ['expiry']) : undefined;
  if (!ruled) {
    sorted.forEach((_, i) => reasons.set(i, expiry ? [] : [NO_RULE_REASON]));
  }
  if (expiry) {
    sorted.forEach((snapshot, i) => {
      const expires = addDuration(snapshot.time, expiry, ctx.timezone);
      if (expires <= ctx.now) reasons.delete(i);
      else if (!ruled) addReason(reasons, i, `expires ${formatLocal(expires, ctx.timezone)}`);
    });
  }
  return decide(sorted, reasons);
}

export const nativeEngine: RetentionEngine = { id: 'native', unsupported, evaluate };
