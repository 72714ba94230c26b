// Backplan's own pruner (SPEC §3): hand-worked tier cases (the SPEC's seed policy, month ends,
// DST in Europe/Paris, bucket edges), keep/tiers/expiry combined, and two properties: pruning
// twice at the same time changes nothing, and a snapshot kept by a tier stays kept at later
// prunes until it leaves its band.
import fc from 'fast-check';
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import type { PolicyModel, TierModel } from '../../../engine/plan/model';
import {
  bucketOf,
  bucketScheme,
  FUTURE_REASON,
  nativeEngine,
  NO_RULE_REASON,
  tierBands,
  type BucketScheme,
  type TierBand,
} from '../../../engine/retention/native';
import { resticEngine } from '../../../engine/retention/restic';
import type { RetentionDecision, SnapshotIn } from '../../../engine/retention/types';
import { duration } from '../../../engine/time/duration';

const PARIS = 'Europe/Paris';
const HOUR = 3600_000;
const DAY = 24 * HOUR;
const utc = (iso: string): number => Date.parse(iso.endsWith('Z') ? iso : `${iso}Z`);
const paris = (local: string): number => DateTime.fromISO(local, { zone: PARIS }).toMillis();
const policy = (p: Partial<PolicyModel>): PolicyModel => ({ at: ['policies', 'p'], raw: {}, ...p });
const snaps = (times: number[]): SnapshotIn[] => times.map((time, i) => ({ time, id: `s${i}` }));
const kept = (d: RetentionDecision): number[] => d.keep.map((k) => k.snapshot.time);
const reasonsOf = (d: RetentionDecision): [string, string[]][] =>
  d.keep.map((k) => [new Date(k.snapshot.time).toISOString(), k.reasons]);

const MINET: TierModel[] = [
  { keep: 'all', until: '15d' },
  { every: '1d', until: '1mo' },
  { every: '2d', until: '2mo' },
  { every: '1w', until: '6mo' },
  { every: '1mo' },
];

describe('native tiers: the SPEC seed policy, worked by hand', () => {
  // One snapshot every 6 hours (00, 06, 12, 18 UTC) from 2025-06-01 to the prune time.
  const T = utc('2026-03-04T12:00:00');
  const times: number[] = [];
  for (let t = utc('2025-06-01T00:00:00'); t <= T; t += 6 * HOUR) times.push(t);
  const d = nativeEngine.evaluate(snaps(times), policy({ tiers: MINET }), { now: T, timezone: 'UTC' });
  const byTier = (n: number) => d.keep.filter((k) => k.reasons.some((r) => r.startsWith(`tier ${n}:`)));

  it('keeps everything younger than 15 days: (2026-02-17T12:00, T]', () => {
    const t1 = byTier(1);
    expect(t1).toHaveLength(60); // 02-17 18:00, 14 full days × 4, 03-04 00/06/12
    expect(new Date(t1.at(-1)!.snapshot.time).toISOString()).toBe('2026-02-17T18:00:00.000Z');
    expect(t1[0].reasons).toEqual(['tier 1: keep all < 15d']);
  });

  it('then the oldest of each day to 1 month: (2026-02-04T12:00, 2026-02-17T12:00]', () => {
    const t2 = byTier(2);
    expect(t2).toHaveLength(14);
    expect(reasonsOf({ keep: t2.slice(-2), remove: [] })).toEqual([
      ['2026-02-05T00:00:00.000Z', ['tier 2: oldest of 1d bucket 2026-02-05']],
      // 02-04 00:00 and 06:00 and 12:00 are in the next band: 18:00 is this band's oldest of the day.
      ['2026-02-04T18:00:00.000Z', ['tier 2: oldest of 1d bucket 2026-02-04']],
    ]);
    expect(new Date(t2[0].snapshot.time).toISOString()).toBe('2026-02-17T00:00:00.000Z');
  });

  it('then the oldest of each 2-day bucket (counted from 1970-01-01) to 2 months', () => {
    const t3 = byTier(3);
    // 2026-01-01 is day 20454 (even), so buckets start on odd dates in January:
    // {01-03,01-04} (only 01-04 18:00 is in the band), 01-05 ... 01-31 (14), 02-02, {02-04,02-05}.
    expect(t3.map((k) => new Date(k.snapshot.time).toISOString().slice(0, 13))).toEqual([
      '2026-02-04T00',
      '2026-02-02T00',
      ...[31, 29, 27, 25, 23, 21, 19, 17, 15, 13, 11, 9, 7, 5].map((n) => `2026-01-${String(n).padStart(2, '0')}T00`),
      '2026-01-04T18',
    ]);
    expect(t3.at(-1)!.reasons).toEqual(['tier 3: oldest of 2d bucket 2026-01-03']);
  });

  it('then the oldest of each ISO week to 6 months, then one per month', () => {
    const t4 = byTier(4);
    expect(t4).toHaveLength(18); // 2025-09-04 18:00 (a Thursday), then the 17 Mondays 09-08 … 12-29
    expect(new Date(t4.at(-1)!.snapshot.time).toISOString()).toBe('2025-09-04T18:00:00.000Z');
    expect(t4.at(-1)!.reasons).toEqual(['tier 4: oldest of 1w bucket 2025-09-01']);
    expect(t4.slice(0, -1).every((k) => new Date(k.snapshot.time).getUTCDay() === 1)).toBe(true);
    expect(reasonsOf({ keep: byTier(5), remove: [] })).toEqual([
      ['2025-09-01T00:00:00.000Z', ['tier 5: oldest of 1mo bucket 2025-09']],
      ['2025-08-01T00:00:00.000Z', ['tier 5: oldest of 1mo bucket 2025-08']],
      ['2025-07-01T00:00:00.000Z', ['tier 5: oldest of 1mo bucket 2025-07']],
      ['2025-06-01T00:00:00.000Z', ['tier 5: oldest of 1mo bucket 2025-06']],
    ]);
  });

  it('removes the rest', () => {
    expect(d.keep).toHaveLength(60 + 14 + 17 + 18 + 4);
    expect(d.keep.length + d.remove.length).toBe(times.length);
    expect(d.keep.every((k) => k.reasons.length === 1)).toBe(true);
  });
});

describe('native tiers: calendar edges', () => {
  it('T − 1mo on March 31 is the last day of February (clamped), unlike restic', () => {
    const tiers: TierModel[] = [{ keep: 'all', until: '1mo' }, { every: '1w', until: '1y' }];
    for (const [T, feb] of [
      ['2026-03-31T12:00:00', '2026-02-28'],
      ['2024-03-31T12:00:00', '2024-02-29'],
    ]) {
      const list = snaps([utc(`${feb}T12:01:00`), utc(`${feb}T12:00:00`), utc(`${feb}T11:00:00`), utc(`${feb.slice(0, 8)}20T00:00:00`)]);
      const d = nativeEngine.evaluate(list, policy({ tiers }), { now: utc(T), timezone: 'UTC' });
      // 12:01 is younger than a month; 12:00 is exactly a month old, so it is in the weekly
      // band, where only the oldest snapshot of its ISO week survives.
      expect(d.keep[0].snapshot.time).toBe(utc(`${feb}T12:01:00`));
      expect(d.keep[0].reasons).toEqual(['tier 1: keep all < 1mo']);
      expect(d.remove.map((s) => s.time)).toContain(utc(`${feb}T12:00:00`));
    }
  });

  it('documents the month-end exception to stability: a clamped T − 1mo moves back at midnight', () => {
    // SPEC arithmetic clamps: 2026-03-28T20:00 − 1mo = 02-28T20:00, but 03-29T03:00 − 1mo =
    // 02-29T03:00, which does not exist and is clamped to 02-28T03:00: the band's edge moved 17
    // hours back, so o (02-28 06:00, kept by the daily band) re-enters the weekly band, where it
    // is older than s (03-01 03:00, same ISO week), and s is removed while still in its band.
    const p = policy({ tiers: [{ every: '1w', until: '1mo' }, { every: '1d', until: '2mo' }] });
    const list = [
      { time: utc('2026-03-01T03:00:00'), id: 's' },
      { time: utc('2026-02-28T06:00:00'), id: 'o' },
    ];
    const first = nativeEngine.evaluate(list, p, { now: utc('2026-03-28T20:00:00'), timezone: 'UTC' });
    expect(setOf(first)).toEqual(['s', 'o']);
    const second = nativeEngine.evaluate(list, p, { now: utc('2026-03-29T03:00:00'), timezone: 'UTC' });
    expect(setOf(second)).toEqual(['o']);
  });

  it('restic subtracts a month with Go overflow instead (Mar 31 − 1 month = Mar 3)', () => {
    const list = snaps([utc('2026-03-31T12:00:00'), utc('2026-03-03T12:00:01'), utc('2026-03-03T12:00:00'), utc('2026-02-28T13:00:00')]);
    const r = resticEngine.evaluate(list, policy({ keep: { within: '1mo' } }), { now: utc('2026-04-01T00:00:00'), timezone: 'UTC' });
    expect(kept(r)).toEqual([utc('2026-03-31T12:00:00'), utc('2026-03-03T12:00:01')]);
    // The native pruner, measuring from now = 2026-03-31T12:00, cuts at 2026-02-28T12:00.
    const n = nativeEngine.evaluate(list, policy({ keep: { within: '1mo' } }), { now: utc('2026-03-31T12:00:00'), timezone: 'UTC' });
    expect(kept(n)).toEqual(list.map((s) => s.time));
  });

  it('band edges: T − until is in the older band, one minute later in the younger', () => {
    const T = utc('2026-03-04T12:00:00');
    const list = snaps([T - DAY + 60_000, T - DAY, T - 2 * DAY + 60_000, T - 2 * DAY]);
    const d = nativeEngine.evaluate(list, policy({ tiers: [{ keep: 'all', until: '1d' }, { keep: 'all', until: '2d' }] }), {
      now: T,
      timezone: 'UTC',
    });
    expect(d.keep.map((k) => k.reasons)).toEqual([['tier 1: keep all < 1d'], ['tier 2: keep all < 2d'], ['tier 2: keep all < 2d']]);
    // Exactly 2 days old: older than the last band.
    expect(d.remove.map((s) => s.time)).toEqual([T - 2 * DAY]);
  });

  it('a bucket cut by a band edge keeps its oldest snapshot on each side', () => {
    const T = utc('2026-03-04T12:00:00');
    const list = snaps([utc('2026-03-03T18:00:00'), utc('2026-03-03T13:00:00'), utc('2026-03-03T11:00:00'), utc('2026-03-03T01:00:00')]);
    const d = nativeEngine.evaluate(list, policy({ tiers: [{ every: '1d', until: '1d' }, { every: '1d', until: '1w' }] }), {
      now: T,
      timezone: 'UTC',
    });
    expect(reasonsOf(d)).toEqual([
      ['2026-03-03T13:00:00.000Z', ['tier 1: oldest of 1d bucket 2026-03-03']],
      ['2026-03-03T01:00:00.000Z', ['tier 2: oldest of 1d bucket 2026-03-03']],
    ]);
  });

  it('keeps a snapshot from the future and removes what is older than the last until', () => {
    const T = utc('2026-03-04T12:00:00');
    const list = snaps([T + HOUR, T, T - 3 * DAY]);
    const d = nativeEngine.evaluate(list, policy({ tiers: [{ keep: 'all', until: '2d' }] }), { now: T, timezone: 'UTC' });
    expect(d.keep.map((k) => k.reasons)).toEqual([[FUTURE_REASON], ['tier 1: keep all < 2d']]);
    expect(d.remove.map((s) => s.time)).toEqual([T - 3 * DAY]);
  });
});

describe('native tiers: DST in Europe/Paris', () => {
  it('h/d untils are fixed lengths: 1d before 2024-03-31 12:00 CEST is 11:00 CET', () => {
    const T = paris('2024-03-31T12:00');
    const list = snaps([T, paris('2024-03-30T11:01'), paris('2024-03-30T11:00'), paris('2024-03-30T10:00'), paris('2024-03-30T00:30')]);
    const d = nativeEngine.evaluate(list, policy({ tiers: [{ keep: 'all', until: '1d' }, { every: '1d', until: '1w' }] }), {
      now: T,
      timezone: PARIS,
    });
    expect(kept(d)).toEqual([T, paris('2024-03-30T11:01'), paris('2024-03-30T00:30')]);
    expect(d.keep[2].reasons).toEqual(['tier 2: oldest of 1d bucket 2024-03-30']);
  });

  it('month untils keep the wall-clock time: 2024-04-15 12:00 CEST − 1mo = 2024-03-15 12:00 CET', () => {
    const T = paris('2024-04-15T12:00');
    const bands = tierBands(policy({ tiers: [{ keep: 'all', until: '1mo' }] }), T, PARIS);
    expect(bands[0].lower).toBe(utc('2024-03-15T11:00:00'));
    expect(T - bands[0].lower).toBe(31 * DAY - HOUR);
  });

  it('day buckets are local days, 23 hours long on 2024-03-31', () => {
    const list = snaps([utc('2024-03-31T23:00:00'), utc('2024-03-31T22:00:00'), utc('2024-03-31T21:59:00'), utc('2024-03-30T23:30:00')]);
    const p = policy({ tiers: [{ every: '1d', until: '1w' }] });
    const now = utc('2024-04-02T12:00:00');
    const inParis = nativeEngine.evaluate(list, p, { now, timezone: PARIS });
    expect(reasonsOf(inParis)).toEqual([
      ['2024-03-31T22:00:00.000Z', ['tier 1: oldest of 1d bucket 2024-04-01']],
      ['2024-03-30T23:30:00.000Z', ['tier 1: oldest of 1d bucket 2024-03-31']],
    ]);
    const inUtc = nativeEngine.evaluate(list, p, { now, timezone: 'UTC' });
    expect(kept(inUtc)).toEqual([utc('2024-03-31T21:59:00'), utc('2024-03-30T23:30:00')]);
  });

  it('hour buckets follow the wall clock: the repeated 02:00 hour of 2024-10-27 is one bucket', () => {
    const list = snaps(['00:00', '00:30', '01:00', '01:30', '02:00'].map((h) => utc(`2024-10-27T${h}:00`)));
    const d = nativeEngine.evaluate(list, policy({ tiers: [{ every: '1h', until: '1d' }] }), { now: utc('2024-10-27T03:00:00'), timezone: PARIS });
    expect(reasonsOf(d)).toEqual([
      ['2024-10-27T02:00:00.000Z', ['tier 1: oldest of 1h bucket 2024-10-27 03:00']],
      ['2024-10-27T00:00:00.000Z', ['tier 1: oldest of 1h bucket 2024-10-27 02:00']],
    ]);
  });
});

describe('native bucket sizes', () => {
  const scheme = (s: string): BucketScheme => {
    const r = bucketScheme(duration(s));
    if ('error' in r) throw new Error(r.error);
    return r;
  };
  const label = (iso: string, every: string, zone = 'UTC') => bucketOf(utc(iso), scheme(every), zone).label;

  it('reads every duration as a calendar unit', () => {
    expect(scheme('6h')).toEqual({ unit: 'minutes', size: 360 });
    expect(scheme('1h30min')).toEqual({ unit: 'minutes', size: 90 });
    expect(scheme('24h')).toEqual({ unit: 'days', size: 1 });
    expect(scheme('48h')).toEqual({ unit: 'days', size: 2 });
    expect(scheme('1w2d')).toEqual({ unit: 'days', size: 9 });
    expect(scheme('2w')).toEqual({ unit: 'weeks', size: 2 });
    expect(scheme('1y6mo')).toEqual({ unit: 'months', size: 18 });
    expect(scheme('2y')).toEqual({ unit: 'years', size: 2 });
    for (const bad of ['1mo1d', '1y1w', '1d12h', '25h']) expect(bucketScheme(duration(bad))).toHaveProperty('error');
  });

  it('counts minutes and hours from local midnight', () => {
    expect(label('2026-03-04T05:59:59', '6h')).toBe('2026-03-04 00:00');
    expect(label('2026-03-04T06:00:00', '6h')).toBe('2026-03-04 06:00');
    expect(label('2026-03-04T23:00:00', '7h')).toBe('2026-03-04 21:00'); // short last bucket
    expect(label('2026-03-05T00:10:00', '7h')).toBe('2026-03-05 00:00');
    expect(label('2026-03-04T01:29:00', '1h30min')).toBe('2026-03-04 00:00');
    expect(label('2026-03-04T01:30:00', '1h30min')).toBe('2026-03-04 01:30');
    expect(label('2026-03-04T23:30:00', '15min', PARIS)).toBe('2026-03-05 00:30');
  });

  it('counts days from 1970-01-01, weeks from Monday 1969-12-29, months from January 1970', () => {
    expect(label('2026-01-01T10:00:00', '2d')).toBe('2026-01-01');
    expect(label('2026-01-02T23:59:59', '2d')).toBe('2026-01-01');
    expect(label('2026-01-03T00:00:00', '2d')).toBe('2026-01-03');
    expect(label('1970-01-01T00:00:00', '1w')).toBe('1969-12-29');
    expect(label('2026-03-04T00:00:00', '1w')).toBe('2026-03-02');
    expect(label('2026-03-01T23:59:59', '1w')).toBe('2026-02-23');
    expect(label('2026-03-04T00:00:00', '2w')).toBe('2026-02-23');
    expect(label('2026-03-09T00:00:00', '2w')).toBe('2026-03-09');
    expect(label('2026-03-31T00:00:00', '3mo')).toBe('2026-01');
    expect(label('2026-04-01T00:00:00', '3mo')).toBe('2026-04');
    expect(label('2027-06-01T00:00:00', '2y')).toBe('2026');
    expect(label('1969-12-31T00:00:00', '1mo')).toBe('1969-12');
  });
});

describe('native keep, expiry and their union', () => {
  const T = utc('2026-03-04T12:00:00');

  it('measures within from now, not from the newest snapshot (restic does)', () => {
    const list = snaps([T - 7 * DAY, T - 8 * DAY]);
    const p = policy({ keep: { within: '2d' } });
    expect(nativeEngine.evaluate(list, p, { now: T, timezone: 'UTC' }).keep).toEqual([]);
    expect(kept(resticEngine.evaluate(list, p, { now: T, timezone: 'UTC' }))).toEqual([T - 7 * DAY, T - 8 * DAY]);
    const d = nativeEngine.evaluate(list, policy({ keep: { within: '7d1min', within_daily: '1mo' } }), { now: T, timezone: 'UTC' });
    expect(d.keep.map((k) => k.reasons)).toEqual([['within 7d1min', 'daily within 1mo'], ['daily within 1mo']]);
  });

  it('uses restic counting for keep (newest per bucket, oldest kept while counts last)', () => {
    const list = snaps([T, T - HOUR, T - DAY, T - DAY - HOUR]);
    const d = nativeEngine.evaluate(list, policy({ keep: { daily: 5 } }), { now: T, timezone: 'UTC' });
    expect(d.keep.map((k) => k.reasons)).toEqual([['daily snapshot'], ['daily snapshot'], ['oldest daily snapshot']]);
  });

  it('keeps the union of keep and tiers', () => {
    const list = snaps([T, T - HOUR, T - 2 * HOUR, T - 3 * DAY, T - 20 * DAY]);
    const d = nativeEngine.evaluate(list, policy({ keep: { last: 2, monthly: 1 }, tiers: [{ every: '1d', until: '2d' }] }), {
      now: T,
      timezone: 'UTC',
    });
    expect(reasonsOf(d)).toEqual([
      ['2026-03-04T12:00:00.000Z', ['last snapshot', 'monthly snapshot']],
      ['2026-03-04T11:00:00.000Z', ['last snapshot']],
      ['2026-03-04T10:00:00.000Z', ['tier 1: oldest of 1d bucket 2026-03-04']],
    ]);
  });

  it('expiry removes at creation + expiry, whatever else would keep the snapshot', () => {
    const list = snaps([T - HOUR, T - 7 * DAY + 1, T - 7 * DAY]);
    const only = nativeEngine.evaluate(list, policy({ expiry: '7d' }), { now: T, timezone: 'UTC' });
    expect(kept(only)).toEqual([T - HOUR, T - 7 * DAY + 1]);
    expect(only.keep[0].reasons).toEqual(['expires 2026-03-11T11:00:00+00:00']);
    const withKeep = nativeEngine.evaluate(list, policy({ expiry: '7d', keep: { last: -1 } }), { now: T, timezone: 'UTC' });
    expect(kept(withKeep)).toEqual([T - HOUR, T - 7 * DAY + 1]);
    expect(withKeep.keep[0].reasons).toEqual(['last snapshot']);
  });

  it('removes nothing without any rule, and ignores min', () => {
    const d = nativeEngine.evaluate(snaps([2, 1]), policy({ min: 5 }), { now: T, timezone: 'UTC' });
    expect(d.keep.map((k) => k.reasons)).toEqual([[NO_RULE_REASON], [NO_RULE_REASON]]);
  });
});

describe('native unsupported()', () => {
  it('accepts keep, tiers and expiry together', () => {
    expect(nativeEngine.unsupported(policy({ keep: { daily: 7, within: '90min' }, tiers: MINET, expiry: '1y' }))).toEqual([]);
  });

  it('rejects bucket sizes that have no calendar bucket', () => {
    const u = nativeEngine.unsupported(policy({ tiers: [{ every: '1mo2d', until: '1y' }, { every: '1d12h' }, { keep: 'all', every: '1mo1d' }] }));
    expect(u.map((x) => x.key)).toEqual([['tiers', 0, 'every'], ['tiers', 1, 'every']]);
    expect(u[0].message).toMatch(/mixes calendar units/);
  });
});

// ---------------------------------------------------------------------------------------------
// Properties.

const ZONES = ['UTC', PARIS, 'America/New_York', 'Australia/Lord_Howe'];
const FIXED_UNTILS = ['6h', '1d', '2d', '3d', '1w', '2w', '30d', '60d'];
const CALENDAR_UNTILS = ['1mo', '2mo', '3mo', '1y'];
const EVERIES = ['1h', '2h', '6h', '7h', '1d', '2d', '1w', '1w2d', '1mo'];

function tiersArb(untils: string[]): fc.Arbitrary<TierModel[]> {
  const rank = (s: string) => DateTime.fromMillis(0).plus({ days: 0 }).toMillis() + approx(s);
  return fc
    .record({
      chosen: fc.uniqueArray(fc.constantFrom(...untils), { minLength: 1, maxLength: 4 }),
      forever: fc.boolean(),
      forms: fc.array(fc.oneof(fc.constant('all'), fc.constantFrom(...EVERIES)), { minLength: 5, maxLength: 5 }),
    })
    .map(({ chosen, forever, forms }) => {
      const sorted = [...chosen].sort((a, b) => rank(a) - rank(b));
      const tiers: TierModel[] = sorted.map((until, i) => (forms[i] === 'all' ? { keep: 'all', until } : { every: forms[i], until }));
      if (forever) tiers.push(forms[4] === 'all' ? { every: '1mo' } : { every: forms[4] });
      return tiers;
    });
}

function approx(s: string): number {
  const d = duration(s);
  return ((d.y * 365 + d.mo * 30 + d.w * 7 + d.d) * 24 + d.h) * 60 + d.min;
}

const keepArb = fc.option(
  fc.record(
    {
      last: fc.integer({ min: 1, max: 5 }),
      hourly: fc.integer({ min: 1, max: 30 }),
      daily: fc.integer({ min: 1, max: 10 }),
      weekly: fc.integer({ min: -1, max: 6 }),
      monthly: fc.integer({ min: 1, max: 4 }),
      within: fc.constantFrom('1d', '3d12h', '1mo'),
      within_daily: fc.constantFrom('1w', '1mo'),
    },
    { requiredKeys: [] },
  ),
  { nil: undefined },
);

const setOf = (d: RetentionDecision): string[] => d.keep.map((k) => k.snapshot.id!);

describe('native properties', () => {
  it('pruning twice at the same time is idempotent', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...ZONES),
        fc.integer({ min: utc('2023-01-01T00:00:00'), max: utc('2025-01-01T00:00:00') }),
        fc.array(fc.integer({ min: 0, max: 400 * 24 * 60 }), { minLength: 1, maxLength: 200 }),
        fc.integer({ min: 0, max: 3 * 24 * 60 }),
        tiersArb([...FIXED_UNTILS, ...CALENDAR_UNTILS]),
        keepArb,
        fc.boolean(),
        fc.option(fc.constantFrom('90d', '200d', '1y'), { nil: undefined }),
        (zone, start, offsets, extra, tiers, keep, useTiers, expiry) => {
          const list = offsets.map((m, i) => ({ time: start + m * 60_000, id: `s${i}` }));
          const now = start + Math.max(...offsets) * 60_000 + extra * 60_000;
          const p = policy({ ...(useTiers || !keep ? { tiers } : {}), ...(keep ? { keep } : {}), ...(expiry ? { expiry } : {}) });
          const ctx = { now, timezone: zone };
          const first = nativeEngine.evaluate(list, p, ctx);
          const second = nativeEngine.evaluate(
            first.keep.map((k) => k.snapshot),
            p,
            ctx,
          );
          expect(setOf(second)).toEqual(setOf(first));
          expect(second.remove).toEqual([]);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a snapshot kept by a tier stays kept, prune after prune, until it leaves its band', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...ZONES),
        fc.integer({ min: utc('2023-01-01T00:00:00'), max: utc('2025-01-01T00:00:00') }),
        fc.constantFrom(1, 2, 3, 6),
        fc.integer({ min: 5, max: 30 }),
        tiersArb(FIXED_UNTILS),
        (zone, start, everyHours, days, tiers) => {
          const p = policy({ tiers });
          let held: SnapshotIn[] = [];
          let previous: { bands: TierBand[]; kept: Set<string> } | undefined;
          const bandOf = (time: number, bands: TierBand[]) => bands.find((b) => b.lower < time && time <= b.upper)?.index;
          const runs = Math.floor((days * 24) / everyHours);
          for (let k = 0; k < runs; k++) {
            const now = start + k * everyHours * HOUR;
            const bands = tierBands(p, now, zone);
            held = [...held, { time: now, id: `r${k}` }];
            const d = nativeEngine.evaluate(held, p, { now, timezone: zone });
            const keptNow = new Set(setOf(d));
            if (previous) {
              for (const s of held) {
                if (!previous.kept.has(s.id!)) continue;
                const before = bandOf(s.time, previous.bands);
                if (before !== undefined && before === bandOf(s.time, bands)) expect(keptNow.has(s.id!)).toBe(true);
              }
            }
            held = d.keep.map((x) => x.snapshot);
            previous = { bands, kept: keptNow };
          }
        },
      ),
      { numRuns: 20 },
    );
  }, 120_000);
});
