// The engine's schedule iteration against two references:
// - a minute-by-minute replay of cronie's main loop (cronie-oracle.ts) around real clock changes
//   of several zones: the DST model must be exactly cron's;
// - cron-parser in UTC (no clock changes) for the field grammar, where both agree (cron-parser
//   reads `*/2` as a restricted day field and adds Sunday to `2-7/2`; cron does neither: those
//   cases are left out).
import fc from 'fast-check';
import { CronExpressionParser } from 'cron-parser';
import { describe, expect, it } from 'vitest';
import { parseCron } from '../../../engine/time/cron';
import { schedule } from '../../../engine/time/schedule';
import { zoneTable } from '../../../engine/time/offsets';
import { cronieRuns } from './cronie-oracle';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

function fieldArb(min: number, max: number): fc.Arbitrary<string> {
  const v = fc.integer({ min, max });
  return fc.oneof(
    fc.constant('*'),
    fc.integer({ min: 1, max: Math.max(2, Math.floor((max - min) / 2)) }).map((n) => `*/${n}`),
    v.map(String),
    fc.tuple(v, v).map(([a, b]) => `${Math.min(a, b)}-${Math.max(a, b)}`),
    fc.tuple(v, v, fc.integer({ min: 1, max: 5 })).map(([a, b, n]) => `${Math.min(a, b)}-${Math.max(a, b)}/${n}`),
    fc.uniqueArray(v, { minLength: 2, maxLength: 4 }).map((xs) => xs.join(',')),
  );
}

/** Expressions whose times cluster around the usual DST hours (so that gaps and overlaps are hit). */
const exprArb = fc
  .tuple(
    fc.oneof(fieldArb(0, 59), fc.constantFrom('0', '30', '0,30', '*/15', '45')),
    fc.oneof(fieldArb(0, 23), fc.constantFrom('2', '1-3', '0', '23', '*/2', '*', '1,2,3')),
    fc.oneof({ weight: 4, arbitrary: fc.constant('*') }, fieldArb(1, 31)),
    fc.oneof({ weight: 4, arbitrary: fc.constant('*') }, fieldArb(1, 12)),
    fc.oneof({ weight: 4, arbitrary: fc.constant('*') }, fieldArb(0, 7)),
  )
  .map((f) => f.join(' '))
  .filter((e) => parseCron(e).ok);

const ZONES = [
  'Europe/Paris',
  'America/New_York',
  'America/Santiago', // changes at midnight
  'America/Havana', // changes at midnight / 01:00
  'Australia/Lord_Howe', // 30-minute DST
  'Pacific/Chatham', // +12:45 / +13:45
  'Africa/Casablanca', // negative DST around Ramadan
  'Asia/Tehran', // no DST any more (a non-trivial zone without transitions)
];

/** Clock changes of the zones in 2025-2027. */
const transitions = ZONES.flatMap((zone) =>
  zoneTable(zone)
    .transitionsBetween(Date.UTC(2025, 0, 1), Date.UTC(2028, 0, 1))
    .map((tr) => ({ zone, at: tr.at })),
);

describe('schedule iteration = cronie main loop, around clock changes', () => {
  it('has clock changes to test', () => {
    expect(transitions.length).toBeGreaterThan(30);
  });

  it('agrees with the replay on random expressions', () => {
    fc.assert(
      fc.property(
        exprArb,
        fc.integer({ min: 0, max: transitions.length - 1 }),
        fc.integer({ min: 1, max: 40 }),
        (expr, k, hoursBefore) => {
          const { zone, at } = transitions[k];
          const from = at - hoursBefore * HOUR;
          const to = at + 30 * HOUR;
          const expected = cronieRuns(expr, zone, from, to);
          const actual = schedule(expr, zone).fires(from, to);
          expect(actual, `${expr} in ${zone} around ${new Date(at).toISOString()}`).toEqual(expected);
        },
      ),
      { numRuns: 100 },
    );
  }, 120_000);

  it('agrees on hand-picked DST cases', () => {
    const cases: Array<[string, string]> = [
      ['30 2 * * *', 'Europe/Paris'],
      ['*/30 2 * * *', 'Europe/Paris'],
      ['0 * * * *', 'Europe/Paris'],
      ['0 1-3 * * *', 'Europe/Paris'],
      ['@daily', 'America/Santiago'],
      ['*/10 0 * * *', 'America/Santiago'],
      ['15 2 * * *', 'Australia/Lord_Howe'],
      ['*/5 1,2 * * *', 'Australia/Lord_Howe'],
      ['45 2,3 * * *', 'Pacific/Chatham'],
      ['0 2,3 * * *', 'Africa/Casablanca'],
    ];
    for (const [expr, zone] of cases) {
      for (const tr of zoneTable(zone).transitionsBetween(Date.UTC(2025, 0, 1), Date.UTC(2027, 0, 1))) {
        const from = tr.at - 2 * DAY;
        const to = tr.at + 2 * DAY;
        expect(schedule(expr, zone).fires(from, to), `${expr} ${zone} ${new Date(tr.at).toISOString()}`).toEqual(
          cronieRuns(expr, zone, from, to),
        );
      }
    }
  }, 60_000);
});

describe('next, prev and fires agree with each other', () => {
  it('on random expressions, zones and instants', () => {
    fc.assert(
      fc.property(
        exprArb,
        fc.constantFrom(...ZONES, 'UTC'),
        fc.integer({ min: Date.UTC(2024, 0, 1), max: Date.UTC(2028, 0, 1) }),
        (expr, zone, t) => {
          const s = schedule(expr, zone);
          const n = s.next(t);
          expect(n).toBeGreaterThan(t);
          expect(s.fires(t, n)).toEqual([n]);
          expect(s.prev(n)).toBeLessThanOrEqual(t);
          expect(s.next(s.prev(n))).toBe(n);
          const p = s.prev(t);
          expect(p).toBeLessThan(t);
          expect(s.fires(p - 1, t)[0]).toBe(p);
        },
      ),
      { numRuns: 200 },
    );
  }, 60_000);
});

describe('schedule iteration = cron-parser in UTC (field grammar)', () => {
  it('gives the same next runs', () => {
    const sameDayRule = (expr: string) => {
      const [, , dom, , dow] = expr.split(' ');
      const starStep = (f: string) => f.startsWith('*') && f !== '*';
      // cron-parser also adds Sunday to a stepped range ending at 7 (`2-7/2` → 0,2,4,6; cron: 2,4,6).
      const steppedTo7 = /-7\//.test(dow);
      return (
        !steppedTo7 && !((starStep(dom) && !dow.startsWith('*')) || (starStep(dow) && !dom.startsWith('*')) || (starStep(dom) && starStep(dow)))
      );
    };
    fc.assert(
      fc.property(
        exprArb.filter(sameDayRule),
        fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2030, 0, 1) }),
        (expr, from) => {
          const ref = CronExpressionParser.parse(expr, { tz: 'UTC', currentDate: new Date(from) });
          const expected = ref.take(5).map((d) => d.getTime());
          expect(schedule(expr, 'UTC').nextRuns(from, 5), expr).toEqual(expected);
        },
      ),
      { numRuns: 200 },
    );
  }, 60_000);
});
