// Simulate vs reality for a source with a copy (SPEC §8.4): a btrfs-snapshot job every 6 hours
// keeping its last 2, and a btrfs-send of it once a day into a second btrfs filesystem keeping
// its last 3, run for real at every fire of 12 days in Europe/Paris (across the March DST change)
// at faked times. The source's prune keeps the snapshot last sent (the replication base) on top of
// its own 2 for most of each day. At the end the snapshots on each side must be exactly what
// `backplan simulate --job SOURCE` and `--job COPY` predict for that date.
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../helpers/cli';
import { cliAt } from '../helpers/faketime';
import { requireTools } from '../helpers/integration';
import { dailyFires, defaultNameTime, iso, simulatedHeld } from '../helpers/simulate-vs-reality';
import { btrfsAt, btrfsAvailable, sh, unmountAll } from '../helpers/btrfs';

// not root or a tool missing: a skip on a laptop, a failure in CI
const ok = btrfsAvailable() && requireTools('faketime');

let work = '';
beforeAll(() => {
  if (!ok) return;
  ensureBuilt();
  work = mkdtempSync(join(tmpdir(), 'bp-simsend-'));
  btrfsAt(join(work, 'src'));
  btrfsAt(join(work, 'dst'));
  sh(['btrfs', 'subvolume', 'create', join(work, 'src', 'vol')]);
  mkdirSync(join(work, 'src', 'snaps'));
});

afterAll(() => {
  unmountAll();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe.skipIf(!ok)('simulate vs reality: btrfs-snapshot and its btrfs-send', () => {
  it('12 days of fires leave on each side exactly what the simulator predicts, the base included', async () => {
    const snaps = join(work, 'src', 'snaps');
    const replica = join(work, 'dst', 'vault', 'replica');
    const plan = join(work, 'send.backplan.yaml');
    writeFileSync(
      plan,
      [
        'version: 1',
        'timezone: Europe/Paris',
        'storage:',
        `  vault: { media: hdd, path: ${JSON.stringify(join(work, 'dst', 'vault'))} }`,
        'jobs:',
        '  snaps:',
        '    kind: btrfs-snapshot',
        `    subvolume: ${JSON.stringify(join(work, 'src', 'vol'))}`,
        `    snapshot_dir: ${JSON.stringify(snaps)}`,
        '    schedule: "0 */6 * * *"',
        '    retention: { keep: { last: 2 } }',
        '  replica:',
        '    kind: btrfs-send',
        '    from: snaps',
        '    to: vault',
        '    schedule: "0 3 * * *"',
        '    retention: { keep: { last: 3 } }',
        'checks: { coverage-3-2-1: off, no-restore-test: off, offsite-unencrypted: off }',
        '',
      ].join('\n'),
    );
    mkdirSync(join(work, 'dst', 'vault'));
    // Each job at its own fires (03:00 is no fire of the source): `run --job` as a timer would.
    const runs = [
      ...dailyFires([0, 6, 12, 18], 'Europe/Paris', '2027-03-22', 12).map((t) => ({ t, job: 'snaps' })),
      ...dailyFires([3], 'Europe/Paris', '2027-03-22', 12).map((t) => ({ t, job: 'replica' })),
    ].sort((a, b) => a.t - b.t);
    const state = join(work, 'state');
    const t0 = performance.now();
    let sourceHeldMore = 0;
    for (const [i, { t, job }] of runs.entries()) {
      if (job === 'snaps') writeFileSync(join(work, 'src', 'vol', 'data.txt'), `run ${i}\n`);
      const r = await cliAt(t, ['run', plan, '--job', job, '--state-dir', state]);
      expect(r.code, `${job} at ${iso(t)}: ${r.stdout}${r.stderr}`).toBe(0);
      if (readdirSync(snaps).length > 2) sourceHeldMore++;
    }
    console.log(`simulate-vs-reality btrfs-send: ${runs.length} runs in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    // The base really was kept beyond `last: 2`: each day, the 00:00 sent at 03:00 stays from the
    // 12:00 run until the next day's 06:00 prune (the next send has replaced it by then).
    expect(sourceHeldMore).toBeGreaterThan(40);

    const from = runs[0].t;
    const at = runs[runs.length - 1].t; // the last day's 18:00 source run
    // a snapshot is named at the second its run took it (a loaded machine: :01, :02): compare
    // by the minute of its fire; the rules here are counts, which seconds cannot change
    const fireOf = (name: string) => Math.floor(defaultNameTime(name) / 60_000) * 60_000;
    const realSource = readdirSync(snaps).map(fireOf).sort((a, b) => a - b);
    const realReplica = readdirSync(replica).map(fireOf).sort((a, b) => a - b);
    expect(realSource.map(iso)).toEqual((await simulatedHeld(plan, 'snaps', from, at)).map(iso));
    expect(realReplica.map(iso)).toEqual((await simulatedHeld(plan, 'replica', from, at)).map(iso));
    // April 2 (UTC+2): 12:00 and 18:00, and 00:00 sent at 03:00; the replica the 3 last sends.
    expect(realSource.map(iso)).toEqual(['2027-04-01T22:00:00.000Z', '2027-04-02T10:00:00.000Z', '2027-04-02T16:00:00.000Z']);
    expect(realReplica.map(iso)).toEqual(['2027-03-30T22:00:00.000Z', '2027-03-31T22:00:00.000Z', '2027-04-01T22:00:00.000Z']);
  }, 120_000);
});
