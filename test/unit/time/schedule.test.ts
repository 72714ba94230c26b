import { describe, expect, it } from 'vitest';
import { parseSchedule, schedule } from '../../../engine/time/schedule';
import { civilFromDays } from '../../../engine/time/civil';

const T = (iso: string) => Date.parse(iso);
const iso = (t: number) => new Date(t).toISOString();
const runs = (expr: string, zone: string, from: string, n: number) => schedule(expr, zone).nextRuns(T(from), n).map(iso);

describe('parseSchedule', () => {
  it('returns a schedule for a valid expression and zone', () => {
    const r = parseSchedule('30 2 * * *', 'Europe/Paris');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.schedule.normalized).toBe('30 2 * * *');
    expect(r.schedule.zone).toBe('Europe/Paris');
    expect(r.schedule.wildcard).toBe(false);
    expect(schedule('*/5 2 * * *', 'UTC').wildcard).toBe(true);
    expect(schedule('0 */6 * * *', 'UTC').wildcard).toBe(true);
    expect(schedule('@hourly', 'UTC').wildcard).toBe(true);
    expect(schedule('@daily', 'UTC').wildcard).toBe(false);
  });

  it('reports cron errors with kind cron and offsets in the expression', () => {
    const r = parseSchedule('0 0 31 2 *', 'UTC');
    expect(r).toMatchObject({ ok: false, kind: 'cron', start: 4, end: 6, message: 'never runs: February has no 31st' });
  });

  it('reports an unknown zone with kind zone', () => {
    const r = parseSchedule('0 2 * * *', 'Europe/Pariss');
    expect(r).toMatchObject({ ok: false, kind: 'zone', start: 0, end: 13 });
    expect(!r.ok && r.suggestions).toContain('Europe/Paris');
    expect(parseSchedule('0 2 * * *', 'europe/paris')).toMatchObject({ ok: false, kind: 'zone', suggestions: ['Europe/Paris'] });
  });

  it('checks the expression before the zone', () => {
    expect(parseSchedule('0 0 * *', 'Nowhere/City')).toMatchObject({ ok: false, kind: 'cron' });
  });

  it('schedule() throws on invalid input', () => {
    expect(() => schedule('0 0 31 2 *', 'UTC')).toThrow('never runs');
  });
});

describe('next runs', () => {
  it('uses OR when both day fields are restricted: the 1st and every Monday', () => {
    expect(runs('0 0 1 * 1', 'UTC', '2025-01-01T00:00:00Z', 6)).toEqual([
      '2025-01-06T00:00:00.000Z',
      '2025-01-13T00:00:00.000Z',
      '2025-01-20T00:00:00.000Z',
      '2025-01-27T00:00:00.000Z',
      '2025-02-01T00:00:00.000Z', // a Saturday: matched by day-of-month alone
      '2025-02-03T00:00:00.000Z',
    ]);
  });

  it('uses AND when a day field starts with * (cron: */2 is unrestricted)', () => {
    // Odd days that are Mondays.
    expect(runs('0 0 */2 * 1', 'UTC', '2025-01-01T00:00:00Z', 4)).toEqual([
      '2025-01-13T00:00:00.000Z',
      '2025-01-27T00:00:00.000Z',
      '2025-02-03T00:00:00.000Z',
      '2025-02-17T00:00:00.000Z',
    ]);
    expect(runs('0 0 * * 1', 'UTC', '2025-01-01T00:00:00Z', 2)).toEqual(['2025-01-06T00:00:00.000Z', '2025-01-13T00:00:00.000Z']);
  });

  it('is strictly after `after`', () => {
    const s = schedule('0 */6 * * *', 'UTC');
    expect(iso(s.next(T('2025-01-01T06:00:00Z')))).toBe('2025-01-01T12:00:00.000Z');
    expect(iso(s.next(T('2025-01-01T05:59:59.999Z')))).toBe('2025-01-01T06:00:00.000Z');
  });

  it('evaluates the same cron in Europe/Paris and UTC', () => {
    expect(runs('30 2 * * *', 'UTC', '2025-06-01T00:00:00Z', 2)).toEqual(['2025-06-01T02:30:00.000Z', '2025-06-02T02:30:00.000Z']);
    // 02:30 CEST = 00:30 UTC in summer, 01:30 UTC in winter.
    expect(runs('30 2 * * *', 'Europe/Paris', '2025-06-01T00:00:00Z', 2)).toEqual(['2025-06-01T00:30:00.000Z', '2025-06-02T00:30:00.000Z']);
    expect(runs('30 2 * * *', 'Europe/Paris', '2025-01-10T00:00:00Z', 1)).toEqual(['2025-01-10T01:30:00.000Z']);
  });

  it('finds February 29th', () => {
    expect(runs('0 0 29 2 *', 'UTC', '2025-01-01T00:00:00Z', 2)).toEqual(['2028-02-29T00:00:00.000Z', '2032-02-29T00:00:00.000Z']);
  });

  it('expands aliases', () => {
    expect(runs('@weekly', 'UTC', '2025-01-01T00:00:00Z', 1)).toEqual(['2025-01-05T00:00:00.000Z']);
    expect(runs('@monthly', 'Europe/Paris', '2025-01-15T00:00:00Z', 1)).toEqual(['2025-01-31T23:00:00.000Z']);
    expect(runs('@yearly', 'UTC', '2025-06-01T00:00:00Z', 1)).toEqual(['2026-01-01T00:00:00.000Z']);
  });

  it('prev is strictly before', () => {
    const s = schedule('30 2 * * *', 'Europe/Paris');
    expect(iso(s.prev(T('2025-06-02T00:30:00Z')))).toBe('2025-06-01T00:30:00.000Z');
    expect(iso(s.prev(T('2025-06-02T00:30:00.001Z')))).toBe('2025-06-02T00:30:00.000Z');
  });

  it('fires(from, to) is (from, to], in order, and agrees with next()', () => {
    const s = schedule('0 */6 * * *', 'Europe/Paris');
    const f = s.fires(T('2025-01-01T05:00:00Z'), T('2025-01-02T05:00:00Z'));
    // 06:00 CET = 05:00 UTC: a run exactly at `from` is excluded, one exactly at `to` included.
    expect(f.map(iso)).toEqual([
      '2025-01-01T11:00:00.000Z',
      '2025-01-01T17:00:00.000Z',
      '2025-01-01T23:00:00.000Z',
      '2025-01-02T05:00:00.000Z',
    ]);
    let t = T('2024-12-25T00:00:00Z');
    const viaNext: number[] = [];
    for (;;) {
      t = s.next(t);
      if (t > T('2025-02-01T00:00:00Z')) break;
      viaNext.push(t);
    }
    expect(s.fires(T('2024-12-25T00:00:00Z'), T('2025-02-01T00:00:00Z'))).toEqual(viaNext);
  });

  it('fires() refuses to build more than the cap', () => {
    const s = schedule('* * * * *', 'UTC');
    expect(() => s.fires(T('2025-01-01T00:00:00Z'), T('2025-01-02T00:00:00Z'), 100)).toThrow(RangeError);
    expect(s.fires(T('2025-01-01T00:00:00Z'), T('2025-01-02T00:00:00Z'))).toHaveLength(1440);
  });

  it('refuses what is not a time', () => {
    const s = schedule('@daily', 'UTC');
    expect(() => s.next(Number.NaN)).toThrow(RangeError);
    expect(() => s.fires(0, Number.POSITIVE_INFINITY)).toThrow(RangeError);
    expect(s.fires(10, 5)).toEqual([]);
  });

  it('forEachFire stops when the callback returns false', () => {
    const seen: number[] = [];
    schedule('* * * * *', 'UTC').forEachFire(T('2025-01-01T00:00:00Z'), T('2025-01-02T00:00:00Z'), (t) => {
      seen.push(t);
      return seen.length < 3;
    });
    expect(seen).toHaveLength(3);
  });
});

describe('the DST model (cron: Vixie/cronie)', () => {
  // Europe/Paris: 2025-03-30 02:00 CET → 03:00 CEST (01:00 UTC); 2025-10-26 03:00 CEST → 02:00 CET (01:00 UTC).
  it('runs a fixed-time job whose time does not exist at the jump (03:00 CEST)', () => {
    expect(runs('30 2 * * *', 'Europe/Paris', '2025-03-29T00:00:00Z', 3)).toEqual([
      '2025-03-29T01:30:00.000Z',
      '2025-03-30T01:00:00.000Z', // the jump: 03:00 CEST
      '2025-03-31T00:30:00.000Z',
    ]);
  });

  it('runs several skipped fixed times once, at the jump', () => {
    expect(runs('0,30 2 * * *', 'Europe/Paris', '2025-03-29T12:00:00Z', 3)).toEqual([
      '2025-03-30T01:00:00.000Z',
      '2025-03-31T00:00:00.000Z',
      '2025-03-31T00:30:00.000Z',
    ]);
  });

  it('skips the nonexistent times of a wildcard job', () => {
    expect(runs('*/30 * * * *', 'Europe/Paris', '2025-03-30T00:00:00Z', 3)).toEqual([
      '2025-03-30T00:30:00.000Z', // 01:30 CET
      '2025-03-30T01:00:00.000Z', // 03:00 CEST: 02:00 and 02:30 never happen
      '2025-03-30T01:30:00.000Z',
    ]);
  });

  it('runs a fixed-time job once in the repeated hour (first occurrence)', () => {
    expect(runs('30 2 * * *', 'Europe/Paris', '2025-10-25T12:00:00Z', 2)).toEqual([
      '2025-10-26T00:30:00.000Z', // 02:30 CEST
      '2025-10-27T01:30:00.000Z',
    ]);
  });

  it('runs a wildcard job at both occurrences of the repeated hour', () => {
    expect(runs('*/30 2 * * *', 'Europe/Paris', '2025-10-25T12:00:00Z', 5)).toEqual([
      '2025-10-26T00:00:00.000Z', // 02:00 CEST
      '2025-10-26T00:30:00.000Z', // 02:30 CEST
      '2025-10-26T01:00:00.000Z', // 02:00 CET
      '2025-10-26T01:30:00.000Z', // 02:30 CET
      '2025-10-27T01:00:00.000Z',
    ]);
  });

  it('handles a transition at midnight (America/Santiago, 2025-09-07 00:00 → 01:00)', () => {
    // @daily is fixed-time: the nonexistent midnight runs at the jump, 01:00 local (04:00 UTC).
    expect(runs('@daily', 'America/Santiago', '2025-09-06T00:00:00Z', 2)).toEqual([
      '2025-09-06T04:00:00.000Z',
      '2025-09-07T04:00:00.000Z',
    ]);
  });

  it('has nothing to do in UTC', () => {
    expect(runs('30 2 * * *', 'UTC', '2025-03-29T00:00:00Z', 3)).toEqual([
      '2025-03-29T02:30:00.000Z',
      '2025-03-30T02:30:00.000Z',
      '2025-03-31T02:30:00.000Z',
    ]);
  });
});

describe('civilFromDays', () => {
  it('matches Date for days across centuries', () => {
    for (const day of [-719_468, -1, 0, 59, 10_957, 11_016, 20_000, 47_541, 146_097]) {
      const d = new Date(day * 86_400_000);
      expect(civilFromDays(day)).toEqual({ year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() });
    }
  });
});
