// `backplan prune` of a job whose tool prunes (issue #15), for real: a `pruner: sanoid` dataset on
// zfs-fuse. Four runs take snapshots with generous counts; the plan's counts are then lowered and
// `backplan prune --dry-run` must list what Backplan's sanoid engine removes (sanoid has no dry
// run) and change nothing; `backplan prune` then runs `sanoid --prune-snapshots` alone (nothing
// taken), under the job's lock, journalled, and leaves exactly the dry run's `keep`. The same for a
// `pruner: btrbk` job on a btrfs loop file: the dry run is btrbk's own `-n -S prune`, the prune
// `btrbk -c CONF prune` (no snapshot made).
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { btrfsAt, btrfsAvailable, sh, unmountAll } from '../helpers/btrfs';
import { backplanAt as btrbkBackplanAt } from '../helpers/btrbk';
import { ensureBuilt } from '../helpers/cli';
import { requireRoot, requireTools } from '../helpers/integration';
import { sanoidJobPlan, startSanoidZfs, type SanoidZfs } from '../helpers/sanoid-zfs';

const ok = requireTools('sanoid', 'zfs', 'zpool', 'zfs-fuse', 'faketime') && requireRoot('zfs-fuse pools');
const H = 3_600_000;
const FROM = Date.UTC(2026, 3, 1);
let z: SanoidZfs | undefined;
let JOB = '';
let DS = '';

const plan = (keep: string): string => sanoidJobPlan(JOB, DS, keep);

beforeAll(async () => {
  if (!ok) return;
  z = await startSanoidZfs('bpprune');
  JOB = `snaps-${z.pool}`;
  DS = `${z.pool}/data`;
  expect(spawnSync('zfs', ['create', DS]).status).toBe(0);
}, 60_000);

afterAll(async () => {
  if (!ok) return;
  await z?.close();
  rmSync(`/var/lib/backplan/sanoid/${JOB}`, { recursive: true, force: true });
});

describe.skipIf(!ok)('backplan prune of a pruner: sanoid job', () => {
  it('--dry-run: the sanoid engine\'s removals; prune runs sanoid --prune-snapshots, leaves its keep', async () => {
    const file = join(z!.work, 'p.backplan.yaml');
    const state = join(z!.work, 'state');
    writeFileSync(file, plan('{ hourly: 24, daily: 7 }'));
    for (let i = 0; i < 4; i++) expect((await z!.runAt(FROM + i * 6 * H, file)).code).toBe(0);
    const before = z!.held(DS).map((h) => h.name);
    expect(before).toHaveLength(5); // the first run's daily and hourly, three hourlies
    // Fewer hourlies now: sanoid removes the oldest while more than 1 are held and they are older than 1 h.
    writeFileSync(file, plan('{ hourly: 1, daily: 7 }'));
    const at = FROM + 20 * H;
    const dry = await z!.backplanAt(at, ['prune', file, '--job', JOB, '--dry-run', '--state-dir', state,
      '--format', 'json']);
    expect(dry.code, dry.out).toBe(0);
    type Report = { remove: { name: string }[]; keep: { name: string }[]; removed: string[]; journal?: string };
    const plan1 = JSON.parse(dry.stdout) as Report;
    expect(plan1.remove.map((r) => r.name).sort()).toEqual([
      'autosnap_2026-04-01_00:00:00_hourly',
      'autosnap_2026-04-01_06:00:00_hourly',
      'autosnap_2026-04-01_12:00:00_hourly',
    ]);
    expect(z!.held(DS).map((h) => h.name)).toEqual(before);

    const real = await z!.backplanAt(at, ['prune', file, '--job', JOB, '--state-dir', state, '--format', 'json']);
    expect(real.code, real.out).toBe(0);
    const done = JSON.parse(real.stdout) as Report;
    expect(done.removed.sort()).toEqual(plan1.remove.map((r) => r.name).sort());
    // Nothing taken (at 20:00 an hourly would be due), the dry run's keep left.
    expect(z!.held(DS).map((h) => h.name).sort()).toEqual(plan1.keep.map((k) => k.name).sort());
    const journal = readFileSync(done.journal!, 'utf8');
    expect(journal).toContain('--prune-snapshots');
    expect(journal).not.toContain('--take-snapshots');
  }, 300_000);
});

const okBtrbk = btrfsAvailable() && requireTools('btrbk', 'faketime');
const BJOB = `bsnaps-${randomBytes(3).toString('hex')}`;
let bwork = '';

describe.skipIf(!okBtrbk)('backplan prune of a pruner: btrbk job', () => {
  afterAll(() => {
    rmSync(`/var/lib/backplan/btrbk/${BJOB}`, { recursive: true, force: true });
    unmountAll();
    if (bwork) rmSync(bwork, { recursive: true, force: true });
  });

  it('--dry-run is btrbk -n prune\'s decision; prune runs btrbk prune and leaves its keep', async () => {
    ensureBuilt();
    bwork = mkdtempSync(join(tmpdir(), 'bp-prune-btrbk-'));
    const mnt = join(bwork, 'mnt');
    btrfsAt(mnt);
    sh(['btrfs', '-q', 'subvolume', 'create', join(mnt, 'data')]);
    mkdirSync(join(mnt, 'snaps'));
    const file = join(bwork, 'b.backplan.yaml');
    const bplan = (retention: string) => ['version: 1', 'timezone: UTC', 'jobs:', `  ${BJOB}:`,
      '    kind: btrfs-snapshot', `    subvolume: ${join(mnt, 'data')}`, `    snapshot_dir: ${join(mnt, 'snaps')}`,
      '    schedule: "0 */6 * * *"', '    pruner: btrbk', `    retention: ${retention}`, ''].join('\n');
    writeFileSync(file, bplan('{ keep: { hourly: 48 } }'));
    const state = join(bwork, 'state');
    for (let i = 0; i < 4; i++) {
      const r = await btrbkBackplanAt(FROM + i * 6 * H, ['run', file, '--state-dir', state, '-f', 'json']);
      expect(r.code, r.out).toBe(0);
    }
    const held = () => readdirSync(join(mnt, 'snaps')).sort();
    const before = held();
    expect(before).toEqual(['data.20260401T0000', 'data.20260401T0600', 'data.20260401T1200', 'data.20260401T1800']);
    writeFileSync(file, bplan('{ preserve_min: latest, preserve: "8h" }'));
    const at = FROM + 20 * H;
    type Report = { remove: { name: string }[]; keep: { name: string }[]; removed: string[]; journal?: string };
    const args = ['prune', file, '--job', BJOB, '--state-dir', state, '-f', 'json'];
    const dry = await btrbkBackplanAt(at, [...args, '--dry-run']);
    expect(dry.code, dry.out).toBe(0);
    const would = JSON.parse(dry.stdout) as Report;
    // 8h: the first of each of the last 8 hours (12:00 is 8 hours before 20:00), and the latest.
    expect(would.remove.map((r) => r.name).sort()).toEqual(['data.20260401T0000', 'data.20260401T0600']);
    expect(held()).toEqual(before);
    const real = await btrbkBackplanAt(at, args);
    expect(real.code, real.out).toBe(0);
    const done = JSON.parse(real.stdout) as Report;
    expect(done.removed.sort()).toEqual(would.remove.map((r) => r.name).sort());
    expect(held()).toEqual(would.keep.map((k) => k.name).sort());
    expect(readFileSync(done.journal!, 'utf8')).toContain(`btrbk -c /var/lib/backplan/btrbk/${BJOB}/btrbk.conf prune`);
  }, 300_000);
});
