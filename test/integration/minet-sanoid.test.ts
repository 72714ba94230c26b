// The MiNET seed example (examples/minet-sanoid.backplan.yaml) run for real (issue #15): its two
// jobs — sanoid snapshots of the VM dataset every 6 hours, and a `pruner: sanoid` zfs-send to the
// `_back` dataset right after each — through `backplan run` at every fire over 61 days (faked,
// frozen clock, Europe/Paris as the plan says), on zfs-fuse, both hosts this machine. After every
// run both datasets hold what simulate/sanoid-send.ts replays, and at the end exactly the names
// and times `backplan simulate` prints for each job. Fails when the send carries only the newest
// snapshot (`-i`: the dailies, weeklies and monthly never reach `_back`), when the base is picked
// by name among one run's snapshots, or when sanoid's prune on `_back` differs from the engine.
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPolicy } from '../../engine/plan/build-model';
import { replaySanoidSend } from '../../engine/simulate/sanoid-send';
import { ROOT } from '../helpers/cli';
import { requireRoot, requireTools } from '../helpers/integration';
import { byTime, startSanoidZfs, type SanoidZfs } from '../helpers/sanoid-zfs';

const ok = requireTools('sanoid', 'zfs', 'zpool', 'zfs-fuse', 'faketime') && requireRoot('zfs-fuse pools');
const H = 3_600_000;
const TZ = 'Europe/Paris';
const FROM = Date.UTC(2025, 11, 31, 23); // 2026-01-01 00:00 in Paris (no DST change before March 29)
const RUNS = Array.from({ length: 61 * 4 }, (_, i) => FROM + i * 6 * H);
const AT = RUNS[RUNS.length - 1] + H;
// The example's counts, read from the example itself below.
const EXAMPLE = readFileSync(join(ROOT, 'examples/minet-sanoid.backplan.yaml'), 'utf8');

let z: SanoidZfs | undefined;
let SNAPS = '';
let REPLICA = '';
let SRC = '';
let DST = '';

/** The example on this machine: both hosts local, the datasets in the test's pool, unique job names. */
function localPlan(pool: string): string {
  return EXAMPLE.replace(/\{ address: [0-9.]+, user: root,/g, '{ address: localhost,')
    .replaceAll('raidZ/', `${pool}/`)
    .replaceAll('vm-snapshots', SNAPS)
    .replaceAll('vm-replica', REPLICA);
}

const tools = () => [`/var/lib/backplan/sanoid/${SNAPS}`, `/var/lib/backplan/sanoid/${REPLICA}`];

beforeAll(async () => {
  if (!ok) return;
  z = await startSanoidZfs('bpminet');
  SNAPS = `vm-snapshots-${z.pool}`;
  REPLICA = `vm-replica-${z.pool}`;
  SRC = `${z.pool}/scylla_prod`;
  DST = `${z.pool}/scylla_prod_back`;
  writeFileSync(join(z.work, 'minet.backplan.yaml'), localPlan(z.pool));
  expect(spawnSync('zfs', ['create', SRC]).status).toBe(0);
  for (const d of tools()) rmSync(d, { recursive: true, force: true });
}, 60_000);

afterAll(async () => {
  if (!ok) return;
  await z?.close();
  for (const d of tools()) rmSync(d, { recursive: true, force: true });
});

describe.skipIf(!ok)('the MiNET example with sanoid on both sides, run on zfs-fuse vs backplan simulate', () => {
  it('244 runs in 61 days: both datasets hold what the replay holds, at the end what simulate prints', async () => {
    const plan = join(z!.work, 'minet.backplan.yaml');
    const chk = await z!.backplanAt(Date.now(), ['check', plan]);
    expect(chk.code, chk.out).toBe(0);
    const policies = (name: string) => {
      const m = new RegExp(`  ${name}:[^\\n]*\\n    keep: (\\{[^}]*\\})`).exec(EXAMPLE)!;
      const keep = Object.fromEntries([...m[1].matchAll(/(\w+): (\d+)/g)].map((x) => [x[1], Number(x[2])]));
      return buildPolicy({ keep }, ['policies', name], name);
    };
    const source = policies('primary');
    const target = policies('minet-sanoid');
    for (let i = 0; i < RUNS.length; i++) {
      const r = await z!.runAt(RUNS[i], plan, TZ);
      expect(r.code, r.out).toBe(0);
      const runs = RUNS.slice(0, i + 1);
      const replay = replaySanoidSend({ sourceRuns: runs, sendRuns: runs, source, target, zone: TZ, at: RUNS[i] });
      const when = `after the run at ${new Date(RUNS[i]).toISOString()}`;
      expect(z!.held(SRC), `${SRC} ${when}`).toEqual(byTime(replay.source));
      expect(z!.held(DST), `${DST} ${when}`).toEqual(byTime(replay.target));
      expect(replay.stats.failed).toBe(0);
      if (i === 0) {
        // The first send is the oldest in full, then `-I`; the later ones `-I` (checked by the sets), and sanoid
        // prunes `_back` alone.
        const steps = r.journal.filter((l) => l.type === 'step-start').map((l) => String(l.display));
        expect(steps.some((s) => s.includes(`sanoid --configdir /var/lib/backplan/sanoid/${REPLICA} `) &&
          !s.includes('--take-snapshots') && s.includes('--prune-snapshots')), steps.join('\n')).toBe(true);
      }
    }
    const conf = readFileSync(`/var/lib/backplan/sanoid/${REPLICA}/sanoid.conf`, 'utf8');
    expect(conf).toContain('autosnap = no');
    const back = z!.held(DST);
    for (const t of ['hourly', 'daily', 'weekly', 'monthly']) {
      expect(back.some((h) => h.name.endsWith(`_${t}`)), t).toBe(true);
    }
    // sanoid pruned the hourlies on `_back` to 60 (its prune reads the list after the receive) and
    // the source's to 8 + the one taken after its prune read the list.
    expect(back.filter((h) => h.name.endsWith('_hourly'))).toHaveLength(60);
    expect(z!.held(SRC).filter((h) => h.name.endsWith('_hourly'))).toHaveLength(9);

    for (const [job, ds] of [[SNAPS, SRC], [REPLICA, DST]] as const) {
      const sim = await z!.backplanAt(AT, ['simulate', plan, '--job', job, '--from', new Date(FROM).toISOString(),
        '--at', new Date(AT).toISOString(), '--format', 'json']);
      expect(sim.code, sim.out).toBe(0);
      type Out = { jobs: { engine: string; snapshots: { time: string; name: string }[] }[] };
      const out = JSON.parse(sim.stdout) as Out;
      expect(out.jobs[0].engine).toBe('sanoid');
      const predicted = out.jobs[0].snapshots.map((s) => ({ name: s.name, time: Date.parse(s.time) }));
      expect(z!.held(ds), `${job} against backplan simulate`).toEqual(byTime(predicted));
    }
  }, 2_400_000);
});
