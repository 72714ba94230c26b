import { describe, expect, it } from 'vitest';
import { checkText } from '../../../engine/check';
import { rule } from '../../../engine/checks/retention-unsupported';

const run = (text: string) => checkText(text, { rules: [rule], now: Date.parse('2026-01-15T00:00:00Z') });
const slice = (text: string, r: { start: number; end: number }) => text.slice(r.start, r.end);

describe('retention-unsupported', () => {
  it('reports each form of an inline policy on its key, naming the job and the engine', () => {
    const text = `version: 1
jobs:
  files:
    kind: restic
    paths: [/srv]
    retention:
      keep: { within_hourly: 90min, daily: 7 }
      tiers: [{ keep: all, until: 1d }]
`;
    const f = run(text).findings;
    expect(f.map((x) => [slice(text, x.range), x.range.start, x.severity, x.message])).toEqual([
      [
        'within_hourly',
        text.indexOf('within_hourly'),
        'error',
        'job `files` (kind `restic`): restic durations have no minutes (units y, m, d, h): write `keep.within_hourly` in whole hours',
      ],
      [
        'tiers',
        text.indexOf('tiers'),
        'error',
        'job `files` (kind `restic`): restic forget has no age bands (`tiers`): express the policy with `keep` counts and `within*` durations',
      ],
    ]);
  });

  it('points into a named policy when every job using it fails, once per engine, with the jobs as related', () => {
    const text = `version: 1
policies:
  monthly: { expiry: 30d }
jobs:
  a: { kind: restic, paths: [/a], retention: monthly }
  c: { kind: restic, paths: [/c], retention: monthly }
  b: { kind: borg, paths: [/b], retention: monthly }
`;
    const f = run(text).findings;
    expect(f.map((x) => [slice(text, x.range), x.range.start])).toEqual([
      ['expiry', text.indexOf('expiry')],
      ['expiry', text.indexOf('expiry')],
    ]);
    expect(f.map((x) => x.message).sort()).toEqual([
      'policy `monthly` is used by job `b` (kind `borg`): borg prune has no per-archive expiry; use `keep: {within: ...}`',
      'policy `monthly` is used by jobs `a` (kind `restic`), `c` (kind `restic`): restic has no per-snapshot expiry: use `keep.within` (kept while newer than the newest snapshot minus the duration)',
    ]);
    const restic = f.find((x) => x.message.includes('restic'))!;
    expect(restic.related!.map((r) => [r.message, r.range.start])).toEqual([
      ['used by job `a`', text.indexOf('monthly }')],
      ['used by job `c`', text.indexOf('monthly }', text.indexOf('monthly }') + 1)],
    ]);
  });

  it("points at the job's `retention` when other jobs use the policy fine", () => {
    const text = `version: 1
policies:
  minet: { tiers: [{ keep: all, until: 15d }, { every: 1mo }] }
jobs:
  snaps: { kind: zfs-snapshot, dataset: tank/a, retention: minet }
  files: { kind: restic, paths: [/a], retention: minet }
`;
    const [f, ...rest] = run(text).findings;
    expect(rest).toEqual([]);
    expect(f.range.start).toBe(text.lastIndexOf('minet'));
    expect(f.message).toBe(
      'job `files` (kind `restic`) cannot use policy `minet` as written: restic forget has no age bands (`tiers`): express the policy with `keep` counts and `within*` durations; give it a policy of its own (`snaps` uses `minet` as is)',
    );
    expect(f.related!.map((r) => [r.message, slice(text, r.range)])).toEqual([['in policy `minet`', 'tiers']]);
  });

  it('points at the value for a Velero expiry in months or a tier bucket the native pruner cannot make', () => {
    const text = `version: 1
jobs:
  vel: { kind: velero, retention: { expiry: 1mo } }
  snap: { kind: zfs-snapshot, dataset: d, retention: { tiers: [{ every: 1d12h, until: 1w }] } }
  borg: { kind: borg, paths: [/a], retention: { min: 2 } }
`;
    const f = run(text).findings;
    expect(f.map((x) => slice(text, x.range))).toEqual(['1mo', '1d12h', 'retention']);
    expect(f[0].message).toContain('a Velero ttl is a Go duration in hours');
    expect(f[2].message).toContain('borg prune needs at least one rule');
  });

  it('is quiet when each engine can express its policy', () => {
    const text = `version: 1
policies:
  minet: { tiers: [{ keep: all, until: 15d }, { every: 1d, until: 1mo }, { every: 1mo }] }
  gfs: { keep: { last: 3, daily: 7, weekly: 4, monthly: 12 } }
jobs:
  snaps: { kind: zfs-snapshot, dataset: tank/a, retention: minet }
  files: { kind: restic, paths: [/a], retention: gfs }
  dump: { kind: vzdump, vmid: 100, retention: gfs }
  incus: { kind: incus-snapshot, instance: web, retention: { expiry: 7d } }
  incus-tiers: { kind: incus-snapshot, instance: web, retention: minet }
  vel: { kind: velero, retention: { expiry: 30d } }
  none: { kind: restic, paths: [/a] }
  unknown: { kind: restic, paths: [/a], retention: nope }
`;
    expect(run(text).findings).toEqual([]);
  });

  it('reports a pruner tool named on a kind it does not prune, and is quiet where it does', () => {
    const text = `version: 1
jobs:
  snaps: { kind: zfs-snapshot, dataset: tank/a, pruner: sanoid, retention: { keep: { daily: 7 } } }
  back: { kind: zfs-send, from: snaps, dataset: tank/b, pruner: sanoid, retention: { keep: { daily: 7 } } }
  bsnaps: { kind: btrfs-snapshot, path: /srv, pruner: sanoid, retention: { keep: { daily: 7 } } }
`;
    const f = run(text).findings;
    expect(f.map((x) => [slice(text, x.range), x.range.start, x.severity])).toEqual([
      ['sanoid', text.indexOf('sanoid', text.indexOf('bsnaps:')), 'error'],
    ]);
    expect(f[0].message).toBe(
      'job `bsnaps` (kind `btrfs-snapshot`): `pruner: sanoid` prunes only `zfs-snapshot`, `zfs-send` jobs in ' +
        "Backplan; this job's copies would be pruned by Backplan's own rules, not sanoid's: remove `pruner`",
    );
  });

  it('a zfs-send and its source are pruned by sanoid together, and the target keeps only types it receives', () => {
    const text = `version: 1
jobs:
  snaps: { kind: zfs-snapshot, dataset: tank/a, pruner: sanoid, retention: { keep: { hourly: 4, daily: 7 } } }
  own: { kind: zfs-send, from: snaps, dataset: tank/c, pruner: backplan, retention: { keep: { daily: 7 } } }
  back: { kind: zfs-send, from: snaps, dataset: tank/b, pruner: sanoid, retention: { keep: { daily: 9, weekly: 4 } } }
  plain: { kind: zfs-snapshot, dataset: tank/p, retention: { keep: { daily: 7 } } }
  typed: { kind: zfs-send, from: plain, dataset: tank/t, pruner: sanoid, retention: { keep: { daily: 7 } } }
`;
    const f = run(text).findings;
    expect(f.map((x) => slice(text, x.range))).toEqual(['backplan', 'weekly', 'sanoid']);
    expect(f[0].message).toMatch(/its source `snaps` is pruned by sanoid.*add `pruner: sanoid`/);
    expect(f[1].message).toBe(
      'job `back` keeps `weekly: 4` but receives no weekly snapshot: sanoid on `snaps` takes only the types it ' +
        'keeps (weekly: 0 there); give `snaps` `weekly: 1` or more',
    );
    expect(f[2].message).toMatch(/`plain` names its own Backplan's way: sanoid would never prune this target/);
  });

  it("says nothing of the types a sanoid source takes while the source's policy is unknown", () => {
    const text = `version: 1
jobs:
  snaps: { kind: zfs-snapshot, dataset: tank/a, pruner: sanoid, retention: nope }
  back: { kind: zfs-send, from: snaps, dataset: tank/b, pruner: sanoid, retention: { keep: { daily: 9, weekly: 4 } } }
`;
    expect(run(text).findings).toEqual([]);
  });

});
