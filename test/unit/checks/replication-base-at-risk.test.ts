import { describe, expect, it } from 'vitest';
import { checkText } from '../../../engine/check';
import { rule } from '../../../engine/checks/replication-base-at-risk';

const NOW = Date.parse('2026-01-15T00:00:00Z');
const run = (text: string) => checkText(text, { rules: [rule], now: NOW });
const slice = (text: string, r: { start: number; end: number }) => text.slice(r.start, r.end);

describe('replication-base-at-risk', () => {
  it('fires on the source expiry when Incus can delete the last sent snapshot before the next send', () => {
    const text = `version: 1
jobs:
  snaps: { kind: incus-snapshot, instance: web, schedule: "0 */6 * * *", retention: { expiry: 1d } }
  copy: { kind: incus-copy, from: snaps, instance: web, schedule: "30 2 * * *" }
`;
    const [f, ...rest] = run(text).findings;
    expect(rest).toEqual([]);
    expect(f.range.start).toBe(text.indexOf('1d }'));
    expect(slice(text, f.range)).toBe('1d');
    expect(f.severity).toBe('error');
    expect(f.message).toBe(
      'Incus snapshots.expiry deletes the snapshots of `snaps` 1d after they are taken, without regard for replication, but job `copy` (`30 2 * * *`) ' +
        'needs its last sent snapshot for 1d 2h 30min: the 2026-01-16 00:00 snapshot, sent at 2026-01-16 02:30, is gone before the next send at 2026-01-17 02:30 (UTC), ' +
        'which then has no common base and must copy everything again; make the expiry longer than 1d 2h 30min, or send more often',
    );
    expect(f.related!.map((r) => [r.message, slice(text, r.range)])).toEqual([['schedule of `copy`', '"30 2 * * *"']]);
  });

  it("points at the source's `retention` when its expiry policy is shared", () => {
    const text = `version: 1
policies:
  day: { expiry: 1d }
jobs:
  snaps: { kind: incus-snapshot, instance: web, schedule: "0 */6 * * *", retention: day }
  other: { kind: incus-snapshot, instance: db, schedule: "0 */6 * * *", retention: day }
  copy: { kind: incus-copy, from: snaps, instance: web, schedule: "30 2 * * *", after: [snaps] }
`;
    const [f, ...rest] = run(text).findings;
    expect(rest).toEqual([]);
    expect(f.range.start).toBe(text.indexOf('retention: day') + 'retention: '.length);
    expect(f.related!.map((r) => [r.message, slice(text, r.range)])).toEqual([
      ['schedule of `copy`', '"30 2 * * *"'],
      ['`expiry` of policy `day`', '1d'],
    ]);
  });

  it("stays quiet for sources Backplan prunes itself (the runner keeps the base), and for long enough expiry", () => {
    const text = `version: 1
jobs:
  zfs: { kind: zfs-snapshot, dataset: d, schedule: "0 * * * *", retention: { keep: { last: 1 }, expiry: 1h } }
  send: { kind: zfs-send, from: zfs, dataset: e, schedule: "30 2 * * 0" }
  long: { kind: incus-snapshot, instance: db, schedule: "0 */6 * * *", retention: { expiry: 2d } }
  copy: { kind: incus-copy, from: long, instance: db, schedule: "30 2 * * *" }
  restic: { kind: restic, from: long, paths: [/a], schedule: "0 3 * * 0" }
  off: { kind: incus-copy, from: long, instance: db, schedule: "30 2 * * 0", enabled: false }
`;
    expect(run(text).findings).toEqual([]);
  });
});
