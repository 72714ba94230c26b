// The incremental tiers path gives exactly what evaluating the whole held set at every prune
// gives (random tier policies, schedules, zones, dates around month ends and DST changes, min,
// expiry, prune schedules); and simulate() as a whole equals a plain replay loop written here for
// every engine.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { simulate, PRUNE_DELAY_MS } from '../../../engine/simulate/simulate';
import { incrementalApplies } from '../../../engine/simulate/tiers-incremental';
import { borgEngine, nativeEngine, pbsEngine, resticEngine } from '../../../engine/retention/index';
import { buildPolicy } from '../../../engine/plan/build-model';
import { parseSchedule } from '../../../engine/time/schedule';
import type { RetentionEngine, SnapshotIn } from '../../../engine/retention/types';

const D = 86_400_000;
const fires = (expr: string, zone: string, from: number, at: number): number[] => {
  const r = parseSchedule(expr, zone);
  if (!r.ok) throw new Error(r.message);
  return r.schedule.fires(from - 1, at);
};

const UNTILS = ['6h', '1d', '3d', '1w', '10d', '2w', '1mo', '5w', '2mo', '3mo'];
const EVERIES = ['1h', '3h', '6h', '1d', '2d', '1w', '2w', '1mo'];

// Tiers with strictly increasing untils; `every` never wider than... anything (the engine does
// not require it, and odd policies are the interesting ones).
const tiersArb = fc
  .record({
    untils: fc.uniqueArray(fc.integer({ min: 0, max: UNTILS.length - 1 }), { minLength: 1, maxLength: 4 }),
    kinds: fc.array(fc.oneof(fc.constant<'all'>('all'), fc.integer({ min: 0, max: EVERIES.length - 1 })), { minLength: 5, maxLength: 5 }),
    forever: fc.boolean(),
  })
  .map(({ untils, kinds, forever }) => {
    const sorted = [...untils].sort((a, b) => a - b);
    const tiers: Record<string, unknown>[] = sorted.map((u, i) => {
      const k = kinds[i];
      return k === 'all' ? { keep: 'all', until: UNTILS[u] } : { every: EVERIES[k], until: UNTILS[u] };
    });
    if (forever) tiers.push({ every: EVERIES[typeof kinds[4] === 'number' ? kinds[4] : 7] });
    return tiers;
  });

const caseArb = fc.record({
  tiers: tiersArb,
  schedule: fc.constantFrom('0 * * * *', '*/30 * * * *', '0 */6 * * *', '30 2 * * *', '15 1,13 * * *', '0 0 * * 1-5', '45 */4 * * *'),
  zone: fc.constantFrom('UTC', 'Europe/Paris', 'America/New_York', 'Australia/Lord_Howe'),
  // Starts spread over three years, so month ends (Feb 28 clamping) and DST changes are crossed.
  start: fc.integer({ min: Date.UTC(2024, 0, 1) / D, max: Date.UTC(2026, 11, 1) / D }).map((d) => d * D),
  // Up to 80 days: long enough to cross the 2mo band edges; longer half-hourly cases made the
  // generic side (the whole held set at every prune) take minutes on a loaded machine.
  days: fc.integer({ min: 20, max: 80 }),
  min: fc.constantFrom(undefined, 0, 1, 3),
  expiry: fc.constantFrom(undefined, undefined, '20d', '2mo'),
  prune: fc.constantFrom(undefined, undefined, '10 3 * * *', '0 */8 * * *'),
});

describe('incremental tiers path', () => {
  it('applies only to native tiers-only policies', () => {
    const tiers = [{ keep: 'all', until: '1d' }, { every: '1d' }];
    expect(incrementalApplies(nativeEngine, buildPolicy({ tiers }, ['p']))).toBe(true);
    expect(incrementalApplies(nativeEngine, buildPolicy({ tiers, expiry: '1y' }, ['p']))).toBe(true);
    expect(incrementalApplies(nativeEngine, buildPolicy({ tiers, keep: { last: 3 } }, ['p']))).toBe(false);
    expect(incrementalApplies(resticEngine, buildPolicy({ tiers }, ['p']))).toBe(false);
    expect(incrementalApplies(nativeEngine, buildPolicy({ tiers: [{ every: '1d12h' }] }, ['p']))).toBe(false);
  });

  // An async property: each run yields to the event loop, so vitest's worker stays responsive
  // (a minute of synchronous work makes its RPC time out on a loaded machine).
  it('equals evaluating the whole set at every prune', async () => {
    await fc.assert(
      fc.asyncProperty(caseArb, async (c) => {
        await new Promise((r) => setImmediate(r));
        const policy = buildPolicy({ tiers: c.tiers, ...(c.min === undefined ? {} : { min: c.min }), ...(c.expiry ? { expiry: c.expiry } : {}) }, ['p']);
        const at = c.start + c.days * D;
        const input = {
          fires: fires(c.schedule, c.zone, c.start, at),
          pruneAt: c.prune ? fires(c.prune, c.zone, c.start, at) : undefined,
          engine: nativeEngine,
          policy,
          timezone: c.zone,
          from: c.start,
          at,
        };
        const fast = simulate(input);
        const slow = simulate({ ...input, strategy: 'generic' });
        expect(fast.strategy).toBe('incremental');
        expect(slow.strategy).toBe('generic');
        expect(fast.snapshots).toEqual(slow.snapshots);
        expect(fast.stats).toEqual(slow.stats);
      }),
      { numRuns: 25 },
    );
  }, 300_000);

  it('follows band edges that move back at month ends (T − 1mo is Feb 28 from Mar 28 to Mar 31)', () => {
    // Hourly snapshots, 1/hour kept below 1mo, 1/day below 2mo: around Mar 29 … Apr 1 the 1mo
    // edge jumps back a day at each midnight, and snapshots of Feb 28 move back and forth.
    const policy = buildPolicy({ tiers: [{ every: '1h', until: '1mo' }, { every: '1d', until: '2mo' }, { every: '1w' }] }, ['p']);
    const from = Date.UTC(2025, 0, 15);
    const at = Date.UTC(2025, 3, 3);
    const input = { fires: fires('*/20 * * * *', 'UTC', from, at), engine: nativeEngine, policy, timezone: 'UTC', from, at };
    const fast = simulate(input);
    const slow = simulate({ ...input, strategy: 'generic' });
    expect(fast.strategy).toBe('incremental');
    expect(fast.snapshots).toEqual(slow.snapshots);
    expect(fast.stats).toEqual(slow.stats);
  }, 60_000);
});

/** The plainest possible replay: prune with the engine right after each creation, min 1. */
function replay(engine: RetentionEngine, policy: ReturnType<typeof buildPolicy>, times: number[], zone: string): SnapshotIn[] {
  let held: SnapshotIn[] = [];
  for (const t of times) {
    held = [{ time: t, id: String(t) }, ...held];
    const d = engine.evaluate(held, policy, { now: t + PRUNE_DELAY_MS, timezone: zone });
    const keep = new Set(d.keep.map((k) => k.snapshot.id));
    keep.add(held[0].id); // min 1: the newest stays
    held = held.filter((s) => keep.has(s.id));
  }
  return held;
}

describe('simulate() equals a plain replay loop', () => {
  const gfs = buildPolicy({ keep: { last: 3, hourly: 24, daily: 7, weekly: 4, monthly: 12, yearly: 3 } }, ['p']);
  const cases: [string, RetentionEngine][] = [
    ['restic', resticEngine],
    ['borg', borgEngine],
    ['pbs', pbsEngine],
    ['native', nativeEngine],
  ];
  for (const [name, engine] of cases) {
    it(`${name}: gfs counts, hourly for 100 days in Paris`, () => {
      const zone = 'Europe/Paris';
      const from = Date.UTC(2025, 1, 20);
      const at = from + 100 * D;
      const times = fires('7 * * * *', zone, from, at);
      const r = simulate({ fires: times, engine, policy: gfs, timezone: zone, from, at });
      expect(r.snapshots.map((s) => s.time)).toEqual(replay(engine, gfs, times, zone).map((s) => s.time));
      expect(r.stats.created).toBe(times.length);
      expect(r.stats.removed).toBe(times.length - r.stats.count);
    }, 60_000);
  }
});
