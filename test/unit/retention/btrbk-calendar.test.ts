// btrbk 0.32's schedule() calendar at its edges (/usr/bin/btrbk `sub schedule`): a week starts on
// preserve_day_of_week at preserve_hour_of_day, a month (a year) on the first such day in it, so
// the days before it belong to the previous month (year); hours count wall-clock hours. Each
// expectation below is worked by hand from that code. Also the policy reader's refusals
// (issue #16's mutation run).
import { describe, expect, it } from 'vitest';
import type { PolicyModel } from '../../../engine/plan/model';
import {
  btrbkEngine,
  btrbkPreserve,
  btrbkSchedule,
  btrbkTargetEngine,
  formatPreserveMin,
  parsePreserveMatrix,
  type BtrbkPreserve,
} from '../../../engine/retention/btrbk';
import type { SnapshotIn } from '../../../engine/retention/types';

const utc = (iso: string) => Date.parse(`${iso}Z`);
const list = (...isos: string[]): SnapshotIn[] => isos.map((iso) => ({ time: utc(iso), id: iso }));
const base: BtrbkPreserve = { min: 'no', counts: {}, dayOfWeek: 'sunday', hourOfDay: 0 };
const reasons = (snaps: SnapshotIn[], p: Partial<BtrbkPreserve>, now: string) =>
  btrbkSchedule(snaps, { ...base, ...p }, utc(now), 'UTC').keep.map((k) => `${k.snapshot.id} ${k.reasons.join()}`);
const policy = (raw: Record<string, unknown>, extra: Partial<PolicyModel> = {}): PolicyModel =>
  ({ at: [], keep: raw.keep, raw, ...extra }) as unknown as PolicyModel;
const problems = (raw: Record<string, unknown>, extra: Partial<PolicyModel> = {}, side: 'snapshot' | 'target' = 'snapshot') => {
  const r = btrbkPreserve(policy(raw, extra), side);
  return r.ok ? [] : r.problems;
};

// Wed 2024-03-20 12:00. The first sunday of March 2024 is the 3rd, of January the 7th.
const NOW = '2024-03-20T12:00:00';

describe('btrbk months and years start on the first preserve_day_of_week', () => {
  const snaps = list('2024-01-06T10:00:00', '2024-01-07T10:00:00', '2024-03-02T10:00:00', '2024-03-03T10:00:00');

  it('counts months from the month holding the snapshot\'s week start', () => {
    // Sat Jan 6 is in December 2023's month (3 months back), Sun Jan 7 in January's (2);
    // Sat Mar 2 in February's (1), Sun Mar 3 in March's (0).
    expect(reasons(snaps, { counts: { m: 'all' } }, NOW)).toEqual([
      '2024-03-03T10:00:00 preserve monthly: first weekly of month, 0 months ago',
      '2024-03-02T10:00:00 preserve monthly: first weekly of month, 1 months ago',
      '2024-01-07T10:00:00 preserve monthly: first weekly of month, 2 months ago',
      '2024-01-06T10:00:00 preserve monthly: first weekly of month, 3 months ago',
    ]);
  });

  it('moves a day before February\'s first sunday back to January, not to the year before', () => {
    // Sat Feb 3 2024: the first sunday of February is the 4th
    expect(reasons(list('2024-02-03T10:00:00'), { counts: { m: 'all' } }, NOW)).toEqual([
      '2024-02-03T10:00:00 preserve monthly: first weekly of month, 2 months ago',
    ]);
  });

  it('counts years the same way: a January day before the first sunday is in the year before', () => {
    // the first monthly of each year: Jan 6 for 2023's year, Jan 7 for 2024's
    expect(reasons(snaps, { counts: { y: 'all' } }, NOW)).toEqual([
      '2024-01-07T10:00:00 preserve yearly: first weekly of year, 0 years ago',
      '2024-01-06T10:00:00 preserve yearly: first weekly of year, 1 years ago',
    ]);
  });

  it('counts days and weeks in wall-clock hours across month ends', () => {
    // Mar 3 10:00 → Mar 20 12:00 is 17 days 2 hours; Jan 6 10:00 → 74 days 2 hours.
    expect(reasons(snaps, { counts: { d: 'all' } }, NOW)).toEqual([
      '2024-03-03T10:00:00 preserve daily: first of day, 17 days ago',
      '2024-03-02T10:00:00 preserve daily: first of day, 18 days ago',
      '2024-01-07T10:00:00 preserve daily: first of day, 73 days ago',
      '2024-01-06T10:00:00 preserve daily: first of day, 74 days ago',
    ]);
    // weeks from the sunday: Mar 3 is in the week 2 back (Mar 17, Mar 10, Mar 3), Mar 2 in 3 back
    expect(reasons(snaps, { counts: { w: 'all' } }, NOW)).toEqual([
      '2024-03-03T10:00:00 preserve weekly: 2 weeks ago',
      '2024-03-02T10:00:00 preserve weekly: 3 weeks ago',
      '2024-01-07T10:00:00 preserve weekly: 10 weeks ago',
      '2024-01-06T10:00:00 preserve weekly: 11 weeks ago',
    ]);
  });
});

describe('btrbk weeks and days starting on another day and hour', () => {
  it('puts monday 03:00 in the previous week when weeks start on monday at 06:00', () => {
    // Mon Mar 18 03:00 is before the 06:00 start: its day began Sunday 06:00 and its week on
    // Mon Mar 11 06:00 (1 week back); 07:00 that monday is in the current week.
    const snaps = list('2024-03-18T03:00:00', '2024-03-18T07:00:00');
    const p = { dayOfWeek: 'monday', hourOfDay: 6 } as const;
    expect(reasons(snaps, { ...p, counts: { w: 'all' } }, NOW)).toEqual([
      '2024-03-18T07:00:00 preserve weekly: 0 weeks ago',
      '2024-03-18T03:00:00 preserve weekly: 1 weeks ago',
    ]);
    expect(reasons(snaps, { ...p, counts: { d: 'all' } }, NOW)).toEqual([
      '2024-03-18T07:00:00 preserve daily: first of day, 2 days ago',
      '2024-03-18T03:00:00 preserve daily: first of day, 3 days ago',
    ]);
  });

  it('puts a wednesday in the week begun the friday before when weeks start on friday', () => {
    // weeks from Fri Mar 15: Wed Mar 13 is in the week of Fri Mar 8 (1 back), Fri Mar 15 in the current one
    const snaps = list('2024-03-13T10:00:00', '2024-03-15T10:00:00');
    expect(reasons(snaps, { dayOfWeek: 'friday', counts: { w: 'all' } }, NOW)).toEqual([
      '2024-03-15T10:00:00 preserve weekly: 0 weeks ago',
      '2024-03-13T10:00:00 preserve weekly: 1 weeks ago',
    ]);
  });
});

describe('btrbk schedule details', () => {
  it('reads the date to the minute: same-minute snapshots keep their input order', () => {
    const snaps = list('2024-03-20T10:00:30', '2024-03-20T10:00:10');
    expect(reasons(snaps, { counts: { h: 'all' } }, NOW)).toEqual([
      '2024-03-20T10:00:30 preserve hourly: first of hour, 2 hours ago',
    ]);
  });

  it('takes a regular snapshot before an informative one of the same minute', () => {
    const snaps = list('2024-03-20T10:00:00', '2024-03-20T10:00:20');
    const d = btrbkSchedule(snaps, { ...base, counts: { h: 'all' } }, utc(NOW), 'UTC', new Set(), {
      informative: new Set(['2024-03-20T10:00:00']),
    });
    expect(d.keep.map((k) => k.snapshot.id)).toEqual(['2024-03-20T10:00:20']);
    expect(d.remove).toEqual([]);
  });

  it('does not take the current hour for the future', () => {
    expect(reasons(list('2024-03-20T12:00:00', '2024-03-20T13:10:00'), {}, '2024-03-20T12:30:00')).toEqual([
      '2024-03-20T13:10:00 preserve forced: 1 hours in the future',
    ]);
  });

  it('keeps forced ids, with the reason given for them when there is one', () => {
    const snaps = list('2024-03-01T00:00:00', '2024-03-02T00:00:00');
    const d = btrbkSchedule(snaps, base, utc(NOW), 'UTC', new Set(['2024-03-01T00:00:00', '2024-03-02T00:00:00']), {
      forced: new Map([['2024-03-02T00:00:00', 'preserve forced: resume']]),
    });
    expect(d.keep.map((k) => `${k.snapshot.id} ${k.reasons.join()}`)).toEqual([
      '2024-03-02T00:00:00 preserve forced: resume',
      '2024-03-01T00:00:00 preserve forced: latest common snapshot',
    ]);
  });

  it('keeps the newest by default (preserve_min latest)', () => {
    const d = btrbkEngine.evaluate(list('2024-03-01T00:00:00', '2024-03-02T00:00:00'), policy({}), {
      now: utc(NOW),
      timezone: 'UTC',
    });
    expect(d.keep.map((k) => `${k.snapshot.id} ${k.reasons.join()}`)).toEqual(['2024-03-02T00:00:00 preserve min: latest']);
  });

  it('refuses to evaluate a policy it cannot express, with every reason', () => {
    const ctx = { now: utc(NOW), timezone: 'UTC' };
    expect(() => btrbkEngine.evaluate([], policy({ preserve_min: '0d', preserve_hour_of_day: 24 }), ctx)).toThrow(
      '`preserve_min` is all, latest or N (from 1) followed by h, d, w, m or y; `preserve_hour_of_day` is a whole hour, 0 to 23',
    );
    expect(btrbkTargetEngine.evaluate([], policy({ preserve_min: '0d' }), ctx)).toEqual({ keep: [], remove: [] });
  });
});

describe('btrbk policy reader', () => {
  it('reads a preserve matrix with surrounding blanks, and `no`', () => {
    expect(parsePreserveMatrix(' no ')).toEqual({});
    expect(parsePreserveMatrix('48h 7d ')).toEqual({ h: 48, d: 7 });
  });

  it('writes preserve_min as btrbk.conf does', () => {
    expect(formatPreserveMin('latest')).toBe('latest');
    expect(formatPreserveMin({ n: 12, unit: 'h' })).toBe('12h');
  });

  it('names what btrbk cannot express', () => {
    const u = problems(
      { keep: { daily: -2, full: 1, incrementals_of: 2, tags: [['x']] } },
      { tiers: [{ keep: 'all' }] as PolicyModel['tiers'], expiry: '1d', min: 2 },
    );
    expect(u).toEqual([
      { key: ['tiers'], message: 'btrbk has no tiers: write `keep` counts or `preserve`' },
      { key: ['expiry'], message: 'btrbk has no expiry: write `keep` counts or `preserve`' },
      { key: ['min'], message: 'btrbk has no `min`: write `preserve_min`' },
      { key: ['keep', 'tags'], message: 'btrbk cannot express `keep.tags`' },
      { key: ['keep', 'full'], message: 'btrbk cannot express `keep.full`' },
      { key: ['keep', 'incrementals_of'], message: 'btrbk cannot express `keep.incrementals_of`' },
      { key: ['keep', 'daily'], message: '`keep.daily` must be a count or all' },
    ]);
  });

  it('refuses keep counts with preserve, and a preserve that is not a matrix', () => {
    expect(problems({ keep: { daily: 2 }, preserve: '7d' })).toEqual([
      { key: ['preserve'], message: 'write `preserve` or `keep` counts, not both' },
    ]);
    expect(problems({ preserve: '7x' })).toEqual([
      { key: ['preserve'], message: '`7x` is not a btrbk preserve matrix (like `48h 14d 4w 6m *y`)' },
    ]);
  });

  it('reads preserve_min exactly, 0 only for a target', () => {
    const min = (v: string, side: 'snapshot' | 'target' = 'snapshot') => {
      const r = btrbkPreserve(policy({ preserve_min: v }), side);
      return r.ok ? r.value.min : r.problems.map((p) => p.message);
    };
    expect(min('12h')).toEqual({ n: 12, unit: 'h' });
    expect(min('0d', 'target')).toEqual({ n: 0, unit: 'd' });
    expect(min('no', 'target')).toBe('no');
    const refused = ['`preserve_min` is all, latest or N (from 1) followed by h, d, w, m or y'];
    for (const v of ['0d', 'x3d', '3dx', 'no']) expect(min(v)).toEqual(refused);
    expect(min('3dx', 'target')).toEqual([
      '`preserve_min` of a target is all, latest, no or N (0 allowed) followed by h, d, w, m or y',
    ]);
  });

  it('reads preserve_day_of_week and preserve_hour_of_day', () => {
    expect(problems({ preserve_day_of_week: 'monday', preserve_hour_of_day: 23 })).toEqual([]);
    expect(problems({ preserve_day_of_week: 'mon' })).toEqual([
      { key: ['preserve_day_of_week'], message: '`preserve_day_of_week` is a day name (sunday ... saturday)' },
    ]);
    for (const hod of [24, -1, 2.5, '6']) {
      expect(problems({ preserve_hour_of_day: hod })).toEqual([
        { key: ['preserve_hour_of_day'], message: '`preserve_hour_of_day` is a whole hour, 0 to 23' },
      ]);
    }
  });
});
