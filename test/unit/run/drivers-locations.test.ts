// Where velero and openstack-image copies go: a velero job's `to` is a Velero
// BackupStorageLocation (`location`, default the storage's name) with its VolumeSnapshotLocations
// (`snapshot_location`); an openstack-image volume is imaged detached unless `force: true`, in
// `disk_format` (qcow2 by default), and `download: {to}` saves the images outside the cloud.
import { describe, expect, it } from 'vitest';
import type { JobModel, PlanModel } from '../../../engine/plan/model';
import { DRIVERS } from '../../../engine/run/drivers/index';
import { WAIT_ACTIVE } from '../../../engine/run/drivers/openstack-image';
import { scheduleArgv } from '../../../engine/run/drivers/velero';
import type { DriverContext, DriverResult } from '../../../engine/run/steps/driver-kit';
import type { CommandStep, Step } from '../../../engine/run/steps/step';
import { FLEET, NOW, job, plan, policy, storage } from './helpers';

const STORAGE = [
  ...FLEET.storage,
  storage('minio-bucket', { host: 'charybde', media: 'hdd', url: 's3:http://minio:9000/velero' }),
  storage('offsite-velero', {
    site: 'cloud',
    media: 'object',
    location: 'offsite',
    snapshot_location: ['aws-east', 'portworx-cloud'],
  }),
  storage('odd_name', { site: 'cloud', media: 'object' }),
  storage('glance', { media: 'object', site: 'a' }),
];

function planOf(j: JobModel): PlanModel {
  return plan({ ...FLEET, storage: STORAGE, jobs: [j] });
}

function run(j: JobModel, ctx: Partial<DriverContext> = {}): DriverResult {
  return DRIVERS[j.kind](j, planOf(j), { now: NOW, ...ctx });
}

function ok(r: DriverResult): Step[] {
  expect(r.errors).toEqual([]);
  return r.steps;
}

const commands = (steps: Step[]) => steps.filter((s): s is CommandStep => s.type === 'command');
const argvs = (steps: Step[]) => commands(steps).map((s) => s.argv);

describe('velero: the job\'s `to` is a Velero location', () => {
  const v = (f: Record<string, unknown> = {}) =>
    job('apps', {
      kind: 'velero',
      namespaces: ['shop', 'auth'],
      retention: policy(undefined, { expiry: '30d' }),
      schedule: '0 3 * * *',
      ...f,
    });

  it('passes the storage\'s name as --storage-location when it has no `location`', () => {
    expect(argvs(ok(run(v({ to: 'minio-bucket' }))))).toEqual([
      [
        'velero',
        'backup',
        'create',
        'apps-20240305-0607',
        '--include-namespaces=shop,auth',
        '--ttl=720h0m0s',
        '--storage-location=minio-bucket',
        '--wait',
      ],
    ]);
  });

  it('uses `location` and `snapshot_location` of the storage, in the backup and the schedule', () => {
    expect(argvs(ok(run(v({ to: 'offsite-velero' }))))).toEqual([
      [
        'velero',
        'backup',
        'create',
        'apps-20240305-0607',
        '--include-namespaces=shop,auth',
        '--ttl=720h0m0s',
        '--storage-location=offsite',
        '--volume-snapshot-locations=aws-east,portworx-cloud',
        '--wait',
      ],
    ]);
    const j = v({ to: 'offsite-velero' });
    expect(scheduleArgv(j, planOf(j))).toEqual({
      host: 'local',
      argv: [
        'velero',
        'schedule',
        'create',
        'apps',
        '--schedule=0 3 * * *',
        '--include-namespaces=shop,auth',
        '--ttl=720h0m0s',
        '--storage-location=offsite',
        '--volume-snapshot-locations=aws-east,portworx-cloud',
      ],
    });
  });

  it('without `to` keeps Velero\'s default location and says so', () => {
    const steps = ok(run(v()));
    expect(argvs(steps)[0]).not.toContainEqual(expect.stringMatching(/^--storage-location/));
    expect(commands(steps)[0].notes).toEqual([
      'no `to`: Velero writes to its default BackupStorageLocation, which the plan does not describe (no copy counted)',
    ]);
  });

  it('refuses a storage whose name or `location` is no Kubernetes object name, and bad snapshot locations', () => {
    expect(run(v({ to: 'odd_name' })).problems).toEqual([
      {
        message:
          "storage `odd_name`: its name is not a Velero BackupStorageLocation name (lowercase letters, digits, '-' " +
          "and '.'): set `location` to the location's name",
        at: ['storage', 'odd_name'],
      },
    ]);
    const bad = (fields: Record<string, unknown>) => {
      const j = v({ to: 'x' });
      const p = plan({ ...FLEET, storage: [storage('x', { media: 'object', ...fields })], jobs: [j] });
      return DRIVERS.velero(j, p, { now: NOW }).problems;
    };
    expect(bad({ location: 'Primary' })![0].at).toEqual(['storage', 'x', 'location']);
    expect(bad({ snapshot_location: ['ok', '--wait'] })![0].at).toEqual(['storage', 'x', 'snapshot_location', 1]);
    expect(run(v({ to: 'nowhere' })).errors).toEqual(['to `nowhere` is not defined under storage']);
  });
});

describe('openstack-image: detached volumes, disk format, download', () => {
  const persistent = (f: Record<string, unknown> = {}) =>
    job('osp', { kind: 'openstack-image', flavor: 'persistent', volume: 'data1', cloud: 'prod', to: 'glance', ...f });
  const os = ['openstack', '--os-cloud=prod'];
  // The copy name's stamp is the kit's (copyName): read it from the plan rather than restate it.
  const N = argvs(ok(run(persistent({ force: true })))).find((a) => a.includes('create'))!.at(-1)!;
  const C = N.replace(/^osp/, 'osc');

  it('images a volume without --force, in qcow2, after checking it is detached', () => {
    const steps = ok(run(persistent()));
    expect(N).toMatch(/^osp-20240305T0607/);
    expect(argvs(steps)).toEqual([
      [...os, 'volume', 'show', '-f', 'value', '-c', 'status', 'data1'],
      [...os, 'image', 'create', '--volume', 'data1', '--disk-format', 'qcow2', N],
    ]);
    expect(commands(steps)[0]).toMatchObject({ phase: 'setup', expect: { stdout: 'available' } });
    expect(commands(steps)[0].notes![0]).toMatch(/attached volume \(in-use\) is refused/);
  });

  it('with `force: true` images the attached volume with --force, says it is crash-consistent', () => {
    const steps = ok(run(persistent({ server: 'app', force: true, disk_format: 'raw' })));
    expect(argvs(steps)).toEqual([
      [...os, 'image', 'create', '--volume', 'data1', '--disk-format', 'raw', '--force', N],
    ]);
    expect(commands(steps)[0].notes![0]).toMatch(/crash-consistent/);
  });

  it('refuses a volume the plan says is attached unless `force: true`, and unknown disk formats', () => {
    expect(run(persistent({ server: 'app' })).problems).toEqual([
      {
        message:
          '`volume` is the disk of server `app`: Cinder images an attached volume only with `--force`. Detach it ' +
          'before each run, or set `force: true` (a crash-consistent image; shut the server off around the run for ' +
          'a consistent one)',
        at: ['jobs', 'osp', 'volume'],
      },
    ]);
    const compute = job('osc', { kind: 'openstack-image', flavor: 'compute', server: 'vm1', volume: 'd1' });
    expect(run(compute).errors[0]).toMatch(/^the `volume` of a compute job is a data disk of server `vm1`/);
    expect(run(persistent({ disk_format: 'iso' })).problems).toEqual([
      {
        message: '`disk_format` must be one of qcow2, raw, vmdk, vdi, vhd, vhdx, ploop',
        at: ['jobs', 'osp', 'disk_format'],
      },
    ]);
    expect(run(persistent({ force: 'yes' })).errors).toEqual(['`force` must be true or false']);
  });

  it('downloads the image to another host\'s storage: waits for it, streams it to a .partial, prunes the files', () => {
    const steps = ok(
      run(persistent({ download: { to: 'charybde-pool' }, retention: policy(undefined, { keep: { daily: 7 } }) })),
    );
    expect(steps.map((s) => [s.type, s.phase, s.host])).toEqual([
      ['command', 'setup', 'charybde'],
      ['command', 'setup', 'local'],
      ['command', 'backup', 'local'],
      ['command', 'copy', 'local'],
      ['command', 'copy', 'local'],
      ['prune', 'prune', 'local'],
      ['prune', 'prune', 'charybde'],
    ]);
    const c = commands(steps);
    expect(c[0].argv).toEqual(['mkdir', '-p', '--', '/srv/backup/osp']);
    expect(c[3].argv).toEqual(['sh', '-c', WAIT_ACTIVE, 'sh', N, '21600', ...os]);
    expect(c[4].argv).toEqual([...os, 'image', 'save', N]);
    expect(c[4].output).toEqual({
      host: 'charybde',
      path: `/srv/backup/osp/${N}.qcow2`,
      partial: `/srv/backup/osp/${N}.qcow2.partial`,
      kind: 'file',
      via: 'stdout',
    });
    expect(steps[6]).toMatchObject({
      type: 'prune',
      prune: { inventory: { type: 'files', host: 'charybde', dir: '/srv/backup/osp', match: 'osp-*' } },
    });
  });

  it('on the job\'s own host, `image save --file` writes the .partial itself', () => {
    const steps = ok(run(persistent({ download: { to: 'local-disk' } })));
    const save = commands(steps).find((s) => s.argv.includes('save'))!;
    expect(save.argv).toEqual([
      ...os,
      'image',
      'save',
      '--file',
      `/var/backups/bp/osp/${N}.qcow2.partial`,
      N,
    ]);
    expect(save.output).toMatchObject({ host: 'local', via: 'tool' });
  });

  it('a compute server image is downloaded without a wait (server image create --wait)', () => {
    const j = job('osc', { kind: 'openstack-image', flavor: 'compute', server: 'vm1', download: { to: 'local-disk' } });
    expect(argvs(ok(run(j)))).toEqual([
      ['mkdir', '-p', '--', '/var/backups/bp/osc'],
      ['openstack', 'server', 'image', 'create', '--name', C, '--wait', 'vm1'],
      ['openstack', 'image', 'save', '--file', `/var/backups/bp/osc/${C}.img.partial`, C],
    ]);
  });

  it('refuses a download of volume snapshots, to the job\'s own `to`, or to an unknown storage', () => {
    const snap = job('osp', {
      kind: 'openstack-image',
      flavor: 'persistent',
      volume: 'data1',
      storage: 'scylla-pool',
      download: { to: 'local-disk' },
    });
    expect(run(snap).problems).toEqual([
      {
        message:
          '`download` saves images, and this job keeps Cinder snapshots (a `storage` and no `to`): give it a `to`',
        at: ['jobs', 'osp', 'download'],
      },
    ]);
    expect(run(persistent({ download: { to: 'glance' } })).problems![0].at).toEqual(['jobs', 'osp', 'download', 'to']);
    expect(run(persistent({ download: { to: 'nope' } })).errors).toEqual([
      'download.to `nope` is not defined under storage',
    ]);
    expect(run(persistent({ download: 'local-disk' })).errors[0]).toMatch(/^`download` must be `\{to: STORAGE\}`/);
  });

  it('the wait loop is fixed text: the image name and the command are its arguments', () => {
    expect(WAIT_ACTIVE).not.toMatch(/osp|prod/);
    expect(WAIT_ACTIVE).toContain('"$@" image show -f value -c status "$img"');
  });
});
