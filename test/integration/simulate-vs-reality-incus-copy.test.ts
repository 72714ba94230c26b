// Simulate vs reality for incus-copy (LXD 5.0 as `lxc`, primary and standby daemons): each pair
// of an incus-snapshot job and an incus-copy job that refreshes its instance on the standby runs
// for real at every daily fire of 25 simulated days (`faketime` moves Backplan's clock, which
// names the snapshots), then the snapshots left on the STANDBY must be exactly what
// `backplan simulate --job COPY` predicts. `copy --refresh` makes the standby mirror the source
// before the standby's own prune, so the copy holds at most what the source keeps: pair `a`
// (source keeps 3, copy keeps 10) ends with 3 there, not the copy's own 10. The PRIMARY's
// snapshots must be what `backplan simulate --job SOURCE` predicts, replayed with its copy.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../helpers/cli';
import { backplanAt, lxdAvailable, startLxdPair, type LxdPair } from '../helpers/lxd';
import { defaultNameTime, iso, simulatedHeld } from '../helpers/simulate-vs-reality';

const ok = lxdAvailable();
let lxd: LxdPair | undefined;

beforeAll(async () => {
  if (!ok) return;
  ensureBuilt();
  lxd = await startLxdPair();
}, 120_000);

afterAll(async () => {
  await lxd?.close();
}, 120_000);

const FROM = Date.parse('2026-01-01T00:00:00Z');
const DAY = 86_400_000;
const DAYS = 25;

const PAIRS = {
  a: { instance: 'simc-a', source: '{ keep: { last: 3 } }', copy: '{ keep: { last: 10 } }' },
  b: { instance: 'simc-b', source: '{ keep: { last: 2, weekly: 3 } }', copy: '{ keep: { last: 4 } }' },
} as const;

function planText(remote: string): string {
  const lines = [
    'version: 1',
    'hosts:',
    '  here: { site: home, role: primary, incus_binary: lxc }',
    '  standby: { address: 127.0.0.9, site: away, role: standby }',
    'storage:',
    '  pool: { host: here, media: ssd }',
    '  away: { host: standby, media: hdd }',
    'jobs:',
  ];
  for (const [name, p] of Object.entries(PAIRS)) {
    lines.push(`  snap-${name}:`, '    kind: incus-snapshot', '    host: here', `    instance: ${p.instance}`, '    storage: pool', '    schedule: "0 0 * * *"', `    retention: ${p.source}`);
    lines.push(`  copy-${name}:`, '    kind: incus-copy', `    from: snap-${name}`, '    to: away', `    remote: ${remote}`, '    autostart: false', '    schedule: "0 0 * * *"', `    retention: ${p.copy}`);
  }
  lines.push('checks: { coverage-3-2-1: off, no-restore-test: off, offsite-unencrypted: off, snapshot-not-backup: off, unused: off }', '');
  return lines.join('\n');
}

describe.skipIf(!ok)('simulate vs reality: incus-copy (refresh) to a standby LXD over 25 daily fires', () => {
  it('the snapshots left on the standby are the set backplan simulate --job COPY predicts, and on the primary --job SOURCE', async () => {
    for (const p of Object.values(PAIRS)) {
      lxd!.lxc('init', '--empty', p.instance);
      // An empty instance has no rootfs yet on a `dir` pool, and a copy needs one.
      mkdirSync(join(lxd!.primary.dir, 'storage-pools/default/containers', p.instance, 'rootfs'), { recursive: true });
    }
    const plan = join(lxd!.dir, 'simcopy.backplan.yaml');
    writeFileSync(plan, planText(lxd!.remote));
    const state = join(lxd!.dir, 'state');
    const fires: number[] = [];
    for (let d = 0; d < DAYS; d++) fires.push(FROM + d * DAY);
    const t0 = Date.now();
    for (const t of fires) {
      const r = await backplanAt(iso(t), ['run', plan, '--state-dir', state], lxd!.env);
      expect(r.code, `run at ${iso(t)}: ${r.stdout}${r.stderr}`).toBe(0);
    }
    const ms = Date.now() - t0;
    console.log(`${fires.length} runs in ${(ms / 1000).toFixed(1)} s (${Math.round(ms / fires.length)} ms a run)`);

    const at = fires[fires.length - 1];
    for (const [name, p] of Object.entries(PAIRS)) {
      const predicted = (await simulatedHeld(plan, `copy-${name}`, FROM, at)).map(iso);
      const real = lxd!.snapshots(`${lxd!.remote}:${p.instance}`).map((n) => iso(defaultNameTime(n))).sort();
      expect(real, `copy-${name} on ${lxd!.remote}:${p.instance}`).toEqual(predicted);
      const predictedSource = (await simulatedHeld(plan, `snap-${name}`, FROM, at)).map(iso);
      const realSource = lxd!.snapshots(p.instance).map((n) => iso(defaultNameTime(n))).sort();
      expect(realSource, `snap-${name} on ${p.instance}`).toEqual(predictedSource);
    }
    // The finding this guards: the standby holds what the source keeps (3), not the copy's 10.
    expect(lxd!.snapshots(`${lxd!.remote}:simc-a`)).toHaveLength(3);
    // And pair b holds the source's weekly snapshots, not 4 consecutive days.
    expect(lxd!.snapshots(`${lxd!.remote}:simc-b`)).toHaveLength(4);
  }, 240_000);
});
