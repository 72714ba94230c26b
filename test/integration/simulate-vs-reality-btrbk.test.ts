// btrbk 0.32.5 against the btrbk engine (engine/retention/btrbk.ts), on a real btrfs loop file:
// 1. `backplan run` of a `pruner: btrbk` job at every fire of a 6-hourly schedule over 61 days (a
//    faked, frozen clock per run) writes the btrbk.conf `backplan export --to btrbk` gives for the
//    job (which `btrbk config print` accepts) and runs `btrbk -c FILE run`, which makes and prunes
//    `data.YYYYMMDDTHHMM` snapshots; the set left at the end must be what `backplan simulate`
//    prints for the same plan, and what `backplan status` counts. `plan` shows the exact argv.
// 2. 100 seeded random cases: random snapshot names, preserve matrices (`*` included),
//    preserve_min, preserve_day_of_week and preserve_hour_of_day, and a random "now"; btrbk's
//    dry-run prune (`-n -S prune`, its delete rows) must delete exactly what the engine deletes.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  btrbkName,
  btrbkSchedule,
  BTRBK_DAYS,
  type BtrbkPreserve,
  formatPreserveMatrix,
} from '../../engine/retention/btrbk';
import { btrfsAt, btrfsAvailable, sh, unmountAll } from '../helpers/btrfs';
import { CLI, ensureBuilt } from '../helpers/cli';
import { cliAt, faketimeLib } from '../helpers/faketime';
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

/** libfaketime reads an absolute FAKETIME as a wall-clock reading in TZ. */
function stamp(ms: number, zone = 'UTC'): string {
  return DateTime.fromMillis(ms, { zone }).toFormat('yyyy-MM-dd HH:mm:ss');
}

/** btrbk with the clock frozen at `ms`, in `zone`. */
function btrbkAt(ms: number, zone: string, args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const child = spawn('btrbk', args, {
      env: { ...process.env, TZ: zone, FAKETIME: stamp(ms, zone), LD_PRELOAD: faketimeLib() },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('close', (code) => resolve({ code: code ?? -1, out }));
  });
}

/** `backplan ARGS` with the clock frozen at `ms` in UTC (the monotonic clock real, for node's timers). */
function backplanAt(ms: number, args: string[]): Promise<{ code: number; out: string; stdout: string }> {
  return new Promise((resolve) => {
    const env = {
      ...process.env,
      NO_COLOR: '1',
      TZ: 'UTC',
      FAKETIME: stamp(ms),
      FAKETIME_DONT_FAKE_MONOTONIC: '1',
      LD_PRELOAD: faketimeLib(),
    };
    const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let stdout = '';
    child.stdout.on('data', (d) => ((out += d), (stdout += d)));
    child.stderr.on('data', (d) => (out += d));
    child.on('close', (code) => resolve({ code: code ?? -1, out, stdout }));
  });
}

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

/** A small seeded generator (mulberry32), so a failing case can be replayed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

beforeAll(() => {
  if (!ok) return;
  ensureBuilt();
  work = mkdtempSync(join(tmpdir(), 'bp-btrbk-'));
  mnt = join(work, 'mnt');
  btrfsAt(mnt);
  sh(['btrfs', '-q', 'subvolume', 'create', join(mnt, 'data')]);
}, 60_000);

afterAll(() => {
  if (!ok) return;
  rmSync(TOOL_DIR, { recursive: true, force: true });
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
