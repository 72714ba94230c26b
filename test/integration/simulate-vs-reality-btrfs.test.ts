// Simulate vs reality on btrfs (issue #4): a btrfs-snapshot job (tiers, which depend on "now")
// whose schedule fires once a day (12:00)
// in Europe/Paris is run at every fire of 60 days (across the March DST change) at faked times
// (`faketime`), on a real btrfs filesystem; the snapshots left at the end must be exactly those
// `backplan simulate` predicts for that date, with the same plan, policy and zone. Both sides
// are pruned by the same engine, so the real set is also compared with a small reference of the
// tier rules written here from SPEC §3 (independent of engine/retention): a wrong tier rule in the
// engine changes the real set but not the reference.
//
// A second test compares BETWEEN runs, for Backplan's own expiry: a btrfs-snapshot job every 6 hours
// with `expiry: 1d2h` (min 1) is run for real at each fire of 3 days at faked times. Nothing
// removes a snapshot between runs: the one taken 24 h before the last run reaches its deadline
// 2 h after that run and stays until the next run's prune. So 3 h after the last run the real
// set still holds it, and `backplan simulate --at` that instant must hold it too (a simulator
// that expires native snapshots at their deadline shows one fewer).
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../helpers/cli';
import { cliAt } from '../helpers/faketime';
import { requireTools } from '../helpers/integration';
import { dailyFires, defaultNameTime, iso, simulatedHeld } from '../helpers/simulate-vs-reality';
import { btrfsAt, btrfsAvailable, sh, unmountAll } from '../helpers/btrfs';

const H = 3_600_000;
const minute = (ms: number) => ms - (ms % 60_000);
const ok = btrfsAvailable() && requireTools('faketime');

/** A tier as the test plan writes it: `until` in fixed milliseconds (h/d/w), `every` a calendar bucket. */
interface RefTier {
  until?: number;
  every?: 'all' | '1d' | '1w' | '1mo';
}

/**
 * The snapshots held after a prune at every fire (SPEC §3, native tiers): at prune time T a
 * snapshot s is in band i when T − until(i) < s ≤ T − until(i−1); `all` keeps it; `every` keeps
 * the oldest of the band's snapshots in each calendar bucket of the zone; older than the last
 * `until` is removed. Written from the definition alone, for the test to check the engine with.
 */
function referenceTiers(fires: number[], zone: string, tiers: RefTier[]): number[] {
  const bucket = (s: number, every: RefTier['every']): string => {
    const local = DateTime.fromMillis(s, { zone });
    if (every === '1d') return local.toISODate()!;
    if (every === '1w') return local.startOf('week').toISODate()!; // luxon weeks are ISO: from Monday
    return local.toFormat('yyyy-MM');
  };
  let held: number[] = [];
  for (const T of fires) {
    held.push(T);
    const kept: number[] = [];
    let newer = 0; // until of the band before (0: now)
    for (const tier of tiers) {
      const older = tier.until ?? Infinity;
      const band = held.filter((s) => T - older < s && s <= T - newer).sort((a, b) => a - b);
      if (tier.every === 'all') kept.push(...band);
      else {
        const seen = new Set<string>();
        for (const s of band) {
          const key = bucket(s, tier.every);
          if (!seen.has(key)) kept.push(s);
          seen.add(key);
        }
      }
      newer = older;
    }
    held = kept.sort((a, b) => a - b);
  }
  return held;
}

let work = '';
let mnt = '';

beforeAll(() => {
  if (!ok) return;
  ensureBuilt();
  work = mkdtempSync(join(tmpdir(), 'bp-simbtrfs-'));
  mnt = btrfsAt(join(work, 'mnt'));
  for (const [vol, snaps] of [['vol', 'snaps'], ['vol-exp', 'snaps-exp']]) {
    sh(['btrfs', 'subvolume', 'create', `${mnt}/${vol}`]);
    mkdirSync(`${mnt}/${snaps}`);
  }
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
        // untils 6 h off the 12:00 fires: no snapshot sits on a band's edge, where the seconds
        // a run takes (in the names) would decide its band
        '        - { keep: all, until: 3d6h }',
        '        - { every: 1d, until: 2w6h }',
        '        - { every: 1w, until: 6w6h }',
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
    // a snapshot is named at the second its run took it: compare by the minute of its fire
    const real = readdirSync(`${mnt}/snaps`).map((n) => minute(defaultNameTime(n))).sort((a, b) => a - b);
    const predicted = await simulatedHeld(plan, 'snaps', fires[0], fires[fires.length - 1]);
    const D = 24 * H;
    const reference = referenceTiers(fires, 'Europe/Paris', [
      { every: 'all', until: 3 * D + 6 * H },
      { every: '1d', until: 14 * D + 6 * H },
      { every: '1w', until: 42 * D + 6 * H },
      { every: '1mo' },
    ]);
    expect(real.map(iso), 'real snapshots against the tier rules of SPEC §3').toEqual(reference.map(iso));
    expect(real.map(iso)).toEqual(predicted.map(iso));
    expect(real.length).toBeGreaterThan(6);
  }, 280_000);
});

describe.skipIf(!ok)('simulate vs reality: native expiry between runs (btrfs)', () => {
  it('3 h after the last run, the snapshot past its deadline is still there, in reality and in the simulation', async () => {
    const plan = join(work, 'expiry.backplan.yaml');
    writeFileSync(
      plan,
      [
        'version: 1',
        'timezone: UTC',
        'jobs:',
        '  snaps:',
        '    kind: btrfs-snapshot',
        `    subvolume: ${mnt}/vol-exp`,
        `    snapshot_dir: ${mnt}/snaps-exp`,
        '    schedule: "0 */6 * * *"',
        '    retention: { expiry: 1d2h, min: 1 }',
        'checks: { coverage-3-2-1: off, no-restore-test: off, offsite-unencrypted: off }',
        '',
      ].join('\n'),
    );
    // Every 6 h for 3 days: 2027-02-01 00:00 … 2027-02-03 18:00 UTC (12 runs).
    const fires = Array.from({ length: 12 }, (_, i) => Date.UTC(2027, 1, 1) + i * 6 * H);
    const state = join(work, 'state-exp');
    const t0 = performance.now();
    for (const t of fires) {
      const r = await cliAt(t, ['run', plan, '--state-dir', state]);
      expect(r.code, `${iso(t)}: ${r.stdout}${r.stderr}`).toBe(0);
    }
    console.log(`simulate-vs-reality btrfs expiry: ${fires.length} runs in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const last = fires[fires.length - 1];
    const names = readdirSync(`${mnt}/snaps-exp`);
    const real = names.map((n) => minute(defaultNameTime(n))).sort((a, b) => a - b);
    // The last prune (at `last`) kept what is younger than 1d2h: last − 24h … last, 5 snapshots.
    expect(real.map(iso)).toEqual([24, 18, 12, 6, 0].map((h) => iso(last - h * H)));
    // At last + 3h the oldest of them is 1 h past its deadline (last + 2h): still there.
    const at = last + 3 * H;
    expect(await simulatedHeld(plan, 'snaps', fires[0], at)).toEqual(real);
    // And right after the last run, as the other simulate-vs-reality tests compare.
    expect(await simulatedHeld(plan, 'snaps', fires[0], last)).toEqual(real);
  }, 120_000);
});
