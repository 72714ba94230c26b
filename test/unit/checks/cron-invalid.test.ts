import { describe, expect, it } from 'vitest';
import { checkText } from '../../../engine/check';
import { rule } from '../../../engine/checks/cron-invalid';
import type { Fix } from '../../../engine/findings';

const run = (text: string) => checkText(text, { rules: [rule], now: Date.parse('2026-01-15T00:00:00Z') });
const slice = (text: string, r: { start: number; end: number }) => text.slice(r.start, r.end);
const apply = (text: string, fix: Fix) =>
  [...fix.edits].sort((a, b) => b.range.start - a.range.start).reduce((t, e) => t.slice(0, e.range.start) + e.newText + t.slice(e.range.end), text);
const plan = (jobs: string) => `version: 1\njobs:\n${jobs}`;

describe('cron-invalid', () => {
  it('points at the bad field inside plain, double- and single-quoted schedules', () => {
    const text = plan(`  a: { kind: restic, schedule: 0 25 * * * }
  b: { kind: restic, schedule: "0 0 31 2 *" }
  c: { kind: restic, schedule: '*/15 * * * 8' }
  d: { kind: restic, schedule: "0\\t0 * 13 *" }
  e: { kind: restic, schedule: '0 0 * * x''y' }
`);
    const f = run(text).findings;
    expect(f.map((x) => [slice(text, x.range), x.message])).toEqual([
      ['25', '25 is out of range for the hour field (0-23)'],
      ['31', 'never runs: February has no 31st'],
      ['8', '8 is out of range for the day-of-week field (0-7 or sun-sat, 0 and 7 are Sunday)'],
      ['13', '13 is out of range for the month field (1-12 or jan-dec)'],
      ["x''y", "`x'y` is not valid in the day-of-week field: use a number (0-7 or sun-sat, 0 and 7 are Sunday), `*`, a range `a-b`, a step `*/n` or `a-b/n`, or a list `a,b`"],
    ]);
    // The escaped tab counts as one character of the value but two of the text.
    expect(f[3].range.start).toBe(text.indexOf('13'));
    expect(f.every((x) => x.severity === 'error')).toBe(true);
  });

  it('reports a 7-field cron on the seconds field, the year as related, with the 5-field fix', () => {
    const text = plan('  a:\n    kind: restic\n    schedule: "0 30 2 * * * 2026"\n');
    const [f] = run(text).findings;
    expect(slice(text, f.range)).toBe('0');
    expect(f.range.start).toBe(text.indexOf('"0 30') + 1);
    expect(f.message).toBe('Backplan schedules have 5 fields (min hour day-of-month month day-of-week); remove the seconds and year fields');
    expect(f.related?.map((r) => slice(text, r.range))).toEqual(['2026']);
    expect(f.fixes).toHaveLength(1);
    expect(f.fixes![0].preferred).toBe(true);
    const fixed = apply(text, f.fixes![0]);
    expect(fixed).toContain('schedule: "30 2 * * *"');
    expect(run(fixed).findings).toEqual([]);
  });

  it('quotes a plain fix that would otherwise start with `*`', () => {
    const text = plan('  a: { kind: restic, schedule: 0 * * * * * }\n');
    const [f] = run(text).findings;
    expect(slice(text, f.range)).toBe('0');
    const fixed = apply(text, f.fixes![0]);
    expect(fixed).toContain('schedule: "* * * * *"');
    expect(run(fixed).findings).toEqual([]);
  });

  it('checks prune_schedule and verify.schedule too, and fixes the case of an alias', () => {
    const text = plan(`  a:
    kind: restic
    schedule: "@Daily"
    prune_schedule: "0 3 * *"
    verify: { schedule: "@reboot" }
`);
    const f = run(text).findings;
    expect(f.map((x) => [slice(text, x.range), x.message])).toEqual([
      ['@Daily', 'write `@daily` in lower case (cron does not recognise `@Daily`)'],
      ['0 3 * *', 'Backplan schedules have 5 fields (min hour day-of-month month day-of-week); this one has 4: day-of-week is missing'],
      ['@reboot', '`@reboot` is not a time schedule: backups need a schedule that fires at known times'],
    ]);
    expect(apply(text, f[0].fixes![0])).toContain('schedule: "@daily"');
  });

  it('uses the whole value when the schedule is empty', () => {
    const text = plan('  a: { kind: restic, schedule: "" }\n');
    const [f] = run(text).findings;
    expect(slice(text, f.range)).toBe('""');
    expect(f.message).toMatch(/^the schedule is empty/);
  });

  it('reports a schedule shared through an anchor once', () => {
    const text = `version: 1
base: &base { kind: restic, schedule: "0 0 * * 9" }
jobs:
  a: { <<: *base, paths: [/a] }
  b: { <<: *base, paths: [/b] }
`;
    const f = run(text).findings;
    expect(f).toHaveLength(1);
    expect(f[0].range.start).toBe(text.indexOf('9'));
  });

  it('is quiet on valid schedules, on non-text values and on bad zones (other rules)', () => {
    const text = `version: 1
timezone: Mars/Olympus
jobs:
  a: { kind: restic, schedule: "*/15 * * * *", prune_schedule: "@weekly", verify: { schedule: "0 6 * * mon-fri" } }
  b: { kind: restic, schedule: 5 }
  c: { kind: restic, schedule: "0 0 29 2 *" }
`;
    expect(run(text).findings).toEqual([]);
  });
});
