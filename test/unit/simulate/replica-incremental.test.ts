// A zfs-send/btrfs-send replica with a native tiers policy is pruned incrementally (copy-job.ts);
// the whole replay must be what pruning the whole replica with the engine at every prune gives
// (strategy 'generic'): random tier policies on source and copies, schedules, zones, min, dates
// around month ends and DST changes, one or two copies, prune schedules.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { simulateReplication, type ReplicaSide } from '../../../engine/simulate/copy-job';
import { nativeEngine, resticEngine } from '../../../engine/retention/index';
import { buildPolicy } from '../../../engine/plan/build-model';
import { parseSchedule } from '../../../engine/time/schedule';
import type { RetentionEngine } from '../../../engine/retention/types';

const D = 86_400_000;
const fires = (expr: string, zone: string, from: number, at: number): number[] => {
  const r = parseSchedule(expr, zone);
  if (!r.ok) throw new Error(r.message);
  return r.schedule.fires(from - 1, at);
};

const UNTILS = ['6h', '1d', '3d', '1w', '10d', '2w', '1mo', '5w', '2mo'];
const EVERIES = ['1h', '6h', '1d', '2d', '1w', '1mo'];

const tiersArb = fc
  .record({
    untils: fc.uniqueArray(fc.integer({ min: 0, max: UNTILS.length - 1 }), { minLength: 1, maxLength: 3 }),
    kinds: fc.array(fc.oneof(fc.constant<'all'>('all'), fc.integer({ min: 0, max: EVERIES.length - 1 })), {
      minLength: 4,
      maxLength: 4,
    }),
    forever: fc.boolean(),
  })
  .map(({ untils, kinds, forever }) => {
    const tiers: Record<string, unknown>[] = [...untils]
      .sort((a, b) => a - b)
      .map((u, i) => {
        const k = kinds[i];
        return k === 'all' ? { keep: 'all', until: UNTILS[u] } : { every: EVERIES[k], until: UNTILS[u] };
      });
    if (forever) tiers.push({ every: '1w' });
    return tiers;
  });

const SCHEDULES = ['0 * * * *', '*/30 * * * *', '0 */6 * * *', '30 2 * * *', '15 1,13 * * *', '45 */4 * * *',
  '10 3 * * 1-5'];

const copyArb = fc.record({
  tiers: tiersArb,
  schedule: fc.constantFrom(...SCHEDULES),
  min: fc.constantFrom(undefined, 0, 1, 3),
  prune: fc.constantFrom(undefined, undefined, '20 4 * * *'),
});

const caseArb = fc.record({
  source: fc.oneof(tiersArb.map((tiers) => ({ tiers })), fc.constant({ keep: { last: 4, daily: 5 } })),
  sourceSchedule: fc.constantFrom(...SCHEDULES),
  copies: fc.array(copyArb, { minLength: 1, maxLength: 2 }),
  zone: fc.constantFrom('UTC', 'Europe/Paris', 'America/New_York', 'Australia/Lord_Howe'),
  start: fc.integer({ min: Date.UTC(2024, 0, 1) / D, max: Date.UTC(2026, 11, 1) / D }).map((d) => d * D),
  days: fc.integer({ min: 15, max: 70 }),
});

/** The native engine, counting its decisions. */
function counted(): { engine: RetentionEngine; calls: () => number } {
  let n = 0;
  return {
    engine: { ...nativeEngine, evaluate: (s, p, c) => (n++, nativeEngine.evaluate(s, p, c)) },
    calls: () => n,
  };
}

describe('incremental pruning of a sent replica', () => {
  it('equals pruning the whole replica with the engine at every prune', async () => {
    await fc.assert(
      fc.asyncProperty(caseArb, async (c) => {
        await new Promise((r) => setImmediate(r));
        const at = c.start + c.days * D;
        const run = (strategy: 'auto' | 'generic') => {
          const engines = c.copies.map(() => counted());
          const copies: ReplicaSide[] = c.copies.map((k, i) => ({
            name: `copy-${i}`,
            mode: 'send',
            fires: fires(k.schedule, c.zone, c.start, at),
            pruneAt: k.prune ? fires(k.prune, c.zone, c.start, at) : undefined,
            engine: engines[i].engine,
            policy: buildPolicy({ tiers: k.tiers, ...(k.min === undefined ? {} : { min: k.min }) }, ['p']),
            timezone: c.zone,
          }));
          const source = {
            fires: fires(c.sourceSchedule, c.zone, c.start, at),
            engine: 'tiers' in c.source ? nativeEngine : resticEngine,
            policy: buildPolicy(c.source, ['s']),
            timezone: c.zone,
          };
          const r = simulateReplication({ source, sourceName: 'src', copies, from: c.start, at, strategy });
          return { r, calls: engines.map((e) => e.calls()) };
        };
        const fast = run('auto');
        const slow = run('generic');
        expect(fast.r.copies).toEqual(slow.r.copies);
        expect(fast.r.source.snapshots).toEqual(slow.r.source.snapshots);
        expect(fast.r.source.stats).toEqual(slow.r.source.stats);
        // The incremental path asked the engine once per replica (its last prune), not per prune.
        fast.calls.forEach((n, i) => {
          expect(n).toBeLessThanOrEqual(1);
          const pruned = slow.r.copies[i].stats.prunes > 1 && slow.r.copies[i].stats.created > 0;
          if (pruned) expect(slow.calls[i]).toBeGreaterThan(1);
        });
      }),
      { numRuns: 40 },
    );
  }, 300_000);
});
