// A `pruner: sanoid` zfs-send from a `pruner: sanoid` source (issue #15, the MiNET setup): the
// replay of both sides (engine/simulate/sanoid-send.ts), the rule that says when sanoid's age rule
// deletes the next send's base, the driver's steps, and the MiNET seed example simulated and
// exported for both hosts.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkText } from '../../../engine/check';
import { rule } from '../../../engine/checks/replication-base-at-risk';
import { rule as snapshotRule } from '../../../engine/checks/snapshot-not-backup';
import { exportSanoid } from '../../../engine/export/sanoid';
import { buildModel, buildPolicy } from '../../../engine/plan/build-model';
import { parsePlan } from '../../../engine/plan/parse';
import { replaySanoid } from '../../../engine/retention/sanoid';
import { DRIVERS } from '../../../engine/run/drivers/index';
import type { CommandStep, ToolConfigStep } from '../../../engine/run/steps/step';
import { replaySanoidSend } from '../../../engine/simulate/sanoid-send';
import { simulatePlan } from '../../../engine/simulate/simulate-job';
import { ROOT } from '../../helpers/cli';
import { FLEET, NOW, job, plan, policy } from '../run/helpers';

const H = 3_600_000;
const T0 = Date.UTC(2026, 0, 1);
const keep = (k: Record<string, number>) => buildPolicy({ keep: k }, ['p']);
const runs = (n: number, every = 6 * H) => Array.from({ length: n }, (_, i) => T0 + i * every);

describe('replaySanoidSend', () => {
  it('sends every snapshot after the base (-I), so every type reaches the target; the source replays alone', () => {
    const src = keep({ hourly: 4, daily: 3, weekly: 1 });
    const r = replaySanoidSend({ sourceRuns: runs(40), sendRuns: runs(40), source: src,
      target: keep({ hourly: 10, daily: 10, weekly: 4 }), zone: 'UTC', at: runs(40)[39] });
    expect(r.source).toEqual(replaySanoid(runs(40), src, 'UTC', runs(40)[39]).held);
    expect(new Set(r.target.map((s) => s.type))).toEqual(new Set(['hourly', 'daily', 'weekly']));
    // The first send: the oldest in full, then -I to the newest, so all the first run took (yearly first).
    const first = replaySanoidSend({ sourceRuns: runs(1), sendRuns: runs(1), source: src,
      target: keep({ hourly: 10, daily: 10, weekly: 4 }), zone: 'UTC', at: T0 });
    expect(first.target.map((s) => s.type)).toEqual(['weekly', 'daily', 'hourly']);
    expect(r.stats.failed).toBe(0);
    expect(r.lost).toBeNull();
  });

  it('a send that finds its base gone from the source fails, and says which snapshot and when', () => {
    // Snapshots every hour, one hourly kept 1 h; a send once a day: its base is pruned the next hour.
    const src = keep({ hourly: 1 });
    const r = replaySanoidSend({ sourceRuns: runs(72, H), sendRuns: runs(3, 24 * H), source: src,
      target: keep({ hourly: 30 }), zone: 'UTC', at: T0 + 72 * H });
    expect(r.stats.failed).toBe(2);
    expect(r.lost?.base.name).toBe('autosnap_2026-01-01_00:00:00_hourly');
    expect(r.lost?.pruned).toBe(T0 + 2 * H);
    expect(r.lost?.next).toBe(T0 + 24 * H);
  });
});

describe('replication-base-at-risk with sanoid on both sides', () => {
  const NOW_C = Date.parse('2026-01-15T00:00:00Z');
  const text = (hourly: number) => `version: 1
jobs:
  snaps:
    { kind: zfs-snapshot, dataset: tank/a, pruner: sanoid, schedule: "0 * * * *",
      retention: { keep: { hourly: ${hourly} } } }
  back:
    { kind: zfs-send, from: snaps, dataset: tank/b, pruner: sanoid, schedule: "30 2 * * *",
      retention: { keep: { hourly: 48 } } }
`;
  it('fires on the source count when sanoid deletes the base before the next send, quiet when it covers it', () => {
    const t = text(6);
    const [f, ...rest] = checkText(t, { rules: [rule], now: NOW_C }).findings;
    expect(rest).toEqual([]);
    expect(f.severity).toBe('error');
    expect(t.slice(f.range.start, f.range.end)).toBe('hourly');
    expect(f.message).toBe(
      'sanoid prunes `snaps` without regard for replication, and deletes the autosnap_2026-01-15_02:00:00_hourly ' +
        'snapshot (sent by `back` at 2026-01-15 02:30) at 2026-01-15 09:00, before the next send at 2026-01-16 02:30 ' +
        '(UTC), which then has no common base and fails; keep more hourly snapshots on the source (hourly: 25 or ' +
        'more, now 6), or send more often',
    );
    expect(checkText(text(25), { rules: [rule], now: NOW_C }).findings).toEqual([]);
  });
});

describe('snapshot-not-backup on a pruner: sanoid job', () => {
  it('advises the send that is allowed: a zfs-send with pruner: sanoid', () => {
    const t = `version: 1
hosts:
  nas: { site: home }
storage:
  pool: { host: nas, media: hdd }
jobs:
  data: { kind: zfs-snapshot, host: nas, dataset: tank/d, storage: pool, pruner: sanoid, schedule: "0 * * * *",
    retention: { keep: { hourly: 24 } } }
`;
    const [f] = checkText(t, { rules: [snapshotRule], now: Date.UTC(2026, 0, 1) }).findings;
    expect(f.message).toContain('Add a `zfs-send` job with `pruner: sanoid` with `from: data`');
  });
});

describe('the zfs-send driver with pruner: sanoid', () => {
  const snaps = job('snaps', { kind: 'zfs-snapshot', host: 'scylla', dataset: 'tank/data', pruner: 'sanoid',
    retention: policy(undefined, { keep: { hourly: 4, daily: 7 } }) });
  const back = (f: Record<string, unknown> = {}) => job('back', { kind: 'zfs-send', from: 'snaps', to: 'charybde-pool',
    dataset: 'backup/data_back', pruner: 'sanoid', retention: policy(undefined, { keep: { hourly: 12, daily: 30 } }),
    ...f });
  it('sends -I from the base, writes the replica sanoid.conf, runs sanoid --prune-snapshots on the target', () => {
    const p = plan({ ...FLEET, jobs: [snaps, back()] });
    const state = { base: 'autosnap_2026-01-01_00:00:00_hourly', latest: 'autosnap_2026-01-01_06:00:00_hourly',
      targetExists: true };
    const r = DRIVERS['zfs-send'](back(), p, { now: NOW, state: { back: state } });
    expect(r.errors).toEqual([]);
    const [send, conf, prune] = r.steps as [CommandStep, ToolConfigStep, CommandStep];
    expect(send.argv).toEqual(['zfs', 'send', '-I', `tank/data@${state.base}`, `tank/data@${state.latest}`]);
    expect(conf.type).toBe('tool-config');
    const dir = '/var/lib/backplan/sanoid/back';
    expect(conf.config.path).toBe(`${dir}/sanoid.conf`);
    expect(conf.config.content).toBe(exportSanoid(p, { planPath: '' }, ['back']).files[0].content);
    expect(conf.config.content).toContain('\tautosnap = no\n\tautoprune = yes');
    expect(prune.phase).toBe('prune');
    expect(prune.argv).toEqual(['sanoid', '--configdir', dir, '--cache-dir', `${dir}/cache`, '--run-dir', `${dir}/run`,
      '--prune-snapshots', '--verbose']);
    expect(prune.host).toBe(conf.host);
    expect(prune.inventory).toMatchObject({ dataset: 'backup/data_back', match: 'autosnap_*', naming: 'sanoid' });
  });

  it('the first send is the oldest in full, then -I up to the newest (as syncoid does)', () => {
    const p = plan({ ...FLEET, jobs: [snaps, back()] });
    const oldest = 'autosnap_2026-01-01_00:00:00_daily';
    const latest = 'autosnap_2026-01-01_06:00:00_hourly';
    const r = DRIVERS['zfs-send'](back(), p, { now: NOW, state: { back: { oldest, latest, targetExists: false } } });
    expect(r.errors).toEqual([]);
    const [full, rest] = r.steps as [CommandStep, CommandStep];
    expect([full.argv, full.pipe![0].argv]).toEqual([
      ['zfs', 'send', `tank/data@${oldest}`],
      ['zfs', 'receive', '-s', 'backup/data_back'],
    ]);
    expect([rest.argv, rest.pipe![0].argv]).toEqual([
      ['zfs', 'send', '-I', `tank/data@${oldest}`, `tank/data@${latest}`],
      ['zfs', 'receive', '-s', '-F', 'backup/data_back'],
    ]);
    expect([full.phase, rest.phase]).toEqual(['copy', 'copy']);
    // One snapshot on the source: one full send.
    const one = DRIVERS['zfs-send'](back(), p, { now: NOW, state: { back: { oldest: latest, latest, targetExists: false } } });
    expect((one.steps[0] as CommandStep).argv).toEqual(['zfs', 'send', `tank/data@${latest}`]);
    expect(one.steps[1].type).toBe('tool-config');
  });

  it('refuses a send from a sanoid source without pruner: sanoid, and one with it from a Backplan source', () => {
    const plain = back({ pruner: undefined, retention: policy(undefined, { keep: { daily: 7 } }) });
    expect(DRIVERS['zfs-send'](plain, plan({ ...FLEET, jobs: [snaps, plain] }), { now: NOW }).errors.join())
      .toMatch(/add `pruner: sanoid`/);
    const own = { ...snaps, raw: { ...snaps.raw, pruner: undefined } };
    expect(DRIVERS['zfs-send'](back(), plan({ ...FLEET, jobs: [own, back()] }), { now: NOW }).errors.join())
      .toMatch(/must be a zfs-snapshot job with `pruner: sanoid`/);
  });
});

describe('examples/minet-sanoid', () => {
  const text = readFileSync(join(ROOT, 'examples/minet-sanoid.backplan.yaml'), 'utf8');
  const model = buildModel(parsePlan(text).value);
  it('simulates both jobs with sanoid: the target holds every type the source takes, pruned by its counts', () => {
    const from = Date.parse('2026-01-01T00:00:00+01:00');
    const at = from + 70 * 24 * H;
    const sim = simulatePlan(model, { from, at });
    const [snapsJob, replica] = ['vm-snapshots', 'vm-replica'].map((n) => sim.jobs.find((j) => j.job === n)!);
    expect([snapsJob.engine, replica.engine]).toEqual(['sanoid', 'sanoid']);
    const count = (j: typeof replica, t: string) => j.snapshots.filter((s) => s.name!.endsWith(`_${t}`)).length;
    // The target's prune reads the list after the receive: 60 hourlies (15 days of 6-hourly runs);
    // 61 dailies, the one exactly 60 days old not older than 60 × 1 d.
    expect([count(replica, 'hourly'), count(replica, 'daily')]).toEqual([60, 61]);
    // The first send (oldest in full, then -I) carried the first run's weekly and monthly (January's) too.
    expect(count(replica, 'weekly')).toBe(11);
    expect(count(replica, 'monthly')).toBe(3);
    expect([count(snapsJob, 'hourly'), count(snapsJob, 'daily')]).toEqual([9, 8]);
    expect(replica.snapshots[0].name).toBe(snapsJob.snapshots[0].name);
  });

  it('exports a sanoid.conf for each host: autosnap on scylla, a template with autosnap = no on charybde', () => {
    const r = exportSanoid(model, { planPath: '' }, ['vm-snapshots', 'vm-replica']);
    expect(r.problems).toEqual([]);
    expect(r.files.map((f) => f.host)).toEqual(['scylla', 'charybde']);
    const scylla = '[raidZ/scylla_prod]\n\tfrequently = 0\n\thourly = 8\n\tdaily = 7\n\tweekly = 1\n\tmonthly = 1\n';
    expect(r.files[0].content).toContain(scylla);
    expect(r.files[1].content).toContain(
      '[template_backplan_vm-replica]\n\tfrequently = 0\n\thourly = 60\n\tdaily = 60\n\tweekly = 26\n\tmonthly = 24\n' +
        '\tyearly = 0\n\tfrequent_period = 15\n\tautosnap = no\n\tautoprune = yes\n\n[raidZ/scylla_prod_back]\n' +
        '\tuse_template = backplan_vm-replica\n\trecursive = no\n',
    );
  });
});
