// Simulate vs reality for duplicity (issue #15): a duplicity job is run with `backplan run` at
// each fire of its daily schedule with the wall clock frozen at the fire (libfaketime, monotonic
// clock left real so Node's timers run), so real duplicity 0.8.22 decides full or incremental
// from `--full-if-older-than` and its remove commands (with --force) delete chains at exactly
// those instants. After runs along the way, the backup sets duplicity's `collection-status` lists
// (time and full/incremental) must be exactly those `backplan simulate` predicts for that date.
// Each remove command runs behind its guard (its listing without --force equal to Backplan's
// decision), and `backplan status` counts the sets the last guard kept.
// The boundaries are met on purpose: full_every 3d with daily runs (a full 3 days old is not
// "older than" 3 days: the next full comes on day 4), remove-older-than 6d ending chains exactly
// 6 days before a run (kept: not older than the cutoff).
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCollectionStatus } from '../../engine/run/inventory/duplicity';
import { CLI, ensureBuilt } from '../helpers/cli';
import { cliAt, faketimeLib } from '../helpers/faketime';
import { requireTools } from '../helpers/integration';
import { iso } from '../helpers/simulate-vs-reality';

const DAY = 86_400_000;
const ok = requireTools('duplicity', 'faketime');
let work = '';

beforeAll(() => {
  if (!ok) return;
  ensureBuilt();
  work = mkdtempSync(join(tmpdir(), 'bp-simdup-'));
});

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

/** `cmd args` with the wall clock frozen at `ms` (UTC) for it and its children. */
function frozen(
  ms: number | undefined,
  cmd: string,
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number; out: string }> {
  const stamp =
    ms === undefined
      ? undefined
      : new Date(ms)
          .toISOString()
          .replace('T', ' ')
          .replace(/\.\d+Z$/, '');
  const clock = stamp ? { FAKETIME: stamp, FAKETIME_DONT_FAKE_MONOTONIC: '1', LD_PRELOAD: faketimeLib() } : {};
  return new Promise((resolve) => {
    const child = spawn(cmd, args, {
      env: { ...process.env, NO_COLOR: '1', TZ: 'UTC', ...env, ...clock },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('close', (code) => resolve({ code: code ?? -1, out }));
  });
}

interface Scenario {
  name: string;
  fullEvery: string;
  keep: string;
  days: number;
}

/** What duplicity holds, and what simulate predicts, as `TIME full|incremental` lines. */
async function compare(s: Scenario): Promise<{ real: string[]; predicted: string[] }[]> {
  const dir = join(work, s.name);
  mkdirSync(join(dir, 'src'), { recursive: true });
  mkdirSync(join(dir, 'store'));
  const plan = join(dir, 'plan.backplan.yaml');
  writeFileSync(
    plan,
    [
      'version: 1',
      'timezone: UTC',
      `storage: { disk: { path: ${join(dir, 'store')}, media: hdd } }`,
      'jobs:',
      '  files:',
      '    kind: duplicity',
      `    paths: [${join(dir, 'src')}]`,
      '    to: disk',
      `    full_every: ${s.fullEvery}`,
      '    schedule: "0 3 * * *"',
      `    retention: { keep: ${s.keep} }`,
      'checks: { coverage-3-2-1: off, no-restore-test: off }',
      '',
    ].join('\n'),
  );
  const env = { XDG_CACHE_HOME: join(dir, 'cache'), BACKPLAN_STATE_DIR: join(dir, 'state') };
  const fires = Array.from({ length: s.days }, (_, i) => Date.UTC(2026, 2, 1, 3) + i * DAY);
  const url = `file://${join(dir, 'store', 'files')}`;
  const out: { real: string[]; predicted: string[] }[] = [];
  for (const [i, t] of fires.entries()) {
    writeFileSync(join(dir, 'src', 'day'), `day ${i}\n`);
    const r = await frozen(t, process.execPath, [CLI, 'run', plan, '--job', 'files'], env);
    expect(r.code, `${iso(t)}: ${r.out}`).toBe(0);
    expect(r.out, `${iso(t)}: a guard refused a prune`).not.toMatch(/refused|warning/i);
    if (i % 2 === 0 && i !== fires.length - 1) continue;
    const status = await frozen(
      t,
      'duplicity',
      ['collection-status', '--log-fd=1', '--no-encryption', '--name=backplan-files', url],
      env,
    );
    expect(status.code, status.out).toBe(0);
    const real = parseCollectionStatus(status.out).map((x) => `${iso(x.time)} ${x.type}`);
    const sim = await cliAt(undefined, [
      'simulate',
      plan,
      '--job',
      'files',
      '--from',
      iso(fires[0]),
      '--at',
      iso(t),
      '--format',
      'json',
    ]);
    expect(sim.code, sim.stdout + sim.stderr).toBe(0);
    const job = (JSON.parse(sim.stdout) as { jobs: { snapshots: { time: string; type: string }[] }[] }).jobs[0];
    const predicted = job.snapshots.map((x) => `${iso(Date.parse(x.time))} ${x.type}`).reverse();
    out.push({ real, predicted });
  }
  // The guard of the last prune journalled what it kept: status counts the sets held.
  const st = await cliAt(undefined, ['status', plan, '--format', 'json'], env);
  const copies = (JSON.parse(st.stdout) as { jobs: { copies: number | null }[] }).jobs[0].copies;
  expect(copies, st.stdout + st.stderr).toBe(out[out.length - 1].real.length);
  return out;
}

describe.skipIf(!ok)('simulate vs reality: duplicity 0.8.22', () => {
  it('remove-older-than and remove-all-inc-of-but-n-full leave the chains the simulator predicts', async () => {
    const states = await compare({
      name: 'within',
      fullEvery: '3d',
      keep: '{ within: 6d, incrementals_of: 2 }',
      days: 14,
    });
    for (const s of states) expect(s.real).toEqual(s.predicted);
    const last = states[states.length - 1].real;
    // Fulls every 4 days (3 days old is not older than 3d): 1, 5, 9, 13 March. On the 13th the chain
    // of 5-8 March lost its incrementals (only the 2 newest chains keep theirs), so on the 14th it
    // ends on the 5th, older than the 6-day cutoff (the 8th): gone whole.
    expect(last).toEqual([
      '2026-03-09T03:00:00.000Z full',
      '2026-03-10T03:00:00.000Z incremental',
      '2026-03-11T03:00:00.000Z incremental',
      '2026-03-12T03:00:00.000Z incremental',
      '2026-03-13T03:00:00.000Z full',
      '2026-03-14T03:00:00.000Z incremental',
    ]);
  }, 240_000);

  it('remove-all-but-n-full keeps the newest chains whole', async () => {
    const states = await compare({ name: 'full', fullEvery: '2d', keep: '{ full: 2 }', days: 10 });
    for (const s of states) expect(s.real).toEqual(s.predicted);
    const last = states[states.length - 1].real;
    // Fulls every 3 days: 1, 4, 7, 10 March; the two newest chains are 7-9 and 10.
    expect(last.map((l) => l.slice(5, 10))).toEqual(['03-07', '03-08', '03-09', '03-10']);
  }, 240_000);
});
