import { describe, expect, it } from 'vitest';
import type { JobModel, PlanModel } from '../../../engine/plan/model';
import type { DriverContext, DriverResult } from '../../../engine/run/steps/driver-kit';
import { DRIVERS } from '../../../engine/run/drivers/index';
import { nativeSchedule, pongoPattern } from '../../../engine/run/drivers/incus-snapshot';
import { scheduleArgv } from '../../../engine/run/drivers/velero';
import { formatStep, type CommandStep, type Step } from '../../../engine/run/steps/step';
import { KIND_NAMES } from '../../../engine/kinds';
import { FLEET, NOW, host, job, plan, policy, storage } from './helpers';

function run(
  j: JobModel,
  extra: Partial<Parameters<typeof plan>[0]> = {},
  ctx: Partial<DriverContext> = {},
): DriverResult {
  const p: PlanModel = plan({ ...FLEET, ...extra, jobs: [j, ...(extra.jobs ?? [])] });
  return DRIVERS[j.kind](j, p, { now: NOW, ...ctx });
}

function ok(r: DriverResult): Step[] {
  expect(r.errors).toEqual([]);
  return r.steps;
}

const cmd = (s: Step): CommandStep => {
  expect(s.type).toBe('command');
  return s as CommandStep;
};

const argvs = (steps: Step[]) => steps.filter((s) => s.type === 'command').map((s) => (s as CommandStep).argv);

describe('every kind of SPEC §4 has a driver', () => {
  it('covers KINDS', () => {
    expect(Object.keys(DRIVERS).sort()).toEqual([...KIND_NAMES].sort());
  });
});

describe('archive', () => {
  it('streams the built-in tar.gz through gpg into a dated file, renamed when whole', () => {
    const steps = ok(
      run(
        job('ar', {
          kind: 'archive',
          paths: ['/etc', '/home/'],
          exclude: '*.cache',
          to: 'charybde-pool',
          encrypt: { gpg: { recipient: 'ops@example.net' } },
          retention: 'tiers',
        }),
      ),
    );
    expect(steps.map((s) => [s.type, s.phase, s.host])).toEqual([
      ['command', 'setup', 'charybde'],
      ['builtin', 'backup', 'local'],
      ['prune', 'prune', 'charybde'],
    ]);
    expect(cmd(steps[0]).argv).toEqual(['mkdir', '-p', '--', '/srv/backup/ar']);
    const b = steps[1];
    if (b.type !== 'builtin') throw new Error('builtin expected');
    expect(b.builtin).toMatchObject({
      op: 'archive',
      paths: ['/etc', '/home'],
      exclude: ['*.cache'],
      format: 'tar.gz',
    });
    expect(b.pipe).toEqual([
      { host: 'local', argv: ['gpg', '--batch', '--no-tty', '--encrypt', '--recipient', 'ops@example.net'] },
    ]);
    expect(b.output).toEqual({
      host: 'charybde',
      path: '/srv/backup/ar/ar-20240305T060700Z.tar.gz.gpg',
      partial: '/srv/backup/ar/ar-20240305T060700Z.tar.gz.gpg.partial',
      kind: 'file',
      via: 'stdout',
    });
    expect(b.builtin.manifest.path).toBe('/srv/backup/ar/ar-20240305T060700Z.tar.gz.gpg.sha256');
    const p = steps[2];
    if (p.type !== 'prune') throw new Error('prune expected');
    expect(p.prune.inventory).toEqual({
      type: 'files',
      host: 'charybde',
      dir: '/srv/backup/ar',
      match: 'ar-*.tar.gz.gpg',
    });
    expect(p.after).toEqual([b.id]);
  });

  it('refuses a remote job host (the built-in reads local paths only)', () => {
    expect(run(job('ar', { kind: 'archive', host: 'scylla', paths: ['/etc'], to: 'local-disk' })).errors[0]).toMatch(
      /reads paths on this machine only/,
    );
  });
});

describe('restic', () => {
  const j = (f: Record<string, unknown> = {}) =>
    job('files', {
      kind: 'restic',
      host: 'scylla',
      paths: ['/etc', '/srv/www'],
      exclude: ['*.tmp'],
      to: 'offsite',
      retention: 'gfs',
      ...f,
    });

  it("backs up with the password by reference, then forgets this job's snapshots with translated flags", () => {
    const steps = ok(run(j({ tags: ['prod'] })));
    expect(argvs(steps)).toEqual([
      [
        'restic',
        '--repo=s3:https://s3.example.net/bucket/restic',
        'backup',
        '--host=scylla',
        '--tag=backplan:files',
        '--tag=prod',
        '--exclude=*.tmp',
        '--',
        '/etc',
        '/srv/www',
      ],
      [
        'restic',
        '--repo=s3:https://s3.example.net/bucket/restic',
        'forget',
        '--tag=backplan:files',
        '--group-by=',
        '--keep-last=3',
        '--keep-daily=7',
        '--keep-weekly=4',
        '--keep-monthly=12',
        '--keep-within=1y2m',
        '--prune',
      ],
    ]);
    expect(cmd(steps[0]).env).toEqual({ RESTIC_PASSWORD: { fromEnv: 'RESTIC_PW' } });
    const prune = cmd(steps[1]);
    expect(prune.phase).toBe('prune');
    expect(prune.after).toEqual([steps[0].id]);
    expect(prune.guard).toMatchObject({
      argv: [...prune.argv.slice(0, -1), '--dry-run', '--json'],
      parse: 'restic-forget-json',
      min: 1,
      engine: 'restic',
      version: ['restic', 'version'],
    });
    expect(prune.guard!.list!.argv).toEqual([
      'restic',
      '--repo=s3:https://s3.example.net/bucket/restic',
      'snapshots',
      '--json',
      '--tag=backplan:files',
    ]);
    // restic reads days and weeks in its local time: the zone the plan prunes in.
    expect(prune.env!.TZ).toEqual({ value: prune.guard!.timezone });
    expect(formatStep(steps[0])).toBe(
      `[scylla] RESTIC_PASSWORD="$RESTIC_PW" restic --repo=s3:https://s3.example.net/bucket/restic backup ` +
        `--host=scylla --tag=backplan:files --tag=prod '--exclude=*.tmp' -- /etc /srv/www`,
    );
  });

  it('uses restic --password-file for password_file, and sftp for a path on another host', () => {
    const steps = ok(run(j({ to: 'charybde-pool', password_file: '/root/.restic-pw', retention: undefined })));
    expect(steps).toHaveLength(1);
    expect(cmd(steps[0]).argv.slice(0, 5)).toEqual([
      'restic',
      '--repo=sftp://backup@192.0.2.11:2222//srv/backup/files',
      '--password-file=/root/.restic-pw',
      '--option=sftp.command=ssh -o BatchMode=yes -p 2222 -i /etc/backplan/id_ed25519 backup@192.0.2.11 -s sftp',
      'backup',
    ]);
    expect(cmd(steps[0]).env).toEqual({});
  });

  it('translates unlimited counts and within durations; refuses what restic cannot express', () => {
    const inline = policy(undefined, { keep: { daily: -1, within_weekly: '2w', tags: [['keep', 'monthly']] } });
    const steps = ok(run(j({ retention: inline })));
    expect(cmd(steps[1]).argv).toEqual(
      expect.arrayContaining(['--keep-daily=unlimited', '--keep-within-weekly=14d', '--keep-tag=keep,monthly']),
    );
    expect(run(j({ retention: 'tiers' })).errors[0]).toMatch(/restic forget cannot express `tiers`/);
    expect(run(j({ retention: policy(undefined, { keep: { within: '90min' } }) })).errors[0]).toMatch(/no minutes/);
  });

  it('needs a password reference and refuses one written inline, without echoing it', () => {
    expect(run(j({ to: 'charybde-pool' })).errors).toEqual([
      'restic needs the repository password: set `password_env` or `password_file` on the job or its storage',
    ]);
    const r = run(j({ password: 'hunter2' }));
    expect(r.errors.join('\n')).toMatch(/`password` is written in the plan/);
    expect(JSON.stringify(r)).not.toContain('hunter2');
  });
});

describe('borg', () => {
  it('creates REPO::NAME over ssh, prunes by name glob with a dry-run guard, then compacts', () => {
    const steps = ok(
      run(
        job('b', {
          kind: 'borg',
          host: 'scylla',
          paths: '/etc',
          to: 'charybde-pool',
          passphrase_env: 'BORG_PW',
          retention: policy(undefined, { keep: { within: '2w', daily: 7, monthly: -1 }, min: 2 }),
        }),
      ),
    );
    const repo = 'ssh://backup@192.0.2.11:2222/srv/backup/b';
    expect(argvs(steps)).toEqual([
      ['borg', 'create', '--', `${repo}::b-20240305T060700Z`, '/etc'],
      [
        'borg',
        'prune',
        '--list',
        '--glob-archives=b-*',
        '--keep-within=2w',
        '--keep-daily=7',
        '--keep-monthly=-1',
        '--',
        repo,
      ],
      ['borg', 'compact', '--', repo],
    ]);
    expect(cmd(steps[0]).env).toEqual({
      BORG_RSH: { value: "ssh -o BatchMode=yes -i '/etc/backplan/id_ed25519'" },
      BORG_PASSPHRASE: { fromEnv: 'BORG_PW' },
    });
    expect(cmd(steps[1]).guard).toMatchObject({
      argv: [
        'borg',
        'prune',
        '--list',
        '--glob-archives=b-*',
        '--keep-within=2w',
        '--keep-daily=7',
        '--keep-monthly=-1',
        '--dry-run',
        '--',
        repo,
      ],
      parse: 'borg-prune-list',
      min: 2,
      engine: 'borg',
      list: { argv: ['borg', 'list', '--json', '--glob-archives=b-*', '--', repo], parse: 'borg-list-json' },
    });
    // borg's listing prints naive local times: read in UTC.
    expect(cmd(steps[1]).guard!.list!.env!.TZ).toEqual({ value: 'UTC' });
  });

  it('keeps within to a single borg unit and refuses restic-only rules', () => {
    const b = (keep: Record<string, unknown>) =>
      run(job('b', { kind: 'borg', paths: '/etc', to: 'local-disk', retention: policy(undefined, { keep }) }));
    expect(argvs(ok(b({ within: '1d12h' })))[1]).toContain('--keep-within=36H');
    expect(argvs(ok(b({ within: '14mo' })))[1]).toContain('--keep-within=14m');
    expect(b({ within: '1y2mo' }).errors[0]).toMatch(/single unit/);
    expect(b({ within_daily: '7d' }).errors[0]).toMatch(/restic only/);
  });
});

describe('rsync', () => {
  it('writes a dated .partial tree with --link-dest to the previous one, over ssh, then renames', () => {
    const steps = ok(
      run(
        job('r', {
          kind: 'rsync',
          host: 'scylla',
          paths: ['/etc', '/srv/www/'],
          exclude: ['*.log'],
          to: 'charybde-pool',
          retention: 'tiers',
        }),
        {},
        { state: { r: { previous: '20240304T0607Z' } } },
      ),
    );
    expect(argvs(steps)).toEqual([
      ['mkdir', '-p', '--', '/srv/backup/r'],
      [
        'rsync',
        '--archive',
        '--delete',
        '--relative',
        '--numeric-ids',
        '--exclude=*.log',
        '--link-dest=/srv/backup/r/20240304T0607Z',
        '--rsh=ssh -o BatchMode=yes -p 2222 -i /etc/backplan/id_ed25519',
        '--protect-args',
        '--',
        '/etc',
        '/srv/www',
        'backup@192.0.2.11:/srv/backup/r/20240305T060700Z.partial/',
      ],
    ]);
    expect(cmd(steps[1]).host).toBe('scylla');
    expect(cmd(steps[1]).output).toEqual({
      host: 'charybde',
      path: '/srv/backup/r/20240305T060700Z',
      partial: '/srv/backup/r/20240305T060700Z.partial',
      kind: 'directory',
      via: 'tool',
    });
    expect(steps[2]).toMatchObject({
      type: 'prune',
      host: 'charybde',
      prune: { inventory: { type: 'directories', dir: '/srv/backup/r', match: '*Z*' } },
    });
  });

  it('stays local when the storage is the job host, and honours link_dest: false', () => {
    const steps = ok(
      run(
        job('r', { kind: 'rsync', paths: ['/etc'], to: 'local-disk', link_dest: false }),
        {},
        { state: { r: { previous: 'x' } } },
      ),
    );
    expect(cmd(steps[1]).argv).toEqual([
      'rsync',
      '--archive',
      '--delete',
      '--relative',
      '--numeric-ids',
      '--',
      '/etc',
      '/var/backups/bp/r/20240305T060700Z.partial/',
    ]);
  });

  it('refuses relative paths (they could start with a dash) and encryption', () => {
    expect(run(job('r', { kind: 'rsync', paths: ['-e sh'], to: 'local-disk' })).errors[0]).toMatch(
      /`paths`\[0\].*absolute path/,
    );
    expect(
      run(job('r', { kind: 'rsync', paths: ['/x'], to: 'local-disk', encrypt: { gpg: { recipient: 'a' } } })).errors[0],
    ).toMatch(/encrypt/);
  });
});

describe('database dumps', () => {
  it('pg-dump: custom format to stdout, gpg on the source host, file on the storage host', () => {
    const steps = ok(
      run(
        job('db', {
          kind: 'pg-dump',
          host: 'scylla',
          database: 'app',
          db_user: 'backup',
          db_port: 5433,
          password_file: '/etc/bp/pgpw',
          to: 'charybde-pool',
          encrypt: { gpg: { recipient: ['A1B2C3', 'D4E5F6'] } },
        }),
      ),
    );
    const s = cmd(steps[1]);
    expect(s.argv).toEqual(['pg_dump', '--format=custom', '--port=5433', '--username=backup', '--dbname=app']);
    expect(s.env).toEqual({ PGPASSWORD: { fromFile: '/etc/bp/pgpw' } });
    expect(s.pipe).toEqual([
      {
        host: 'scylla',
        argv: ['gpg', '--batch', '--no-tty', '--encrypt', '--recipient', 'A1B2C3', '--recipient', 'D4E5F6'],
      },
    ]);
    expect(s.output).toMatchObject({
      host: 'charybde',
      path: '/srv/backup/db/db-20240305T060700Z.dump.gpg',
      via: 'stdout',
    });
    expect(formatStep(s)).toBe(
      '[scylla] PGPASSWORD="$(cat /etc/bp/pgpw)" pg_dump --format=custom --port=5433 --username=backup --dbname=app' +
        ' | [scylla] gpg --batch --no-tty --encrypt --recipient A1B2C3 --recipient D4E5F6' +
        ' > [charybde] /srv/backup/db/db-20240305T060700Z.dump.gpg.partial; then mv -T -- ' +
          '/srv/backup/db/db-20240305T060700Z.dump.gpg.partial /srv/backup/db/db-20240305T060700Z.dump.gpg',
    );
  });

  it('mysql-dump: single transaction, routines and events, tool override, pattern names', () => {
    const steps = ok(
      run(
        job('my', {
          kind: 'mysql-dump',
          host: 'scylla',
          database: 'shop',
          password_env: 'MY_PW',
          to: 'local-disk',
          pattern: 'shop-%Y%m%d-%H%M',
        }),
        {
          hosts: [host('scylla', { address: '192.0.2.10', tools: { mysqldump: 'mariadb-dump' } })],
        },
      ),
    );
    // The storage is on this machine, the dump on scylla: the runner carries stdout back here.
    expect(cmd(steps[1]).argv).toEqual([
      'mariadb-dump',
      '--single-transaction',
      '--routines',
      '--events',
      '--',
      'shop',
    ]);
    expect(cmd(steps[1]).output?.path).toBe('/var/backups/bp/my/shop-20240305-0607.sql');
  });

  it('refuses database names that would be read as options', () => {
    const r = run(job('my', { kind: 'mysql-dump', database: '--all-databases', to: 'local-disk' }));
    expect(r.errors).toEqual(["`database` `--all-databases` starts with '-' and would be read as an option"]);
    expect(r.steps).toEqual([]);
  });
});

describe('zfs', () => {
  const snapJob = job('vm-snap', {
    kind: 'zfs-snapshot',
    host: 'scylla',
    dataset: 'raidZ/prod',
    retention: 'tiers',
    pattern: 'auto-%Y%m%d-%H%M',
  });
  const sendJob = (f: Record<string, unknown> = {}) =>
    job('vm-rep', {
      kind: 'zfs-send',
      from: 'vm-snap',
      to: 'charybde-pool',
      dataset: 'backup/prod',
      retention: 'tiers',
      ...f,
    });
  const zplan = (f: Record<string, unknown> = {}) =>
    plan({ ...FLEET, timezone: 'Europe/Paris', jobs: [snapJob, sendJob(f)] });

  it('zfs-snapshot names from the pattern in the plan zone and protects the replication base', () => {
    const p = zplan();
    const r = DRIVERS['zfs-snapshot'](snapJob, p, { now: NOW });
    const steps = ok(r);
    expect(cmd(steps[0]).argv).toEqual(['zfs', 'snapshot', 'raidZ/prod@auto-20240305-0707']);
    expect(r.produced).toEqual({ name: 'auto-20240305-0707', host: 'scylla', where: 'raidZ/prod' });
    expect(steps[1]).toMatchObject({
      type: 'prune',
      prune: {
        engine: 'native',
        timezone: 'Europe/Paris',
        protectBaseOf: ['vm-rep'],
        inventory: { type: 'zfs-snapshots', dataset: 'raidZ/prod', match: 'auto-*-*' },
      },
    });
  });

  it('zfs-send: first a full send into a new dataset (no -F), each side on its host', () => {
    const p = zplan();
    const steps = ok(
      DRIVERS['zfs-send'](sendJob(), p, {
        now: NOW,
        produced: { 'vm-snap': { name: 'auto-20240305-0707', host: 'scylla', where: 'raidZ/prod' } },
      }),
    );
    const s = cmd(steps[0]);
    expect([s.host, s.argv]).toEqual(['scylla', ['zfs', 'send', 'raidZ/prod@auto-20240305-0707']]);
    expect(s.pipe).toEqual([{ host: 'charybde', argv: ['zfs', 'receive', '-s', 'backup/prod'] }]);
    expect(s.unresolved).toBeUndefined();
    expect(steps[1]).toMatchObject({
      type: 'prune',
      host: 'charybde',
      prune: { replicaOf: 'vm-snap', inventory: { dataset: 'backup/prod', match: 'auto-*-*' } },
    });
  });

  it('zfs-send: incremental from the common base with -F; -R when recursive; no -s when not resumable', () => {
    const p = zplan({ recursive: true, resumable: false });
    const steps = ok(
      DRIVERS['zfs-send'](sendJob({ recursive: true, resumable: false }), p, {
        now: NOW,
        state: { 'vm-rep': { base: 'auto-20240304-0707', latest: 'auto-20240305-0107' } },
      }),
    );
    expect(cmd(steps[0]).argv).toEqual([
      'zfs',
      'send',
      '-R',
      '-i',
      'raidZ/prod@auto-20240304-0707',
      'raidZ/prod@auto-20240305-0107',
    ]);
    expect(cmd(steps[0]).pipe![0].argv).toEqual(['zfs', 'receive', '-F', 'backup/prod']);
  });

  it('zfs-send: resumes from a token; refuses to overwrite a target without common snapshot', () => {
    const p = zplan();
    const resumed = ok(
      DRIVERS['zfs-send'](sendJob(), p, { now: NOW, state: { 'vm-rep': { resumeToken: '1-abc0-def' } } }),
    );
    expect(cmd(resumed[0]).argv).toEqual(['zfs', 'send', '-t', '1-abc0-def']);
    expect(cmd(resumed[0]).pipe![0].argv).toEqual(['zfs', 'receive', '-s', 'backup/prod']);
    const refused = DRIVERS['zfs-send'](sendJob(), p, {
      now: NOW,
      state: { 'vm-rep': { targetExists: true, latest: 'auto-1' } },
    });
    expect(refused.errors[0]).toMatch(/shares no snapshot.*refusing/);
  });

  it('zfs-send without a known snapshot shows a placeholder the runner must resolve', () => {
    const steps = ok(DRIVERS['zfs-send'](sendJob(), zplan(), { now: NOW }));
    expect(cmd(steps[0]).argv).toEqual(['zfs', 'send', 'raidZ/prod@{{newest snapshot of vm-snap}}']);
    expect(cmd(steps[0]).unresolved).toEqual(['{{newest snapshot of vm-snap}}']);
  });

  it('refuses dataset names with a leading dash or outside ZFS naming', () => {
    expect(run(job('z', { kind: 'zfs-snapshot', dataset: '-r' })).errors[0]).toMatch(/starts with '-'/);
    expect(run(job('z', { kind: 'zfs-snapshot', dataset: 'pool/a b' })).errors[0]).toMatch(/not a ZFS dataset name/);
    expect(run(job('z', { kind: 'zfs-snapshot', dataset: 'pool/x', pattern: '-%Y' })).errors[0]).toMatch(
      /names may hold/,
    );
  });
});

describe('btrfs', () => {
  const snapJob = job('bs', {
    kind: 'btrfs-snapshot',
    host: 'scylla',
    subvolume: '/data',
    snapshot_dir: '/data/.snapshots',
    retention: 'tiers',
  });
  it('btrfs-snapshot makes a read-only snapshot in snapshot_dir', () => {
    const steps = ok(DRIVERS['btrfs-snapshot'](snapJob, plan({ ...FLEET, jobs: [snapJob] }), { now: NOW }));
    expect(cmd(steps[0]).argv).toEqual([
      'btrfs',
      'subvolume',
      'snapshot',
      '-r',
      '/data',
      '/data/.snapshots/backplan-20240305T060700Z',
    ]);
  });

  it('btrfs-send: incremental with -p PARENT, received into <to.path>/<job> on the target', () => {
    const send = job('bsend', { kind: 'btrfs-send', from: 'bs', to: 'charybde-pool', retention: 'tiers' });
    const steps = ok(
      DRIVERS['btrfs-send'](send, plan({ ...FLEET, jobs: [snapJob, send] }), {
        now: NOW,
        state: { bsend: { base: 'backplan-20240304T0607Z' } },
        produced: { bs: { name: 'backplan-20240305T0607Z', host: 'scylla', where: '/data/.snapshots' } },
      }),
    );
    expect(argvs(steps)).toEqual([
      ['mkdir', '-p', '--', '/srv/backup/bsend'],
      ['btrfs', 'send', '-p', '/data/.snapshots/backplan-20240304T0607Z', '/data/.snapshots/backplan-20240305T0607Z'],
    ]);
    expect(cmd(steps[1]).pipe).toEqual([{ host: 'charybde', argv: ['btrfs', 'receive', '/srv/backup/bsend'] }]);
  });
});

describe('incus', () => {
  it('incus-snapshot: hands expiry to Incus, then snapshot create', () => {
    const steps = ok(
      run(
        job('is', {
          kind: 'incus-snapshot',
          host: 'scylla',
          instance: 'web1',
          retention: policy(undefined, { expiry: '1mo2w' }),
        }),
      ),
    );
    expect(argvs(steps)).toEqual([
      ['incus', 'config', 'set', 'web1', 'snapshots.expiry=1m 2w'],
      ['incus', 'snapshot', 'create', 'web1', 'backplan-20240305T060700Z'],
    ]);
    expect(steps.some((s) => s.type === 'prune')).toBe(false);
  });

  it('lxc binary: `lxc snapshot INSTANCE NAME`, native prune for keep rules, made without Incus expiry', () => {
    const steps = ok(
      run(job('is', { kind: 'incus-snapshot', host: 'scylla', instance: 'web1', retention: 'gfs' }), {
        hosts: [host('scylla', { address: '192.0.2.10', incus_binary: 'lxc' })],
      }),
    );
    expect(cmd(steps[0]).argv).toEqual(['lxc', 'snapshot', '--no-expiry', 'web1', 'backplan-20240305T060700Z']);
    const incus = ok(run(job('is', { kind: 'incus-snapshot', host: 'scylla', instance: 'web1', retention: 'gfs' })));
    expect(cmd(incus[0]).argv).toEqual([
      'incus',
      'snapshot',
      'create',
      '--no-expiry',
      'web1',
      'backplan-20240305T060700Z',
    ]);
    expect(steps[1]).toMatchObject({
      type: 'prune',
      prune: { inventory: { type: 'incus-snapshots', binary: 'lxc', instance: 'web1' } },
    });
  });

  it('incus-copy: push --refresh with autostart off, then set and read back boot.autostart', () => {
    const steps = ok(
      run(job('ic', { kind: 'incus-copy', host: 'scylla', instance: 'web1', to: 'standby-pool' }), {
        hosts: [...FLEET.hosts, host('standby', { address: '192.0.2.12', role: 'standby' })],
        storage: [...FLEET.storage, storage('standby-pool', { host: 'standby' })],
      }),
    );
    expect(argvs(steps)).toEqual([
      ['incus', 'copy', 'web1', 'standby:web1', '--mode', 'push', '--refresh', '-c', 'boot.autostart=false'],
      ['incus', 'config', 'set', 'standby:web1', 'boot.autostart=false'],
      ['incus', 'config', 'get', 'standby:web1', 'boot.autostart'],
    ]);
    expect(cmd(steps[2]).expect).toEqual({ stdout: 'false' });
  });

  it('incus-copy with refresh: false copies the newest snapshot (INSTANCE/SNAP)', () => {
    const steps = ok(
      run(
        job('ic', { kind: 'incus-copy', host: 'scylla', instance: 'web1', remote: 'standby', refresh: false }),
        {},
        { state: { ic: { latest: 'backplan-20240305T0000Z' } } },
      ),
    );
    expect(cmd(steps[0]).argv).toEqual([
      'incus',
      'copy',
      'web1/backplan-20240305T0000Z',
      'standby:web1',
      '--mode',
      'push',
      '-c',
      'boot.autostart=false',
    ]);
  });

  it('native scheduling commands and Pongo2 patterns', () => {
    const j = job('is', {
      kind: 'incus-snapshot',
      host: 'scylla',
      instance: 'web1',
      schedule: '0 */6 * * *',
      pattern: 'auto%Y-%m-%d',
      retention: policy(undefined, { expiry: '7d' }),
    });
    const r = nativeSchedule(j, plan({ ...FLEET, jobs: [j] }));
    expect(r.errors).toEqual([]);
    expect(r.commands.map((c) => c.argv)).toEqual([
      ['incus', 'config', 'set', 'web1', 'snapshots.schedule=0 */6 * * *'],
      [
        'incus',
        'config',
        'set',
        'web1',
        'snapshots.pattern=auto{{ creation_date|date:"2006" }}-{{ creation_date|date:"01" }}-{{ ' +
          'creation_date|date:"02" }}',
      ],
      ['incus', 'config', 'set', 'web1', 'snapshots.expiry=7d'],
    ]);
    expect(pongoPattern("x-{{ creation_date|date:'2006' }}")).toBe("x-{{ creation_date|date:'2006' }}");
  });
});

describe('velero', () => {
  const v = (f: Record<string, unknown> = {}) =>
    job('k8s_apps', {
      kind: 'velero',
      namespaces: ['app', 'db'],
      cluster: 'microk8s',
      kubeconfig_file: '/etc/bp/kubeconfig',
      retention: policy(undefined, { expiry: '30d' }),
      schedule: '0 3 * * *',
      ...f,
    });
  it('velero backup create with TTL as a Go duration and a valid object name', () => {
    expect(argvs(ok(run(v())))).toEqual([
      [
        'velero',
        'backup',
        'create',
        'k8s-apps-20240305-0607',
        '--include-namespaces=app,db',
        '--ttl=720h0m0s',
        '--kubeconfig=/etc/bp/kubeconfig',
        '--kubecontext=microk8s',
        '--wait',
      ],
    ]);
  });
  it('schedule form for export, and only TTL retention', () => {
    const j = v();
    expect(scheduleArgv(j, plan({ ...FLEET, jobs: [j] }))).toEqual({
      host: 'local',
      argv: [
        'velero',
        'schedule',
        'create',
        'k8s-apps',
        '--schedule=0 3 * * *',
        '--include-namespaces=app,db',
        '--ttl=720h0m0s',
        '--kubeconfig=/etc/bp/kubeconfig',
        '--kubecontext=microk8s',
      ],
    });
    expect(run(v({ retention: 'gfs' })).errors[0]).toMatch(/TTL only/);
    expect(run(v({ retention: policy(undefined, { expiry: '1mo' }) })).errors[0]).toMatch(/fixed length/);
    expect(run(v({ namespaces: 'Bad_NS' })).errors[0]).toMatch(/not a Kubernetes namespace/);
  });
});

describe('openstack-image', () => {
  it('compute: server image create, plus attached volumes uploaded as images (force: true)', () => {
    const steps = ok(
      run(
        job('osc', {
          kind: 'openstack-image',
          flavor: 'compute',
          server: 'vm1',
          volume: 'data1',
          force: true,
          cloud: 'prod',
          password_env: 'OS_PW',
          retention: 'tiers',
        }),
      ),
    );
    expect(argvs(steps)).toEqual([
      ['openstack', '--os-cloud=prod', 'server', 'image', 'create', '--name', 'osc-20240305T060700Z', '--wait', 'vm1'],
      [
        'openstack',
        '--os-cloud=prod',
        'image',
        'create',
        '--volume',
        'data1',
        '--disk-format',
        'qcow2',
        '--force',
        'osc-20240305T060700Z-v1',
      ],
    ]);
    expect(cmd(steps[0]).env).toEqual({ OS_PASSWORD: { fromEnv: 'OS_PW' } });
    expect(steps[2]).toMatchObject({
      type: 'prune',
      prune: { inventory: { type: 'openstack-images', cloud: 'prod', match: 'osc-*' } },
    });
  });
  it('persistent: the volume is checked detached and imaged; with storage and no `to`, snapshotted in place', () => {
    expect(
      argvs(ok(run(job('osp', { kind: 'openstack-image', flavor: 'persistent', volume: 'root1', to: 'offsite' })))),
    ).toEqual([
      ['openstack', 'volume', 'show', '-f', 'value', '-c', 'status', 'root1'],
      ['openstack', 'image', 'create', '--volume', 'root1', '--disk-format', 'qcow2', 'osp-20240305T060700Z'],
    ]);
    expect(
      argvs(
        ok(run(job('osp', { kind: 'openstack-image', flavor: 'persistent', volume: 'root1', storage: 'scylla-pool' }))),
      ),
    ).toEqual([['openstack', 'volume', 'snapshot', 'create', '--volume', 'root1', '--force', 'osp-20240305T060700Z']]);
  });
  it('refuses server names starting with a dash', () => {
    expect(run(job('osc', { kind: 'openstack-image', flavor: 'compute', server: '--help' })).errors[0]).toMatch(
      /`server`.*starts with '-'/,
    );
  });
});

describe('vzdump', () => {
  it('backs up the guests to the PVE storage with prune-backups', () => {
    expect(
      argvs(
        ok(
          run(
            job('vz', {
              kind: 'vzdump',
              host: 'scylla',
              vmid: [100, 101],
              to: 'charybde-pool',
              retention: policy(undefined, { keep: { last: 2, daily: 7, weekly: 4 } }),
            }),
          ),
        ),
      ),
    ).toEqual([
      [
        'vzdump',
        '100',
        '101',
        '--storage',
        'charybde-pool',
        '--mode',
        'snapshot',
        '--prune-backups',
        'keep-last=2,keep-daily=7,keep-weekly=4',
      ],
    ]);
  });
  it('keep-all for last: all; refuses what PVE cannot express', () => {
    const vz = (keep: Record<string, unknown>, f: Record<string, unknown> = {}) =>
      run(
        job('vz', {
          kind: 'vzdump',
          host: 'scylla',
          vmid: 100,
          to: 'charybde-pool',
          retention: policy(undefined, { keep }),
          ...f,
        }),
      );
    expect(argvs(ok(vz({ last: -1 })))[0]).toContain('keep-all=1');
    expect(vz({ within: '7d' }).errors[0]).toMatch(/no `within`/);
    expect(vz({ daily: -1 }).errors[0]).toMatch(/no unlimited/);
    expect(vz({ daily: 7 }, { vmid: 'x' }).errors[0]).toMatch(/guest id/);
  });
});

describe('secrets are references only (SPEC §8.8)', () => {
  it('never carries a secret value into steps or their display', () => {
    const secret = 'S3cr3t-value-!';
    process.env.RESTIC_PW = secret;
    process.env.BORG_PW = secret;
    try {
      const p = plan({
        ...FLEET,
        jobs: [
          job('files', { kind: 'restic', host: 'scylla', paths: '/etc', to: 'offsite', retention: 'gfs' }),
          job('b', { kind: 'borg', paths: '/etc', to: 'local-disk', passphrase_env: 'BORG_PW' }),
          job('db', { kind: 'pg-dump', database: 'app', to: 'local-disk', password_env: 'RESTIC_PW' }),
        ],
      });
      const all = [...p.jobs.values()].flatMap((j) => ok(DRIVERS[j.kind](j, p, { now: NOW })));
      expect(all.length).toBeGreaterThan(3);
      const text = JSON.stringify(all) + all.map(formatStep).join('\n');
      expect(text).not.toContain(secret);
      expect(text).toContain('$RESTIC_PW');
      for (const s of all) if (s.type === 'command') expect(s.argv.join(' ')).not.toMatch(/RESTIC_PW|BORG_PW/);
    } finally {
      delete process.env.RESTIC_PW;
      delete process.env.BORG_PW;
    }
  });
});

describe('hosts', () => {
  it('refuses a host whose address would be read as an ssh option', () => {
    const r = run(job('z', { kind: 'zfs-snapshot', host: 'evil', dataset: 'p/x' }), {
      hosts: [host('evil', { address: '-oProxyCommand=sh' })],
    });
    expect(r.errors[0]).toMatch(/host evil: address .* starts with '-'/);
  });
  it('reports unknown hosts and storage', () => {
    const r = run(job('z', { kind: 'rsync', host: 'nowhere', paths: '/x', to: 'nothing' }));
    expect(r.errors).toEqual(
      expect.arrayContaining([
        'host `nowhere` is not defined under hosts',
        'to `nothing` is not defined under storage',
      ]),
    );
  });
});
