import { describe, expect, it } from 'vitest';
import { checkText } from '../../../engine/check';
import { rule } from '../../../engine/checks/expiry-gap';
import type { Fix } from '../../../engine/findings';

const NOW = Date.parse('2026-01-15T00:00:00Z');
const run = (text: string) => checkText(text, { rules: [rule], now: NOW });
const slice = (text: string, r: { start: number; end: number }) => text.slice(r.start, r.end);
const apply = (text: string, fix: Fix) =>
  [...fix.edits].sort((a, b) => b.range.start - a.range.start).reduce((t, e) => t.slice(0, e.range.start) + e.newText + t.slice(e.range.end), text);

const job = (name: string, kind: string, schedule: string, retention: string, extra = '') =>
  `  ${name}:\n    kind: ${kind}\n    schedule: "${schedule}"\n    retention: ${retention}\n${extra}`;

describe('expiry-gap', () => {
  it('warns on an inline expiry equal to the interval, with both numbers and a fix', () => {
    const text = `version: 1\njobs:\n${job('six', 'zfs-snapshot', '0 */6 * * *', '{ expiry: 6h }')}`;
    const [f, ...rest] = run(text).findings;
    expect(rest).toEqual([]);
    expect(slice(text, f.range)).toBe('6h');
    expect(f.severity).toBe('warning');
    expect(f.message).toBe(
      'expiry 6h is not longer than the longest interval between runs of job `six` (`0 */6 * * *`: 6h, from 2026-01-15 06:00 to 12:00 (UTC)): ' +
        'a snapshot has expired by the next run, so the first prune after that run keeps none of the older snapshots but what `min` keeps; make expiry longer than 6h, e.g. 12h, or run more often',
    );
    expect(f.fixes!.map((x) => [x.title, x.preferred ?? false])).toEqual([['Change expiry to `12h`', false]]);
    expect(run(apply(text, f.fixes![0])).findings).toEqual([]);
  });

  it('counts DST: 7h is enough in UTC but not in Europe/Paris, where October has a 7-hour interval', () => {
    const utc = `version: 1\njobs:\n${job('a', 'zfs-snapshot', '0 */6 * * *', '{ expiry: 7h }')}`;
    expect(run(utc).findings).toEqual([]);
    const paris = `version: 1\nhosts: { fr: { timezone: Europe/Paris } }\njobs:\n${job('a', 'zfs-snapshot', '0 */6 * * *', '{ expiry: 7h }', '    host: fr\n')}`;
    const [f] = run(paris).findings;
    expect(slice(paris, f.range)).toBe('7h');
    expect(f.message).toContain('(`0 */6 * * *`: 7h, from 2026-10-25 00:00 to 06:00 (Europe/Paris))');
  });

  it('says there is no snapshot at all under Incus expiry, and points into a policy used by one job', () => {
    const text = `version: 1\npolicies:\n  one: { expiry: 23h }\njobs:\n${job('incus', 'incus-snapshot', '0 3 * * *', 'one', '    instance: web\n')}`;
    const [f] = run(text).findings;
    expect(f.range.start).toBe(text.indexOf('23h'));
    expect(slice(text, f.range)).toBe('23h');
    expect(f.message).toBe(
      'expiry 23h (policy `one`) is shorter than the longest interval between runs of job `incus` (`0 3 * * *`: 1d, from 2026-01-15 03:00 to 2026-01-16 03:00 (UTC)): ' +
        'there are times with no snapshot at all; make expiry at least 1d, e.g. 2d, or run more often',
    );
    expect(f.related!.map((r) => [r.message, slice(text, r.range)])).toEqual([['used by job `incus`', 'one']]);
  });

  it("points at the job's `retention` when the policy is shared, naming the policy, without a fix", () => {
    const text = `version: 1
policies:
  shared: { expiry: 2d }
jobs:
${job('weekly', 'zfs-snapshot', '0 3 * * 0', 'shared')}${job('daily', 'zfs-snapshot', '0 3 * * *', 'shared')}`;
    const f = run(text).findings;
    expect(f).toHaveLength(1);
    expect(f[0].range.start).toBe(text.indexOf('retention: shared') + 'retention: '.length);
    expect(slice(text, f[0].range)).toBe('shared');
    expect(f[0].message).toMatch(/^expiry 2d \(policy `shared`\) is not longer than the longest interval between runs of job `weekly` \(`0 3 \* \* 0`: 7d, /);
    expect(f[0].message).toContain('make expiry longer than 7d, e.g. 2w, or run more often');
    expect(f[0].related!.map((r) => [r.message, slice(text, r.range)])).toEqual([['`expiry` of policy `shared`', '2d']]);
    expect(f[0].fixes).toBeUndefined();
  });

  it('compares calendar expiry interval by interval: 1mo is not longer than a 31-day month, 5w is', () => {
    const text = `version: 1\njobs:\n${job('m', 'zfs-snapshot', '0 0 1 * *', '{ expiry: 1mo }')}${job('ok', 'zfs-snapshot', '0 0 1 * *', '{ expiry: 5w }')}`;
    const [f, ...rest] = run(text).findings;
    expect(rest).toEqual([]);
    expect(slice(text, f.range)).toBe('1mo');
    expect(f.message).toContain('(`0 0 1 * *`: 31d, from 2026-03-01 00:00 to 2026-04-01 00:00 (UTC))');
  });

  it("uses Velero's 30-day default ttl when a Velero job names no expiry", () => {
    const text = 'version: 1\njobs:\n  v:\n    kind: velero\n    schedule: "0 0 1 */2 *"\n';
    const [f] = run(text).findings;
    expect(slice(text, f.range)).toBe('"0 0 1 */2 *"');
    expect(f.message).toBe(
      "Velero's default ttl (30d) is not longer than the longest interval between runs of `0 0 1 */2 *` (62d, from 2026-07-01 00:00 to 2026-09-01 00:00 (UTC)): " +
        'there are times with no snapshot at all; set `retention: { expiry: 18w }` or run more often',
    );
  });

  it('is quiet without expiry, for engines without expiry, for disabled jobs, unreadable values and a zero expiry (retention-invalid)', () => {
    const text = `version: 1
policies:
  tiers: { tiers: [{ keep: all, until: 1d }] }
jobs:
${job('a', 'zfs-snapshot', '0 0 * * 0', 'tiers')}${job('b', 'restic', '0 0 * * 0', '{ expiry: 1h }')}${job('c', 'zfs-snapshot', '0 0 * * 0', '{ expiry: 1h }', '    enabled: false\n')}${job('d', 'zfs-snapshot', '0 0 * * 0', '{ expiry: 1x }')}${job('e', 'zfs-snapshot', '0 0 * * 9', '{ expiry: 1h }')}${job('f', 'zfs-snapshot', '0 3 * * *', '{ expiry: 25h }')}${job('g', 'zfs-snapshot', '0 3 * * *', '{ expiry: 0d }')}`;
    expect(run(text).findings).toEqual([]);
  });
});
