// Simulate vs reality on btrfs (issue #4): a btrfs-snapshot job (tiers, which depend on "now")
// whose schedule fires once a day (12:00)
// in Europe/Paris is run at every fire of 60 days (across the March DST change) at faked times
// (`faketime`), on a real btrfs filesystem; the snapshots left at the end must be exactly those
// `backplan simulate` predicts for that date, with the same plan, policy and zone.
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../helpers/cli';
import { cliAt } from '../helpers/faketime';
import { requireTools } from '../helpers/integration';
import { dailyFires, defaultNameTime, iso, simulatedHeld } from '../helpers/simulate-vs-reality';
import { btrfsAt, sh, unmountAll } from '../helpers/btrfs';

const ok = process.getuid?.() === 0 && requireTools('btrfs', 'mkfs.btrfs', 'losetup', 'mount', 'faketime');

let work = '';
let mnt = '';

beforeAll(() => {
  if (!ok) return;
  ensureBuilt();
  work = mkdtempSync(join(tmpdir(), 'bp-simbtrfs-'));
  mnt = btrfsAt(join(work, 'mnt'));
  sh(['btrfs', 'subvolume', 'create', `${mnt}/vol`]);
  mkdirSync(`${mnt}/snaps`);
});

afterAll(() => {
  unmountAll();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe.skipIf(!ok)('simulate vs reality: btrfs', () => {
  it('60 days of fires leave exactly the snapshots the simulator predicts', async () => {
    const plan = join(work, 'sim.backplan.yaml');
    writeFileSync(
      plan,
      [
        'version: 1',
        'timezone: Europe/Paris',
        'jobs:',
        '  snaps:',
        '    kind: btrfs-snapshot',
        `    subvolume: ${mnt}/vol`,
        `    snapshot_dir: ${mnt}/snaps`,
        '    schedule: "0 12 * * *"',
        '    retention:',
        '      tiers:',
        '        - { keep: all, until: 3d }',
        '        - { every: 1d, until: 2w }',
        '        - { every: 1w, until: 6w }',
        '        - { every: 1mo }',
        'checks: { coverage-3-2-1: off, no-restore-test: off, offsite-unencrypted: off }',
        '',
      ].join('\n'),
    );
    const fires = dailyFires([12], 'Europe/Paris', '2027-02-01', 62);
    const state = join(work, 'state');
    const t0 = performance.now();
    for (const t of fires) {
      const r = await cliAt(t, ['run', plan, '--state-dir', state]);
      expect(r.code, `${iso(t)}: ${r.stdout}${r.stderr}`).toBe(0);
    }
    const ms = performance.now() - t0;
    console.log(`simulate-vs-reality btrfs: ${fires.length} runs in ${(ms / 1000).toFixed(1)} s`);
    const real = readdirSync(`${mnt}/snaps`).map(defaultNameTime).sort((a, b) => a - b);
    const predicted = await simulatedHeld(plan, 'snaps', fires[0], fires[fires.length - 1]);
    expect(real.map(iso)).toEqual(predicted.map(iso));
    expect(real.length).toBeGreaterThan(6);
  }, 280_000);
});
