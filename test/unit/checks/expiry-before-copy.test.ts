import { describe, expect, it } from 'vitest';
import { checkText } from '../../../engine/check';
import { rule } from '../../../engine/checks/expiry-before-copy';

const NOW = Date.parse('2026-01-15T00:00:00Z');
const run = (text: string) => checkText(text, { rules: [rule], now: NOW });
const slice = (text: string, r: { start: number; end: number }) => text.slice(r.start, r.end);

describe('expiry-before-copy', () => {
  it('fires on the copy schedule when snapshots expire before the next copy run, with the numbers', () => {
    const text = `version: 1
jobs:
  snaps: { kind: incus-snapshot, instance: web, schedule: "0 * * * *", retention: { expiry: 6h } }
  daily-copy: { kind: incus-copy, from: snaps, instance: web, schedule: "30 2 * * *" }
  often-copy: { kind: incus-copy, from: snaps, instance: web, schedule: "30 */4 * * *" }
`;
    const [f, ...rest] = run(text).findings;
    expect(rest).toEqual([]);
    expect(f.range.start).toBe(text.indexOf('"30 2 * * *"'));
    expect(slice(text, f.range)).toBe('"30 2 * * *"');
    expect(f.severity).toBe('error');
    expect(f.message).toBe(
      'snapshots of `snaps` expire 6h after they are taken (Incus snapshots.expiry), but job `daily-copy` (`30 2 * * *`) can run 23h 30min after one: ' +
        'the 2026-01-15 03:00 snapshot is gone before the 2026-01-16 02:30 run (UTC) can copy it; run `daily-copy` more often, or make the expiry of `snaps` longer than 23h 30min',
    );
    expect(f.related!.map((r) => [r.message, slice(text, r.range)])).toEqual([['expiry of `snaps`', '6h']]);
  });

  it("lets Backplan's pruner keep the newest snapshot (min), which Incus expiry does not", () => {
    const text = `version: 1
jobs:
  zfs-daily: { kind: zfs-snapshot, dataset: d, schedule: "0 0 * * *", retention: { expiry: 12h } }
  zfs-copy: { kind: zfs-send, from: zfs-daily, dataset: e, schedule: "0 18 * * *" }
  incus-daily: { kind: incus-snapshot, instance: w, schedule: "0 0 * * *", retention: { expiry: 12h } }
  incus-copy: { kind: incus-copy, from: incus-daily, instance: w, schedule: "0 18 * * *" }
  zfs6: { kind: zfs-snapshot, dataset: d, schedule: "0 */6 * * *", retention: { expiry: 1d } }
  weekly: { kind: restic, from: zfs6, paths: [/a], schedule: "0 3 * * 0" }
`;
    const f = run(text).findings;
    expect(f.map((x) => slice(text, x.range))).toEqual(['"0 18 * * *"', '"0 3 * * 0"']);
    expect(f[0].range.start).toBe(text.lastIndexOf('"0 18 * * *"'));
    expect(f[0].message).toContain('the 2026-01-16 00:00 snapshot is gone before the 2026-01-16 18:00 run (UTC)');
    expect(f[1].message).toMatch(/^snapshots of `zfs6` expire 1d after they are taken \(Backplan's pruner removes them at its first prune after that, once newer ones exist\), but job `weekly` \(`0 3 \* \* 0`\) can run 6d 21h after one/);
  });

  // Daily snapshots at 00:00, a weekly copy on Sundays at 18:00: after a copy the Monday 00:00
  // snapshot is the oldest one waiting, 6d 18h, and its 6d12h expiry falls on Sunday 12:00.
  it("lets a native snapshot past its expiry wait for the source's next prune, which Incus does not", () => {
    const text = `version: 1
jobs:
  zfs-daily: { kind: zfs-snapshot, dataset: d, schedule: "0 0 * * *", retention: { expiry: 6d12h } }
  zfs-weekly: { kind: zfs-send, from: zfs-daily, dataset: e, schedule: "0 18 * * 0" }
  incus-daily: { kind: incus-snapshot, instance: w, schedule: "0 0 * * *", retention: { expiry: 6d12h } }
  incus-weekly: { kind: incus-copy, from: incus-daily, instance: w, schedule: "0 18 * * 0" }
`;
    // Native: nothing prunes zfs-daily between Sunday 12:00 and its Monday 00:00 run, so the
    // 18:00 send still finds the snapshot. Incus deletes it at 12:00.
    const [f, ...rest] = run(text).findings;
    expect(rest).toEqual([]);
    expect(f.range.start).toBe(text.lastIndexOf('"0 18 * * 0"'));
    expect(f.message).toContain('the 2026-01-19 00:00 snapshot is gone before the 2026-01-25 18:00 run (UTC)');
  });

  it("counts a native source's prune_schedule: a prune between the expiry and the copy removes the snapshot", () => {
    const text = `version: 1
jobs:
  zfs-daily: { kind: zfs-snapshot, dataset: d, schedule: "0 0 * * *", prune_schedule: "0 13 * * *", retention: { expiry: 6d12h } }
  zfs-weekly: { kind: zfs-send, from: zfs-daily, dataset: e, schedule: "0 18 * * 0" }
  late: { kind: zfs-snapshot, dataset: d, schedule: "0 0 * * *", prune_schedule: "0 20 * * *", retention: { expiry: 6d12h } }
  late-weekly: { kind: zfs-send, from: late, dataset: e, schedule: "0 18 * * 0" }
`;
    // zfs-daily prunes at 13:00: Sunday 13:00 is past the 12:00 deadline and before the 18:00
    // send. `late` prunes at 20:00, after the send.
    const [f, ...rest] = run(text).findings;
    expect(rest).toEqual([]);
    expect(f.range.start).toBe(text.indexOf('"0 18 * * 0"'));
    expect(f.message).toContain("(Backplan's pruner removes them at its first prune after that, once newer ones exist)");
    expect(f.message).toContain('job `zfs-weekly` (`0 18 * * 0`) can run 6d 18h after one: the 2026-01-19 00:00 snapshot is gone before the 2026-01-25 18:00 run (UTC)');
  });

  it('counts a snapshot of the same minute only when the copy runs `after` its source', () => {
    const text = `version: 1
jobs:
  hourly: { kind: incus-snapshot, instance: h, schedule: "0 * * * *", retention: { expiry: 1h } }
  same: { kind: incus-copy, from: hourly, instance: h, schedule: "0 * * * *", after: [hourly] }
  racing: { kind: incus-copy, from: hourly, instance: h, schedule: "0 * * * *" }
`;
    const [f, ...rest] = run(text).findings;
    expect(rest).toEqual([]);
    expect(f.range.start).toBe(text.lastIndexOf('"0 * * * *"'));
    expect(f.message).toContain('job `racing` (`0 * * * *`) can run 1h after one');
  });

  it('is quiet without expiry, for disabled jobs, unknown sources and engines without expiry', () => {
    const text = `version: 1
jobs:
  src: { kind: zfs-snapshot, dataset: d, schedule: "0 * * * *", retention: { tiers: [{ keep: all, until: 1d }] } }
  a: { kind: zfs-send, from: src, dataset: e, schedule: "0 3 * * 0" }
  exp: { kind: incus-snapshot, instance: w, schedule: "0 * * * *", retention: { expiry: 2h }, enabled: false }
  b: { kind: incus-copy, from: exp, instance: w, schedule: "0 3 * * 0" }
  c: { kind: incus-copy, from: nowhere, instance: w, schedule: "0 3 * * 0" }
  r: { kind: restic, paths: [/a], schedule: "0 * * * *", retention: { expiry: 1h } }
  d: { kind: rsync, from: r, paths: [/a], schedule: "0 3 * * 0" }
`;
    expect(run(text).findings).toEqual([]);
  });
});
