// `pruner: sanoid` / `pruner: btrbk` (issue #15): the run writes the job's exported configuration,
// then runs the tool once, which takes and prunes; Backplan adds no prune of its own.
import { describe, expect, it } from 'vitest';
import { exportBtrbk } from '../../../engine/export/btrbk';
import { exportSanoid } from '../../../engine/export/sanoid';
import { DRIVERS } from '../../../engine/run/drivers/index';
import { toolNameParser } from '../../../engine/run/steps/names';
import { planSteps } from '../../../engine/run/steps/plan-steps';
import { formatStep, type CommandStep, type ToolConfigStep } from '../../../engine/run/steps/step';
import { FLEET, NOW, job, plan, policy, storage } from './helpers';

const keep = { hourly: 4, daily: 7, weekly: 3 };
const sanoidJob = (f: Record<string, unknown> = {}) =>
  job('snaps', { kind: 'zfs-snapshot', host: 'scylla', dataset: 'tank/data', pruner: 'sanoid', ...f });
const btrbkJob = (f: Record<string, unknown> = {}) =>
  job('vol', {
    kind: 'btrfs-snapshot',
    host: 'scylla',
    subvolume: '/mnt/pool/data',
    snapshot_dir: '/mnt/pool/snaps',
    pruner: 'btrbk',
    ...f,
  });

describe('pruner: sanoid', () => {
  it('writes the exported sanoid.conf, then runs sanoid once with the exact argv; no Backplan prune', () => {
    const p = plan({ ...FLEET, jobs: [sanoidJob({ retention: policy(undefined, { keep }) })] });
    const r = planSteps(p, { now: NOW });
    expect(r.errors).toEqual([]);
    expect(r.steps.map((s) => s.type)).toEqual(['tool-config', 'command']);
    const [conf, run] = r.steps as [ToolConfigStep, CommandStep];
    const dir = '/var/lib/backplan/sanoid/snaps';
    expect(conf.host).toBe('scylla');
    expect(conf.config.path).toBe(`${dir}/sanoid.conf`);
    expect(conf.config.clear).toEqual([`${dir}/cache/snapshots.txt`]);
    expect(conf.config.content).toBe(exportSanoid(p, { planPath: '' }, ['snaps']).files[0].content);
    expect(conf.config.content).toContain('[tank/data]');
    expect(run.host).toBe('scylla');
    expect(run.argv).toEqual([
      'sanoid', '--configdir', dir, '--cache-dir', `${dir}/cache`, '--run-dir', `${dir}/run`,
      '--take-snapshots', '--prune-snapshots', '--verbose',
    ]);
    expect(run.after).toEqual([conf.id]);
    expect(run.inventory).toEqual({
      type: 'zfs-snapshots', host: 'scylla', dataset: 'tank/data', match: 'autosnap_*', naming: 'sanoid',
    });
    expect(run.prunedBy?.engine).toBe('sanoid');
    expect(formatStep(conf)).toContain(`${dir}/sanoid.conf`);
    expect(formatStep(run)).toBe(`[scylla] sanoid --configdir ${dir} --cache-dir ${dir}/cache --run-dir ${dir}/run ` +
      '--take-snapshots --prune-snapshots --verbose');
  });

  it('the job timeout applies to both steps; hosts.tools.sanoid names the binary', () => {
    const tools = { sanoid: '/opt/sanoid' };
    const hosts = FLEET.hosts.map((h) => (h.name === 'scylla' ? { ...h, raw: { ...h.raw, tools } } : h));
    const jobs = [sanoidJob({ retention: policy(undefined, { keep }), timeout: '20min' })];
    const p = plan({ ...FLEET, hosts, jobs });
    const r = planSteps(p, { now: NOW });
    expect(r.errors).toEqual([]);
    expect(r.steps.map((s) => s.timeout)).toEqual([{ stallMs: 1_200_000 }, { stallMs: 1_200_000 }]);
    expect((r.steps[1] as CommandStep).argv[0]).toBe('/opt/sanoid');
  });

  it('refuses what sanoid cannot do: no retention, a policy it cannot express; a zfs-send of it is allowed', () => {
    const run = (...jobs: ReturnType<typeof job>[]) =>
      DRIVERS['zfs-snapshot'](jobs[0], plan({ ...FLEET, jobs }), { now: NOW });
    expect(run(sanoidJob()).errors.join()).toMatch(/needs a `retention`/);
    expect(run(sanoidJob({ retention: policy(undefined, { keep: { last: 3 } }) })).errors.join()).toMatch(/keep\.last/);
    const sent = run(
      sanoidJob({ retention: policy(undefined, { keep }) }),
      job('rep', { kind: 'zfs-send', from: 'snaps', to: 'charybde-pool', dataset: 'backup/snaps' }),
    );
    // sanoid keeps no base, but its sends are checked where they are (sanoid-send.test.ts).
    expect(sent.errors).toEqual([]);
  });

  it('without pruner the job is still snapshotted and pruned by Backplan', () => {
    const p = plan({ ...FLEET, jobs: [sanoidJob({ pruner: undefined, retention: policy(undefined, { keep }) })] });
    expect(planSteps(p, { now: NOW }).steps.map((s) => s.type)).toEqual(['command', 'prune']);
  });
});

describe('pruner: btrbk', () => {
  it('writes the exported btrbk.conf, then `btrbk -c FILE run`; no Backplan prune', () => {
    const retention = policy(undefined, { keep: { hourly: 12, daily: 5 } });
    const p = plan({ ...FLEET, jobs: [btrbkJob({ retention })] });
    const r = planSteps(p, { now: NOW });
    expect(r.errors).toEqual([]);
    expect(r.steps.map((s) => s.type)).toEqual(['tool-config', 'command']);
    const [conf, run] = r.steps as [ToolConfigStep, CommandStep];
    const file = '/var/lib/backplan/btrbk/vol/btrbk.conf';
    expect(conf.config.path).toBe(file);
    expect(conf.config.clear).toEqual([]);
    expect(conf.config.content).toBe(exportBtrbk(p, { planPath: '' }, ['vol']).files[0].content);
    expect(run.argv).toEqual(['btrbk', '-c', file, 'run']);
    expect(run.inventory).toEqual({
      type: 'btrfs-snapshots', host: 'scylla', dir: '/mnt/pool/snaps', match: 'data.*', naming: 'btrbk',
    });
    expect(run.prunedBy?.engine).toBe('btrbk');
  });

  it('with a pruner: btrbk btrfs-send: one section with its target; the jobs run snapshot and resume', () => {
    const pool = storage('scylla-backup', { host: 'scylla', media: 'hdd', path: '/mnt/backup' });
    const retention = policy(undefined, { keep: { hourly: 12, daily: 5 } });
    const send = job('off', { kind: 'btrfs-send', from: 'vol', to: 'scylla-backup', pruner: 'btrbk',
      retention: policy(undefined, { preserve_min: 'no', preserve: '14d 4w' }) });
    const p = plan({ ...FLEET, storage: [...FLEET.storage!, pool], jobs: [btrbkJob({ retention }), send] });
    const r = planSteps(p, { now: NOW });
    expect(r.errors).toEqual([]);
    const conf = exportBtrbk(p, { planPath: '' }, ['off']).files[0];
    expect(conf.jobs).toEqual(['vol', 'off']);
    expect(conf.content).toContain('    target send-receive /mnt/backup/off\n      target_preserve_min no\n');
    expect(conf.content).toContain('      target_preserve 14d 4w\n');
    const mine = (j: string) => r.steps.filter((s) => s.job === j);
    expect(mine('vol').map((s) => s.type)).toEqual(['tool-config', 'command', 'command']);
    expect(mine('off').map((s) => s.type)).toEqual(['tool-config', 'command', 'command']);
    const [c1, mk, snap] = mine('vol') as [ToolConfigStep, CommandStep, CommandStep];
    const [c2, , resume] = mine('off') as [ToolConfigStep, CommandStep, CommandStep];
    expect(c1.config.content).toBe(conf.content);
    expect(c2.config.content).toBe(conf.content);
    expect(mk.argv).toEqual(['mkdir', '-p', '--', '/mnt/backup/off']);
    expect(snap.argv).toEqual(['btrbk', '-c', '/var/lib/backplan/btrbk/vol/btrbk.conf', 'snapshot']);
    expect(resume.argv).toEqual(['btrbk', '-c', '/var/lib/backplan/btrbk/off/btrbk.conf', 'resume']);
    expect(resume.inventory).toMatchObject({ dir: '/mnt/backup/off', match: 'data.*', naming: 'btrbk' });
    expect(resume.prunedBy?.engine).toBe('btrbk');
  });

  it('a btrbk send needs a btrbk source on its host; a Backplan send from a btrbk source is refused', () => {
    const retention = policy(undefined, { keep: { daily: 5 } });
    const send = (f: Record<string, unknown>) =>
      job('off', { kind: 'btrfs-send', from: 'vol', to: 'charybde-pool', retention, ...f });
    const errs = (...jobs: ReturnType<typeof job>[]) => planSteps(plan({ ...FLEET, jobs }), { now: NOW }).errors
      .map((e) => e.message).join('\n');
    expect(errs(btrbkJob({ retention, pruner: undefined }), send({ pruner: 'btrbk' }))).toMatch(/give vol `pruner: btrbk`/);
    expect(errs(btrbkJob({ retention }), send({ pruner: 'btrbk' }))).toMatch(/another host/);
    expect(errs(btrbkJob({ retention }), send({}))).toMatch(/give the send job `pruner: btrbk` too/);
  });
});

describe('the tools’ snapshot names, read back in the host zone', () => {
  it('sanoid autosnap_<date>_<type> and btrbk NAME.YYYYMMDDTHHMM[_N]; anything else is not a copy', () => {
    const sanoid = toolNameParser('sanoid', 'Europe/Paris');
    expect(sanoid('autosnap_2026-01-05_23:59:07_daily')).toBe(Date.UTC(2026, 0, 5, 22, 59, 7));
    expect(sanoid('autosnap_2026-01-05_23:59:07_hourly')).toBe(Date.UTC(2026, 0, 5, 22, 59, 7));
    expect(sanoid('autosnap_2026-01-05_23:59:07')).toBeUndefined();
    expect(sanoid('backplan-20260105T225907Z')).toBeUndefined();
    const btrbk = toolNameParser('btrbk', 'UTC', 'data');
    expect(btrbk('data.20260105T2359')).toBe(Date.UTC(2026, 0, 5, 23, 59));
    expect(btrbk('data.20260105T2359_1')).toBe(Date.UTC(2026, 0, 5, 23, 59));
    expect(btrbk('other.20260105T2359')).toBeUndefined();
    expect(btrbk('data.20261305T2359')).toBeUndefined();
  });
});
