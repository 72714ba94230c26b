// The count rules decided without the engine (counts-fast.ts) give exactly the replay of the
// engine at every prune (strategy 'generic'): random restic (current and before 0.16), borg and
// native `keep` policies with within* windows, schedules (irregular cron, DST zones, hours that
// repeat), min, prune schedules, and sources whose bases are pinned by send copies.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { simulate, type SimulateResult } from '../../../engine/simulate/simulate';
import { CountsFast } from '../../../engine/simulate/counts-fast';
import { simulateReplication } from '../../../engine/simulate/copy-job';
import { ZoneClock } from '../../../engine/simulate/clock';
import { borgEngine, nativeEngine, resticEngine } from '../../../engine/retention/index';
import { resticEngineFor } from '../../../engine/retention/restic';
import { buildPolicy } from '../../../engine/plan/build-model';
import { parseSchedule } from '../../../engine/time/schedule';
import type { RetentionEngine } from '../../../engine/retention/types';

const D = 86_400_000;
const fires = (expr: string, zone: string, from: number, at: number): number[] => {
  const r = parseSchedule(expr, zone);
  if (!r.ok) throw new Error(r.message);
  return r.schedule.fires(from - 1, at);
};

const ENGINES: [string, RetentionEngine][] = [
  ['restic', resticEngine],
  ['restic 0.14', resticEngineFor('0.14.0')],
  ['borg', borgEngine],
  ['native', nativeEngine],
];
const count = fc.constantFrom(undefined, undefined, 0, 1, 2, 3, 5, -1);
// Windows every engine can read (borg: one unit; restic: whole hours).
const window = fc.constantFrom(undefined, undefined, '6h', '2d', '1w', '10d', '1mo');

const keepArb = fc.record({
  last: count,
  hourly: count,
  daily: count,
  weekly: count,
  monthly: count,
  yearly: count,
  within: window,
  within_hourly: window,
  within_daily: window,
  within_weekly: window,
  within_monthly: window,
});

const SCHEDULES = ['0 * * * *', '*/30 * * * *', '0 */6 * * *', '30 2 * * *', '15 1,13 * * *', '45 */4 * * *',
  '10 3 * * 1-5', '30 1-3 * * 0', '0 0 1,15 * *'];

const caseArb = fc.record({
  engine: fc.integer({ min: 0, max: ENGINES.length - 1 }),
  keep: keepArb,
  schedule: fc.constantFrom(...SCHEDULES),
  zone: fc.constantFrom('UTC', 'Europe/Paris', 'America/New_York', 'Australia/Lord_Howe'),
  start: fc.integer({ min: Date.UTC(2024, 0, 1) / D, max: Date.UTC(2026, 11, 1) / D }).map((d) => d * D),
  days: fc.integer({ min: 10, max: 70 }),
  min: fc.constantFrom(undefined, 0, 1, 4),
  prune: fc.constantFrom(undefined, undefined, '10 3 * * *', '0 */8 * * *'),
  copy: fc.option(
    fc.record({
      schedule: fc.constantFrom(...SCHEDULES),
      keep: keepArb,
      prune: fc.constantFrom(undefined, '20 4 * * *'),
    }),
    { freq: 3 },
  ),
});

type Keep = Record<string, number | string | undefined>;

/** The keys the engine has a rule for (borg has no within_* windows). */
function keepFor(engineName: string, keep: Keep): Keep {
  const out: Keep = {};
  for (const [k, v] of Object.entries(keep)) {
    if (v === undefined) continue;
    if (engineName === 'borg' && k.startsWith('within_')) continue;
    if (engineName === 'restic 0.14' && v === -1) continue; // no unlimited before 0.16
    out[k] = v;
  }
  return out;
}

function same(fast: SimulateResult, slow: SimulateResult): void {
  expect(slow.strategy).toBe('generic');
  expect(fast.snapshots).toEqual(slow.snapshots);
  expect(fast.stats).toEqual(slow.stats);
  expect(fast.lastPrune).toEqual(slow.lastPrune);
}

/** Either result, or the error message. */
function attempt<T>(fn: () => T): T | { error: string } {
  try {
    return fn();
  } catch (e) {
    return { error: (e as Error).message };
  }
}

describe('count rules without the engine', () => {
  it('applies to restic, borg and native keep-only policies without tags', () => {
    const clock = new ZoneClock('UTC');
    const p = (raw: Record<string, unknown>) => buildPolicy(raw, ['p']);
    expect(CountsFast.for(resticEngine, p({ keep: { daily: 7, within: '2d' } }), clock, 'UTC')).toBeDefined();
    expect(CountsFast.for(borgEngine, p({ keep: { last: 3 } }), clock, 'UTC')).toBeDefined();
    expect(CountsFast.for(nativeEngine, p({ keep: { last: 3 } }), clock, 'UTC')).toBeDefined();
    expect(CountsFast.for(nativeEngine, p({ keep: { last: 3 }, expiry: '1w' }), clock, 'UTC')).toBeUndefined();
    expect(CountsFast.for(nativeEngine, p({ tiers: [{ every: '1d' }] }), clock, 'UTC')).toBeUndefined();
    expect(CountsFast.for(resticEngine, p({ keep: { last: 3, tags: [['a']] } }), clock, 'UTC')).toBeUndefined();
  });

  it('keeps what the engine keeps at every prune (one job, and a source with a send copy)', async () => {
    let fastRuns = 0;
    await fc.assert(
      fc.asyncProperty(caseArb, async (c) => {
        await new Promise((r) => setImmediate(r));
        const [name, engine] = ENGINES[c.engine];
        const min = c.min === undefined ? {} : { min: c.min };
        const policy = buildPolicy({ keep: keepFor(name, c.keep), ...min }, ['p']);
        const at = c.start + c.days * D;
        const applies = CountsFast.for(engine, policy, new ZoneClock(c.zone), c.zone) !== undefined;
        if (applies) fastRuns++;
        const source = {
          fires: fires(c.schedule, c.zone, c.start, at),
          pruneAt: c.prune ? fires(c.prune, c.zone, c.start, at) : undefined,
          engine,
          policy,
          timezone: c.zone,
        };
        if (!c.copy) {
          const input = { ...source, from: c.start, at };
          const fast = attempt(() => simulate(input));
          const slow = attempt(() => simulate({ ...input, strategy: 'generic' }));
          if ('error' in slow) return expect(fast).toEqual(slow);
          if ('error' in fast) throw new Error(fast.error);
          // Never redone the slow way: the last prune agreed with the engine.
          if (applies) expect(fast.strategy).toBe('incremental');
          return same(fast, slow);
        }
        const copy = {
          name: 'send',
          mode: 'send' as const,
          fires: fires(c.copy.schedule, c.zone, c.start, at),
          pruneAt: c.copy.prune ? fires(c.copy.prune, c.zone, c.start, at) : undefined,
          engine: nativeEngine,
          policy: buildPolicy({ keep: keepFor('native', c.copy.keep) }, ['q']),
          timezone: c.zone,
        };
        const input = { source, sourceName: 'src', copies: [copy], from: c.start, at };
        const fast = attempt(() => simulateReplication(input));
        const slow = attempt(() => simulateReplication({ ...input, strategy: 'generic' }));
        if ('error' in slow) return expect(fast).toEqual(slow);
        if ('error' in fast) throw new Error(fast.error);
        if (applies) expect(fast.source.strategy).toBe('incremental');
        same(fast.source, slow.source);
        expect(fast.copies).toEqual(slow.copies);
      }),
      { numRuns: 60 },
    );
    expect(fastRuns).toBeGreaterThan(20);
  }, 300_000);

  it('gives the engine decision with repeated fire times (the engine path is taken)', () => {
    const policy = buildPolicy({ keep: { last: 2, daily: 3 } }, ['p']);
    const from = Date.UTC(2025, 2, 1);
    const at = from + 10 * D;
    const base = fires('0 */6 * * *', 'UTC', from, at);
    const twice = [...base, ...base].sort((a, b) => a - b);
    const input = { fires: twice, engine: resticEngine, policy, timezone: 'UTC', from, at };
    const fast = simulate(input);
    same(fast, simulate({ ...input, strategy: 'generic' }));
  });
});
