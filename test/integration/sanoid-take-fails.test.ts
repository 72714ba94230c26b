// sanoid 2.1 exits 0 when its `zfs snapshot` fails (it prints "CRITICAL ERROR" and goes on): a
// `pruner: sanoid` run must not journal that as a success (issue #15). The failure here is real
// zfs's: on zfs-fuse, a dataset whose name leaves no room for sanoid's snapshot name (ZFS names
// stop at 255 bytes) cannot be snapshotted, so sanoid takes nothing and exits 0. `backplan run`
// must fail the step and say which snapshot is missing; the same plan on a dataset with a short
// name takes its snapshots and succeeds (the check does not fail good runs), and a second run in
// the same hour, with nothing due, succeeds too.
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireRoot, requireTools } from '../helpers/integration';
import { sanoidJobPlan, startSanoidZfs, type SanoidZfs } from '../helpers/sanoid-zfs';

const ok = requireTools('sanoid', 'zfs', 'zpool', 'zfs-fuse', 'faketime') && requireRoot('zfs-fuse pools');
const AT = Date.UTC(2026, 2, 2, 6, 0, 0);

let z: SanoidZfs | undefined;
let LONG = '';
let SHORT = '';
const jobs: string[] = [];
const KEEP = '{ hourly: 4, daily: 7 }';


beforeAll(async () => {
  if (!ok) return;
  z = await startSanoidZfs('bptake');
  // pool/ + 215 bytes: the dataset exists, `DATASET@autosnap_..._hourly` is longer than 255 bytes.
  LONG = `${z.pool}/${'l'.repeat(215)}`;
  SHORT = `${z.pool}/short`;
  for (const ds of [LONG, SHORT]) expect(spawnSync('zfs', ['create', ds]).status).toBe(0);
  jobs.push(`long-${z.pool}`, `short-${z.pool}`);
  writeFileSync(join(z.work, 'long.backplan.yaml'), sanoidJobPlan(jobs[0], LONG, KEEP));
  writeFileSync(join(z.work, 'short.backplan.yaml'), sanoidJobPlan(jobs[1], SHORT, KEEP));
}, 60_000);

afterAll(async () => {
  if (!ok) return;
  await z?.close();
  for (const j of jobs) rmSync(`/var/lib/backplan/sanoid/${j}`, { recursive: true, force: true });
});

describe.skipIf(!ok)('pruner: sanoid when zfs snapshot fails', () => {
  it('sanoid exits 0, the run fails naming the snapshots it did not take', async () => {
    // sanoid itself says success: the proof that the check is Backplan's.
    const r = await z!.runAt(AT, join(z!.work, 'long.backplan.yaml'));
    expect(z!.held(LONG)).toEqual([]);
    expect(r.code, r.out).not.toBe(0);
    const end = r.journal.find((l) => l.type === 'step-end' && l.step === `${jobs[0]}/2`);
    expect(end?.status, r.out).toBe('failed');
    expect(String(end?.message)).toMatch(/sanoid exited 0 but did not take the snapshots this run was due to take/);
    expect(String(end?.message)).toContain('daily, hourly');
    expect(String(end?.message)).toContain(`${LONG}@autosnap_2026-03-02_06:00:00_hourly`);
    const job = r.journal.find((l) => l.type === 'job-end' && l.job === jobs[0]);
    expect(job?.status).toBe('failed');
  }, 120_000);

  it('a dataset sanoid can snapshot: the run succeeds, and again in the same hour with nothing due', async () => {
    const first = await z!.runAt(AT, join(z!.work, 'short.backplan.yaml'));
    expect(first.code, first.out).toBe(0);
    expect(z!.held(SHORT).map((h) => h.name).sort()).toEqual([
      'autosnap_2026-03-02_06:00:00_daily',
      'autosnap_2026-03-02_06:00:00_hourly',
    ]);
    const again = await z!.runAt(AT + 20 * 60_000, join(z!.work, 'short.backplan.yaml'));
    expect(again.code, again.out).toBe(0);
    expect(z!.held(SHORT)).toHaveLength(2);
  }, 120_000);
});
