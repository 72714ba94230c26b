// Simulate vs reality for `pruner: sanoid` (issue #15): the real sanoid 2.1 takes and prunes the
// snapshots of a real zfs-fuse dataset, run at every fire of a 6-hourly schedule over 61 days
// (faked, frozen clock per run), with the sanoid.conf that `backplan export --to sanoid` writes
// for the job. After every run the dataset's snapshots must be the ones the engine's replay
// (engine/retention/sanoid.ts) holds after that run, and at the end exactly the names and times
// `backplan simulate` prints. The same plan pruned by Backplan's own rules must predict another
// set (the test tells the engines apart).
// zfs-fuse rejects `zfs get -t`, which sanoid lists with: a `zfs` wrapper first on PATH answers
// it from `zfs list` and gives each snapshot the faked clock's time of its `zfs snapshot`
// (zfs-fuse stamps the real clock); every other command is the real zfs. sanoid's listing cache
// is removed before each run (TESTING.md: 2.1.0 does not refresh it after taking).
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PolicyModel } from '../../engine/plan/model';
import { replaySanoid } from '../../engine/retention/sanoid';
import { ensureBuilt } from '../helpers/cli';
import { cliAt, faketimeLib } from '../helpers/faketime';
import { requireRoot, requireTools } from '../helpers/integration';
import { startZfsFuse, type ZfsFuse } from '../helpers/zfs-fuse';

const ok = requireTools('sanoid', 'zfs', 'zpool', 'zfs-fuse', 'faketime') && requireRoot('zfs-fuse pools');
const H = 3_600_000;
const FROM = Date.UTC(2026, 0, 1);
const RUNS = Array.from({ length: 61 * 4 }, (_, i) => FROM + i * 6 * H);
const AT = RUNS[RUNS.length - 1] + H;
const KEEP = { hourly: 4, daily: 7, weekly: 3, monthly: 2 };
const POLICY = { at: [], keep: KEEP, raw: { keep: KEEP } } as unknown as PolicyModel;

let work = '';
let zfs: ZfsFuse | undefined;
const POOL = `bpsanoid${randomBytes(3).toString('hex')}`;
const DS = `${POOL}/data`;

const WRAPPER = `#!/bin/sh
# zfs-fuse rejects \`zfs get -t\`; creation is the (faked) clock at \`zfs snapshot\`, kept in $CTIMES
case "$1" in
  get) zfs_real list -H -t snapshot -o name |
         awk -F'\\t' 'NR == FNR { c[$1] = $2; next } { print $1 "\\tcreation\\t" c[$1] "\\t-" }' "$CTIMES" - ;;
  snapshot) shift; [ "$1" = -r ] && shift
            zfs_real snapshot "$@" && for s in "$@"; do printf '%s\\t%s\\n' "$s" "$(date +%s)" >> "$CTIMES"; done ;;
  *) exec zfs_real "$@" ;;
esac
`;

function plan(pruner: boolean): string {
  return [
    'version: 1',
    'timezone: UTC',
    'hosts:',
    '  local: { address: 127.0.0.1 }',
    'jobs:',
    '  snaps:',
    '    kind: zfs-snapshot',
    '    host: local',
    `    dataset: ${DS}`,
    '    schedule: "0 */6 * * *"',
    ...(pruner ? ['    pruner: sanoid'] : []),
    `    retention: { keep: ${JSON.stringify(KEEP)} }`,
    '',
  ].join('\n');
}

function stamp(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, '');
}

/** One sanoid run with the clock frozen at `ms`. */
function sanoidAt(ms: number): Promise<{ code: number; out: string }> {
  rmSync(join(work, 'cache'), { recursive: true, force: true });
  return new Promise((resolve) => {
    const child = spawn(
      'sanoid',
      ['--configdir', join(work, 'conf'), '--cache-dir', join(work, 'cache'), '--run-dir', join(work, 'run'),
        '--take-snapshots', '--prune-snapshots', '--verbose'],
      {
        env: {
          ...process.env,
          TZ: 'UTC',
          PATH: `${join(work, 'bin')}:${process.env.PATH}`,
          CTIMES: join(work, 'ctimes'),
          FAKETIME: stamp(ms),
          LD_PRELOAD: faketimeLib(),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('close', (code) => resolve({ code: code ?? -1, out }));
  });
}

/** The dataset's snapshots with their (faked) creation times, oldest first. */
function realHeld(): { name: string; time: number }[] {
  const ctimes = new Map(
    readFileSync(join(work, 'ctimes'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split('\t') as [string, string]),
  );
  const r = spawnSync('zfs', ['list', '-H', '-t', 'snapshot', '-o', 'name', '-r', DS], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`zfs list: ${r.stderr}`);
  return r.stdout
    .split('\n')
    .filter((l) => l.startsWith(`${DS}@`))
    .map((full) => ({ name: full.slice(DS.length + 1), time: Number(ctimes.get(full)) * 1000 }))
    .sort((a, b) => a.time - b.time || a.name.localeCompare(b.name));
}

const sorted = <T extends { name: string; time: number }>(xs: T[]) =>
  xs.map((x) => ({ name: x.name, time: x.time })).sort((a, b) => a.time - b.time || a.name.localeCompare(b.name));

beforeAll(async () => {
  if (!ok) return;
  ensureBuilt();
  work = mkdtempSync(join(tmpdir(), 'bp-sanoid-'));
  zfs = await startZfsFuse(work);
  zfs.pool(POOL, work, join(work, 'mnt'));
  expect(spawnSync('zfs', ['create', DS]).status).toBe(0);
  for (const d of ['bin', 'conf', 'run']) mkdirSync(join(work, d));
  const real = spawnSync('sh', ['-c', 'command -v zfs'], { encoding: 'utf8' }).stdout.trim();
  writeFileSync(join(work, 'bin', 'zfs'), WRAPPER.replaceAll('zfs_real', real));
  chmodSync(join(work, 'bin', 'zfs'), 0o755);
  writeFileSync(join(work, 'ctimes'), '');
  writeFileSync(join(work, 'sanoid.backplan.yaml'), plan(true));
  writeFileSync(join(work, 'native.backplan.yaml'), plan(false));
}, 60_000);

afterAll(async () => {
  if (!ok) return;
  spawnSync('zfs', ['destroy', '-r', DS]);
  // zfs-fuse may refuse the first destroy right after a busy run: retry until the pool is gone.
  for (let i = 0; i < 20 && spawnSync('zpool', ['list', POOL]).status === 0; i++) {
    spawnSync('zpool', ['destroy', '-f', POOL]);
    await new Promise((res) => setTimeout(res, 250));
  }
  await zfs?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe.skipIf(!ok)('sanoid on zfs-fuse vs backplan simulate (pruner: sanoid)', () => {
  it('each of 244 runs in 61 days leaves what the engine replays; the last what simulate prints', async () => {
    const exp = await cliAt(undefined, ['export', join(work, 'sanoid.backplan.yaml'), '--to', 'sanoid', '-f', 'json']);
    expect(exp.code, exp.stderr).toBe(0);
    const conf = (JSON.parse(exp.stdout) as { files: { content: string }[] }).files[0].content;
    expect(conf).toContain(`[${DS}]`);
    writeFileSync(join(work, 'conf', 'sanoid.conf'), conf);

    let pruned = 0;
    for (let i = 0; i < RUNS.length; i++) {
      const r = await sanoidAt(RUNS[i]);
      expect(r.code, r.out).toBe(0);
      pruned += (r.out.match(/INFO: pruning /g) ?? []).length;
      const replay = replaySanoid(RUNS.slice(0, i + 1), POLICY, 'UTC', RUNS[i]);
      expect(realHeld(), `after the run at ${new Date(RUNS[i]).toISOString()}`).toEqual(sorted(replay.held));
    }
    const held = realHeld();
    // Every type was taken and pruned, and sanoid's "N + 1" (it prunes the list read before taking) shows.
    for (const t of ['hourly', 'daily', 'weekly', 'monthly']) {
      expect(held.some((h) => h.name.endsWith(`_${t}`))).toBe(true);
    }
    expect(held.filter((h) => h.name.endsWith('_hourly'))).toHaveLength(KEEP.hourly + 1);
    expect(pruned).toBeGreaterThan(200);

    const sim = await cliAt(undefined, ['simulate', join(work, 'sanoid.backplan.yaml'), '--job', 'snaps', '--from',
      new Date(FROM).toISOString(), '--at', new Date(AT).toISOString(), '--format', 'json']);
    expect(sim.code, sim.stderr).toBe(0);
    const out = JSON.parse(sim.stdout) as { jobs: { engine: string; snapshots: { time: string; name: string }[] }[] };
    expect(out.jobs[0].engine).toBe('sanoid');
    const predicted = out.jobs[0].snapshots.map((s) => ({ name: s.name, time: Date.parse(s.time) }));
    expect(held).toEqual(sorted(predicted));

    // Backplan's own reading of the same counts (calendar buckets, restic semantics) holds another set.
    const native = await cliAt(undefined, ['simulate', join(work, 'native.backplan.yaml'), '--job', 'snaps', '--from',
      new Date(FROM).toISOString(), '--at', new Date(AT).toISOString(), '--format', 'json']);
    expect(native.code, native.stderr).toBe(0);
    const nativeOut = JSON.parse(native.stdout) as typeof out;
    const nativeTimes = nativeOut.jobs[0].snapshots.map((s) => Date.parse(s.time)).sort();
    expect(nativeTimes).not.toEqual([...new Set(held.map((h) => h.time))].sort());
  }, 900_000);
});
