// duration.ts shifts months and years with ZoneClock between 1980 and 2200; it must give what
// luxon's DateTime.plus gives (the reference it replaced), in every zone the runtime knows.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DateTime, IANAZone } from 'luxon';
import { addDuration, subtractDuration, type Duration } from '../../../engine/time/duration';
import { zoneTable } from '../../../engine/time/offsets';

const MIN = 60_000;
const HOUR = 60 * MIN;
// Zones with odd rules (half-hour DST, a skipped day, DST in Ramadan, double summer time), and
// every 12th zone the runtime knows around its offset changes (building a zone's offset table for
// a year is what costs here).
const ODD = ['Europe/Paris', 'America/New_York', 'Australia/Lord_Howe', 'Pacific/Apia', 'Asia/Kolkata',
  'America/Santiago', 'Africa/Casablanca', 'Asia/Tehran', 'Pacific/Chatham', 'America/Havana', 'Asia/Gaza',
  'Antarctica/Troll', 'Europe/Moscow'];
const ZONES = [...new Set([...ODD, ...Intl.supportedValuesOf('timeZone').filter((_, i) => i % 12 === 0)])];

function luxonShift(t: number, d: Duration, zone: string, sign: 1 | -1): number {
  const fixed = d.w * 7 * 86_400_000 + d.d * 86_400_000 + d.h * HOUR + d.min * MIN;
  if (d.y === 0 && d.mo === 0) return t + sign * fixed;
  const shifted = DateTime.fromMillis(t, { zone }).plus({ years: sign * d.y, months: sign * d.mo }).toMillis();
  return shifted + sign * fixed;
}

const dur = fc.record({
  y: fc.integer({ min: 0, max: 3 }),
  mo: fc.integer({ min: 0, max: 25 }),
  w: fc.integer({ min: 0, max: 2 }),
  d: fc.integer({ min: 0, max: 3 }),
  h: fc.integer({ min: 0, max: 30 }),
  min: fc.integer({ min: 0, max: 90 }),
}) as fc.Arbitrary<Duration>;

describe('calendar shifts (duration.ts) equal luxon', () => {
  // Instants of 1979-2045, and around both ends of the fast range (luxon itself outside it).
  const instant = fc.oneof(
    fc.integer({ min: Date.UTC(1979, 0, 1), max: Date.UTC(2045, 0, 1) }),
    fc.integer({ min: Date.UTC(2199, 10, 1), max: Date.UTC(2200, 2, 1) }),
  );

  it('on random instants, to the millisecond', () => {
    fc.assert(
      fc.property(
        instant,
        fc.constantFrom(...ODD, 'UTC', 'Etc/UTC'),
        dur,
        (t, z, d) => {
          expect(subtractDuration(t, d, z)).toBe(luxonShift(t, d, z, -1));
          expect(addDuration(t, d, z)).toBe(luxonShift(t, d, z, 1));
        },
      ),
      { numRuns: 3000 },
    );
  }, 120_000);

  it('around every offset change of 2015-2035 (month ends, gaps and overlaps)', () => {
    const one: Duration = { y: 0, mo: 1, w: 0, d: 0, h: 0, min: 0 };
    const year: Duration = { y: 1, mo: 0, w: 0, d: 0, h: 0, min: 0 };
    for (const z of ZONES) {
      for (const tr of zoneTable(z).transitionsBetween(Date.UTC(2015, 0, 1), Date.UTC(2035, 0, 1))) {
        // The instants whose shifted wall time lands next to the change, and the change itself.
        for (const base of [tr.at, DateTime.fromMillis(tr.at, { zone: z }).plus({ months: 1 }).toMillis()]) {
          for (const dt of [-HOUR - 1, -HOUR, -1, 0, 1, 30 * MIN, HOUR, HOUR + 1]) {
            const t = base + dt;
            expect(subtractDuration(t, one, z)).toBe(luxonShift(t, one, z, -1));
            expect(addDuration(t, year, z)).toBe(luxonShift(t, year, z, 1));
          }
        }
      }
    }
  }, 120_000);

  it('leaves zones luxon reads otherwise to luxon', () => {
    const d: Duration = { y: 0, mo: 1, w: 0, d: 0, h: 0, min: 0 };
    const t = Date.UTC(2026, 2, 31, 12);
    for (const z of ['UTC+3', 'utc', 'Europe/Paris']) expect(subtractDuration(t, d, z)).toBe(luxonShift(t, d, z, -1));
    expect(IANAZone.isValidZone('No/Such_Zone')).toBe(false);
    expect(() => subtractDuration(t, d, 'No/Such_Zone')).toThrow(/calendar arithmetic/);
  });
});
