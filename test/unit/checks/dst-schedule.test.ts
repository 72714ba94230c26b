import { describe, expect, it } from 'vitest';
import { checkText } from '../../../engine/check';
import { rule } from '../../../engine/checks/dst-schedule';

const NOW = Date.parse('2026-01-15T00:00:00Z');
const run = (text: string, now = NOW) => checkText(text, { rules: [rule], now });
const slice = (text: string, r: { start: number; end: number }) => text.slice(r.start, r.end);

describe('dst-schedule', () => {
  it('warns on a 02:30 schedule in Europe/Paris, once per clock change, naming the date and what cron does', () => {
    const text = 'version: 1\ntimezone: Europe/Paris\njobs:\n  a: { kind: restic, schedule: "30 2 * * *" }\n';
    const f = run(text).findings;
    expect(f.map((x) => [slice(text, x.range), x.severity, x.message])).toEqual([
      [
        '"30 2 * * *"',
        'warning',
        '`30 2 * * *`: 02:30 does not exist on 2026-03-29 in Europe/Paris (clocks jump from 02:00 to 03:00): cron runs it at 03:00 instead; schedule outside 02:00–03:00 or use UTC',
      ],
      [
        '"30 2 * * *"',
        'warning',
        '`30 2 * * *`: 02:30 happens twice on 2026-10-25 in Europe/Paris (clocks go back from 03:00 to 02:00): cron runs it only the first time (UTC+02:00); schedule outside 02:00–03:00 or use UTC',
      ],
    ]);
  });

  it("uses the host's zone, and checks prune_schedule and verify.schedule", () => {
    const text = `version: 1
timezone: Europe/Paris
hosts: { ny: { timezone: America/New_York } }
jobs:
  a:
    kind: restic
    host: ny
    schedule: "0 4 * * *"
    prune_schedule: "30 1 * * *"
    verify: { schedule: "*/15 2 * * *" }
`;
    const f = run(text).findings;
    expect(f.map((x) => [slice(text, x.range), x.message.split(' (')[0]])).toEqual([
      ['"30 1 * * *"', '`30 1 * * *`: 01:30 happens twice on 2026-11-01 in America/New_York'],
      ['"*/15 2 * * *"', '`*/15 2 * * *`: 02:00, 02:15, 02:30 and 02:45 do not exist on 2026-03-08 in America/New_York'],
    ]);
    expect(f[0].message).toContain('cron runs it only the first time (UTC-04:00)');
    expect(f[1].message).toContain('cron skips those 4 runs');
  });

  it('looks 12 months ahead of now', () => {
    const text = 'version: 1\ntimezone: Europe/Paris\njobs:\n  a: { kind: restic, schedule: "30 2 * * *" }\n';
    const f = run(text, Date.parse('2026-04-01T00:00:00Z')).findings;
    expect(f.map((x) => x.message.match(/on (\d{4}-\d\d-\d\d)/)![1])).toEqual(['2026-10-25', '2027-03-28']);
  });

  it('is quiet in UTC, outside the changing hours, for disabled jobs and invalid schedules', () => {
    const text = `version: 1
timezone: Europe/Paris
hosts: { u: { timezone: UTC } }
jobs:
  utc: { kind: restic, host: u, schedule: "30 2 * * *" }
  four: { kind: restic, schedule: "0 4 * * *" }
  six: { kind: restic, schedule: "0 */6 * * *" }
  off: { kind: restic, schedule: "30 2 * * *", enabled: false }
  bad: { kind: restic, schedule: "30 2 * * * *" }
  summer: { kind: restic, schedule: "30 2 * 6 *" }
`;
    expect(run(text).findings).toEqual([]);
  });
});

describe('dst-schedule: hourly schedules', () => {
  it('stays quiet for a schedule that runs every hour (one run per real hour either way)', () => {
    const text = 'version: 1\ntimezone: Europe/Paris\njobs:\n  j:\n    kind: zfs-snapshot\n    dataset: tank/a\n    schedule: "0 * * * *"\n';
    expect(checkText(text, { now: Date.UTC(2026, 10, 22), rules: [rule] }).findings).toEqual([]);
  });
});
