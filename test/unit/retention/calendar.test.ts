import fc from 'fast-check';
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { civilFromDays, daysFromCivil, goAddDate, localParts, formatLocal } from '../../../engine/retention/calendar';

const at = (iso: string): number => {
  const t = DateTime.fromISO(iso, { setZone: true });
  if (!t.isValid) throw new Error(iso);
  return t.toMillis();
};
const ZONES = ['UTC', 'Europe/Paris', 'America/New_York', 'Australia/Lord_Howe', 'Asia/Kolkata', 'Pacific/Chatham'];

describe('localParts', () => {
  it('agrees with luxon on wall clock and ISO week', () => {
    fc.assert(
      fc.property(fc.integer({ min: -2_000_000_000_000, max: 4_000_000_000_000 }), fc.constantFrom(...ZONES), (ms, zone) => {
        const p = localParts(ms, zone);
        const d = DateTime.fromMillis(ms, { zone });
        expect([p.year, p.month, p.day, p.hour, p.minute, p.second, p.millisecond]).toEqual([
          d.year,
          d.month,
          d.day,
          d.hour,
          d.minute,
          d.second,
          d.millisecond,
        ]);
        expect([p.isoYear, p.isoWeek]).toEqual([d.weekYear, d.weekNumber]);
        expect(p.offset).toBe(d.offset);
      }),
      { numRuns: 2000 },
    );
  });

  it('ISO weeks at year ends', () => {
    // 2021-01-03 (Sunday) is in week 53 of 2020; 2024-12-30 (Monday) in week 1 of 2025.
    expect(localParts(at('2021-01-03T12:00:00Z'), 'UTC')).toMatchObject({ isoYear: 2020, isoWeek: 53 });
    expect(localParts(at('2021-01-04T00:00:00Z'), 'UTC')).toMatchObject({ isoYear: 2021, isoWeek: 1 });
    expect(localParts(at('2024-12-30T00:00:00Z'), 'UTC')).toMatchObject({ isoYear: 2025, isoWeek: 1 });
    // 2024-12-29T23:30Z is still Sunday in UTC but already Monday 00:30 in Paris.
    expect(localParts(at('2024-12-29T23:30:00Z'), 'Europe/Paris')).toMatchObject({ isoYear: 2025, isoWeek: 1, day: 30 });
    expect(localParts(at('2024-12-29T23:30:00Z'), 'UTC')).toMatchObject({ isoYear: 2024, isoWeek: 52, day: 29 });
  });

  it('civil day numbers round-trip', () => {
    fc.assert(
      fc.property(fc.integer({ min: -4_000_000, max: 4_000_000 }), (n) => {
        const c = civilFromDays(n);
        expect(daysFromCivil(c.year, c.month, c.day)).toBe(n);
      }),
    );
    expect(daysFromCivil(1970, 1, 1)).toBe(0);
    expect(daysFromCivil(1969, 12, 29)).toBe(-3);
    expect(daysFromCivil(2026, 1, 1)).toBe(20454);
  });
});

describe("goAddDate (Go's time.AddDate)", () => {
  it('normalises day overflow instead of clamping', () => {
    expect(goAddDate(at('2023-01-31T10:00:00Z'), 0, 1, 0, 'UTC')).toBe(at('2023-03-03T10:00:00Z'));
    expect(goAddDate(at('2024-01-31T10:00:00Z'), 0, 1, 0, 'UTC')).toBe(at('2024-03-02T10:00:00Z'));
    expect(goAddDate(at('2024-05-31T09:00:00+02:00'), 0, -3, 0, 'Europe/Paris')).toBe(at('2024-03-02T09:00:00+01:00'));
    expect(goAddDate(at('2024-02-29T00:00:00Z'), 1, 0, 0, 'UTC')).toBe(at('2025-03-01T00:00:00Z'));
    expect(goAddDate(at('2024-03-31T00:00:00Z'), 0, -1, 0, 'UTC')).toBe(at('2024-03-02T00:00:00Z'));
    expect(goAddDate(at('2016-01-18T12:02:03Z'), -1, -2, -3, 'UTC')).toBe(at('2014-11-15T12:02:03Z'));
    expect(goAddDate(at('2016-01-01T00:00:00Z'), 0, -13, -1, 'UTC')).toBe(at('2014-11-30T00:00:00Z'));
  });

  it('keeps the wall-clock time across DST (calendar days)', () => {
    // One day before 2024-03-31 12:00 CEST is 2024-03-30 12:00 CET: 23 hours earlier.
    const t = at('2024-03-31T12:00:00+02:00');
    expect(goAddDate(t, 0, 0, -1, 'Europe/Paris')).toBe(at('2024-03-30T12:00:00+01:00'));
    expect(t - goAddDate(t, 0, 0, -1, 'Europe/Paris')).toBe(23 * 3600_000);
  });

  it('resolves gaps forward and overlaps to the later offset, as Go does', () => {
    // 2024-03-31 02:30 does not exist in Paris: Go gives 03:30 CEST.
    expect(goAddDate(at('2024-03-30T02:30:00+01:00'), 0, 0, 1, 'Europe/Paris')).toBe(at('2024-03-31T03:30:00+02:00'));
    // 2024-10-27 02:30 happens twice in Paris: Go gives the second one (CET).
    expect(goAddDate(at('2024-10-26T02:30:00+02:00'), 0, 0, 1, 'Europe/Paris')).toBe(at('2024-10-27T02:30:00+01:00'));
  });

  it('formats local times with their offset', () => {
    expect(formatLocal(at('2024-10-27T01:30:00Z'), 'Europe/Paris')).toBe('2024-10-27T02:30:00+01:00');
    expect(formatLocal(at('2024-10-27T00:30:00.250Z'), 'Europe/Paris')).toBe('2024-10-27T02:30:00.250+02:00');
    expect(formatLocal(at('2024-01-01T00:00:00Z'), 'America/New_York')).toBe('2023-12-31T19:00:00-05:00');
  });
});
