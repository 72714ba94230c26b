import { describe, expect, it } from 'vitest';
import {
  addDuration,
  approxMs,
  duration,
  formatDuration,
  formatSpan,
  isZero,
  maxMs,
  minMs,
  parseDuration,
  subtractDuration,
  MS,
  type DurationResult,
} from '../../../engine/time/duration';

const T = (iso: string) => Date.parse(iso);
const iso = (t: number) => new Date(t).toISOString();

function bad(text: string): Extract<DurationResult, { ok: false }> {
  const r = parseDuration(text);
  if (r.ok) throw new Error(`expected \`${text}\` to be rejected`);
  return r;
}

describe('parseDuration', () => {
  it('parses combined units', () => {
    expect(parseDuration('1y2mo3d')).toEqual({ ok: true, value: { y: 1, mo: 2, w: 0, d: 3, h: 0, min: 0 } });
    expect(duration('2w 12h 30min')).toEqual({ y: 0, mo: 0, w: 2, d: 0, h: 12, min: 30 });
    expect(duration('15d')).toMatchObject({ d: 15 });
    expect(duration('3d1y')).toMatchObject({ y: 1, d: 3 }); // any order
  });

  it('rejects a bare m with both readings, pointing at the part', () => {
    const e = bad('1y2m');
    expect(e.message).toBe('`2m` is ambiguous: write `2min` for minutes or `2mo` for months');
    expect([e.start, e.end]).toEqual([2, 4]);
    expect(e.suggestions).toEqual(['1y2min', '1y2mo']);
    expect(bad('30M').suggestions).toEqual(['30min', '30mo']);
  });

  it('rejects unknown units, pointing at the unit, with a fix for common spellings', () => {
    const e = bad('7days');
    expect([e.start, e.end]).toEqual([1, 5]);
    expect(e.message).toBe('unknown duration unit `days`: write `7d`');
    expect(e.suggestions).toEqual(['7d']);
    expect(bad('1d 2x')).toMatchObject({ start: 4, end: 5, suggestions: [] });
    expect(bad('12H').suggestions).toEqual(['12h']);
    expect(bad('2 weeks').suggestions).toEqual(['2 w']);
  });

  it('rejects a repeated unit, pointing at the second one', () => {
    const e = bad('1d2d');
    expect(e.message).toContain('appears twice');
    expect([e.start, e.end]).toEqual([3, 4]);
  });

  it('rejects a number without unit and offers days', () => {
    const e = bad('1d 7');
    expect([e.start, e.end]).toEqual([3, 4]);
    expect(e.suggestions).toEqual(['1d 7d']);
  });

  it('rejects empty text and garbage', () => {
    expect(bad('')).toMatchObject({ start: 0, end: 0 });
    expect(bad('  ')).toMatchObject({ start: 0, end: 2 });
    expect(bad('-1d')).toMatchObject({ start: 0, end: 3 });
    expect(bad('1d,2h')).toMatchObject({ start: 2 });
  });

  it('accepts tabs between parts', () => {
    expect(duration('1d\t2h')).toMatchObject({ d: 1, h: 2 });
  });

  it('formats back', () => {
    expect(formatDuration(duration('1y2mo3d'))).toBe('1y2mo3d');
    expect(formatDuration(duration('0d'))).toBe('0min');
    expect(isZero(duration('0h'))).toBe(true);
  });

  it('throws from duration() on invalid text', () => {
    expect(() => duration('5m')).toThrow('ambiguous');
  });
});

describe('calendar arithmetic', () => {
  it('Mar 31 − 1mo is the last day of February, same wall-clock time, in Europe/Paris', () => {
    // 2025-03-31 10:00 CEST (08:00 UTC) − 1mo = 2025-02-28 10:00 CET (09:00 UTC).
    expect(iso(subtractDuration(T('2025-03-31T08:00:00Z'), duration('1mo'), 'Europe/Paris'))).toBe('2025-02-28T09:00:00.000Z');
    // Leap year.
    expect(iso(subtractDuration(T('2024-03-31T08:00:00Z'), duration('1mo'), 'Europe/Paris'))).toBe('2024-02-29T09:00:00.000Z');
    // The zone decides the calendar day: 2025-03-31 00:30 in Paris (→ Feb 28 00:30 CET) is still
    // March 30 in UTC (→ Feb 28 22:30 UTC, clamped from the 30th).
    expect(iso(subtractDuration(T('2025-03-30T22:30:00Z'), duration('1mo'), 'Europe/Paris'))).toBe('2025-02-27T23:30:00.000Z');
    expect(iso(subtractDuration(T('2025-03-30T22:30:00Z'), duration('1mo'), 'UTC'))).toBe('2025-02-28T22:30:00.000Z');
  });

  it('days are fixed 24 h, even across a DST change', () => {
    // From 2025-03-31 12:00 CEST back 1d crosses the spring-forward night: 24 h, so 11:00 CET local.
    const t = T('2025-03-31T10:00:00Z');
    expect(t - subtractDuration(t, duration('1d'), 'Europe/Paris')).toBe(MS.DAY);
    expect(iso(subtractDuration(t, duration('1d'), 'Europe/Paris'))).toBe('2025-03-30T10:00:00.000Z');
    expect(addDuration(t, duration('1w'), 'Europe/Paris') - t).toBe(7 * MS.DAY);
    expect(addDuration(t, duration('2h30min'), 'Europe/Paris') - t).toBe(2.5 * 3_600_000);
  });

  it('months keep the wall-clock time across a DST change', () => {
    // 2025-03-15 12:00 CET + 1mo = 2025-04-15 12:00 CEST: 31 days minus one hour.
    const t = T('2025-03-15T11:00:00Z');
    expect(iso(addDuration(t, duration('1mo'), 'Europe/Paris'))).toBe('2025-04-15T10:00:00.000Z');
  });

  it('applies years and months first, then the fixed part', () => {
    expect(iso(subtractDuration(T('2025-03-31T00:00:00Z'), duration('1mo1d'), 'UTC'))).toBe('2025-02-27T00:00:00.000Z');
    expect(iso(addDuration(T('2024-02-29T00:00:00Z'), duration('1y'), 'UTC'))).toBe('2025-02-28T00:00:00.000Z');
  });

  it('throws instead of returning NaN for an unknown zone', () => {
    expect(() => subtractDuration(0, duration('1mo'), 'Mars/Olympus')).toThrow('Mars/Olympus');
    // Fixed lengths need no zone.
    expect(subtractDuration(MS.DAY, duration('1d'), 'Mars/Olympus')).toBe(0);
  });

  it('bounds the length of calendar units', () => {
    expect(minMs(duration('1mo'))).toBe(28 * MS.DAY);
    expect(maxMs(duration('1y1mo'))).toBe((366 + 31) * MS.DAY);
    expect(approxMs(duration('1y'))).toBeCloseTo(365.2425 * MS.DAY, 0);
  });
});

describe('formatSpan', () => {
  it('shows minutes below a day and rounded hours above', () => {
    expect(formatSpan(45 * MS.MINUTE)).toBe('45min');
    expect(formatSpan(6 * MS.HOUR)).toBe('6h');
    expect(formatSpan(23.5 * MS.HOUR)).toBe('23h 30min');
    expect(formatSpan(26 * MS.HOUR)).toBe('1d 2h');
    expect(formatSpan(35 * MS.DAY)).toBe('35d');
    expect(formatSpan(-6 * MS.HOUR)).toBe('-6h');
  });

  it('carries rounding into the next unit', () => {
    expect(formatSpan(59.6 * MS.MINUTE)).toBe('1h');
    expect(formatSpan(2 * MS.DAY - MS.MINUTE)).toBe('2d');
  });
});
