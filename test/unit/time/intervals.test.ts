import { describe, expect, it } from 'vitest';
import { schedule } from '../../../engine/time/schedule';
import { firesPerDay, intervalStats, longestInterval, shortestInterval, YEAR_MS } from '../../../engine/time/intervals';

const T = (iso: string) => Date.parse(iso);
const iso = (t: number) => new Date(t).toISOString();
const H = 3_600_000;
const FROM = T('2025-01-01T00:00:00Z');

/** The same statistics from the plain list of fires (the reference for the per-day shortcut). */
function bruteForce(expr: string, zone: string, from: number, horizon = YEAR_MS) {
  const s = schedule(expr, zone);
  const fires = s.fires(from, from + horizon);
  fires.push(s.next(fires[fires.length - 1]));
  let longest = { ms: -1, after: 0, before: 0 };
  let shortest = { ms: Infinity, after: 0, before: 0 };
  for (let i = 1; i < fires.length; i++) {
    const ms = fires[i] - fires[i - 1];
    if (ms > longest.ms) longest = { ms, after: fires[i - 1], before: fires[i] };
    if (ms < shortest.ms) shortest = { ms, after: fires[i - 1], before: fires[i] };
  }
  return { longest, shortest, count: fires.length - 1 };
}

describe('longestInterval', () => {
  it('is 6 h for 0 */6 * * * in UTC', () => {
    const r = longestInterval(schedule('0 */6 * * *', 'UTC'), FROM);
    expect(r?.ms).toBe(6 * H);
  });

  it('is 7 h for 0 */6 * * * in Europe/Paris: the October night repeats an hour', () => {
    const r = longestInterval(schedule('0 */6 * * *', 'Europe/Paris'), FROM)!;
    expect(r.ms).toBe(7 * H);
    expect(iso(r.after)).toBe('2025-10-25T22:00:00.000Z'); // 00:00 CEST
    expect(iso(r.before)).toBe('2025-10-26T05:00:00.000Z'); // 06:00 CET
    expect(shortestInterval(schedule('0 */6 * * *', 'Europe/Paris'), FROM)?.ms).toBe(5 * H);
  });

  it('is 25 h for 0 2 * * * in Europe/Paris (fall back), 23 h the shortest (spring forward)', () => {
    const s = schedule('0 2 * * *', 'Europe/Paris');
    const r = longestInterval(s, FROM)!;
    expect(r.ms).toBe(25 * H);
    expect(iso(r.after)).toBe('2025-10-26T00:00:00.000Z');
    expect(iso(r.before)).toBe('2025-10-27T01:00:00.000Z');
    const short = shortestInterval(s, FROM)!;
    expect(short.ms).toBe(23 * H);
    // 02:00 does not exist on 2025-03-30: cron runs it at the jump (03:00 CEST), 24 h after the
    // previous run, and the next day's 02:00 CEST comes 23 h later.
    expect(iso(short.after)).toBe('2025-03-30T01:00:00.000Z');
    expect(iso(short.before)).toBe('2025-03-31T00:00:00.000Z');
  });

  it('measures 30 2 * * * in Europe/Paris around the March night: two intervals of 23.5 h', () => {
    const s = schedule('30 2 * * *', 'Europe/Paris');
    const march = s.fires(T('2025-03-28T12:00:00Z'), T('2025-04-01T00:00:00Z'));
    expect(march.map(iso)).toEqual([
      '2025-03-29T01:30:00.000Z', // 02:30 CET
      '2025-03-30T01:00:00.000Z', // 02:30 does not exist: at the jump, 03:00 CEST
      '2025-03-31T00:30:00.000Z', // 02:30 CEST
    ]);
    const r = intervalStats(s, T('2025-03-28T12:00:00Z'), 3 * 24 * H)!;
    expect(r.shortest.ms).toBe(23.5 * H);
    expect(iso(r.shortest.after)).toBe('2025-03-29T01:30:00.000Z');
    expect(r.longest.ms).toBe(24 * H);
    expect(longestInterval(s, FROM)?.ms).toBe(25 * H); // October
  });

  it('is one minute for * * * * * over a year, quickly', () => {
    const s = schedule('* * * * *', 'Europe/Paris');
    longestInterval(s, FROM); // warm-up (zone tables, JIT)
    const t0 = performance.now();
    const r = intervalStats(s, FROM)!;
    const ms = performance.now() - t0;
    expect(r.count).toBe(525_600);
    expect(r.longest.ms).toBe(60_000);
    expect(r.shortest.ms).toBe(60_000);
    expect(ms).toBeLessThan(250); // typically a few ms; generous for loaded CI machines
  });

  it('counts a wildcard job that loses its runs in the March gap', () => {
    // 02:00 and 02:30 do not exist on 2025-03-30: 01:30 CET → 03:00 CEST is 30 minutes.
    const s = schedule('*/30 * * * *', 'Europe/Paris');
    const r = intervalStats(s, FROM)!;
    expect(r.longest.ms).toBe(30 * 60_000);
    expect(r.count).toBe(17_520 - 2 + 2); // 2 lost in March, 2 more in October
  });

  it('covers a yearly schedule whose only gap starts before the horizon ends', () => {
    const r = longestInterval(schedule('@yearly', 'UTC'), FROM)!;
    expect(iso(r.after)).toBe('2026-01-01T00:00:00.000Z');
    expect(r.ms).toBe(365 * 24 * H);
    // No run inside a 1-day horizon: the interval starting at the first run after `from` is used.
    const day = longestInterval(schedule('@yearly', 'UTC'), T('2025-06-01T00:00:00Z'), 24 * H)!;
    expect(iso(day.after)).toBe('2026-01-01T00:00:00.000Z');
    expect(iso(day.before)).toBe('2027-01-01T00:00:00.000Z');
  });

  it('matches the plain list of fires, DST zones included', () => {
    const cases: Array<[string, string]> = [
      ['* * * * *', 'Europe/Paris'],
      ['*/7 1-3 * * *', 'Europe/Paris'],
      ['0,30 2 * * *', 'America/New_York'],
      ['15 2 * * 0', 'Australia/Lord_Howe'],
      ['0 0 1 * 1', 'America/Santiago'],
      ['@hourly', 'Pacific/Chatham'],
      ['5 4 */3 * *', 'UTC'],
    ];
    for (const [expr, zone] of cases) {
      const r = intervalStats(schedule(expr, zone), FROM)!;
      expect(r, `${expr} ${zone}`).toEqual(bruteForce(expr, zone, FROM));
    }
  });
});

describe('firesPerDay', () => {
  it('estimates runs per day over the Gregorian cycle', () => {
    expect(firesPerDay(schedule('0 */6 * * *', 'UTC'))).toBe(4);
    expect(firesPerDay(schedule('* * * * *', 'UTC'))).toBe(1440);
    expect(firesPerDay(schedule('0 0 * * 1', 'UTC'))).toBeCloseTo(1 / 7, 12);
    expect(firesPerDay(schedule('0 0 29 2 *', 'UTC'))).toBeCloseTo(97 / 146_097, 12);
    expect(firesPerDay(schedule('@monthly', 'UTC'))).toBeCloseTo(12 / 365.2425, 12);
    // OR rule: the 1st plus every Monday, minus the Mondays that are the 1st.
    expect(firesPerDay(schedule('0 0 1 * 1', 'UTC'))).toBeCloseTo(12 / 365.2425 + 1 / 7 - 12 / 365.2425 / 7, 3);
  });
});
