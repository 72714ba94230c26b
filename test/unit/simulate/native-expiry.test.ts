// When an expired snapshot disappears depends on who removes it (simulate.ts header): Backplan's
// own pruner (native) removes it at the first prune after its deadline, never between prunes;
// Incus and Velero delete it themselves at the deadline. Counts below are derived in the comments.
//
// All cases: daily runs at 00:00 UTC from Jan 1 2025, `expiry: 3d12h`, so the snapshot of day k
// (S_k) has its deadline on day k+3 at 12:00, half-way between two runs.
import { describe, expect, it } from 'vitest';
import { simulate, type SimulateInput } from '../../../engine/simulate/simulate';
import { simulateJob } from '../../../engine/simulate/simulate-job';
import { incusEngine, nativeEngine } from '../../../engine/retention/index';
import { buildModel, buildPolicy } from '../../../engine/plan/build-model';
import { parseSchedule } from '../../../engine/time/schedule';

const H = 3_600_000;
const day = (d: number, h = 0): number => Date.UTC(2025, 0, d, h);
const from = day(1);
const fireList = (expr: string, at: number): number[] => {
  const r = parseSchedule(expr, 'UTC');
  if (!r.ok) throw new Error(r.message);
  return r.schedule.fires(from - 1, at);
};
const policy = buildPolicy({ expiry: '3d12h' }, ['policies', 'p'], 'p');
const daily = fireList('0 0 * * *', day(20));
const held = (input: Omit<SimulateInput, 'from' | 'fires' | 'policy' | 'timezone'>) =>
  simulate({ fires: daily, policy, timezone: 'UTC', from, ...input });
const times = (r: ReturnType<typeof simulate>): number[] => r.snapshots.map((s) => s.time).reverse();

describe('native expiry: removed at the first prune after the deadline', () => {
  // The prune of day m removes S_k once k+3 12:00 ≤ m 00:00, i.e. k ≤ m−4: right after it,
  // S_{m−3} … S_m are held (4). S_{m−3}'s deadline (day m 12:00) then passes between runs.
  it('holds a snapshot past its deadline until the next run, and drops it there', () => {
    // Jan 10 23:00, one hour before the next run: S_7's deadline (Jan 10 12:00) passed 11 h ago,
    // but nothing has pruned since Jan 10 00:00, which removed S_1 … S_6.
    const before = held({ engine: nativeEngine, at: day(10, 23) });
    expect(times(before)).toEqual([day(7), day(8), day(9), day(10)]);
    expect(before.stats).toMatchObject({ count: 4, created: 10, removed: 6, expired: 6, minCount: 1, maxCount: 4 });
    // Right after the Jan 11 run its prune removes S_7 (and S_11 arrives): S_8 … S_11.
    const after = held({ engine: nativeEngine, at: day(11) });
    expect(times(after)).toEqual([day(8), day(9), day(10), day(11)]);
    expect(after.stats).toMatchObject({ count: 4, created: 11, removed: 7, expired: 7 });
  });

  it('simulateJob of a btrfs-snapshot job holds the same (the path the CLI takes)', () => {
    const plan = buildModel({
      version: 1,
      timezone: 'UTC',
      jobs: { snaps: { kind: 'btrfs-snapshot', schedule: '0 0 * * *', source: '/data', retention: { expiry: '3d12h' } } },
    });
    const r = simulateJob(plan, 'snaps', { from, at: day(10, 23) });
    expect(r.engine).toBe('native');
    expect(r.snapshots.map((s) => s.time)).toEqual(['2025-01-10T00:00:00+00:00', '2025-01-09T00:00:00+00:00', '2025-01-08T00:00:00+00:00', '2025-01-07T00:00:00+00:00']);
  });

  it('the incremental tiers path waits for the prune too', () => {
    // A tier that keeps everything for 10d: only the expiry removes anything.
    const tiers = buildPolicy({ tiers: [{ keep: 'all', until: '10d' }], expiry: '3d12h' }, ['policies', 't'], 't');
    const input = { fires: daily, policy: tiers, timezone: 'UTC', from, engine: nativeEngine, at: day(10, 23) };
    const fast = simulate(input);
    expect(fast.strategy).toBe('incremental');
    expect(times(fast)).toEqual([day(7), day(8), day(9), day(10)]);
    expect(fast.stats.expired).toBe(6);
    expect(simulate({ ...input, strategy: 'generic' }).snapshots).toEqual(fast.snapshots);
  });
});

describe('a copy of a native source with expiry', () => {
  // An incus-snapshot source with keep + expiry is pruned by Backplan (native); its standby is
  // mirrored daily at 18:00 (`copy --refresh`: the standby holds what the source holds then).
  const plan = buildModel({
    version: 1,
    timezone: 'UTC',
    hosts: { primary: { address: '192.0.2.1' } },
    jobs: {
      src: { kind: 'incus-snapshot', host: 'primary', instance: 'web', schedule: '0 0 * * *', retention: { keep: { last: 10 }, expiry: '3d12h' } },
      standby: { kind: 'incus-copy', from: 'src', remote: 'standby', schedule: '0 18 * * *', retention: { keep: { last: 10 } } },
    },
  });

  it('finds the snapshot past its deadline at the 18:00 mirror and copies it', () => {
    // Jan 10 18:00: S_7 (deadline Jan 10 12:00) is still on the source, so the mirror takes it.
    const copy = simulateJob(plan, 'standby', { from, at: day(10, 18) });
    expect(copy.snapshots.map((s) => s.time)).toEqual(['2025-01-10T00:00:00+00:00', '2025-01-09T00:00:00+00:00', '2025-01-08T00:00:00+00:00', '2025-01-07T00:00:00+00:00']);
    // Jan 11 18:00: the source's Jan 11 prune removed S_7; the mirror deletes it too.
    expect(simulateJob(plan, 'standby', { from, at: day(11, 18) }).snapshots.at(-1)!.time).toBe('2025-01-08T00:00:00+00:00');
  });
});

describe('Incus expiry: removed at the deadline, between runs too', () => {
  it('drops S_7 at Jan 10 12:00, twelve hours before the next run', () => {
    // Incus's deadline of S_k is AddDate(k, 3 days) + 12h = day k+3 12:00, as native's here.
    const justBefore = held({ engine: incusEngine, at: day(10, 12) - 1 });
    expect(times(justBefore)).toEqual([day(7), day(8), day(9), day(10)]);
    const r = held({ engine: incusEngine, at: day(10, 23) });
    expect(times(r)).toEqual([day(8), day(9), day(10)]);
    expect(r.stats).toMatchObject({ count: 3, removed: 7, expired: 7 });
  });
});

describe('native expiry with a separate prune_schedule', () => {
  // Runs at 00:00, prunes at 06:00. The prune of day m at 06:00 removes S_k once
  // k+3 12:00 ≤ m 06:00, i.e. k ≤ m−4. After it: S_{m−3} … S_m.
  const pruneAt = fireList('0 6 * * *', day(20));

  it('waits for the prune schedule, not for the next run', () => {
    // Jan 10 18:00: S_7's deadline passed at 12:00; the last prune (Jan 10 06:00) kept it.
    expect(times(held({ engine: nativeEngine, pruneAt, at: day(10, 18) }))).toEqual([day(7), day(8), day(9), day(10)]);
    // Jan 11 00:00: the run adds S_11, nothing prunes: 5 held, S_7 still there.
    const run = held({ engine: nativeEngine, pruneAt, at: day(11) });
    expect(times(run)).toEqual([day(7), day(8), day(9), day(10), day(11)]);
    // Jan 11 06:00: the prune removes S_7.
    const pruned = held({ engine: nativeEngine, pruneAt, at: day(11, 6) });
    expect(times(pruned)).toEqual([day(8), day(9), day(10), day(11)]);
    expect(pruned.stats).toMatchObject({ removed: 7, expired: 7, maxCount: 5 });
  });

  it('a job simulated through its plan does the same', () => {
    const plan = buildModel({
      version: 1,
      timezone: 'UTC',
      jobs: {
        snaps: { kind: 'btrfs-snapshot', schedule: '0 0 * * *', prune_schedule: '0 6 * * *', source: '/data', retention: { expiry: '3d12h' } },
      },
    });
    expect(simulateJob(plan, 'snaps', { from, at: day(11) }).stats.count).toBe(5);
    expect(simulateJob(plan, 'snaps', { from, at: day(11, 6) }).stats.count).toBe(4);
    expect(simulateJob(plan, 'snaps', { from, at: day(11, 6) - H }).stats.count).toBe(5);
  });
});

describe('a replication base past its expiry', () => {
  // Hourly btrfs snapshots with `expiry: 3h`, sent once a day at 02:30. The source's prunes keep
  // the snapshot last sent (SPEC §8.4) whatever its age; when the next send moves the base on,
  // nothing prunes the source until its next run.
  const plan = buildModel({
    version: 1,
    timezone: 'UTC',
    hosts: { primary: { address: '192.0.2.1' }, standby: { address: '192.0.2.2' } },
    storage: { spare: { type: 'local', host: 'standby', path: '/srv/spare' } },
    jobs: {
      src: { kind: 'btrfs-snapshot', host: 'primary', subvolume: '/data', snapshot_dir: '/snaps', schedule: '0 * * * *', retention: { expiry: '3h' } },
      copy: { kind: 'btrfs-send', from: 'src', to: 'spare', schedule: '30 2 * * *', retention: { keep: { last: 5 } } },
    },
  });
  const at = (h: number, m = 0) => simulateJob(plan, 'src', { from, at: from + h * H + m * 60_000 }).snapshots.map((s) => s.time);

  it('stays on the source after the send that replaced it, until the next prune', () => {
    // Jan 2 02:00 prune: 00:00, 01:00, 02:00 are younger than 3h, and Jan 1 02:00 is the base.
    // The 02:30 send moves the base to Jan 2 02:00; at 02:45 Jan 1 02:00 is still there.
    expect(at(26, 45)).toEqual(['2025-01-02T02:00:00+00:00', '2025-01-02T01:00:00+00:00', '2025-01-02T00:00:00+00:00', '2025-01-01T02:00:00+00:00']);
    // The 03:00 prune removes it (and 00:00, which reaches its deadline then).
    expect(at(27)).toEqual(['2025-01-02T03:00:00+00:00', '2025-01-02T02:00:00+00:00', '2025-01-02T01:00:00+00:00']);
  });
});
