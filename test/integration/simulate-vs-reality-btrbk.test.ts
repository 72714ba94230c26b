// btrbk 0.32.5 against the btrbk engine (engine/retention/btrbk.ts), on a real btrfs loop file:
// 1. `backplan run` of a `pruner: btrbk` job at every fire of a 6-hourly schedule over 61 days (a
//    faked, frozen clock per run) writes the btrbk.conf `backplan export --to btrbk` gives for the
//    job (which `btrbk config print` accepts) and runs `btrbk -c FILE run`, which makes and prunes
//    `data.YYYYMMDDTHHMM` snapshots; the set left at the end must be what `backplan simulate`
//    prints for the same plan, and what `backplan status` counts. `plan` shows the exact argv.
// 2. A btrbk pair: `pruner: btrbk` on the snapshot job (6-hourly, `btrbk snapshot`) and on the
//    btrfs-send job that is its target on a second btrfs filesystem (daily at 12:00, `btrbk
//    resume`), each `backplan run` at a fire over 61 days; both directories, at day 30 and at the
//    end, must hold what `backplan simulate` prints for each job (names and times): resume sends
//    every missing snapshot the target keeps, the latest common pair stays on both sides; and
//    `status --live` finds no drift on either side.
// 3. 100 seeded random cases: random snapshot names, preserve matrices (`*` included),
//    preserve_min, preserve_day_of_week and preserve_hour_of_day, and a random "now"; btrbk's
//    dry-run prune (`-n -S prune`, its delete rows) must delete exactly what the engine deletes.
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  btrbkName,
  btrbkSchedule,
  BTRBK_DAYS,
  type BtrbkPreserve,
  formatPreserveMatrix,
} from '../../engine/retention/btrbk';
import { btrfsAt, btrfsAvailable, sh, unmountAll } from '../helpers/btrfs';
import { backplanAt, btrbkAt, stamp } from '../helpers/btrbk';
import { rng } from '../helpers/rng';
import { ensureBuilt } from '../helpers/cli';
import { cliAt } from '../helpers/faketime';
import { requireTools } from '../helpers/integration';

const ok = btrfsAvailable() && requireTools('btrbk', 'faketime');
const H = 3_600_000;
const D = 24 * H;
const UNITS = ['h', 'd', 'w', 'm', 'y'] as const;
let work = '';
let mnt = '';
// The job's name names its btrbk directory on the host (/var/lib/backplan/btrbk/JOB): unique.
const JOB = `snaps-${randomBytes(3).toString('hex')}`;
const TOOL_DIR = `/var/lib/backplan/btrbk/${JOB}`;
const PAIR = { src: `${JOB}-src`, send: `${JOB}-off` };

function conf(dir: string, p: BtrbkPreserve): string {
  const min = typeof p.min === 'string' ? p.min : `${p.min.n}${p.min.unit}`;
  const matrix = formatPreserveMatrix(p.counts);
  return [
    'timestamp_format long',
    `snapshot_preserve_min ${min}`,
    `snapshot_preserve ${matrix === '' ? 'no' : matrix}`,
    `preserve_day_of_week ${p.dayOfWeek}`,
    `preserve_hour_of_day ${p.hourOfDay}`,
    `volume ${mnt}`,
    `  snapshot_dir ${dir}`,
    '  subvolume data',
    '',
  ].join('\n');
}

beforeAll(() => {
  if (!ok) return;
  ensureBuilt();
  work = mkdtempSync(join(tmpdir(), 'bp-btrbk-'));
  mnt = join(work, 'mnt');
  btrfsAt(mnt);
  sh(['btrfs', '-q', 'subvolume', 'create', join(mnt, 'data')]);
  sh(['btrfs', '-q', 'subvolume', 'create', join(mnt, 'pair')]);
  btrfsAt(join(work, 'dst'));
}, 60_000);

afterAll(() => {
  if (!ok) return;
  for (const j of [JOB, PAIR.src, PAIR.send]) rmSync(`/var/lib/backplan/btrbk/${j}`, { recursive: true, force: true });
  unmountAll();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe.skipIf(!ok)('btrbk on btrfs vs the btrbk engine (pruner: btrbk)', () => {
  it('backplan run (btrbk run, exported btrbk.conf) at 244 fires in 61 days leaves what simulate prints', async () => {
    const from = Date.UTC(2026, 0, 1);
    const runs = Array.from({ length: 61 * 4 }, (_, i) => from + i * 6 * H);
    const at = runs[runs.length - 1] + H;
    mkdirSync(join(mnt, 'run'));
    const plan = [
      'version: 1',
      'timezone: UTC',
      'jobs:',
      `  ${JOB}:`,
      '    kind: btrfs-snapshot',
      `    subvolume: ${join(mnt, 'data')}`,
      `    snapshot_dir: ${join(mnt, 'run')}`,
      '    schedule: "0 */6 * * *"',
      '    pruner: btrbk',
      '    retention: { keep: { hourly: 12, daily: 5, weekly: 3, monthly: 2 } }',
      '',
    ].join('\n');
    writeFileSync(join(work, 'btrbk.backplan.yaml'), plan);
    const exp = await cliAt(undefined, ['export', join(work, 'btrbk.backplan.yaml'), '--to', 'btrbk', '-f', 'json']);
    expect(exp.code, exp.stdout + exp.stderr).toBe(0);
    const conf = (JSON.parse(exp.stdout) as { files: { content: string }[] }).files[0].content;
    expect(conf).toContain('snapshot_preserve 12h 5d 3w 2m');
    writeFileSync(join(work, 'run.conf'), conf);
    const printed = await btrbkAt(from, 'UTC', ['-c', join(work, 'run.conf'), 'config', 'print']);
    expect(printed.code, printed.out).toBe(0);
    expect(printed.out).toMatch(/snapshot_preserve\s+12h 5d 3w 2m/);
    // The plan: that same file at the job's path, then the one btrbk argv, and no Backplan prune.
    const planned = await cliAt(undefined, ['plan', join(work, 'btrbk.backplan.yaml'), '--format', 'json']);
    expect(planned.code, planned.stderr).toBe(0);
    type S = { phase: string; display: string; argv?: string[]; config?: { path: string; content: string } };
    const steps = (JSON.parse(planned.stdout) as { steps: S[] }).steps;
    expect(steps.map((x) => x.phase)).toEqual(['setup', 'backup']);
    expect(steps[0].config?.path).toBe(`${TOOL_DIR}/btrbk.conf`);
    expect(steps[0].config?.content).toBe(conf);
    expect(steps[1].argv).toEqual(['btrbk', '-c', `${TOOL_DIR}/btrbk.conf`, 'run']);
    expect(steps[1].display).toBe(`[local] btrbk -c ${TOOL_DIR}/btrbk.conf run`);
    const state = join(work, 'state');
    for (const t of runs) {
      const r = await backplanAt(t, ['run', join(work, 'btrbk.backplan.yaml'), '--state-dir', state, '-f', 'json']);
      expect(r.code, r.out).toBe(0);
      const report = JSON.parse(r.stdout) as { jobs: { steps: { id: string; status: string }[] }[] };
      expect(report.jobs[0].steps.map((x) => [x.id, x.status])).toEqual([[`${JOB}/1`, 'ok'], [`${JOB}/2`, 'ok']]);
    }
    expect(readFileSync(`${TOOL_DIR}/btrbk.conf`, 'utf8')).toBe(conf);
    const real = readdirSync(join(mnt, 'run')).sort();
    const sim = await cliAt(undefined, ['simulate', join(work, 'btrbk.backplan.yaml'), '--from',
      new Date(from).toISOString(), '--at', new Date(at).toISOString(), '-f', 'json']);
    expect(sim.code, sim.stdout + sim.stderr).toBe(0);
    const out = JSON.parse(sim.stdout) as { jobs: { engine: string; snapshots: { time: string }[] }[] };
    expect(out.jobs[0].engine).toBe('btrbk');
    const predicted = out.jobs[0].snapshots.map((s) => btrbkName('data', Date.parse(s.time), 'UTC')).sort();
    expect(real).toEqual(predicted);
    expect(real.length).toBeGreaterThan(10);
    // status reads btrbk's names: the live count and the journal's are what btrbk left.
    type J = { job: string; copies: number | null; drift?: { missing: string[]; extra: string[] } | null };
    const file = join(work, 'btrbk.backplan.yaml');
    const live = await backplanAt(at, ['status', file, '--state-dir', state, '--live', '--format', 'json']);
    const row = (JSON.parse(live.stdout) as { jobs: J[] }).jobs.find((j) => j.job === JOB)!;
    expect(row.copies, live.out).toBe(real.length);
    expect(row.drift?.missing, live.out).toEqual([]);
    const plain = await backplanAt(at, ['status', file, '--state-dir', state, '--format', 'json']);
    expect((JSON.parse(plain.stdout) as { jobs: J[] }).jobs.find((j) => j.job === JOB)!.copies).toBe(real.length);
  }, 600_000);

  it('a btrbk pair: backplan run of btrbk snapshot (6-hourly) and resume (daily), 61 days: = simulate', async () => {
    const from = Date.UTC(2026, 0, 1);
    const runs = Array.from({ length: 61 * 4 }, (_, i) => from + i * 6 * H);
    mkdirSync(join(mnt, 'pairsnaps'));
    const file = join(work, 'pair.backplan.yaml');
    writeFileSync(file, [
      'version: 1',
      'timezone: UTC',
      'storage:',
      `  bk: { path: ${join(work, 'dst')} }`,
      'jobs:',
      `  ${PAIR.src}:`,
      '    kind: btrfs-snapshot',
      `    subvolume: ${join(mnt, 'pair')}`,
      `    snapshot_dir: ${join(mnt, 'pairsnaps')}`,
      '    schedule: "0 */6 * * *"',
      '    pruner: btrbk',
      '    retention: { keep: { hourly: 6 }, preserve_min: latest }',
      `  ${PAIR.send}:`,
      '    kind: btrfs-send',
      `    from: ${PAIR.src}`,
      '    to: bk',
      '    schedule: "0 12 * * *"',
      '    pruner: btrbk',
      '    retention:',
      '      keep: { hourly: 36, daily: 7, weekly: 2, monthly: 1 }',
      '      preserve_min: "no"',
      '      preserve_day_of_week: monday',
      '      preserve_hour_of_day: 6',
      '',
    ].join('\n'));
    const exp = await cliAt(undefined, ['export', file, '--to', 'btrbk', '-f', 'json']);
    expect(exp.code, exp.stdout + exp.stderr).toBe(0);
    const conf = (JSON.parse(exp.stdout) as { files: { content: string }[] }).files[0].content;
    expect(conf).toContain(`target send-receive ${join(work, 'dst')}/${PAIR.send}`);
    // btrbk reads the exported section: config print, and a dry run on the real subvolumes.
    writeFileSync(join(work, 'pair.conf'), conf);
    mkdirSync(join(work, 'dst', PAIR.send));
    const printed = await btrbkAt(from, 'UTC', ['-c', join(work, 'pair.conf'), 'config', 'print']);
    expect(printed.out).toMatch(/target send-receive \S+\n\s+preserve_day_of_week\s+monday/);
    const dry = await btrbkAt(from, 'UTC', ['-c', join(work, 'pair.conf'), 'dryrun']);
    expect(dry.code, dry.out).toBe(0);
    expect(dry.out).toContain(`*** ${join(work, 'dst', PAIR.send)}/pair.20260101T0000`);
    const state = join(work, 'pair-state');
    const srcDir = join(mnt, 'pairsnaps');
    const dstDir = join(work, 'dst', PAIR.send);
    const compare = async (at: number) => {
      const sim = await cliAt(undefined, ['simulate', file, '--from', new Date(from).toISOString(), '--at',
        new Date(at).toISOString(), '-f', 'json']);
      expect(sim.code, sim.stdout + sim.stderr).toBe(0);
      type Sim = { jobs: { job: string; engine: string; snapshots: { time: string }[] }[] };
      const jobs = (JSON.parse(sim.stdout) as Sim).jobs;
      const names = (j: string) =>
        jobs.find((x) => x.job === j)!.snapshots.map((s) => btrbkName('pair', Date.parse(s.time), 'UTC')).sort();
      expect(readdirSync(srcDir).sort(), `source at ${stamp(at)}`).toEqual(names(PAIR.src));
      expect(readdirSync(dstDir).sort(), `target at ${stamp(at)}`).toEqual(names(PAIR.send));
      return { src: names(PAIR.src).length, dst: names(PAIR.send).length };
    };
    let sizes = { src: 0, dst: 0 };
    for (const [i, t] of runs.entries()) {
      const both = new Date(t).getUTCHours() === 12;
      const args = ['run', file, '--state-dir', state, '-f', 'json', ...(both ? [] : ['--job', PAIR.src])];
      const r = await backplanAt(t, args);
      expect(r.code, `${stamp(t)}: ${r.out}`).toBe(0);
      if (i === 5 * 4 || i === 30 * 4 || i === runs.length - 1) sizes = await compare(t + H);
    }
    // The target keeps more than the source (resume sent each day's snapshots the target keeps).
    expect(sizes.dst).toBeGreaterThan(sizes.src);
    expect(sizes.src).toBeGreaterThanOrEqual(2);
    // status --live reads both sides with the pair's replay: no drift, the latest common pair no extra.
    type J = { job: string; copies: number | null; drift?: { missing: string[]; extra: string[] } | null };
    const end = runs[runs.length - 1] + H;
    const live = await backplanAt(end, ['status', file, '--state-dir', state, '--live', '-f', 'json']);
    for (const [j, dir] of [[PAIR.src, srcDir], [PAIR.send, dstDir]]) {
      const row = (JSON.parse(live.stdout) as { jobs: J[] }).jobs.find((x) => x.job === j)!;
      expect(row.copies, live.out).toBe(readdirSync(dir).length);
      expect(row.drift, live.out).toEqual({ missing: [], extra: [] });
    }
  }, 1_200_000);

  it('100 random snapshot lists and policies: btrbk -n prune deletes exactly what the engine deletes', async () => {
    const r = rng(15);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
    const count = () => (r() < 0.15 ? ('all' as const) : r() < 0.2 ? undefined : Math.floor(r() * 8));
    let deletions = 0;
    for (let c = 0; c < 100; c++) {
      const zone = pick(['UTC', 'Europe/Paris', 'America/New_York']);
      const now = Date.UTC(2026, 0, 1) + Math.floor(r() * 400) * D + Math.floor(r() * 24 * 60) * 60_000;
      const span = pick([2 * D, 20 * D, 120 * D, 800 * D]);
      const names = new Map<string, number>();
      const n = 3 + Math.floor(r() * 30);
      for (let i = 0; i < n; i++) {
        const t = now - Math.floor((r() * span) / 60_000) * 60_000;
        if (!names.has(btrbkName('data', t, zone))) names.set(btrbkName('data', t, zone), t);
      }
      const min: BtrbkPreserve['min'] = pick(['latest', 'all', 'unit', 'unit', 'unit']) as 'latest';
      const p: BtrbkPreserve = {
        min: (min as string) === 'unit' ? { n: 1 + Math.floor(r() * 5), unit: pick(UNITS) } : min,
        counts: Object.fromEntries(
          UNITS.map((u) => [u, count()]).filter(([, v]) => v !== undefined),
        ),
        dayOfWeek: pick(BTRBK_DAYS),
        hourOfDay: Math.floor(r() * 24),
      };
      const dir = `c${c}`;
      mkdirSync(join(mnt, dir));
      for (const name of names.keys()) {
        sh(['btrfs', '-q', 'subvolume', 'snapshot', '-r', join(mnt, 'data'), join(mnt, dir, name)]);
      }
      writeFileSync(join(work, `${dir}.conf`), conf(dir, p));
      const res = await btrbkAt(now, zone, ['-c', join(work, `${dir}.conf`), '-n', '-S', 'prune']);
      const label = `case ${c}: ${zone} now ${stamp(now, zone)} ${JSON.stringify(p)}`;
      expect(res.code, `${label}\n${res.out}`).toBe(0);
      const deleted = [...res.out.matchAll(/^delete\s+(\S+)/gm)].map((m) => m[1].split('/').pop()!).sort();
      const snaps = [...names].map(([id, time]) => ({ time, id }));
      const engine = btrbkSchedule(snaps, p, now, zone).remove.map((s) => s.id!).sort();
      expect(engine, `${label}\n${res.out}`).toEqual(deleted);
      deletions += deleted.length;
    }
    expect(deletions).toBeGreaterThan(100);
  }, 600_000);
});
