// Snapshot stores' parsers, and the replication base (SPEC §8.4) decided from both sides'
// listings: a fake `zfs` on PATH prints canned `zfs get creation` listings for local jobs.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSubvolumeList } from '../../../engine/run/inventory/btrfs';
import { parseZfsCreation } from '../../../engine/run/inventory/zfs';
import { Hosts } from '../../../engine/run/exec/hosts';
import { LocalFs } from '../../../engine/run/exec/files';
import { decide, listCopies, namerOf, pruneEngine, PruneError } from '../../../engine/run/prune/copies';
import { protectReplicationBases } from '../../../engine/run/prune/replication-base';
import { planSteps } from '../../../engine/run/steps/plan-steps';
import type { PruneStep } from '../../../engine/run/steps/step';
import { job, plan, storage } from './helpers';

describe('snapshot store parsers', () => {
  it('zfs: only the dataset’s own snapshots, oldest first, creation in ms', () => {
    const text = ['tank/a\t100', 'tank/a@s2\t300', 'tank/a@s1\t200', 'tank/a/child@s1\t250', 'tank/ab@x\t1', ''].join(
      '\n',
    );
    expect(parseZfsCreation(text, 'tank/a')).toEqual([
      { name: 's1', created: 200_000 },
      { name: 's2', created: 300_000 },
    ]);
  });

  it('btrfs: path and received UUID of each row of `subvolume list -R`', () => {
    const text = [
      'ID 257 gen 7 top level 5 received_uuid -                                    path snaps/s1',
      'ID 260 gen 9 top level 5 received_uuid 4af47011-2c31-fd46-9b73-b7df22a6aeeb path back/dir with space/s1',
    ].join('\n');
    expect(parseSubvolumeList(text, true)).toEqual([
      { path: 'snaps/s1', received: false, readonly: true },
      { path: 'back/dir with space/s1', received: true, readonly: true },
    ]);
  });
});

describe('replication base (SPEC §8.4)', () => {
  let dir = '';
  const oldPath = process.env.PATH;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'bp-fakezfs-'));
    // `zfs get -H -p -o name,value -d 1 creation DATASET`: canned listings by dataset.
    writeFileSync(
      join(dir, 'zfs'),
      [
        '#!/bin/sh',
        'for a; do ds=$a; done',
        'case "$ds" in',
        "  tank/src) printf 'tank/src\\t1\\ntank/src@backplan-20240301T0000Z\\t10\\n" +
          "tank/src@backplan-20240302T0000Z\\t20\\ntank/src@backplan-20240303T0000Z\\t30\\n' ;;",
        "  back/dst) printf " +
          "'back/dst\\t1\\nback/dst@backplan-20240301T0000Z\\t10\\nback/dst@backplan-20240302T0000Z\\t20\\n' ;;",
        '  back/new) echo "cannot open \'back/new\': dataset does not exist" >&2; exit 1 ;;',
        '  *) echo "connection lost" >&2; exit 1 ;;',
        'esac',
        '',
      ].join('\n'),
    );
    chmodSync(join(dir, 'zfs'), 0o755);
    process.env.PATH = `${dir}:${oldPath}`;
  });
  afterAll(() => {
    process.env.PATH = oldPath;
    rmSync(dir, { recursive: true, force: true });
  });

  const mk = (target: string) =>
    plan({
      storage: [storage('pool', {})],
      jobs: [
        job('snaps', { kind: 'zfs-snapshot', dataset: 'tank/src', retention: { keep: { last: 1 } } }),
        job('replica', {
          kind: 'zfs-send',
          from: 'snaps',
          to: 'pool',
          dataset: target,
          resumable: false,
          retention: { keep: { last: 1 } },
        }),
      ],
    });
  const pruneOf = (p: ReturnType<typeof mk>, name: string) =>
    planSteps(p, { job: name, now: Date.UTC(2024, 2, 4) }).steps.find((s): s is PruneStep => s.type === 'prune')!;

  async function decideFor(p: ReturnType<typeof mk>, name: string) {
    const step = pruneOf(p, name);
    const j = p.jobs.get(name)!;
    const hosts = new Hosts(p);
    const listed = await listCopies(step.prune.inventory, namerOf(j, p, step.prune), 'UTC', new LocalFs(), {
      hosts,
      replica: step.prune.replicaOf !== undefined,
    });
    const d = decide(listed.copies, step.prune, pruneEngine(j, p, step.prune), Date.UTC(2024, 2, 4));
    const kept = await protectReplicationBases(j, p, step.prune, listed, d, { hosts, now: Date.UTC(2024, 2, 4) });
    return { d, kept };
  }

  it('source side: the newest snapshot the replica also holds is kept, with a reason naming it', async () => {
    const { d, kept } = await decideFor(mk('back/dst'), 'snaps');
    expect(kept).toEqual([{ name: 'backplan-20240302T0000Z', other: 'replica' }]);
    expect(d.keep.map((k) => [k.copy.name, k.reasons])).toEqual([
      ['backplan-20240303T0000Z', ['last snapshot']],
      ['backplan-20240302T0000Z', ['replication base shared with replica: never removed']],
    ]);
    expect(d.remove.map((c) => c.name)).toEqual(['backplan-20240301T0000Z']);
  });

  it('replica side: the newest snapshot the source also holds is the one kept', async () => {
    const { d } = await decideFor(mk('back/dst'), 'replica');
    expect(d.keep.map((k) => k.copy.name)).toEqual(['backplan-20240302T0000Z']);
    expect(d.remove.map((c) => c.name)).toEqual(['backplan-20240301T0000Z']);
  });

  it('a replica that does not exist yet has no base: the policy alone decides', async () => {
    const { d, kept } = await decideFor(mk('back/new'), 'snaps');
    expect(kept).toEqual([]);
    expect(d.remove.map((c) => c.name)).toEqual(['backplan-20240302T0000Z', 'backplan-20240301T0000Z']);
  });

  it('the other side cannot be listed: the prune is refused', async () => {
    await expect(decideFor(mk('back/broken'), 'snaps')).rejects.toThrow(PruneError);
    await expect(decideFor(mk('back/broken'), 'snaps')).rejects.toThrow(
      /cannot list the snapshots of replica .*connection lost.*prune refused, nothing was removed/,
    );
  });
});
