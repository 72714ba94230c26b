// Issue #10 item 6: protected data is modelled by containment, and 3-2-1 is counted per piece of
// data (engine/coverage/same-data.ts, chains.ts).
import { describe, expect, it } from 'vitest';
import { chainOfJob, computeChains, type Chain } from '../../../engine/coverage/chains';
import { buildModel } from '../../../engine/plan/build-model';
import { parsePlan } from '../../../engine/plan/parse';

const model = (text: string) => {
  const p = parsePlan(text);
  expect(p.findings).toEqual([]);
  return buildModel(p.value);
};

const unit = (c: Chain, label: string) => {
  const u = c.units.find((x) => x.label === label);
  expect(u, `unit ${label} in ${c.units.map((x) => x.label).join(', ')}`).toBeDefined();
  return u!;
};
const vias = (c: { copies: { via?: string }[] }) => c.copies.map((x) => x.via ?? 'live');

// Jobs on this machine (`web` has no address): `dumps` is relative to the plan's folder.
const FILES = `version: 1
hosts: { web: { site: office }, nas: { address: nas.lan, site: office } }
storage:
  nas-share: { host: nas, media: hdd, path: /srv/backups }
  cloud: { site: cloud, media: object, url: "s3:https://s3.example.net/b" }
jobs:
  borg-data: { kind: borg, host: web, paths: [/data, dumps], to: cloud }
  rsync-data: { kind: rsync, host: web, paths: [/data], to: nas-share }
`;

describe('paths by containment', () => {
  it('borg of [/data, dumps] + rsync of /data: one chain; /data has 3 copies, dumps only 2', () => {
    const chains = computeChains(model(FILES), { baseDir: '/plans' });
    expect(chains).toHaveLength(1);
    const [c] = chains;
    expect(c.roots).toEqual(['borg-data', 'rsync-data']);
    expect(unit(c, '`/data`').roots).toEqual(['borg-data', 'rsync-data']);
    expect(vias(unit(c, '`/data`'))).toEqual(['live', 'borg-data', 'rsync-data']);
    expect(unit(c, '`dumps`').roots).toEqual(['borg-data']);
    // The worse case: rsync's copy is a copy of /data, never of dumps.
    expect(vias(unit(c, '`dumps`'))).toEqual(['live', 'borg-data']);
    expect(c.worst.label).toBe('`dumps`');
    expect(c.counts).toMatchObject({ copies: 2, media: 1, offsite: 1 });
  });

  it('copies of a sub-folder never count for the folder around it', () => {
    const plan = model(`version: 1
storage:
  nas: { site: office, media: hdd }
  cloud: { site: cloud, media: object }
jobs:
  db-files: { kind: restic, paths: [/data/db], to: cloud }
  all-data: { kind: rsync, paths: [/data], to: nas }
`);
    const [c, ...rest] = computeChains(plan);
    expect(rest).toEqual([]);
    expect(vias(unit(c, '`/data/db`'))).toEqual(['live', 'db-files', 'all-data']);
    expect(vias(unit(c, '`/data`'))).toEqual(['live', 'all-data']);
    expect(c.worst.label).toBe('`/data`');
    expect(c.counts.copies).toBe(2);
  });

  it('a file backup of a dump’s output directory copies the dump, without `from`', () => {
    const plan = model(`version: 1
hosts:
  db: { address: db.lan, site: a }
  nas: { address: nas.lan, site: a }
storage:
  nas-share: { host: nas, media: hdd, path: /srv/backups/ }
  cloud: { site: cloud, media: object }
jobs:
  app-dump: { kind: pg-dump, host: db, database: app, to: nas-share }
  dump-offsite: { kind: restic, host: nas, paths: [/srv/backups/app-dump], to: cloud }
`);
    const chains = computeChains(plan);
    // The restic reads nothing but the dumps: it is a copy in the dump's chain, not data of its own.
    expect(chains.map((c) => c.roots)).toEqual([['app-dump']]);
    const [c] = chains;
    expect(c.members).toEqual(['app-dump', 'dump-offsite']);
    expect(c.parentOf).toEqual({ 'dump-offsite': 'app-dump' });
    expect(vias(c)).toEqual(['live', 'app-dump', 'dump-offsite']);
    expect(c.counts).toMatchObject({ copies: 3, media: 2, offsite: 1 });
    expect(c.worst.downstream).toEqual(['dump-offsite']);
    expect(chainOfJob(chains, 'dump-offsite')).toBe(c);
  });
});

// The MiNET setup: the SQL VM dumps into the `raidZ/backup_sql` dataset of scylla (a storage whose
// path is the dataset's mountpoint), snapshotted and sent to charybde on the other campus.
const MINET = `version: 1
hosts:
  scylla: { address: s.lan, site: campus-a }
  charybde: { address: c.lan, site: campus-b }
  sql: { address: q.lan, site: campus-a }
storage:
  sql-disk: { host: sql, media: ssd }
  scylla-pool: { host: scylla, media: ssd }
  sql-backup: { host: scylla, media: ssd, path: /raidZ/backup_sql }
  charybde-pool: { host: charybde, media: hdd }
jobs:
  db-dump: { kind: pg-dump, host: sql, database: inventory, storage: sql-disk, to: sql-backup }
  sql-snaps: { kind: zfs-snapshot, host: scylla, dataset: raidZ/backup_sql, storage: scylla-pool }
  sql-send: { kind: zfs-send, from: sql-snaps, host: scylla, to: charybde-pool, dataset: backup/sql }
`;

describe('a dump inside a snapshotted dataset', () => {
  it('gets the copies made of the dataset: the send adds one, the snapshot none', () => {
    const chains = computeChains(model(MINET));
    // The dataset is the dump storage's directory and holds the dumps: a copy, not a chain.
    expect(chains.map((c) => c.roots)).toEqual([['db-dump']]);
    const [c] = chains;
    expect(c.members).toEqual(['db-dump', 'sql-snaps', 'sql-send']);
    expect(c.parentOf).toEqual({ 'sql-snaps': 'db-dump' });
    expect(c.rootOf['sql-send']).toBe('sql-snaps');
    expect(c.copies.map((x) => [x.via ?? 'live', x.location.key, x.offsite])).toEqual([
      ['live', 'storage:sql-disk', false],
      ['db-dump', 'storage:sql-backup', false],
      ['sql-send', 'storage:charybde-pool', true],
    ]);
    expect(c.counts).toMatchObject({ copies: 3, media: 2, offsite: 1 });
  });

  it('a dataset mounted elsewhere (`mountpoint`) holds the dumps written there, and only there', () => {
    const moved = MINET.replace('path: /raidZ/backup_sql', 'path: /srv/sql').replace('storage: scylla-pool }', 'storage: scylla-pool, mountpoint: /srv/sql }');
    expect(computeChains(model(moved)).map((c) => [c.roots, c.counts.copies])).toEqual([[['db-dump'], 3]]);
    // Default mountpoint /raidZ/backup_sql, dumps in /srv/sql: unrelated, as before.
    const apart = MINET.replace('path: /raidZ/backup_sql', 'path: /srv/sql');
    expect(computeChains(model(apart)).map((c) => [c.roots, c.counts.copies])).toEqual([
      [['db-dump'], 2],
      [['sql-snaps'], 2],
    ]);
  });

  it('a dataset holding more than the dumps keeps its own chain and still copies them', () => {
    const wide = MINET.replace('dataset: raidZ/backup_sql, storage', 'dataset: raidZ, recursive: true, storage');
    const chains = computeChains(model(wide));
    expect(chains.map((c) => c.roots)).toEqual([['db-dump'], ['sql-snaps']]);
    expect(vias(chains[0])).toEqual(['live', 'db-dump', 'sql-send']);
    expect(chains[0].worst.downstream).toEqual(['sql-snaps', 'sql-send']);
    expect(chains[1].members).toEqual(['sql-snaps', 'sql-send']);
  });
});

describe('datasets and namespaces', () => {
  it('a recursive dataset contains its children; the children do not contain it', () => {
    const plan = model(`version: 1
hosts: { nas: { address: nas.lan, site: a } }
storage:
  tank: { host: nas, media: hdd }
  far: { site: b, media: object }
jobs:
  all: { kind: zfs-snapshot, host: nas, dataset: tank, recursive: true, storage: tank }
  home: { kind: zfs-snapshot, host: nas, dataset: tank/home, storage: tank }
  home-send: { kind: zfs-send, from: home, to: far, dataset: b/home }
`);
    const [c, ...rest] = computeChains(plan);
    expect(rest).toEqual([]);
    expect(unit(c, 'dataset `tank/home`').roots).toEqual(['all', 'home']);
    expect(unit(c, 'dataset `tank/home`').counts.copies).toBe(2);
    expect(unit(c, 'dataset `tank` and its children').roots).toEqual(['all']);
    expect(c.worst.label).toBe('dataset `tank` and its children');
    expect(c.snapshotOnly).toBe(true);
    expect(c.snapshotUnit?.label).toBe('dataset `tank` and its children');
  });

  it('two Velero jobs on the same namespaces are one chain; overlapping sets count per namespace', () => {
    const text = (b: string) => `version: 1
storage:
  cluster-disks: { site: dc, media: ssd }
  minio: { site: dc, media: hdd }
  offsite: { site: cloud, media: object }
jobs:
  velero-a: { kind: velero, cluster: k8s, namespaces: [shop, auth], storage: cluster-disks, to: minio }
  velero-b: { kind: velero, cluster: k8s, namespaces: ${b}, storage: cluster-disks, to: offsite }
  other-cluster: { kind: velero, cluster: k3s, namespaces: [shop], to: offsite }
`;
    const same = computeChains(model(text('[auth, shop]')));
    expect(same.map((c) => c.roots)).toEqual([['velero-a', 'velero-b'], ['other-cluster']]);
    expect(same[0].counts).toMatchObject({ copies: 3, media: 3, offsite: 1 });
    expect(same[0].data).toBe('namespaces `shop`, `auth`');

    const part = computeChains(model(text('[shop]')))[0];
    expect(unit(part, 'namespace `shop`').counts.copies).toBe(3);
    expect(vias(unit(part, 'namespace `auth`'))).toEqual(['live', 'velero-a']);
    expect(part.worst.label).toBe('namespace `auth`');

    const all = computeChains(model(text('["*"]')))[0];
    expect(unit(all, 'namespace `auth`').roots).toEqual(['velero-a', 'velero-b']);
    expect(unit(all, 'every namespace of cluster `k8s`').roots).toEqual(['velero-b']);
  });
});
