// Simulate vs reality for Incus (LXD 5.0 as `lxc`): two incus-snapshot jobs, one pruned natively
// by tiers and one by keep counts, run for real at every schedule fire of 61 simulated days
// (`faketime` moves Backplan's clock; Backplan names each snapshot from its clock and prunes by
// the time in the name), then the snapshots left on each instance must be exactly the set that
// `backplan simulate` predicts for that date. A run is about 1.5 s on this 2-core machine while
// other tests run (node starting and planning is most of it), so the jobs fire daily: 62 runs.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backplan, ensureBuilt } from '../helpers/cli';
import { backplanAt, lxdAvailable, startLxdPair, type LxdPair } from '../helpers/lxd';
import { defaultNameTime } from '../helpers/simulate-vs-reality';

const ok = lxdAvailable();
let lxd: LxdPair | undefined;

beforeAll(async () => {
  if (!ok) return;
  ensureBuilt();
  lxd = await startLxdPair({ standby: false });
}, 120_000);

afterAll(async () => {
  await lxd?.close();
}, 120_000);

const FROM = Date.parse('2026-01-01T00:00:00Z');
const STEP = 86_400_000;
const DAYS = 61;

// Both jobs fire daily at midnight: each fire is one `backplan run` of both.
const JOBS = {
  tiered: { instance: 'sim-tiers', retention: '{ tiers: [ { keep: all, until: 3d }, { every: 2d, until: 2w }, { every: 1w, until: 6w } ] }' },
  counted: { instance: 'sim-keep', retention: '{ keep: { last: 3, daily: 5, weekly: 3, monthly: 2 } }' },
} as const;

function planText(): string {
  const lines = ['version: 1', 'hosts:', '  here: { site: home, role: primary, incus_binary: lxc }', 'storage: { pool: { host: here, media: ssd } }', 'jobs:'];
  for (const [name, j] of Object.entries(JOBS)) {
    lines.push(`  ${name}:`, '    kind: incus-snapshot', '    host: here', `    instance: ${j.instance}`, '    storage: pool', '    schedule: "0 0 * * *"', `    retention: ${j.retention}`);
  }
  lines.push('checks: { coverage-3-2-1: off, no-restore-test: off, offsite-unencrypted: off, snapshot-not-backup: off, unused: off }', '');
  return lines.join('\n');
}

/** `backplan-20260101T120000Z` → epoch ms. */
const timeOf = defaultNameTime;

describe.skipIf(!ok)('simulate vs reality: incus-snapshot on LXD over 61 days of schedule fires', () => {
  it('the snapshots left on each instance are the set backplan simulate predicts', async () => {
    for (const j of Object.values(JOBS)) lxd!.lxc('init', '--empty', j.instance);
    const plan = join(lxd!.dir, 'sim.backplan.yaml');
    writeFileSync(plan, planText());
    const state = join(lxd!.dir, 'state');
    const fires: number[] = [];
    for (let t = FROM; t <= FROM + DAYS * 86_400_000; t += STEP) fires.push(t);
    const t0 = Date.now();
    for (const t of fires) {
      const r = await backplanAt(new Date(t).toISOString(), ['run', plan, '--state-dir', state], lxd!.env);
      expect(r.code, `run at ${new Date(t).toISOString()}: ${r.stdout}${r.stderr}`).toBe(0);
    }
    const ms = Date.now() - t0;
    console.log(`${fires.length} runs in ${(ms / 1000).toFixed(1)} s (${Math.round(ms / fires.length)} ms a run)`);

    const at = new Date(fires[fires.length - 1]).toISOString();
    for (const [job, j] of Object.entries(JOBS)) {
      const s = backplan(['simulate', plan, '--job', job, '--from', new Date(FROM).toISOString(), '--at', at, '--format', 'json']);
      expect(s.code, s.stderr).toBe(0);
      const sim = JSON.parse(s.stdout).jobs[0] as { engine: string; snapshots: { time: string }[]; stats: { created: number } };
      expect(sim.engine).toBe('native');
      expect(sim.stats.created).toBe(fires.length);
      const predicted = sim.snapshots.map((x) => new Date(Date.parse(x.time)).toISOString()).sort();
      const real = lxd!.snapshots(j.instance).map((n) => new Date(timeOf(n)).toISOString()).sort();
      expect(real, `${job} on ${j.instance}`).toEqual(predicted);
      expect(real.length).toBeGreaterThan(5);
    }
  }, 400_000);
});
