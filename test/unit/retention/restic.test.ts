// restic engine beyond the golden corpus: zones, DST and month overflow of `within`, the empty
// policy, snapshots from the future, and what restic cannot express. The Europe/Paris cases
// were cross-checked against a real `restic forget --dry-run --json` (restic 0.14, TZ=Europe/Paris).
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import type { PolicyModel } from '../../../engine/plan/model';
import {
  formatResticDuration,
  NO_POLICY_REASON,
  resticEngine,
  resticLatest,
  toResticDuration,
} from '../../../engine/retention/restic';
import type { SnapshotIn } from '../../../engine/retention/types';
import { duration } from '../../../engine/time/duration';

const PARIS = 'Europe/Paris';
const paris = (local: string): number => DateTime.fromISO(local, { zone: PARIS }).toMillis();
const policy = (p: Partial<PolicyModel>): PolicyModel => ({ at: ['policies', 'p'], raw: {}, ...p });
const snaps = (...times: number[]): SnapshotIn[] => times.map((time, i) => ({ time, id: `s${i}` }));
const kept = (d: { keep: { snapshot: SnapshotIn }[] }): number[] => d.keep.map((k) => k.snapshot.time);
const NOW = Date.parse('2026-01-01T00:00:00Z');

describe('restic within*', () => {
  it('subtracts months with Go overflow (May 31 − 3 months = Mar 2 in 2024)', () => {
    const list = snaps(
      paris('2024-02-29T09:00:00'),
      paris('2024-03-01T09:00:00'),
      paris('2024-03-02T08:59:59'),
      paris('2024-03-02T09:00:00'),
      paris('2024-03-02T09:00:01'),
      paris('2024-03-30T12:00:00'),
      paris('2024-05-31T09:00:00'),
    );
    const d = resticEngine.evaluate(list, policy({ keep: { within: '3mo' } }), { now: NOW, timezone: PARIS });
    expect(kept(d)).toEqual([paris('2024-05-31T09:00:00'), paris('2024-03-30T12:00:00'), paris('2024-03-02T09:00:01')]);
    expect(d.keep.every((k) => k.reasons.join() === 'within 3m')).toBe(true);
    expect(d.remove).toHaveLength(4);
  });

  it('days are calendar days in the zone (the day before a DST change is 23 hours back)', () => {
    const list = snaps(
      paris('2024-03-30T10:30:00'),
      paris('2024-03-30T11:00:00'),
      paris('2024-03-30T11:00:01'),
      paris('2024-03-30T11:59:59'),
      paris('2024-03-30T12:00:00'),
      paris('2024-03-30T12:00:01'),
      paris('2024-03-30T13:30:00'),
      paris('2024-03-31T03:30:00'),
      paris('2024-03-31T12:00:00'),
    );
    const ctx = { now: NOW, timezone: PARIS };
    // 1d: 2024-03-31 12:00 CEST → 2024-03-30 12:00 CET.
    expect(kept(resticEngine.evaluate(list, policy({ keep: { within: '1d' } }), ctx))).toEqual([
      paris('2024-03-31T12:00:00'),
      paris('2024-03-31T03:30:00'),
      paris('2024-03-30T13:30:00'),
      paris('2024-03-30T12:00:01'),
    ]);
    // 1d1h: the day first (12:00 CET), then one fixed hour (11:00 CET).
    expect(kept(resticEngine.evaluate(list, policy({ keep: { within: '1d1h' } }), ctx)).at(-1)).toBe(paris('2024-03-30T11:00:01'));
    // 25h: fixed hours only, 10:00 CET.
    expect(kept(resticEngine.evaluate(list, policy({ keep: { within: '25h' } }), ctx))).toHaveLength(9);
  });

  it('measures from the newest snapshot that is not in the future', () => {
    const list = snaps(Date.parse('2025-01-10T00:00:00Z'), Date.parse('2025-01-05T00:00:00Z'), Date.parse('2025-01-01T00:00:00Z'));
    const now = Date.parse('2025-01-07T00:00:00Z');
    expect(resticLatest(list, now)).toBe(Date.parse('2025-01-05T00:00:00Z'));
    const d = resticEngine.evaluate(list, policy({ keep: { within: '3d' } }), { now, timezone: 'UTC' });
    // The future snapshot is newer than the cutoff too, so it is kept.
    expect(kept(d)).toEqual([Date.parse('2025-01-10T00:00:00Z'), Date.parse('2025-01-05T00:00:00Z')]);
  });

  it('speaks restic durations: weeks become days, months are `m`', () => {
    expect(formatResticDuration(toResticDuration(duration('1y2mo1w3d4h')))).toBe('1y2m10d4h');
    const list = snaps(Date.parse('2025-01-10T00:00:00Z'), Date.parse('2025-01-05T12:00:00Z'), Date.parse('2025-01-05T06:00:00Z'));
    const d = resticEngine.evaluate(list, policy({ keep: { within_daily: '1w' } }), { now: NOW, timezone: 'UTC' });
    // The oldest snapshot shares its day with the one before: kept as "oldest".
    expect(d.keep.map((k) => k.reasons)).toEqual([['daily within 7d'], ['daily within 7d'], ['oldest daily within 7d']]);
  });
});

describe('restic buckets and counts', () => {
  it('buckets days in the zone, not in UTC', () => {
    // 2025-01-01T23:30Z is already 00:30 on January 2 in Paris: with 00:30Z it shares a Paris
    // day, while in UTC the two are on different days.
    const list = snaps(Date.parse('2025-01-01T23:30:00Z'), Date.parse('2025-01-02T00:30:00Z'), Date.parse('2025-01-01T10:00:00Z'));
    const p = policy({ keep: { daily: 2 } });
    expect(kept(resticEngine.evaluate(list, p, { now: NOW, timezone: 'UTC' }))).toEqual([
      Date.parse('2025-01-02T00:30:00Z'),
      Date.parse('2025-01-01T23:30:00Z'),
    ]);
    expect(kept(resticEngine.evaluate(list, p, { now: NOW, timezone: PARIS }))).toEqual([
      Date.parse('2025-01-02T00:30:00Z'),
      Date.parse('2025-01-01T10:00:00Z'),
    ]);
  });

  it('keeps the oldest snapshot while a rule has count left, and -1 is unlimited', () => {
    const list = snaps(Date.parse('2025-03-02T10:00:00Z'), Date.parse('2025-03-02T09:00:00Z'), Date.parse('2025-03-01T09:00:00Z'), Date.parse('2025-03-01T08:00:00Z'));
    const d = resticEngine.evaluate(list, policy({ keep: { daily: 5 } }), { now: NOW, timezone: 'UTC' });
    expect(d.keep.map((k) => [k.snapshot.time, k.reasons])).toEqual([
      [Date.parse('2025-03-02T10:00:00Z'), ['daily snapshot']],
      [Date.parse('2025-03-01T09:00:00Z'), ['daily snapshot']],
      [Date.parse('2025-03-01T08:00:00Z'), ['oldest daily snapshot']],
    ]);
    const all = resticEngine.evaluate(list, policy({ keep: { daily: -1 } }), { now: NOW, timezone: 'UTC' });
    expect(kept(all)).toEqual(kept(d));
  });

  it('keeps by tags, an empty tag meaning "no tags"', () => {
    const list: SnapshotIn[] = [
      { time: 4, tags: ['a', 'b'] },
      { time: 3, tags: ['a'] },
      { time: 2 },
      { time: 1, tags: ['c'] },
    ];
    const d = resticEngine.evaluate(list, policy({ keep: { tags: [['a', 'b'], ['']] } }), { now: NOW, timezone: 'UTC' });
    expect(d.keep.map((k) => [k.snapshot.time, k.reasons])).toEqual([
      [4, ['has tags [a, b]']],
      [2, ['has tags []']],
    ]);
  });

  it('ignores `min` (the runner applies it)', () => {
    const list = snaps(3, 2, 1);
    const d = resticEngine.evaluate(list, policy({ keep: { last: 1 }, min: 3 }), { now: NOW, timezone: 'UTC' });
    expect(kept(d)).toEqual([3]);
  });
});

describe('restic empty policy', () => {
  it('removes nothing, as `restic forget` without --keep-* does', () => {
    for (const p of [policy({}), policy({ keep: {} }), policy({ keep: { daily: 0, within: '0d' } })]) {
      const d = resticEngine.evaluate(snaps(2, 1), p, { now: NOW, timezone: 'UTC' });
      expect(d.remove).toEqual([]);
      expect(d.keep.map((k) => k.reasons)).toEqual([[NO_POLICY_REASON], [NO_POLICY_REASON]]);
    }
  });
});

describe('restic unsupported()', () => {
  it('accepts every keep form with whole hours', () => {
    const p = policy({
      keep: { last: 3, hourly: 24, daily: 7, weekly: 4, monthly: 12, yearly: -1, within: '1y2mo3d3h', within_daily: '2w', tags: [['x']] },
    });
    expect(resticEngine.unsupported(p)).toEqual([]);
  });

  it('rejects tiers, expiry and minutes', () => {
    const p = policy({
      keep: { within: '90min', within_weekly: '1d' },
      tiers: [{ keep: 'all', until: '15d' }],
      expiry: '30d',
    });
    const u = resticEngine.unsupported(p);
    expect(u.map((x) => x.key)).toEqual([['tiers'], ['expiry'], ['keep', 'within']]);
    for (const x of u) expect(x.message.length).toBeGreaterThan(20);
  });
});
