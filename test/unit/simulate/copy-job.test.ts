// Copy jobs (incus-copy, zfs-send, btrfs-send with `from`): their simulated history is derived
// from the source job's, as the drivers replicate it (engine/simulate/copy-job.ts).
import { describe, expect, it } from 'vitest';
import { buildModel } from '../../../engine/plan/build-model';
import { simulateJob, simulatePlan } from '../../../engine/simulate/simulate-job';
import { ruleIdOfReason } from '../../../engine/simulate/rules';

const H = 3_600_000;
const from = Date.UTC(2025, 2, 3); // a Monday, 00:00 UTC
const utc = (h: number, m = 0): string => new Date(from + h * H + m * 60_000).toISOString().replace('.000Z', '+00:00');

function plan(jobs: Record<string, unknown>) {
  return buildModel({
    version: 1,
    timezone: 'UTC',
    hosts: { primary: { address: '192.0.2.1' }, standby: { address: '192.0.2.2' } },
    storage: { spare: { type: 'local', host: 'standby', path: '/srv/spare' } },
    jobs,
  });
}

describe('incus-copy with refresh (the standby mirrors the source)', () => {
  const p = plan({
    src: { kind: 'incus-snapshot', host: 'primary', instance: 'web', schedule: '0 * * * *', retention: { keep: { last: 3 } } },
    copy: { kind: 'incus-copy', from: 'src', remote: 'standby', schedule: '0 * * * *', retention: { keep: { last: 10 } } },
  });

  it('holds what the source holds, not its own history: 3 after 8 hourly runs, not 8', () => {
    const r = simulateJob(p, 'copy', { from, at: from + 7 * H });
    expect(r.stats.count).toBe(3);
    expect(r.snapshots.map((s) => s.time)).toEqual([utc(7), utc(6), utc(5)]);
    expect(r.stats.maxCount).toBe(3);
    // Each run copies the new snapshot and deletes the one the source pruned.
    expect(r.stats.created).toBe(8);
    expect(r.stats.removed).toBe(5);
    expect(r.snapshots[0].reasons).toContain('replication base shared with src: never removed');
    expect(r.snapshots[2].reasons).toEqual(['last snapshot']);
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
  });

  it('copies back what the standby pruned while the source still has it, then prunes again', () => {
    // Source keeps 6, the standby 2, copies at 00:30, 04:30, 08:30: the standby holds the 2
    // newest after each copy.
    const q = plan({
      src: { kind: 'incus-snapshot', host: 'primary', instance: 'web', schedule: '0 * * * *', retention: { keep: { last: 6 } } },
      copy: { kind: 'incus-copy', from: 'src', remote: 'standby', schedule: '30 */4 * * *', retention: { keep: { last: 2 } } },
    });
    const r = simulateJob(q, 'copy', { from, at: from + 9 * H });
    expect(r.snapshots.map((s) => s.time)).toEqual([utc(8), utc(7)]);
    // 00:30 gets 0; 04:30 gets 1 2 3 4 (0 is there), keeps 3 4; 08:30 gets 5 6 7 8 (the
    // source has 3 … 8), deletes none (3 4 are still on the source), then keeps 7 8.
    expect(r.stats.created).toBe(9);
    expect(r.stats.removed).toBe(7);
    expect(r.stats.prunes).toBe(3);
  });

  it('a daily copy sees the source as it is then, with the base the source kept for it', () => {
    // The copy at 02:30 daily mirrors the 3 newest hourly snapshots, and yesterday's 02:00: the
    // source's prune kept it all day as the replication base shared with the standby.
    const q = plan({
      src: { kind: 'incus-snapshot', host: 'primary', instance: 'web', schedule: '0 * * * *', retention: { keep: { last: 3 } } },
      copy: { kind: 'incus-copy', from: 'src', remote: 'standby', schedule: '30 2 * * *', retention: { keep: { last: 10 } } },
    });
    const r = simulateJob(q, 'copy', { from, at: from + 30 * H });
    expect(r.snapshots.map((s) => s.time)).toEqual([utc(26), utc(25), utc(24), utc(2)]);
    expect(r.snapshots.every((s) => s.reasons.length > 0)).toBe(true);
  });

  it('refuses refresh: false with a reason (one copy into a new instance without snapshots)', () => {
    const q = plan({
      src: { kind: 'incus-snapshot', host: 'primary', instance: 'web', schedule: '0 * * * *', retention: { keep: { last: 3 } } },
      copy: { kind: 'incus-copy', from: 'src', remote: 'standby', refresh: false, schedule: '0 * * * *', retention: { keep: { last: 10 } } },
    });
    expect(() => simulateJob(q, 'copy', { from, at: from + 7 * H })).toThrow(/refresh: false.*no snapshot history/);
    const all = simulatePlan(q, { from, at: from + 7 * H });
    expect(all.skipped).toEqual([{ job: 'copy', reason: expect.stringMatching(/^job `copy`: `refresh: false`/) }]);
    expect(all.jobs.map((j) => j.job)).toEqual(['src']);
  });
});

describe('zfs-send / btrfs-send (the newest source snapshot, incrementally)', () => {
  const jobs = (kind: 'zfs' | 'btrfs', copySchedule: string, srcKeep: number, copyKeep: number) =>
    plan({
      src: { kind: `${kind}-snapshot`, host: 'primary', ...(kind === 'zfs' ? { dataset: 'tank/data' } : { subvolume: '/data', snapshot_dir: '/snaps' }), schedule: '0 * * * *', retention: { keep: { last: srcKeep } } },
      copy: { kind: `${kind}-send`, from: 'src', to: 'spare', ...(kind === 'zfs' ? { dataset: 'backup/data' } : {}), schedule: copySchedule, retention: { keep: { last: copyKeep } } },
    });

  for (const kind of ['zfs', 'btrfs'] as const) {
    it(`${kind}: names are the source's times, the intermediates are not sent`, () => {
      const r = simulateJob(jobs(kind, '30 */6 * * *', 24, 3), 'copy', { from, at: from + 20 * H });
      // Copies at 00:30, 06:30, 12:30, 18:30 send 00:00, 06:00, 12:00, 18:00 (not 01:00 … 05:00).
      expect(r.snapshots.map((s) => s.time)).toEqual([utc(18), utc(12), utc(6)]);
      expect(r.stats.created).toBe(4);
      expect(r.stats.removed).toBe(1);
      expect(r.snapshots[0].reasons).toEqual(['last snapshot', 'replication base shared with src: never removed']);
    });
  }

  it('keeps the base on the source so that the next send stays incremental', () => {
    // The source keeps 1, the copy runs every 2 hours: the source keeps the snapshot last sent
    // too (the base), so at 02:30 02:00 can be sent on top of 00:00.
    const r = simulateJob(jobs('zfs', '30 */2 * * *', 1, 5), 'copy', { from, at: from + 5 * H });
    expect(r.snapshots.map((s) => s.time)).toEqual([utc(4), utc(2), utc(0)]);
  });

  it('a run with nothing new to send does not prune (the driver plans no step then)', () => {
    // Source every 6 h, copy every hour keeping 8 h: at 08:00 the copy has nothing to send (06:00
    // is there), so 00:00 — older than 8 h by then — stays until the 12:00 send prunes it.
    const q = plan({
      src: { kind: 'btrfs-snapshot', host: 'primary', subvolume: '/data', snapshot_dir: '/snaps', schedule: '0 */6 * * *', retention: { keep: { last: 10 } } },
      copy: { kind: 'btrfs-send', from: 'src', to: 'spare', schedule: '0 * * * *', retention: { tiers: [{ keep: 'all', until: '8h' }] } },
    });
    expect(simulateJob(q, 'copy', { from, at: from + 9 * H }).snapshots.map((s) => s.time)).toEqual([utc(6), utc(0)]);
    expect(simulateJob(q, 'copy', { from, at: from + 12 * H }).snapshots.map((s) => s.time)).toEqual([utc(12), utc(6)]);
  });

  it('at the same minute as the source, the copy sees the new source snapshot', () => {
    const r = simulateJob(jobs('zfs', '0 * * * *', 24, 4), 'copy', { from, at: from + 9 * H });
    expect(r.snapshots.map((s) => s.time)).toEqual([utc(9), utc(8), utc(7), utc(6)]);
  });

  it('a copy of a source that keeps everything, run with it, projects like an independent job', () => {
    const q = plan({
      src: { kind: 'zfs-snapshot', host: 'primary', dataset: 'tank/data', schedule: '0 */6 * * *' },
      copy: { kind: 'zfs-send', from: 'src', to: 'spare', dataset: 'backup/data', schedule: '0 */6 * * *', retention: { tiers: [{ keep: 'all', until: '2d' }, { every: '1d', until: '2w' }, { every: '1w' }] } },
      alone: { kind: 'zfs-snapshot', host: 'primary', dataset: 'tank/other', schedule: '0 */6 * * *', retention: { tiers: [{ keep: 'all', until: '2d' }, { every: '1d', until: '2w' }, { every: '1w' }] } },
    });
    const opts = { from, at: from + 60 * 24 * H };
    const a = simulateJob(q, 'copy', opts);
    const b = simulateJob(q, 'alone', opts);
    expect(a.snapshots.map((s) => s.time)).toEqual(b.snapshots.map((s) => s.time));
    expect(a.stats).toEqual(b.stats);
  });
});

describe('rows of the copy reasons', () => {
  it('counts the base and the not-yet-pruned arrivals in their own rows', () => {
    expect(ruleIdOfReason('replication base shared with src: never removed')).toBe('base');
    expect(ruleIdOfReason('mirrored from src')).toBe('newest');
    expect(ruleIdOfReason('sent from src')).toBe('newest');
  });
});

describe("the editor's projections of a copy job", () => {
  it('follow the source: its edits change the cache key, the projection mirrors it', async () => {
    const { project, projectionKey } = await import('../../../server/projections');
    const mk = (srcKeep: number) =>
      plan({
        src: { kind: 'incus-snapshot', host: 'primary', instance: 'web', schedule: '0 * * * *', retention: { keep: { last: srcKeep } } },
        copy: { kind: 'incus-copy', from: 'src', remote: 'standby', schedule: '0 * * * *', retention: { keep: { last: 10 } } },
      });
    expect(projectionKey(mk(3), 'copy', from, 100)).not.toBe(projectionKey(mk(4), 'copy', from, 100));
    const p = project(mk(3), 'copy', from, 100);
    expect(p.error).toBeUndefined();
    expect(p.result!.stats.count).toBe(3);
  });
});

describe("the editor's bound on a copy job", () => {
  it("cuts the window at maxFires runs of the source too (a minutely source, a daily copy)", async () => {
    const { project } = await import('../../../server/projections');
    const q = plan({
      src: { kind: 'zfs-snapshot', host: 'primary', dataset: 'tank/data', schedule: '* * * * *', retention: { keep: { last: 60, daily: 30 } } },
      copy: { kind: 'zfs-send', from: 'src', to: 'spare', dataset: 'backup/data', schedule: '0 0 * * *', retention: { keep: { last: 30 } } },
    });
    const t0 = performance.now();
    const p = project(q, 'copy', from, 1500);
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(p.error).toBeUndefined();
    expect(p.capped).toMatchObject({ fires: 2, simulatedMs: 1499 * 60_000 });
    expect(p.result!.stats.count).toBe(2);
  });
});
