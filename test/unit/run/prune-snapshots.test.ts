// Native pruning of snapshot inventories (prune/copies.ts listSnapshots) and the replication base
// kept in place in the decision (prune/replication-base.ts), with a fake `zfs` on PATH printing
// canned `zfs get -H -p -o name,value -d 1 creation DATASET` listings.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalFs } from '../../../engine/run/exec/files';
import { Hosts } from '../../../engine/run/exec/hosts';
import { listCopies, PruneError, type Copy, type PruneDecision } from '../../../engine/run/prune/copies';
import { protectReplicationBases } from '../../../engine/run/prune/replication-base';
import type { Inventory, PruneSpec } from '../../../engine/run/steps/step';
import { job, plan, storage } from './helpers';

const snap = (ds: string, name: string) => `${ds}@${name}\\t1\\n`;

describe('snapshot inventories', () => {
  let dir = '';
  const oldPath = process.env.PATH;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'bp-fakezfs-'));
    const src = ['backplan-20240301T0000Z', 'backplan-20240303T0000Z', 'backplan-20240302T0000Z', 'backplan-odd']
      .map((n) => snap('tank/src', n))
      .join('');
    // one sanoid run: its daily and hourly snapshots share the second they were taken
    const sanoid = ['autosnap_2024-03-01_01:00:00_weekly', 'autosnap_2024-03-01_01:00:00_daily', 'backplan-x']
      .map((n) => snap('tank/sanoid', n))
      .join('');
    writeFileSync(
      join(dir, 'zfs'),
      [
        '#!/bin/sh',
        'for a; do ds=$a; done',
        'case "$ds" in',
        `  tank/src) printf 'tank/src\\t1\\n${src}${snap('tank/src', 'manual-20240301T0000Z')}' ;;`,
        `  back/dst) printf 'back/dst\\t1\\n${snap('back/dst', 'backplan-20240302T0000Z')}' ;;`,
        `  tank/sanoid) printf 'tank/sanoid\\t1\\n${sanoid}' ;;`,
        `  back/old) printf 'back/old\\t1\\n${snap('back/old', 'backplan-20240301T0000Z')}' ;;`,
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

  const inv = (dataset: string): Inventory => ({ type: 'zfs-snapshots', host: 'local', dataset, match: 'backplan-*' });
  const J = job('snaps', { kind: 'zfs-snapshot', dataset: 'tank/src' });
  const P0 = plan({ jobs: [J] });
  const list = (dataset: string, tz = 'UTC') =>
    listCopies(inv(dataset), J, tz, new LocalFs(), { hosts: new Hosts(P0) });

  it("lists the job's snapshots newest first, ignores its names without a time, skips other names", async () => {
    const l = await list('tank/src', 'Europe/Paris');
    expect(l.copies.map((c) => [c.name, c.path, c.time, c.type])).toEqual([
      ['backplan-20240303T0000Z', 'tank/src@backplan-20240303T0000Z', Date.UTC(2024, 2, 3), 'snapshot'],
      ['backplan-20240302T0000Z', 'tank/src@backplan-20240302T0000Z', Date.UTC(2024, 2, 2), 'snapshot'],
      ['backplan-20240301T0000Z', 'tank/src@backplan-20240301T0000Z', Date.UTC(2024, 2, 1), 'snapshot'],
    ]);
    expect(l.ignored).toEqual([{ name: 'backplan-odd', why: 'its name holds no time this job could have written' }]);
    expect(l.partials).toEqual([]);
    expect(l.companions.size).toBe(0);
    expect(l.missing).toBeUndefined();
    expect(l.store).toBeDefined();
  });

  it("sanoid's names are read in the job zone, and of one run the snapshot it took last is the newest", async () => {
    const sanoid: Inventory = {
      type: 'zfs-snapshots',
      host: 'local',
      dataset: 'tank/sanoid',
      match: '*',
      naming: 'sanoid',
    };
    const l = await listCopies(sanoid, J, 'Europe/Paris', new LocalFs(), { hosts: new Hosts(P0) });
    expect(l.copies.map((c) => [c.name, c.time])).toEqual([
      // sanoid takes weekly before daily: the daily one is the newest (by name it would come second)
      ['autosnap_2024-03-01_01:00:00_daily', Date.UTC(2024, 2, 1, 0)],
      ['autosnap_2024-03-01_01:00:00_weekly', Date.UTC(2024, 2, 1, 0)],
    ]);
    expect(l.ignored.map((x) => x.name)).toEqual(['backplan-x']);
  });

  it('a dataset that does not exist is missing, with no copies', async () => {
    const l = await list('back/new');
    expect(l.missing).toBe(true);
    expect(l.copies).toEqual([]);
    expect(l.ignored).toEqual([]);
  });

  it("a tool that cannot list refuses the prune in the tool's words", async () => {
    await expect(list('back/broken')).rejects.toThrow(PruneError);
    await expect(list('back/broken')).rejects.toThrow(
      /cannot list the snapshots of back\/broken on local: .*connection lost/,
    );
  });

  describe('the replication base kept in the decision', () => {
    const P = (dataset: string) =>
      plan({
        storage: [storage('pool', {})],
        jobs: [
          job('snaps', { kind: 'zfs-snapshot', dataset: 'tank/src', retention: { keep: { last: 1 } } }),
          job('replica', { kind: 'zfs-send', from: 'snaps', to: 'pool', dataset, resumable: false }),
        ],
      });
    const spec = { engine: 'native', timezone: 'UTC', min: 1, protectBaseOf: ['replica'] } as unknown as PruneSpec;
    const copyOf = (l: Copy[], day: number) => l.find((c) => c.name === `backplan-2024030${day}T0000Z`)!;

    it('a base the policy removes moves to the kept copies, in time order among them', async () => {
      const l = await list('tank/src');
      const d: PruneDecision = {
        keep: [
          { copy: copyOf(l.copies, 3), reasons: ['last snapshot'] },
          { copy: copyOf(l.copies, 1), reasons: ['monthly snapshot'] },
        ],
        remove: [copyOf(l.copies, 2)],
      };
      const p = P('back/dst');
      const kept = await protectReplicationBases(p.jobs.get('snaps')!, p, spec, l, d, { hosts: new Hosts(p), now: 0 });
      expect(kept).toEqual([{ name: 'backplan-20240302T0000Z', other: 'replica' }]);
      expect(d.keep.map((k) => [k.copy.name, k.reasons])).toEqual([
        ['backplan-20240303T0000Z', ['last snapshot']],
        ['backplan-20240302T0000Z', ['replication base shared with replica: never removed']],
        ['backplan-20240301T0000Z', ['monthly snapshot']],
      ]);
      expect(d.remove).toEqual([]);
    });

    it('a base the policy keeps anyway gets the reason added, and nothing else changes', async () => {
      const l = await list('tank/src');
      const d: PruneDecision = {
        keep: [
          { copy: copyOf(l.copies, 3), reasons: ['last snapshot'] },
          { copy: copyOf(l.copies, 1), reasons: ['monthly snapshot'] },
        ],
        remove: [copyOf(l.copies, 2)],
      };
      const p = P('back/old');
      const kept = await protectReplicationBases(p.jobs.get('snaps')!, p, spec, l, d, { hosts: new Hosts(p), now: 0 });
      expect(kept).toEqual([{ name: 'backplan-20240301T0000Z', other: 'replica' }]);
      expect(d.keep.map((k) => [k.copy.name, k.reasons])).toEqual([
        ['backplan-20240303T0000Z', ['last snapshot']],
        ['backplan-20240301T0000Z', ['monthly snapshot', 'replication base shared with replica: never removed']],
      ]);
      expect(d.remove.map((c) => c.name)).toEqual(['backplan-20240302T0000Z']);
    });
  });
});
