// The replication base (SPEC §8.4) on both sides with in-memory listings: which side is listed
// for which job, where the base goes in the decision and with which reason, and the refusals.
import { describe, expect, it } from 'vitest';
import { Hosts } from '../../../engine/run/exec/hosts';
import type { Copy, Listed, PruneDecision } from '../../../engine/run/prune/copies';
import { PruneError } from '../../../engine/run/prune/copies';
import { inventoryOf, otherSides, protectReplicationBases } from '../../../engine/run/prune/replication-base';
import type { PruneSpec } from '../../../engine/run/steps/step';
import { job, plan, storage } from './helpers';

const P = plan({
  storage: [storage('pool', {})],
  jobs: [
    job('snaps', { kind: 'zfs-snapshot', dataset: 'tank/src', retention: { keep: { last: 1 } } }),
    job('replica', {
      kind: 'zfs-send',
      from: 'snaps',
      to: 'pool',
      dataset: 'back/dst',
      resumable: false,
      retention: { keep: { last: 1 } },
    }),
    job('off', { kind: 'zfs-snapshot', dataset: 'tank/off', enabled: false, retention: { keep: { last: 1 } } }),
  ],
});
const NOW = Date.UTC(2024, 2, 4);

describe('otherSides', () => {
  it('the replicas of this job first, then the job it replicates', () => {
    const spec = { protectBaseOf: ['r1', 'r2'], replicaOf: 'src' } as PruneSpec;
    expect(otherSides(spec)).toEqual([
      { job: 'r1', replica: true },
      { job: 'r2', replica: true },
      { job: 'src', replica: false },
    ]);
    expect(otherSides({} as PruneSpec)).toEqual([]);
  });
});

describe('inventoryOf', () => {
  it("a job's own prune inventory, also for a disabled job (planned alone, as if enabled)", () => {
    expect(inventoryOf(P, 'snaps', NOW)).toMatchObject({ type: 'zfs-snapshots', dataset: 'tank/src' });
    expect(inventoryOf(P, 'replica', NOW)).toMatchObject({ type: 'zfs-snapshots', dataset: 'back/dst' });
    expect(inventoryOf(P, 'off', NOW)).toMatchObject({ type: 'zfs-snapshots', dataset: 'tank/off' });
  });

  it('refuses a job that is not in the plan, or that cannot be planned, with the reasons', () => {
    expect(() => inventoryOf(P, 'nope', NOW)).toThrow(new PruneError('job nope is not in the plan'));
    const bad = plan({ jobs: [job('b', { kind: 'zfs-snapshot', retention: { keep: { last: 1 } } })] });
    expect(() => inventoryOf(bad, 'b', NOW)).toThrow(/^cannot tell where job b keeps its snapshots: .+/);
  });
});

describe('protectReplicationBases', () => {
  const c = (day: number): Copy => ({
    name: `backplan-2024030${day}T0000Z`,
    path: `tank/src@backplan-2024030${day}T0000Z`,
    time: Date.UTC(2024, 2, day),
    type: 'snapshot',
  });
  const listed = (copies: Copy[]): Listed => ({ copies, ignored: [], partials: [], companions: new Map() });
  const spec = (over: Partial<PruneSpec>): PruneSpec =>
    ({ engine: 'native', timezone: 'UTC', min: 1, ...over }) as PruneSpec;
  const hosts = new Hosts(P);

  it('another side that cannot be listed refuses the prune, naming the job and which way it replicates', async () => {
    const d: PruneDecision = { keep: [{ copy: c(3), reasons: ['last snapshot'] }], remove: [c(2), c(1)] };
    const src = P.jobs.get('snaps')!;
    // a side the plan does not hold cannot be listed
    await expect(
      protectReplicationBases(src, P, spec({ protectBaseOf: ['ghost'] }), listed([c(3), c(2), c(1)]), d, {
        hosts,
        now: NOW,
      }),
    ).rejects.toThrow(
      new PruneError(
        'cannot list the snapshots of ghost (which replicates this job) to find the replication base: job ghost is ' +
          'not in the plan; prune refused, nothing was removed',
      ),
    );
    await expect(
      protectReplicationBases(P.jobs.get('replica')!, P, spec({ replicaOf: 'ghost' }), listed([c(1)]), d, {
        hosts,
        now: NOW,
      }),
    ).rejects.toThrow(/^cannot list the snapshots of ghost \(which this job replicates\) to find the replication base/);
    expect(d.remove.map((x) => x.name)).toEqual([c(2).name, c(1).name]);
  });

  it('no other side: nothing protected, the decision untouched', async () => {
    const d: PruneDecision = { keep: [{ copy: c(3), reasons: ['last snapshot'] }], remove: [c(1)] };
    const kept = await protectReplicationBases(P.jobs.get('snaps')!, P, spec({}), listed([c(3), c(1)]), d, {
      hosts,
      now: NOW,
    });
    expect(kept).toEqual([]);
    expect(d).toEqual({ keep: [{ copy: c(3), reasons: ['last snapshot'] }], remove: [c(1)] });
  });
});

describe('inventoryOf, more corners', () => {
  it('a job without retention (no prune step): where its command writes', () => {
    const p = plan({ jobs: [job('s', { kind: 'zfs-snapshot', dataset: 'tank/s' })] });
    expect(inventoryOf(p, 's', NOW)).toMatchObject({ type: 'zfs-snapshots', dataset: 'tank/s' });
  });

  it("another job's planning errors do not stop this one's", () => {
    const p = plan({
      jobs: [
        job('s', { kind: 'zfs-snapshot', dataset: 'tank/s', retention: { keep: { last: 1 } } }),
        job('broken', { kind: 'zfs-snapshot', retention: { keep: { last: 1 } } }),
      ],
    });
    expect(inventoryOf(p, 's', NOW)).toMatchObject({ type: 'zfs-snapshots', dataset: 'tank/s' });
  });
});
