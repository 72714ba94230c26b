// Simulate vs reality for `pruner: sanoid` (issue #15): `backplan run` of the job, at every fire of
// a 6-hourly schedule over 61 days (faked, frozen clock per run), writes the sanoid.conf that
// `backplan export --to sanoid` gives for the job and runs the real sanoid 2.1, which takes and
// prunes the snapshots of a real zfs-fuse dataset. After every run the dataset's snapshots must be
// the ones the engine's replay (engine/retention/sanoid.ts) holds after that run, and at the end
// exactly the names and times `backplan simulate` prints, and what `status --live` counts. The
// same plan pruned by Backplan's own rules must predict another set (the test tells the engines
// apart). A run that snapshotted and pruned by Backplan's own driver fails at the first run.
// The zfs-fuse pool, the `zfs` wrapper and the frozen clock are test/helpers/sanoid-zfs.ts's.
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PolicyModel } from '../../engine/plan/model';
import { replaySanoid } from '../../engine/retention/sanoid';
import { cliAt } from '../helpers/faketime';
import { requireRoot, requireTools } from '../helpers/integration';
import { byTime as sorted, sanoidJobPlan, startSanoidZfs, type SanoidZfs } from '../helpers/sanoid-zfs';

const ok = requireTools('sanoid', 'zfs', 'zpool', 'zfs-fuse', 'faketime') && requireRoot('zfs-fuse pools');
const H = 3_600_000;
const FROM = Date.UTC(2026, 0, 1);
const RUNS = Array.from({ length: 61 * 4 }, (_, i) => FROM + i * 6 * H);
const AT = RUNS[RUNS.length - 1] + H;
const KEEP = { hourly: 4, daily: 7, weekly: 3, monthly: 2 };
const POLICY = { at: [], keep: KEEP, raw: { keep: KEEP } } as unknown as PolicyModel;

let z: SanoidZfs | undefined;
let work = '';
let DS = '';
// The job's name names its sanoid directory on the host (/var/lib/backplan/sanoid/JOB): unique.
let JOB = '';
let TOOL_DIR = '';

const plan = (pruner: boolean): string => sanoidJobPlan(JOB, DS, JSON.stringify(KEEP), pruner);

const STATE = () => join(work, 'state');
const backplanAt = (ms: number, args: string[]) => z!.backplanAt(ms, args);
const runAt = (ms: number) => z!.runAt(ms, join(work, 'sanoid.backplan.yaml'));
const realHeld = () => z!.held(DS);

beforeAll(async () => {
  if (!ok) return;
  z = await startSanoidZfs('bpsanoid');
  work = z.work;
  DS = `${z.pool}/data`;
  JOB = `snaps-${z.pool}`;
  TOOL_DIR = `/var/lib/backplan/sanoid/${JOB}`;
  expect(spawnSync('zfs', ['create', DS]).status).toBe(0);
  writeFileSync(join(work, 'sanoid.backplan.yaml'), plan(true));
  writeFileSync(join(work, 'native.backplan.yaml'), plan(false));
  rmSync(TOOL_DIR, { recursive: true, force: true });
}, 60_000);

afterAll(async () => {
  if (!ok) return;
  await z?.close();
  rmSync(TOOL_DIR, { recursive: true, force: true });
});

describe.skipIf(!ok)('backplan run of a pruner: sanoid job on zfs-fuse vs backplan simulate', () => {
  it('plan and run --dry-run show the sanoid.conf path and the one sanoid argv; no Backplan prune', async () => {
    const argv = ['sanoid', '--configdir', TOOL_DIR, '--cache-dir', `${TOOL_DIR}/cache`, '--run-dir', `${TOOL_DIR}/run`,
      '--take-snapshots', '--prune-snapshots', '--verbose'];
    const r = await cliAt(undefined, ['plan', join(work, 'sanoid.backplan.yaml'), '--format', 'json']);
    expect(r.code, r.stderr).toBe(0);
    type S = { phase: string; display: string; argv?: string[]; config?: { path: string; content: string } };
    const steps = (JSON.parse(r.stdout) as { steps: S[] }).steps;
    expect(steps.map((x) => x.phase)).toEqual(['setup', 'backup']);
    const exp = await cliAt(undefined, ['export', join(work, 'sanoid.backplan.yaml'), '--to', 'sanoid', '-f', 'json']);
    expect(exp.code, exp.stderr).toBe(0);
    expect(steps[0].config).toEqual({
      tool: 'sanoid',
      path: `${TOOL_DIR}/sanoid.conf`,
      content: (JSON.parse(exp.stdout) as { files: { content: string }[] }).files[0].content,
      clear: [`${TOOL_DIR}/cache/snapshots.txt`],
    });
    expect(steps[1].argv).toEqual(argv);
    const dry = await cliAt(undefined, ['run', join(work, 'sanoid.backplan.yaml'), '--dry-run', '--format', 'json']);
    expect(dry.code, dry.stderr).toBe(0);
    const shown = (JSON.parse(dry.stdout) as { steps: S[] }).steps.map((x) => x.display);
    expect(shown).toEqual([
      `[local] write sanoid's configuration ${TOOL_DIR}/sanoid.conf (${steps[0].config!.content.length} bytes, ` +
        `atomically), after removing ${TOOL_DIR}/cache/snapshots.txt`,
      `[local] ${argv.join(' ')}`,
    ]);
  });

  it('each of 244 runs in 61 days leaves what the engine replays; the last what simulate prints', async () => {
    for (let i = 0; i < RUNS.length; i++) {
      const r = await runAt(RUNS[i]);
      expect(r.code, r.out).toBe(0);
      // The run's own steps, journalled under its lock: the config, then sanoid, nothing else.
      const ends = r.journal.filter((l) => l.type === 'step-end');
      expect(ends.map((l) => [l.step, l.status])).toEqual([[`${JOB}/1`, 'ok'], [`${JOB}/2`, 'ok']]);
      const starts = r.journal.filter((l) => l.type === 'step-start').map((l) => String(l.display));
      expect(starts[1]).toMatch(/^\[local\] sanoid --configdir /);
      const replay = replaySanoid(RUNS.slice(0, i + 1), POLICY, 'UTC', RUNS[i]);
      expect(realHeld(), `after the run at ${new Date(RUNS[i]).toISOString()}`).toEqual(sorted(replay.held));
      const kept = (ends[1].detail as { kept?: { name: string }[] } | undefined)?.kept?.map((k) => k.name).sort();
      expect(kept, 'the journal counts what sanoid left').toEqual(realHeld().map((h) => h.name).sort());
    }
    expect(readFileSync(join(TOOL_DIR, 'sanoid.conf'), 'utf8')).toContain(`[${DS}]`);
    const held = realHeld();
    // Every type was taken and pruned, and sanoid's "N + 1" (it prunes the list read before taking) shows.
    for (const t of ['hourly', 'daily', 'weekly', 'monthly']) {
      expect(held.some((h) => h.name.endsWith(`_${t}`))).toBe(true);
    }
    expect(held.filter((h) => h.name.endsWith('_hourly'))).toHaveLength(KEEP.hourly + 1);
    expect(held.length).toBeLessThan(RUNS.length / 4);

    const sim = await cliAt(undefined, ['simulate', join(work, 'sanoid.backplan.yaml'), '--job', JOB, '--from',
      new Date(FROM).toISOString(), '--at', new Date(AT).toISOString(), '--format', 'json']);
    expect(sim.code, sim.stderr).toBe(0);
    const out = JSON.parse(sim.stdout) as { jobs: { engine: string; snapshots: { time: string; name: string }[] }[] };
    expect(out.jobs[0].engine).toBe('sanoid');
    const predicted = out.jobs[0].snapshots.map((s) => ({ name: s.name, time: Date.parse(s.time) }));
    expect(held).toEqual(sorted(predicted));

    // status reads sanoid's names: the live count is what sanoid left, and the journal's too.
    const live = await backplanAt(AT, ['status', join(work, 'sanoid.backplan.yaml'), '--state-dir', STATE(), '--live',
      '--format', 'json']);
    type J = { job: string; copies: number | null; drift?: { missing: string[]; extra: string[] } | null };
    const row = (JSON.parse(live.stdout) as { jobs: J[] }).jobs.find((j) => j.job === JOB)!;
    expect(row.copies, live.out).toBe(held.length);
    expect(row.drift?.missing, live.out).toEqual([]);
    const plain = await backplanAt(AT, ['status', join(work, 'sanoid.backplan.yaml'), '--state-dir', STATE(),
      '--format', 'json']);
    expect((JSON.parse(plain.stdout) as { jobs: J[] }).jobs.find((j) => j.job === JOB)!.copies).toBe(held.length);

    // Backplan's own reading of the same counts (calendar buckets, restic semantics) holds another set.
    const native = await cliAt(undefined, ['simulate', join(work, 'native.backplan.yaml'), '--job', JOB, '--from',
      new Date(FROM).toISOString(), '--at', new Date(AT).toISOString(), '--format', 'json']);
    expect(native.code, native.stderr).toBe(0);
    const nativeOut = JSON.parse(native.stdout) as typeof out;
    const nativeTimes = nativeOut.jobs[0].snapshots.map((s) => Date.parse(s.time)).sort();
    expect(nativeTimes).not.toEqual([...new Set(held.map((h) => h.time))].sort());
  }, 1_200_000);
});
