import { describe, expect, it } from 'vitest';
import { checkText } from '../../../engine/check';
import { rule } from '../../../engine/checks/coverage-3-2-1';

const run = (text: string) => checkText(text, { rules: [rule] });
const slice = (text: string, r: { start: number; end: number }) => text.slice(r.start, r.end);

const HEAD = `version: 1
hosts:
  scylla: { site: campus-a }
  charybde: { site: campus-b }
storage:
  scylla-pool: { host: scylla, media: hdd }
  charybde-pool: { host: charybde, media: hdd }
  bucket: { site: cloud, media: object, immutable: true }
  local-repo: { host: scylla, media: ssd }
`;

describe('coverage-3-2-1', () => {
  it('gives the counts and the target on the root job key, with the copies as related info', () => {
    const text = `${HEAD}jobs:
  vm-snapshots:
    kind: zfs-snapshot
    host: scylla
    storage: scylla-pool
  vm-replica:
    kind: zfs-send
    from: vm-snapshots
    to: charybde-pool
`;
    const f = run(text).findings;
    expect(f).toHaveLength(1);
    expect(slice(text, f[0].range)).toBe('vm-snapshots');
    expect(f[0].range.start).toBe(text.indexOf('  vm-snapshots:') + 2);
    expect(f[0].severity).toBe('warning');
    expect(f[0].message).toBe(
      '2 copies, 1 media, 1 offsite — needs 3 copies, 2 media, 1 offsite (checks.coverage): ' +
        'add a job with `from: vm-replica` whose `to` is a storage on another media',
    );
    expect(f[0].related!.map((r) => [slice(text, r.range), r.message])).toEqual([
      ['scylla-pool', 'copy 1: the live data on `scylla-pool` (media hdd, site campus-a)'],
      ['vm-replica', 'a copy on `charybde-pool`, made by `vm-replica` (media hdd, site campus-b, offsite)'],
    ]);
  });

  it('says 0 offsite and names storages whose site is unknown', () => {
    const text = `version: 1
hosts: { web: {} }
storage:
  nas: { media: hdd }
jobs:
  files: { kind: restic, host: web, paths: [/srv], to: nas }
`;
    const [f] = run(text).findings;
    expect(slice(text, f.range)).toBe('files');
    expect(f.message).toBe(
      '2 copies, 1 media, 0 offsite — needs 3 copies, 2 media, 1 offsite (checks.coverage): ' +
        'add a job with `from: files` whose `to` is a storage on another media, on another site ' +
        '(no site is known for the local disk of `web`, `nas`: set `site` on the storage or its host)',
    );
  });

  it('honours checks.coverage, including immutable and verified (3-2-1-1-0)', () => {
    const jobs = `jobs:
  files: { kind: restic, host: scylla, paths: [/srv], to: local-repo }
  far: { kind: rsync, from: files, to: bucket }
`;
    expect(run(HEAD + jobs).findings).toEqual([]);
    const strict = `${HEAD}checks:\n  coverage: { copies: 3, media: 2, offsite: 1, immutable: 2, verified: true }\n${jobs}`;
    const [f] = run(strict).findings;
    expect(f.message).toBe(
      '3 copies, 2 media, 1 offsite, 1 immutable, not verified — needs 3 copies, 2 media, 1 offsite, 2 immutable, verified (checks.coverage): ' +
        'add a job with `from: far` whose `to` is a storage marked `immutable: true`; add `verify` to one of its jobs',
    );
    const lax = `${HEAD}checks:\n  coverage: { copies: 1, media: 1, offsite: 0 }\njobs:\n  s: { kind: zfs-snapshot, host: scylla, storage: scylla-pool }\n`;
    expect(run(lax).findings).toEqual([]);
  });

  it('is quiet for disabled chains and is turned off by checks', () => {
    const text = `${HEAD}jobs:\n  s: { kind: zfs-snapshot, host: scylla, storage: scylla-pool, enabled: false }\n`;
    expect(run(text).findings).toEqual([]);
    const off = `${HEAD}checks: { coverage-3-2-1: off }\njobs:\n  s: { kind: zfs-snapshot, host: scylla, storage: scylla-pool }\n`;
    expect(run(off).findings).toEqual([]);
  });

  it('counts two backups of the same data as one chain: restic to a NAS + borg to a bucket meets 3-2-1', () => {
    const text = `${HEAD}jobs:
  nas-backup: { kind: restic, host: scylla, paths: [/home], to: local-repo }
  cloud-backup: { kind: borg, host: scylla, paths: [/home/], to: bucket }
`;
    expect(run(text).findings).toEqual([]);
  });

  it('reports a short merged chain once, on the first root, naming every root', () => {
    const text = `${HEAD}jobs:
  nas-backup: { kind: restic, host: scylla, paths: [/home], to: local-repo }
  usb-backup: { kind: rsync, host: scylla, paths: [/home], to: scylla-pool }
`;
    const f = run(text).findings;
    expect(f).toHaveLength(1);
    expect(slice(text, f[0].range)).toBe('nas-backup');
    expect(f[0].message).toBe(
      'the `/home` data of `nas-backup` and `usb-backup`: 3 copies, 2 media, 0 offsite — needs 3 copies, 2 media, 1 offsite (checks.coverage): ' +
        'add a job with `from: usb-backup` whose `to` is a storage on a site other than `campus-a`',
    );
    expect(f[0].related!.map((r) => [slice(text, r.range), r.message])).toEqual([
      ['scylla', 'copy 1: the live data on the local disk of `scylla` (media unknown, site campus-a)'],
      ['nas-backup', 'a copy on `local-repo`, made by `nas-backup` (media ssd, site campus-a)'],
      ['usb-backup', 'a copy on `scylla-pool`, made by `usb-backup` (media hdd, site campus-a)'],
    ]);
    // A root that adds no copy of its own is still pointed at.
    const again = `${text}  nas-again: { kind: restic, host: scylla, paths: [/home], to: local-repo }\n`;
    const [g] = run(again).findings;
    expect(g.message).toMatch(/^the `\/home` data of `nas-backup`, `usb-backup` and `nas-again`: 3 copies/);
    expect(g.related!.map((r) => slice(again, r.range))).toEqual(['scylla', 'nas-backup', 'usb-backup', 'nas-again']);
  });

  // Issue #10 item 6: counts per piece of data, by containment.
  it('borg of [/data, /srv/dumps] + rsync of /data: one finding, on the dumps, without rsync’s copy', () => {
    const text = `${HEAD}jobs:
  borg-data: { kind: borg, host: scylla, paths: [/data, /srv/dumps], to: bucket }
  rsync-data: { kind: rsync, host: scylla, paths: [/data], to: local-repo }
`;
    const f = run(text).findings;
    // /data has the live data, borg's and rsync's copies: 3-2-1 met, no finding for rsync-data.
    expect(f).toHaveLength(1);
    expect(slice(text, f[0].range)).toBe('borg-data');
    expect(f[0].message).toBe(
      '`/srv/dumps`, protected by `borg-data` alone: 2 copies, 1 media, 1 offsite — needs 3 copies, 2 media, 1 offsite (checks.coverage): ' +
        'add a job with `from: borg-data` whose `to` is a storage on another media',
    );
    expect(f[0].related!.map((r) => [slice(text, r.range), r.message])).toEqual([
      ['scylla', 'copy 1: the live data on the local disk of `scylla` (media unknown, site campus-a)'],
      ['borg-data', 'a copy on `bucket`, made by `borg-data` (media object, site cloud, offsite, immutable)'],
      ['rsync-data', '`rsync-data` does not read `/srv/dumps`: its copies do not count for it'],
    ]);
  });

  it('never counts copies of different data together: a copy of /data/db is no copy of /data', () => {
    const text = `${HEAD}jobs:
  db-files: { kind: restic, host: scylla, paths: [/data/db], to: bucket }
  all-data: { kind: rsync, host: scylla, paths: [/data], to: local-repo }
`;
    const f = run(text).findings;
    expect(f).toHaveLength(1);
    expect(f[0].message).toMatch(/^`\/data`, protected by `all-data` alone: 2 copies, 1 media, 0 offsite — /);
  });

  it('a dump written into a snapshotted dataset that is sent offsite meets 3-2-1 (MiNET backup_sql)', () => {
    const text = `version: 1
hosts:
  scylla: { site: campus-a }
  charybde: { site: campus-b }
  sql: { site: campus-a }
storage:
  sql-disk: { host: sql, media: ssd }
  scylla-pool: { host: scylla, media: ssd }
  sql-backup: { host: scylla, media: ssd, path: /raidZ/backup_sql }
  charybde-pool: { host: charybde, media: hdd }
jobs:
  db-dump: { kind: pg-dump, host: sql, database: inventory, storage: sql-disk, to: sql-backup }
  sql-snaps: { kind: zfs-snapshot, host: scylla, dataset: raidZ/backup_sql, storage: scylla-pool }
  sql-send: { kind: zfs-send, from: sql-snaps, to: charybde-pool, dataset: backup/sql }
`;
    expect(run(text).findings).toEqual([]);
    // Mounted elsewhere, said with `mountpoint` (a field the schema accepts on zfs-snapshot).
    const moved = text.replace('path: /raidZ/backup_sql', 'path: /srv/sql').replace('storage: scylla-pool }', 'storage: scylla-pool, mountpoint: /srv/sql }');
    const all = checkText(moved, {}).findings;
    expect(all.filter((x) => x.rule === 'schema' || x.rule === 'coverage-3-2-1')).toEqual([]);
  });

  it('two Velero jobs on the same namespaces are one data set; a namespace only one reads is reported', () => {
    const text = (b: string) => `${HEAD}jobs:
  velero-a: { kind: velero, cluster: k8s, namespaces: [shop, auth], storage: scylla-pool, to: local-repo }
  velero-b: { kind: velero, cluster: k8s, namespaces: ${b}, storage: scylla-pool, to: bucket }
`;
    expect(run(text('[auth, shop]')).findings).toEqual([]);
    const f = run(text('[shop]')).findings;
    expect(f).toHaveLength(1);
    expect(f[0].message).toMatch(/^namespace `auth`, protected by `velero-a` alone: 2 copies, 2 media, 0 offsite — /);
  });
});
