import { describe, expect, it } from 'vitest';
import { parseCron, type CronError, type CronResult } from '../../../engine/time/cron';

function err(expr: string): CronError {
  const r: CronResult = parseCron(expr);
  if (r.ok) throw new Error(`expected \`${expr}\` to be rejected`);
  return r;
}

/** The text an error points at. */
function at(expr: string): string {
  const e = err(expr);
  return expr.slice(e.start, e.end);
}

describe('parseCron: accepted forms', () => {
  it('expands fields, names, steps and ranges', () => {
    const r = parseCron('*/15 9-17/4 1,15 jan-MAR mon-fri');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.fields.minutes).toEqual([0, 15, 30, 45]);
    expect(r.fields.hours).toEqual([9, 13, 17]);
    expect(r.fields.daysOfMonth).toEqual([1, 15]);
    expect(r.fields.months).toEqual([1, 2, 3]);
    expect(r.fields.daysOfWeek).toEqual([1, 2, 3, 4, 5]);
    expect(r.fields.minuteStar).toBe(true);
    expect(r.fields.hourStar).toBe(false);
  });

  it('treats 7 as Sunday', () => {
    const r = parseCron('0 0 * * 7');
    expect(r.ok && r.fields.daysOfWeek).toEqual([0]);
    const range = parseCron('0 0 * * 5-7');
    expect(range.ok && range.fields.daysOfWeek).toEqual([0, 5, 6]);
  });

  it('marks a field starting with * as unrestricted, steps included (cron DOM_STAR)', () => {
    const r = parseCron('0 0 */2 * 1');
    expect(r.ok && r.fields.domStar).toBe(true);
    expect(r.ok && r.fields.dowStar).toBe(false);
  });

  it('expands every alias like cron', () => {
    const cases: Record<string, string> = {
      '@hourly': '0 * * * *',
      '@daily': '0 0 * * *',
      '@midnight': '0 0 * * *',
      '@weekly': '0 0 * * 0',
      '@monthly': '0 0 1 * *',
      '@yearly': '0 0 1 1 *',
      '@annually': '0 0 1 1 *',
    };
    for (const [alias, five] of Object.entries(cases)) {
      const r = parseCron(alias);
      expect(r.ok && r.normalized, alias).toBe(five);
      expect(r.ok && r.alias).toBe(alias);
    }
  });

  it('keeps the offsets of the fields, leading spaces included', () => {
    const r = parseCron('  30  2 * * *');
    expect(r.ok && r.spans[0]).toEqual({ start: 2, end: 4 });
    expect(r.ok && r.spans[1]).toEqual({ start: 6, end: 7 });
    expect(r.ok && r.normalized).toBe('30 2 * * *');
  });

  it('accepts February 29th (leap years)', () => {
    expect(parseCron('0 0 29 2 *').ok).toBe(true);
  });

  it('accepts a day that exists in one of the months', () => {
    expect(parseCron('0 0 31 2,3 *').ok).toBe(true);
    expect(parseCron('0 0 30,31 2,4 *').ok).toBe(true);
  });
});

describe('parseCron: errors point at the field at fault', () => {
  it('rejects 6 fields, pointing at the seconds field', () => {
    const e = err('0 30 2 * * *');
    expect(e.message).toBe(
      'Backplan schedules have 5 fields (min hour day-of-month month day-of-week); remove the seconds field',
    );
    expect([e.start, e.end]).toEqual([0, 1]);
    expect(e.suggestions).toEqual(['30 2 * * *']);
  });

  it('rejects a trailing year field, pointing at it', () => {
    const e = err('30 2 * * * 2026');
    expect(e.message).toContain('remove the year field');
    expect([e.start, e.end]).toEqual([11, 15]);
    expect(e.suggestions).toEqual(['30 2 * * *']);
  });

  it('rejects 7 fields, pointing at the seconds and the year fields', () => {
    const expr = '0 30 2 * * ? 2026';
    const e = err(expr);
    expect(e.message).toContain('Backplan schedules have 5 fields (min hour day-of-month month day-of-week)');
    expect(e.message).toContain('remove the seconds and year fields');
    expect(e.spans).toEqual([
      { start: 0, end: 1 },
      { start: 13, end: 17 },
    ]);
    expect(e.spans!.map((s) => expr.slice(s.start, s.end))).toEqual(['0', '2026']);
    expect([e.start, e.end]).toEqual([0, 1]);
  });

  it('rejects a whole crontab line, pointing at the command', () => {
    const expr = '30 2 * * * /usr/local/bin/backup --all';
    const e = err(expr);
    expect(expr.slice(e.start, e.end)).toBe('/usr/local/bin/backup --all');
    expect(e.message).toContain('a schedule is only the 5 time fields');
    expect(e.suggestions).toEqual(['30 2 * * *']);
  });

  it('turns a Quartz `?` into `*` when dropping the seconds', () => {
    expect(err('0 0 12 * * ?').suggestions).toEqual(['0 12 * * *']);
  });

  it('rejects fewer than 5 fields', () => {
    const e = err('0 2 * *');
    expect(e.message).toContain('this one has 4: day-of-week is missing');
    expect([e.start, e.end]).toEqual([0, 7]);
  });

  it('points at an out-of-range value inside its field', () => {
    expect(at('61 2 * * *')).toBe('61');
    expect(err('61 2 * * *').field).toBe('minute');
    expect(at('0 24 * * *')).toBe('24');
    expect(err('0 24 * * *').message).toBe('24 is out of range for the hour field (0-23; midnight is 0)');
    expect(at('0 0 1,32 * *')).toBe('32');
    expect(err('0 0 1,32 * *')).toMatchObject({ start: 6, end: 8, field: 'day-of-month' });
    expect(at('0 0 0 * *')).toBe('0');
    expect(at('0 0 * 13 *')).toBe('13');
    expect(at('0 0 * * 1-8')).toBe('8');
    expect(err('0 0 * * 1-8')).toMatchObject({ start: 10, end: 11, field: 'day-of-week' });
  });

  it('rejects names outside month and weekday fields, and unknown names', () => {
    expect(at('0 mon * * *')).toBe('mon');
    expect(at('0 0 * foo *')).toBe('foo');
    expect(err('0 0 * foo *').message).toBe('`foo` is not a month name (jan-dec)');
    expect(at('0 0 * * funday')).toBe('funday');
  });

  it('rejects backward ranges like cron, with a fix', () => {
    const e = err('0 0 * * fri-mon');
    expect(e.message).toBe('`fri-mon` is a backward range, which cron rejects: write `fri-sat,sun-mon`');
    expect([e.start, e.end]).toEqual([8, 15]);
    expect(e.suggestions).toEqual(['0 0 * * fri-sat,sun-mon']);
    expect(err('0 0 * * sat-sun').suggestions).toEqual(['0 0 * * sat,sun']);
    expect(err('0 22-2 * * *').suggestions).toEqual(['0 22-23,0-2 * * *']);
  });

  it('rejects a step on a single value like cron, with a fix', () => {
    const e = err('5/15 * * * *');
    expect([e.start, e.end]).toEqual([0, 4]);
    expect(e.suggestions).toEqual(['5-59/15 * * * *']);
  });

  it('rejects a zero step, pointing at the step', () => {
    expect(at('*/0 * * * *')).toBe('0');
  });

  it('rejects the non-standard L W # ? H', () => {
    expect(at('0 0 L * *')).toBe('L');
    expect(at('0 0 15W * *')).toBe('15W');
    expect(at('0 0 * * 1#2')).toBe('1#2');
    expect(at('0 0 * * 5L')).toBe('5L');
    expect(at('H 2 * * *')).toBe('H');
    const q = err('0 0 ? * 1');
    expect(q.message).toContain('`?` is not standard cron');
    expect(q.suggestions).toEqual(['0 0 * * 1']);
  });

  it('rejects empty list items and garbage', () => {
    expect(at('0 0 1,,2 * *')).toBe(',,');
    expect(at('0 2-* * * *')).toBe('2-*');
  });

  it('rejects a schedule that never runs, pointing at the day-of-month', () => {
    const e = err('0 0 31 2 *');
    expect(e.message).toBe('never runs: February has no 31st');
    expect([e.start, e.end]).toEqual([4, 6]);
    expect(e.field).toBe('day-of-month');
    expect(err('0 0 30 2 *').message).toBe('never runs: February has no 30th');
    expect(err('0 0 30,31 feb *').message).toBe('never runs: February has no 30th or 31st');
    expect(err('0 0 31 4,6,9,11 *').message).toBe('never runs: April, June, September and November have no 31st');
  });

  it('knows impossible only for fixed weekdays: with a weekday list the 31st is an OR', () => {
    // Both restricted: runs on Mondays of February.
    expect(parseCron('0 0 31 2 1').ok).toBe(true);
    // Day-of-week `*`: AND, never.
    expect(parseCron('0 0 31 2 *').ok).toBe(false);
  });

  it('handles aliases: case, unknown ones, @reboot, trailing text', () => {
    expect(err('@Daily')).toMatchObject({ start: 0, end: 6, suggestions: ['@daily'] });
    expect(err('@fortnightly').message).toContain('unknown schedule alias');
    expect(err('@reboot').message).toContain('not a time schedule');
    const e = err('@daily 0');
    expect([e.start, e.end]).toEqual([7, 8]);
  });

  it('rejects an empty schedule', () => {
    expect(err('   ')).toMatchObject({ start: 0, end: 3 });
  });
});
