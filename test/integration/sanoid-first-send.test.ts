// The first send of a `pruner: sanoid` zfs-send (issue #15), for real on zfs-fuse: the MiNET
// example's two jobs, the send given a schedule of its own (18:00) so that the source holds
// several snapshots of several types before the first send. That send must be the source's oldest
// snapshot in full, then `zfs send -I OLDEST NEWEST` (as syncoid does): `_back` then holds every
// snapshot the source holds — the monthly, weekly and daily of the first run included — exactly
// what `backplan simulate` prints for the send job. A first send of the newest alone (what
// Backplan did before) leaves one hourly on `_back` and fails here.
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli';
import { requireRoot, requireTools } from '../helpers/integration';
import { byTime, startSanoidZfs, type SanoidZfs } from '../helpers/sanoid-zfs';

const ok = requireTools('sanoid', 'zfs', 'zpool', 'zfs-fuse', 'faketime') && requireRoot('zfs-fuse pools');
const H = 3_600_000;
const TZ = 'Europe/Paris';
const FROM = Date.UTC(2025, 11, 31, 23); // 2026-01-01 00:00 in Paris
const RUNS = [0, 6, 12, 18].map((h) => FROM + h * H);
const AT = RUNS[3] + H;
const EXAMPLE = readFileSync(join(ROOT, 'examples/minet-sanoid.backplan.yaml'), 'utf8');

let z: SanoidZfs | undefined;
let SNAPS = '';
let REPLICA = '';
let SRC = '';
let DST = '';
const tools = () => [`/var/lib/backplan/sanoid/${SNAPS}`, `/var/lib/backplan/sanoid/${REPLICA}`];

beforeAll(async () => {
  if (!ok) return;
  z = await startSanoidZfs('bpfirst');
  SNAPS = `vm-snapshots-${z.pool}`;
  REPLICA = `vm-replica-${z.pool}`;
  SRC = `${z.pool}/scylla_prod`;
  DST = `${z.pool}/scylla_prod_back`;
  const plan = EXAMPLE.replace(/\{ address: [0-9.]+, user: root,/g, '{ address: localhost,')
    .replaceAll('raidZ/', `${z.pool}/`)
    .replace('    from: vm-snapshots               # no schedule', '    schedule: "0 18 * * *"\n    from: vm-snapshots #')
    .replaceAll('vm-snapshots', SNAPS)
    .replaceAll('vm-replica', REPLICA);
  expect(plan).toContain('schedule: "0 18 * * *"');
  writeFileSync(join(z.work, 'minet.backplan.yaml'), plan);
  expect(spawnSync('zfs', ['create', SRC]).status).toBe(0);
  for (const d of tools()) rmSync(d, { recursive: true, force: true });
}, 60_000);

afterAll(async () => {
  if (!ok) return;
  await z?.close();
  for (const d of tools()) rmSync(d, { recursive: true, force: true });
});

describe.skipIf(!ok)('the first pruner: sanoid send', () => {
  it('sends the oldest in full, then -I to the newest: _back holds all the source holds, as simulate says', async () => {
    const plan = join(z!.work, 'minet.backplan.yaml');
    const state = join(z!.work, 'state');
    // 00:00, 06:00, 12:00: the snapshot job alone; 18:00: both, the send's first.
    for (const t of RUNS.slice(0, 3)) {
      const r = await z!.backplanAt(t, ['run', plan, '--job', SNAPS, '--state-dir', state, '--format', 'json'], TZ);
      expect(r.code, r.out).toBe(0);
    }
    // (listed by time, then name: the first run's four types share its time)
    expect(z!.held(SRC).map((h) => h.name.replace(/.*_/, ''))).toEqual(
      ['daily', 'hourly', 'monthly', 'weekly', 'hourly', 'hourly']);
    const r = await z!.runAt(RUNS[3], plan, TZ);
    expect(r.code, r.out).toBe(0);
    const sends = r.journal
      .filter((l) => l.type === 'step-start' && String(l.display).includes(' send '))
      .map((l) => String(l.display));
    // The oldest is the one sanoid made first: the monthly (it takes yearly first, hourly last).
    const oldest = z!.held(SRC).find((h) => h.name.endsWith('_monthly'))!.name;
    expect(sends, sends.join('\n')).toHaveLength(2);
    expect(sends[0]).toContain(`zfs send ${SRC}@${oldest} | `);
    expect(sends[1]).toContain(`zfs send -I ${SRC}@${oldest} ${SRC}@`);
    const held = z!.held(DST);
    expect(held).toEqual(z!.held(SRC));
    expect(held).toHaveLength(7);
    const sim = await z!.backplanAt(AT, ['simulate', plan, '--job', REPLICA, '--from', new Date(FROM).toISOString(),
      '--at', new Date(AT).toISOString(), '--format', 'json'], TZ);
    expect(sim.code, sim.out).toBe(0);
    const out = JSON.parse(sim.stdout) as { jobs: { snapshots: { time: string; name: string }[] }[] };
    const predicted = out.jobs[0].snapshots.map((s) => ({ name: s.name, time: Date.parse(s.time) }));
    expect(held).toEqual(byTime(predicted));
  }, 600_000);
});
