import { describe, expect, it } from 'vitest';
import { checkText } from '../../../engine/check';
import { rule } from '../../../engine/checks/retention-too-short';

const NOW = Date.parse('2026-01-15T00:00:00Z');
const run = (text: string) => checkText(text, { rules: [rule], now: NOW });
const slice = (text: string, r: { start: number; end: number }) => text.slice(r.start, r.end);

describe('retention-too-short', () => {
  describe('(a) nothing held between a separate prune and the next run', () => {
    it('fires when a prune_schedule finds the newest copy outside every age window', () => {
      const text = `version: 1
jobs:
  a:
    kind: zfs-snapshot
    dataset: tank/a
    schedule: "30 2 * * *"
    prune_schedule: "0 12 * * *"
    retention: { keep: { within: 1h } }
`;
      const [f, ...rest] = run(text).findings;
      expect(rest).toEqual([]);
      expect(f.range.start).toBe(text.indexOf('retention'));
      expect(slice(text, f.range)).toBe('retention');
      expect(f.severity).toBe('warning');
      expect(f.message).toBe(
        'this retention keeps nothing older than `keep.within: 1h`, but job `a` prunes at `0 12 * * *` up to 9h 30min after a run ' +
          '(the 2026-01-15 12:00 prune, after the 2026-01-15 02:30 run, UTC): from that prune to the next run only `min` keeps the newest copy; ' +
          'prune right after each run (remove `prune_schedule`), or keep copies longer than 9h 30min',
      );
      expect(f.related!.map((r) => [r.message, slice(text, r.range)])).toEqual([['prune schedule', '"0 12 * * *"']]);
    });

    it('says borg removes every archive, and points at a named policy through the job', () => {
      const text = `version: 1
policies:
  short: { keep: { within: 2h } }
jobs:
  b: { kind: borg, paths: [/a], schedule: "30 2 * * *", prune_schedule: "0 12 * * *", retention: short }
`;
      const [f] = run(text).findings;
      expect(f.range.start).toBe(text.lastIndexOf('short'));
      expect(f.message).toMatch(/^policy `short` keeps nothing older than `keep.within: 2h`, .* from that prune to the next run borg removes every archive;/);
    });

    it('is quiet when pruning follows each run, with count rules, and for restic (within measured from the newest)', () => {
      const text = `version: 1
jobs:
  after-run: { kind: zfs-snapshot, dataset: d, schedule: "30 2 * * *", retention: { keep: { within: 1h } } }
  counts: { kind: zfs-snapshot, dataset: d, schedule: "30 2 * * *", prune_schedule: "0 12 * * *", retention: { keep: { last: 1, within: 1h } } }
  restic: { kind: restic, paths: [/a], schedule: "30 2 * * *", prune_schedule: "0 12 * * *", retention: { keep: { within: 2h } } }
  wide: { kind: zfs-snapshot, dataset: d, schedule: "30 2 * * *", prune_schedule: "0 12 * * *", retention: { tiers: [{ keep: all, until: 10h }] } }
`;
      expect(run(text).findings).toEqual([]);
    });
  });

  describe('(b) less history than the rpo', () => {
    it('estimates the history of count rules, windows, tiers and expiry', () => {
      const text = `version: 1
checks: { default_rpo: 2d }
jobs:
  last3: { kind: zfs-snapshot, dataset: d, schedule: "0 */6 * * *", retention: { keep: { last: 3 } }, rpo: 1d }
  daily: { kind: zfs-snapshot, dataset: d, schedule: "0 0 * * *", retention: { keep: { daily: 1 } } }
  incus: { kind: incus-snapshot, instance: w, schedule: "0 * * * *", retention: { expiry: 12h }, rpo: 1d }
  tiers: { kind: zfs-snapshot, dataset: d, schedule: "0 * * * *", retention: { tiers: [{ keep: all, until: 12h }] }, rpo: 1d }
`;
      const f = run(text).findings;
      expect(f.map((x) => [slice(text, x.range), x.message])).toEqual([
        [
          'retention',
          'this retention keeps at most 12h of history (`keep.last: 3` with runs up to 6h apart), less than the rpo 1d of job `last3`: keep restore points for at least the rpo (e.g. `keep.within: 1d` or more copies)',
        ],
        [
          'retention',
          "this retention keeps at most 1d 1h of history (`keep.daily: 1`), less than the plan's default rpo 2d of job `daily`: keep restore points for at least the rpo (e.g. `keep.within: 2d` or more copies)",
        ],
        ['retention', 'this retention keeps at most 12h of history (`expiry: 12h`), less than the rpo 1d of job `incus`: make the expiry at least 1d'],
        [
          'retention',
          "this retention keeps at most 12h of history (the last tier's `until: 12h`), less than the rpo 1d of job `tiers`: keep restore points for at least the rpo (e.g. `keep.within: 1d` or more copies)",
        ],
      ]);
      expect(f[0].related!.map((r) => [r.message, slice(text, r.range)])).toEqual([['rpo', '1d']]);
      expect(f[1].related!.map((r) => [r.message, slice(text, r.range)])).toEqual([['default rpo', '2d']]);
    });

    it("counts native `min` past the expiry: the runner keeps the min newest even once expired", () => {
      // 6-hourly runs, expiry 6h: each prune finds every older copy expired, but min: 5 keeps the
      // 5 newest, 24h of history (enough for the 1d rpo); min: 3 keeps 12h (not enough).
      const text = `version: 1
jobs:
  five: { kind: zfs-snapshot, dataset: d, schedule: "0 */6 * * *", retention: { expiry: 6h, min: 5 }, rpo: 1d }
  three: { kind: zfs-snapshot, dataset: d, schedule: "0 */6 * * *", retention: { expiry: 6h, min: 3 }, rpo: 1d }
`;
      const f = run(text).findings;
      expect(f.map((x) => x.message)).toEqual([
        'this retention keeps at most 12h of history (`min: 3` with runs up to 6h apart), less than the rpo 1d of job `three`: keep restore points for at least the rpo (e.g. `keep.within: 1d` or more copies)',
      ]);
    });

    it('is quiet when the policy reaches back far enough, keeps forever, or cannot be read', () => {
      const text = `version: 1
jobs:
  last5: { kind: zfs-snapshot, dataset: d, schedule: "0 */6 * * *", retention: { keep: { last: 5 } }, rpo: 1d }
  forever: { kind: zfs-snapshot, dataset: d, schedule: "0 * * * *", retention: { tiers: [{ keep: all, until: 12h }, { every: 1d }] }, rpo: 1d }
  all: { kind: zfs-snapshot, dataset: d, schedule: "0 * * * *", retention: { keep: { last: all } }, rpo: 1d }
  within: { kind: restic, paths: [/a], schedule: "0 * * * *", retention: { keep: { within: 2d } }, rpo: 1d }
  none: { kind: zfs-snapshot, dataset: d, schedule: "0 * * * *", retention: {}, rpo: 1d }
  unsupported: { kind: restic, paths: [/a], schedule: "0 * * * *", retention: { expiry: 1h }, rpo: 1d }
  no-rpo: { kind: zfs-snapshot, dataset: d, schedule: "0 */6 * * *", retention: { keep: { last: 1 } } }
  off: { kind: zfs-snapshot, dataset: d, schedule: "0 */6 * * *", retention: { keep: { last: 1 } }, rpo: 1d, enabled: false }
`;
      expect(run(text).findings).toEqual([]);
    });
  });
});
