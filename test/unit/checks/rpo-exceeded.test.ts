import { describe, expect, it } from 'vitest';
import { checkText } from '../../../engine/check';
import { rule } from '../../../engine/checks/rpo-exceeded';
import { longestOfYear } from '../../../engine/checks/shared/schedules';
import { intervalStats } from '../../../engine/time/intervals';
import { schedule } from '../../../engine/time/schedule';

const NOW = Date.parse('2026-01-15T00:00:00Z');
const run = (text: string) => checkText(text, { rules: [rule], now: NOW });
const slice = (text: string, r: { start: number; end: number }) => text.slice(r.start, r.end);

describe('rpo-exceeded', () => {
  it('counts the 7-hour October interval of a 6-hourly schedule in Europe/Paris, not in UTC', () => {
    const text = `version: 1
timezone: Europe/Paris
hosts: { utc: { timezone: UTC } }
jobs:
  six: { kind: zfs-snapshot, schedule: "0 */6 * * *", rpo: 6h }
  six-utc: { kind: zfs-snapshot, host: utc, schedule: "0 */6 * * *", rpo: 6h }
`;
    const [f, ...rest] = run(text).findings;
    expect(rest).toEqual([]);
    expect(f.range.start).toBe(text.indexOf('6h }'));
    expect(slice(text, f.range)).toBe('6h');
    expect(f.severity).toBe('warning');
    expect(f.message).toBe(
      'job `six` can go 7h without a run (`0 */6 * * *`, from 2026-10-25 00:00 to 06:00 (Europe/Paris)), longer than its rpo 6h: schedule it more often, or raise the rpo to at least 7h',
    );
    expect(f.related!.map((r) => [r.message, slice(text, r.range)])).toEqual([['schedule', '"0 */6 * * *"']]);
  });

  it('uses checks.default_rpo for jobs without rpo, on the schedule', () => {
    const text = `version: 1
checks: { default_rpo: 1d }
jobs:
  weekdays: { kind: pg-dump, schedule: "0 2 * * 1-5" }
  daily: { kind: pg-dump, schedule: "0 2 * * *" }
  own: { kind: pg-dump, schedule: "0 2 * * 1-5", rpo: 3d }
`;
    const [f, ...rest] = run(text).findings;
    expect(rest).toEqual([]);
    expect(slice(text, f.range)).toBe('"0 2 * * 1-5"');
    expect(f.range.start).toBe(text.indexOf('"0 2 * * 1-5"'));
    expect(f.message).toBe(
      "job `weekdays` can go 3d without a run (`0 2 * * 1-5`, from 2026-01-16 02:00 to 2026-01-19 02:00 (UTC)), longer than the plan's default rpo 1d: schedule it more often, or raise the rpo to at least 3d",
    );
    expect(f.related!.map((r) => slice(text, r.range))).toEqual(['1d']);
  });

  it("uses the schedule of the job a copy follows (from, no schedule of its own), in that job's zone", () => {
    const text = `version: 1
timezone: UTC
hosts: { paris: { timezone: Europe/Paris } }
checks: { default_rpo: 1d }
jobs:
  dump: { kind: pg-dump, host: paris, schedule: "0 */6 * * *", rpo: 8h }
  offsite: { kind: restic, from: dump, rpo: 6h }
  tape: { kind: restic, from: offsite }
  manual: { kind: restic, rpo: 1h }
`;
    const findings = run(text).findings;
    expect(findings.map((f) => f.message)).toEqual([
      'job `offsite` can go 7h without a run (`0 */6 * * *` of `dump`, which it runs after, from 2026-10-25 00:00 to 06:00 (Europe/Paris)), ' +
        'longer than its rpo 6h: schedule it more often, or raise the rpo to at least 7h',
    ]);
    const [f] = findings;
    expect(slice(text, f.range)).toBe('6h');
    expect(f.related!.map((r) => [r.message, slice(text, r.range)])).toEqual([['schedule of `dump`', '"0 */6 * * *"']]);
    // Under a default rpo shorter than the interval, the finding sits on the follower's `from`.
    const strict = run(text.replace('default_rpo: 1d', 'default_rpo: 5h')).findings;
    const onTape = strict.find((x) => x.message.startsWith('job `tape`'))!;
    expect(slice(text.replace('default_rpo: 1d', 'default_rpo: 5h'), onTape.range)).toBe('offsite');
  });

  it('compares an rpo in months with calendar arithmetic', () => {
    const text = `version: 1
jobs:
  monthly: { kind: pg-dump, schedule: "0 0 1 * *", rpo: 1mo }
  bimonthly: { kind: pg-dump, schedule: "0 0 1 */2 *", rpo: 1mo }
`;
    const [f, ...rest] = run(text).findings;
    expect(rest).toEqual([]);
    expect(f.range.start).toBe(text.lastIndexOf('1mo'));
    expect(f.message).toContain('job `bimonthly` can go 62d without a run');
  });

  it('is quiet without rpo, for disabled jobs, and for unreadable schedules or rpo', () => {
    const text = `version: 1
jobs:
  a: { kind: pg-dump, schedule: "0 2 * * 1" }
  b: { kind: pg-dump, schedule: "0 2 * * 1", rpo: 1d, enabled: false }
  c: { kind: pg-dump, schedule: "0 2 * * 9", rpo: 1d }
  d: { kind: pg-dump, schedule: "0 2 * * 1", rpo: 1 day }
  e: { kind: pg-dump, schedule: "0 2 * * *", rpo: 1d }
`;
    expect(run(text).findings).toEqual([]);
  });
});

describe('longestOfYear (the fast path for schedules that run every day)', () => {
  const cases: [string, string][] = [
    ['0 */6 * * *', 'Europe/Paris'],
    ['30 2 * * *', 'Europe/Paris'],
    ['*/15 * * * *', 'America/New_York'],
    ['0 1-3 * * *', 'Europe/London'],
    ['45 23 * * *', 'Australia/Lord_Howe'],
    ['0 0 * * *', 'America/Santiago'],
    ['5 4 * * *', 'UTC'],
    ['0 2 * * 1-5', 'Europe/Paris'],
    ['0 3 1 * *', 'Asia/Tehran'],
  ];
  it.each(cases)('%s in %s has the length intervalStats finds over the year', (expr, zone) => {
    for (const from of [NOW, Date.parse('2026-03-28T23:30:00Z'), Date.parse('2026-10-24T12:00:00Z')]) {
      const s = schedule(expr, zone);
      const full = intervalStats(schedule(expr, zone), from)!.longest;
      const fast = longestOfYear(s, from)!;
      expect(fast.ms).toBe(full.ms);
      expect(fast.before - fast.after).toBe(fast.ms);
      expect(s.next(fast.after)).toBe(fast.before);
      expect(fast.after).toBeGreaterThan(from);
    }
  });
});
