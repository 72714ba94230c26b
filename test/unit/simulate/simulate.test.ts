// simulate(): hand-checked scenarios. Every expected number below is derived in the comments,
// not read back from the implementation.
import { describe, expect, it } from 'vitest';
import { simulate, minReason, NEWEST_REASON, type SimulateInput } from '../../../engine/simulate/simulate';
import { nativeEngine } from '../../../engine/retention/native';
import { incusEngine, veleroEngine, resticEngine } from '../../../engine/retention/index';
import { buildPolicy } from '../../../engine/plan/build-model';
import { parseSchedule } from '../../../engine/time/schedule';
import { localParts } from '../../../engine/retention/calendar';
import type { SnapshotIn } from '../../../engine/retention/types';

const H = 3_600_000;
const D = 24 * H;
const policy = (raw: Record<string, unknown>) => buildPolicy(raw, ['policies', 'p'], 'p');
const every = (from: number, to: number, step: number): number[] => {
  const out: number[] = [];
  for (let t = from; t <= to; t += step) out.push(t);
  return out;
};
const fireList = (expr: string, zone: string, from: number, at: number): number[] => {
  const r = parseSchedule(expr, zone);
  if (!r.ok) throw new Error(r.message);
  return r.schedule.fires(from - 1, at);
};

const MINET = policy({
  tiers: [{ keep: 'all', until: '15d' }, { every: '1d', until: '1mo' }, { every: '2d', until: '2mo' }, { every: '1w', until: '6mo' }, { every: '1mo' }],
});

describe('simulate: counts', () => {
  it('hourly snapshots with keep.last 24 (native) hold exactly 24, the newest', () => {
    const from = Date.UTC(2025, 0, 1);
    const at = Date.UTC(2025, 0, 3); // 49 fires: Jan 1 00:00 … Jan 3 00:00
    const r = simulate({ fires: every(from, at, H), engine: nativeEngine, policy: policy({ keep: { last: 24 } }), timezone: 'UTC', from, at });
    expect(r.stats.count).toBe(24);
    expect(r.snapshots.map((s) => s.time)).toEqual(every(at - 23 * H, at, H).reverse());
    expect(r.snapshots.every((s) => s.reasons.includes('last snapshot'))).toBe(true);
    expect(r.stats.created).toBe(49);
    expect(r.stats.removed).toBe(25);
    expect(r.stats.minCount).toBe(1);
    expect(r.stats.maxCount).toBe(24);
    expect(r.stats.oldest).toBe(at - 23 * H);
  });

  it('daily snapshots with expiry 7d on Incus hold 7: expired when created + 7d <= now', () => {
    const zone = 'UTC';
    const from = Date.UTC(2025, 0, 1);
    const p = policy({ expiry: '7d' });
    const fires = every(from, Date.UTC(2025, 1, 1), D);
    // At Jan 31 00:00 the Jan 24 snapshot expires (24 + 7 = 31, deadline <= now) just as the
    // Jan 31 one is created: Jan 25 … Jan 31 = 7.
    const atRun = simulate({ fires, engine: incusEngine, policy: p, timezone: zone, from, at: Date.UTC(2025, 0, 31) });
    expect(atRun.stats.count).toBe(7);
    expect(atRun.stats.oldest).toBe(Date.UTC(2025, 0, 25));
    // One minute before that run, Jan 24 … Jan 30 are held: 7 again.
    const before = simulate({ fires, engine: incusEngine, policy: p, timezone: zone, from, at: Date.UTC(2025, 0, 31) - 60_000 });
    expect(before.stats.count).toBe(7);
    expect(before.stats.oldest).toBe(Date.UTC(2025, 0, 24));
    // 31 created Jan 1 … Jan 31; 24 expired; never more than 7 at once; Incus ignores min.
    expect(atRun.stats.created).toBe(31);
    expect(atRun.stats.removed).toBe(24);
    expect(atRun.stats.expired).toBe(24);
    expect(atRun.stats.maxCount).toBe(7);
    expect(atRun.min).toBe(0);
    expect(atRun.snapshots[0].reasons[0]).toMatch(/^expires 2025-02-07T00:00:00\+00:00$/);
  });

  it('Incus expiry counts calendar days: 7d across the spring-forward change is 167 hours', () => {
    // Daily at 00:00 Paris. The Mar 25 snapshot expires Apr 1 00:00 CEST (Go AddDate on the wall
    // clock), 167 h later. At Apr 1 00:30 it is gone (7 held); a fixed 168 h would still hold it.
    const zone = 'Europe/Paris';
    const from = Date.UTC(2025, 2, 14, 23); // Mar 15 00:00 CET
    const at = Date.UTC(2025, 2, 31, 22, 30); // Apr 1 00:30 CEST
    const fires = fireList('0 0 * * *', zone, from, at);
    const r = simulate({ fires, engine: incusEngine, policy: policy({ expiry: '7d' }), timezone: zone, from, at });
    expect(r.stats.count).toBe(7);
    expect(localParts(r.stats.oldest!, zone).day).toBe(26);
  });

  // The SPEC's "minet" policy over one year of 6-hourly snapshots (00, 06, 12, 18 h Paris time),
  // from 2025-01-01 00:00 to 2026-01-01 00:00 Paris time, pruned after every run.
  // At T = 2026-01-01 00:00 the band edges are T − 15d = Dec 17 00:00, T − 1mo = Dec 1 00:00,
  // T − 2mo = Nov 1 00:00, T − 6mo = Jul 1 00:00 (a snapshot exactly on an edge is in the older
  // band). Snapshots age through the bands in time order, so the first to enter a band's bucket
  // (its oldest) is kept and later ones are removed as they arrive:
  // - keep all < 15d: (Dec 17 00:00, Jan 1 00:00] = 3 on Dec 17 + 14 days × 4 + Jan 1 00:00 = 60.
  // - 1/day < 1mo: each day keeps its 00:00 snapshot; (Dec 1, Dec 17] → Dec 2 … Dec 17 = 16
  //   (Dec 1's 00:00 sits on the edge, its other snapshots were removed when they arrived).
  // - 1/2d < 2mo: 2-day buckets pair day numbers (2k, 2k+1); Nov 2 is day 20394 (even), so
  //   (Nov 1, Dec 1] holds the buckets (Nov 2, 3) … (Nov 30, Dec 1): 15, each keeping its even day.
  // - 1/week < 6mo: (Jul 1, Nov 1]. Only even days reach this band. The week of Jun 30 – Jul 6
  //   is empty: Jul 1 00:00 (day 20270, even) was its first member, so Jul 3 and Jul 5 were
  //   removed when they arrived, and Jul 1 has just left for the last band. The weeks of
  //   Jul 7 … Oct 27 (Oct 27 is even and ≤ Nov 1) each keep their first even day: 17.
  // - 1/month: ≤ Jul 1 00:00. What reaches it is one snapshot per week (the week's first even
  //   day), in time order, so each month keeps the first such snapshot dated in it: Jan 1 (the
  //   very first snapshot: day 20089 is odd but had no older partner in its 2-day bucket, and
  //   was the first of its week), Feb 3, Mar 3, Apr 8 (the week of Mar 31 is represented by
  //   Mar 31; Apr 7 is odd), May 6 (Apr 28 represents its week; May 5 is odd), Jun 3 (May 26;
  //   Jun 2 is odd), and Jul 1 00:00, which has just arrived = 7.
  // Total 60 + 16 + 15 + 17 + 7 = 115.
  it('minet tiers over a year of 6-hourly snapshots in Europe/Paris hold 115', () => {
    const zone = 'Europe/Paris';
    const from = Date.UTC(2024, 11, 31, 23);
    const at = Date.UTC(2025, 11, 31, 23);
    const fires = fireList('0 */6 * * *', zone, from, at);
    expect(fires.length).toBe(365 * 4 + 1);
    const r = simulate({ fires, engine: nativeEngine, policy: MINET, timezone: zone, from, at });
    expect(r.stats.count).toBe(115);
    const perTier = [1, 2, 3, 4, 5].map((n) => r.snapshots.filter((s) => s.reasons.some((x) => x.startsWith(`tier ${n}:`))).length);
    expect(perTier).toEqual([60, 16, 15, 17, 7]);
    expect(r.stats.oldest).toBe(from);
    const day = (t: number) => {
      const p = localParts(t, zone);
      return `${p.month}-${p.day} ${p.hour}h`;
    };
    const tier = (n: number) => r.snapshots.filter((s) => s.reasons.some((x) => x.startsWith(`tier ${n}:`))).map((s) => day(s.time));
    expect(tier(5)).toEqual(['7-1 0h', '6-3 0h', '5-6 0h', '4-8 0h', '3-3 0h', '2-3 0h', '1-1 0h']);
    expect(tier(4).at(-1)).toBe('7-7 0h');
    expect(tier(4)[0]).toBe('10-27 0h');
    expect(r.stats.created).toBe(1461);
    expect(r.stats.removed).toBe(1461 - 115);
  });
});

describe('simulate: min', () => {
  // Snapshots at 00:00, pruned at 12:00 by a policy that keeps only what is younger than 6 h:
  // at every prune the newest is 12 h old, so the policy alone keeps nothing.
  const from = Date.UTC(2025, 4, 1);
  const at = Date.UTC(2025, 4, 5, 18);
  const fires = every(from, at, D);
  const pruneAt = every(from + 12 * H, at, D);
  const p = (min?: number) => policy({ tiers: [{ keep: 'all', until: '6h' }], ...(min === undefined ? {} : { min }) });

  it('the default min 1 protects the newest', () => {
    const r = simulate({ fires, pruneAt, engine: nativeEngine, policy: p(), timezone: 'UTC', from, at });
    expect(r.stats.count).toBe(1);
    expect(r.snapshots).toEqual([{ time: Date.UTC(2025, 4, 5), reasons: [minReason(1)] }]);
    // Held: 1 after each creation, 2 after the next creation, back to 1 at the prune.
    expect([r.stats.minCount, r.stats.maxCount]).toEqual([1, 2]);
    expect(r.stats.removed).toBe(4);
  });

  it('min 0 lets the policy empty the set', () => {
    const r = simulate({ fires, pruneAt, engine: nativeEngine, policy: p(0), timezone: 'UTC', from, at });
    expect(r.stats.count).toBe(0);
    expect(r.stats.minCount).toBe(0);
    expect(r.stats.removed).toBe(5);
  });

  it('min 3 keeps the 3 newest; the option overrides the policy', () => {
    const r = simulate({ fires, pruneAt, engine: nativeEngine, policy: p(), min: 3, timezone: 'UTC', from, at });
    expect(r.snapshots.map((s) => s.time)).toEqual([Date.UTC(2025, 4, 5), Date.UTC(2025, 4, 4), Date.UTC(2025, 4, 3)]);
    expect(r.snapshots.every((s) => s.reasons[0] === minReason(3))).toBe(true);
  });

  // Daily snapshots, expiry 12 h: every day from 12:00 to 24:00 the newest has expired.
  it('native expiry respects min: the newest outlives its deadline until a newer one exists', () => {
    const r = simulate({ fires, engine: nativeEngine, policy: policy({ expiry: '12h' }), timezone: 'UTC', from, at });
    expect(r.stats.count).toBe(1);
    expect(r.stats.minCount).toBe(1);
    expect(r.stats.expired).toBe(4); // each removed when the next one is created
    expect(r.stats.worstGap).toEqual({ ms: D, from: Date.UTC(2025, 4, 1), to: Date.UTC(2025, 4, 2), live: true });
  });

  it('Incus expiry does not: the set is empty half of every day', () => {
    const r = simulate({ fires, engine: incusEngine, policy: policy({ expiry: '12h', min: 5 }), timezone: 'UTC', from, at });
    expect(r.min).toBe(0);
    expect(r.stats.count).toBe(0);
    expect(r.stats.minCount).toBe(0);
    expect(r.stats.expired).toBe(5);
    // Nothing held from 12:00: the gap runs from the last restore point to the next creation.
    expect(r.stats.worstGap?.ms).toBe(D);
    expect(r.stats.worstGap?.live).toBe(true);
  });

  it("Velero without an expiry uses its default ttl (30 days), whatever min says", () => {
    const f = every(from, from + 40 * D, D);
    const r = simulate({ fires: f, engine: veleroEngine, policy: policy({ min: 50 }), timezone: 'UTC', from, at: from + 40 * D });
    expect(r.stats.count).toBe(30);
  });
});

describe('simulate: stats and reasons', () => {
  // Hourly snapshots A..F at 00:00 … 05:00 with tiers [keep all < 2h, 1/day]: at each run the
  // snapshot that turns 2 h old enters the daily band, where A (00:00) is already the oldest of
  // the day, so it is removed — B at 03:00, C at 04:00, D at 05:00.
  //   state after 00:00 {A}            1
  //         after 01:00 {A,B}          2  gap A→B 1h
  //         after 02:00 {A,B,C}        3  (A entered the daily band and stays)
  //         after 03:00 {A,C,D}        3  B removed: gap A→C 2h
  //         after 04:00 {A,D,E}        3  C removed: gap A→D 3h
  //         after 05:00 {A,E,F}        3  D removed: gap A→E 4h
  // created 6, removed 3, count 3, min 1, max 3, worst gap 4h (A → E), never more than 1h to now.
  it('computes created/removed/minCount/maxCount/worstGap by hand', () => {
    const from = Date.UTC(2025, 5, 1);
    const at = from + 5 * H;
    const p = policy({ tiers: [{ keep: 'all', until: '2h' }, { every: '1d' }] });
    const r = simulate({ fires: every(from, at, H), engine: nativeEngine, policy: p, timezone: 'UTC', from, at });
    expect(r.stats).toEqual({
      created: 6,
      removed: 3,
      expired: 0,
      count: 3,
      minCount: 1,
      maxCount: 3,
      oldest: from,
      newest: at,
      worstGap: { ms: 4 * H, from, to: from + 4 * H, live: false },
      prunes: 6,
    });
    expect(r.snapshots.map((s) => s.reasons)).toEqual([
      ['tier 1: keep all < 2h'],
      ['tier 1: keep all < 2h'],
      ['tier 2: oldest of 1d bucket 2025-06-01'],
    ]);
  });

  it('measures the gap from the newest snapshot to the next run (the live end)', () => {
    // keep.last 2 on irregular runs at 0, 1, 3, 7 h; at = 12 h. The worst is the wait after
    // the last run: 7 h → 12 h, 5 h old at `at` (the 4 h from 3 h to 7 h comes second).
    const t0 = Date.UTC(2025, 5, 1);
    const fires = [0, 1, 3, 7].map((h) => t0 + h * H);
    const r = simulate({ fires, engine: nativeEngine, policy: policy({ keep: { last: 2 } }), timezone: 'UTC', from: t0, at: t0 + 12 * H });
    expect(r.stats.worstGap).toEqual({ ms: 5 * H, from: t0 + 7 * H, to: t0 + 12 * H, live: true });
    // Up to 8 h, the 3 h → 7 h gap (4 h) is the worst: seen as "newest → now" just before the
    // 7 h run and then between the two snapshots, which is how it is reported.
    const r8 = simulate({ fires, engine: nativeEngine, policy: policy({ keep: { last: 2 } }), timezone: 'UTC', from: t0, at: t0 + 8 * H });
    expect(r8.stats.worstGap).toEqual({ ms: 4 * H, from: t0 + 3 * H, to: t0 + 7 * H, live: false });
    expect([r.stats.created, r.stats.removed, r.stats.count, r.stats.minCount, r.stats.maxCount]).toEqual([4, 2, 2, 1, 2]);
  });

  it('snapshots created after the last prune have the reason "newest"', () => {
    const from = Date.UTC(2025, 5, 1);
    const at = from + 30 * H;
    const r = simulate({
      fires: every(from, at, H),
      pruneAt: [from + 24 * H],
      engine: nativeEngine,
      policy: policy({ keep: { last: 2 } }),
      timezone: 'UTC',
      from,
      at,
    });
    // Prune at 24 h keeps 23 h and 24 h; 25 h … 30 h came later.
    expect(r.stats.count).toBe(8);
    expect(r.snapshots.slice(0, 6).every((s) => s.reasons[0] === NEWEST_REASON)).toBe(true);
    expect(r.snapshots.slice(6).every((s) => s.reasons[0] === 'last snapshot')).toBe(true);
    // With a separate prune schedule the build-up before the prune is a state: 24 held just
    // before the 24 h run (the creation and the prune at 24 h are one instant).
    expect(r.stats.maxCount).toBe(24);
    expect(r.lastPrune).toBe(from + 24 * H);
  });

  it('restic measures keep.within from the snapshot just made (the prune runs after the backup)', () => {
    const from = Date.UTC(2025, 5, 1);
    const at = from + 72 * H;
    const r = simulate({ fires: every(from, at, H), engine: resticEngine, policy: policy({ keep: { within: '2d' } }), timezone: 'UTC', from, at });
    // within 2d of the newest (72 h): strictly newer than 24 h → 25 h … 72 h = 48.
    expect(r.stats.count).toBe(48);
  });

  it('refuses a policy the engine cannot express', () => {
    expect(() =>
      simulate({ fires: [0], engine: resticEngine, policy: MINET, timezone: 'UTC', from: 0, at: 1 }),
    ).toThrow(/restic pruning engine cannot express this policy/);
  });

  it('ignores fires outside [from, at] and sorts them', () => {
    const r = simulate({ fires: [5 * H, -H, 2 * H, 9 * H], engine: nativeEngine, policy: policy({ keep: { last: 10 } }), timezone: 'UTC', from: 0, at: 6 * H });
    expect(r.snapshots.map((s) => s.time)).toEqual([5 * H, 2 * H]);
  });
});

// Prune after every run with native tiers, replayed step by step with the engine itself (an
// implementation independent of simulate()): a snapshot kept at one prune is only removed at a
// later prune once it has left the band it was kept in, and simulate() ends with the same set.
describe('simulate: stability of native tiers', () => {
  it('a kept snapshot stays until it leaves its band (minet, 6-hourly, a year in Paris)', () => {
    const zone = 'Europe/Paris';
    const from = Date.UTC(2024, 11, 31, 23);
    const at = Date.UTC(2025, 11, 31, 23);
    const fires = fireList('0 */6 * * *', zone, from, at);
    const bandOf = (reasons: string[]) => Number(/^tier (\d+):/.exec(reasons.find((x) => x.startsWith('tier')) ?? '')?.[1]);
    let held: SnapshotIn[] = [];
    const keptIn = new Map<number, number>();
    const violations: string[] = [];
    for (const t of fires) {
      held.push({ time: t, id: String(t) });
      const d = nativeEngine.evaluate(held, MINET, { now: t + 1, timezone: zone });
      const bands = new Map(d.keep.map((k) => [k.snapshot.time, bandOf(k.reasons)]));
      for (const s of d.remove) {
        const was = keptIn.get(s.time);
        if (was === undefined) continue; // never kept: removed on arrival in a band
        // Still in the same band? It must then have been kept.
        const now = bandAt(s.time, t + 1);
        if (now === was) violations.push(`${new Date(s.time).toISOString()} removed at ${new Date(t).toISOString()} in band ${was}`);
      }
      keptIn.clear();
      for (const [time, b] of bands) keptIn.set(time, b);
      held = d.keep.map((k) => k.snapshot);
    }
    expect(violations).toEqual([]);
    const r = simulate({ fires, engine: nativeEngine, policy: MINET, timezone: zone, from, at });
    expect(r.snapshots.map((s) => s.time)).toEqual(held.map((s) => s.time));

    function bandAt(time: number, now: number): number {
      const probe = nativeEngine.evaluate([{ time }], policy({ tiers: MINET.tiers!.map((x) => ({ ...x, keep: 'all', every: undefined })) }), {
        now,
        timezone: zone,
      });
      return probe.keep.length === 0 ? 6 : bandOf(probe.keep[0].reasons);
    }
  });
});

export type { SimulateInput };
