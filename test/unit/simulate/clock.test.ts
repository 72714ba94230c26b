// ZoneClock reproduces the reference calendar helpers exactly (it exists only to be faster).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ZoneClock } from '../../../engine/simulate/clock';
import { addDuration, subtractDuration, type Duration } from '../../../engine/time/duration';
import { goAddDate, localParts } from '../../../engine/retention/calendar';
import { bucketOf, bucketScheme, type BucketScheme } from '../../../engine/retention/native';

const ZONES = ['UTC', 'Europe/Paris', 'America/New_York', 'Australia/Lord_Howe', 'Pacific/Apia', 'Asia/Kolkata', 'America/Santiago'];
const T0 = Date.UTC(2010, 0, 1);
const T1 = Date.UTC(2036, 0, 1);
const MIN = 60_000;

// Instants on the minute (as cron fires are), some of them near DST changes and month ends.
const instant = fc.oneof(
  fc.integer({ min: T0 / MIN, max: T1 / MIN }).map((m) => m * MIN),
  fc
    .record({ y: fc.integer({ min: 2011, max: 2035 }), mo: fc.integer({ min: 0, max: 11 }), d: fc.integer({ min: 25, max: 31 }), m: fc.integer({ min: 0, max: 1439 }) })
    .map(({ y, mo, d, m }) => Date.UTC(y, mo, d) + m * MIN),
);
const zone = fc.constantFrom(...ZONES);
const dur = fc.record({
  y: fc.integer({ min: 0, max: 2 }),
  mo: fc.integer({ min: 0, max: 14 }),
  w: fc.integer({ min: 0, max: 3 }),
  d: fc.integer({ min: 0, max: 40 }),
  h: fc.integer({ min: 0, max: 30 }),
  min: fc.integer({ min: 0, max: 90 }),
}) as fc.Arbitrary<Duration>;

describe('ZoneClock', () => {
  it('offset and wall-clock parts equal calendar.localParts', () => {
    fc.assert(
      fc.property(instant, zone, (t, z) => {
        const c = new ZoneClock(z);
        const p = c.parts(t);
        const q = localParts(t, z);
        expect([p.year, p.month, p.day, p.dayNumber, Math.floor(p.inDay / MIN), p.offset]).toEqual([
          q.year,
          q.month,
          q.day,
          q.dayNumber,
          q.hour * 60 + q.minute,
          q.offset * MIN,
        ]);
      }),
      { numRuns: 3000 },
    );
  });

  it('subtract/add equal duration.ts subtractDuration/addDuration (luxon)', () => {
    fc.assert(
      fc.property(instant, zone, dur, (t, z, d) => {
        const c = new ZoneClock(z);
        expect(c.subtract(t, d)).toBe(subtractDuration(t, d, z));
        expect(c.add(t, d)).toBe(addDuration(t, d, z));
      }),
      { numRuns: 3000 },
    );
  });

  it('is exact around the Paris DST changes and the clamped month ends', () => {
    const z = 'Europe/Paris';
    const c = new ZoneClock(z);
    const one: Duration = { y: 0, mo: 1, w: 0, d: 0, h: 0, min: 0 };
    const six: Duration = { y: 0, mo: 6, w: 0, d: 0, h: 0, min: 0 };
    const starts = [Date.UTC(2025, 2, 28), Date.UTC(2025, 9, 24), Date.UTC(2025, 3, 26), Date.UTC(2025, 10, 24), Date.UTC(2024, 2, 28)];
    for (const s of starts) {
      for (let t = s; t < s + 4 * 86_400_000; t += 15 * MIN) {
        expect(c.subtract(t, one)).toBe(subtractDuration(t, one, z));
        expect(c.subtract(t, six)).toBe(subtractDuration(t, six, z));
        expect(c.add(t, one)).toBe(addDuration(t, one, z));
      }
    }
  });

  it('goAddDate equals calendar.goAddDate', () => {
    fc.assert(
      fc.property(instant, zone, fc.integer({ min: -3, max: 3 }), fc.integer({ min: -15, max: 15 }), fc.integer({ min: -40, max: 40 }), (t, z, y, m, d) => {
        expect(new ZoneClock(z).goAddDate(t, y, m, d)).toBe(goAddDate(t, y, m, d, z));
      }),
      { numRuns: 3000 },
    );
  });

  it('bucketKey equals native bucketOf().key', () => {
    const everies: Duration[] = [
      { y: 0, mo: 0, w: 0, d: 0, h: 0, min: 15 },
      { y: 0, mo: 0, w: 0, d: 0, h: 1, min: 0 },
      { y: 0, mo: 0, w: 0, d: 0, h: 7, min: 0 },
      { y: 0, mo: 0, w: 0, d: 1, h: 0, min: 0 },
      { y: 0, mo: 0, w: 0, d: 2, h: 0, min: 0 },
      { y: 0, mo: 0, w: 1, d: 0, h: 0, min: 0 },
      { y: 0, mo: 0, w: 2, d: 0, h: 0, min: 0 },
      { y: 0, mo: 1, w: 0, d: 0, h: 0, min: 0 },
      { y: 0, mo: 3, w: 0, d: 0, h: 0, min: 0 },
      { y: 1, mo: 0, w: 0, d: 0, h: 0, min: 0 },
    ];
    const schemes = everies.map((e) => bucketScheme(e) as BucketScheme);
    fc.assert(
      fc.property(instant, zone, fc.constantFrom(...schemes), (t, z, s) => {
        expect(new ZoneClock(z).bucketKey(t, s)).toBe(bucketOf(t, s, z).key);
      }),
      { numRuns: 3000 },
    );
  });
});
