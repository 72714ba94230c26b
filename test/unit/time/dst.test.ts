import { describe, expect, it } from 'vitest';
import { dstIssues, dstIssuesOf } from '../../../engine/time/dst';
import { schedule } from '../../../engine/time/schedule';

const T = (iso: string) => Date.parse(iso);
const iso = (t: number) => new Date(t).toISOString();
const FROM = T('2026-06-01T00:00:00Z'); // next 12 months: 2026-10-25 (fall back), 2027-03-28 (spring forward)

describe('dstIssues', () => {
  it('reports the October overlap and the March gap for 30 2 * * * in Europe/Paris', () => {
    const issues = dstIssues('30 2 * * *', 'Europe/Paris', { from: FROM });
    expect(issues).toHaveLength(2);
    const [october, march] = issues;
    expect(october).toMatchObject({
      kind: 'doubled',
      effect: 'runs-once',
      date: '2026-10-25',
      localTime: '02:30',
      localTimes: ['02:30'],
      clockFrom: '03:00',
      clockTo: '02:00',
    });
    expect(october.runs.map(iso)).toEqual(['2026-10-25T00:30:00.000Z']); // the first 02:30 (CEST)
    expect(october.message).toBe(
      '02:30 happens twice on 2026-10-25 in Europe/Paris (clocks go back from 03:00 to 02:00): cron runs it only the first time (UTC+02:00); schedule outside 02:00–03:00 or use UTC',
    );
    expect(march).toMatchObject({
      kind: 'skipped',
      effect: 'runs-at-jump',
      date: '2027-03-28',
      localTime: '02:30',
      clockFrom: '02:00',
      clockTo: '03:00',
    });
    expect(march.runs.map(iso)).toEqual(['2027-03-28T01:00:00.000Z']);
    expect(march.message).toBe(
      '02:30 does not exist on 2027-03-28 in Europe/Paris (clocks jump from 02:00 to 03:00): cron runs it at 03:00 instead; schedule outside 02:00–03:00 or use UTC',
    );
  });

  it('agrees with the schedule about what runs', () => {
    const s = schedule('30 2 * * *', 'Europe/Paris');
    const [october, march] = dstIssuesOf(s, { from: FROM });
    expect(s.fires(october.at - 6 * 3_600_000, october.at + 3_600_000)).toEqual(october.runs);
    expect(s.fires(march.at - 3_600_000, march.at)).toEqual(march.runs);
  });

  it('reports lost and doubled runs of a wildcard job', () => {
    const [october, march] = dstIssues('*/15 2 * * *', 'Europe/Paris', { from: FROM });
    expect(october.effect).toBe('runs-twice');
    expect(october.localTimes).toEqual(['02:00', '02:15', '02:30', '02:45']);
    expect(october.runs).toHaveLength(8);
    expect(october.message).toContain('02:00, 02:15, 02:30 and 02:45 happen twice');
    expect(october.message).toContain('cron runs each twice (at UTC+02:00 and at UTC+01:00)');
    expect(march.effect).toBe('not-run');
    expect(march.runs).toEqual([]);
    expect(march.message).toContain('cron skips those 4 runs');
  });

  it('summarises many times', () => {
    const [october] = dstIssues('* * * * *', 'Europe/Paris', { from: FROM });
    expect(october.localTimes).toHaveLength(60);
    expect(october.message.startsWith('02:00 to 02:59 (60 times) happen twice')).toBe(true);
  });

  it('reports nothing for a time outside the changes, or in UTC', () => {
    expect(dstIssues('0 4 * * *', 'Europe/Paris', { from: FROM })).toEqual([]);
    expect(dstIssues('30 2 * * *', 'UTC', { from: FROM })).toEqual([]);
    expect(dstIssues('30 2 * * *', 'Asia/Tokyo', { from: FROM })).toEqual([]);
  });

  it('respects the day fields: a Sunday job meets both changes (always on Sundays in the EU)', () => {
    expect(dstIssues('30 2 * * 0', 'Europe/Paris', { from: FROM })).toHaveLength(2);
    expect(dstIssues('30 2 * * 1', 'Europe/Paris', { from: FROM })).toEqual([]);
    expect(dstIssues('30 2 1 * *', 'Europe/Paris', { from: FROM })).toEqual([]);
  });

  it('uses the zone rules: New York changes at 02:00 / 01:00', () => {
    const issues = dstIssues('30 1 * * *', 'America/New_York', { from: FROM });
    expect(issues.map((i) => [i.kind, i.date])).toEqual([['doubled', '2026-11-01']]);
    expect(dstIssues('30 2 * * *', 'America/New_York', { from: FROM }).map((i) => [i.kind, i.date])).toEqual([
      ['skipped', '2027-03-14'],
    ]);
  });

  it('only looks at the next 12 months from `from`', () => {
    expect(dstIssues('30 2 * * *', 'Europe/Paris', { from: T('2026-11-01T00:00:00Z') }).map((i) => i.date)).toEqual([
      '2027-03-28',
      '2027-10-31',
    ]);
    expect(dstIssues('30 2 * * *', 'Europe/Paris', { from: FROM, horizonMs: 30 * 86_400_000 })).toEqual([]);
  });

  it('returns nothing for an invalid expression or zone (other rules report those)', () => {
    expect(dstIssues('0 0 31 2 *', 'Europe/Paris', { from: FROM })).toEqual([]);
    expect(dstIssues('30 2 * * *', 'Mars/Olympus', { from: FROM })).toEqual([]);
  });
});
