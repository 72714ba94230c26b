import { describe, expect, it } from 'vitest';
import { chainName, chainOfJob, computeChains, formatChain, formatCoverage, otherRoots, shortfall } from '../../../engine/coverage/chains';
import { buildModel } from '../../../engine/plan/build-model';
import { parsePlan } from '../../../engine/plan/parse';

const model = (text: string) => {
  const p = parsePlan(text);
  expect(p.findings).toEqual([]);
  return buildModel(p.value);
};

// SPEC §2.
const SPEC_PLAN = `version: 1
timezone: Europe/Paris
hosts:
  scylla:   { address: 192.168.102.146, user: root, site: campus-a, role: primary }
  charybde: { address: 192.168.102.147, user: root, site: campus-b, role: storage }
  incus-snapshot: { address: 192.168.1.141, user: incusadmin, site: lab, role: standby }
storage:
  scylla-pool:    { host: scylla, media: hdd }
  charybde-pool:  { host: charybde, media: hdd }
  offsite-object: { site: cloud, media: object, immutable: true }
policies:
  minet:
    tiers:
      - { keep: all, until: 15d }
      - { every: 1d, until: 1mo }
      - { every: 2d, until: 2mo }
      - { every: 1w, until: 6mo }
      - { every: 1mo }
jobs:
  vm-snapshots:
    kind: zfs-snapshot
    host: scylla
    dataset: raidZ/scylla_prod
    storage: scylla-pool
    schedule: "0 */6 * * *"
    retention: minet
  vm-replica:
    kind: zfs-send
    from: vm-snapshots
    to: charybde-pool
    dataset: raidZ/scylla_prod_back
    schedule: "30 */6 * * *"
    retention: minet
`;

describe('chains (SPEC §5)', () => {
  it('counts the SPEC example: live data on scylla-pool plus a replica on charybde-pool', () => {
    const plan = model(SPEC_PLAN);
    const chains = computeChains(plan);
    expect(chains).toHaveLength(1);
    const [c] = chains;
    expect(c.root).toBe('vm-snapshots');
    expect(c.members).toEqual(['vm-snapshots', 'vm-replica']);
    expect(c.source).toMatchObject({ key: 'storage:scylla-pool', site: 'campus-a', media: 'hdd' });
    expect(c.copies.map((x) => [x.location.key, x.via, x.live, x.offsite])).toEqual([
      ['storage:scylla-pool', undefined, true, false],
      ['storage:charybde-pool', 'vm-replica', false, true],
    ]);
    expect(c.landing['vm-snapshots']?.key).toBe('storage:scylla-pool');
    expect(c.landing['vm-replica']?.key).toBe('storage:charybde-pool');
    expect(c.counts).toEqual({ copies: 2, media: 1, offsite: 1, immutable: 0, verified: false });
    expect(c.media).toEqual(['hdd']);
    expect(c.snapshotOnly).toBe(false);
    expect(shortfall(c.counts, plan.checks.coverage)).toMatchObject({ copies: true, media: true, offsite: false });
    expect(formatChain(c, plan)).toBe('2 copies · 1 media · 1 offsite ✗ (needs 3 copies · 2 media · 1 offsite)');
    expect(chainOfJob(chains, 'vm-replica')).toBe(c);
    expect(chainOfJob(chains, 'nope')).toBeUndefined();
  });

  it('a snapshot job alone is one copy, on its own storage', () => {
    const plan = model(SPEC_PLAN.replace(/  vm-replica:[\s\S]*$/, ''));
    const [c] = computeChains(plan);
    expect(c.counts).toMatchObject({ copies: 1, media: 1, offsite: 0 });
    expect(c.snapshotOnly).toBe(true);
  });

  it('reaches 3-2-1-1-0 with an immutable offsite copy and a restore test', () => {
    const plan = model(`version: 1
hosts:
  web: { site: dc1 }
  nas: { site: dc1 }
storage:
  nas-repo: { host: nas, media: hdd }
  nas-repo-2: { host: nas, media: hdd, replicated: 3 }
  bucket: { site: cloud, media: object, immutable: true }
checks:
  coverage: { copies: 3, media: 2, offsite: 1, immutable: 1, verified: true }
jobs:
  web-files:
    kind: restic
    host: web
    paths: [/srv]
    to: nas-repo
  web-again:
    kind: restic
    from: web-files
    to: nas-repo
  web-offsite:
    kind: rsync
    from: web-files
    to: bucket
    verify: { schedule: "@weekly", restore: sample }
  web-disabled:
    kind: rsync
    from: web-offsite
    to: nas-repo-2
    enabled: false
`);
    const [c] = computeChains(plan);
    expect(c.source).toMatchObject({ key: 'host:web', site: 'dc1' });
    expect(c.source.media).toBeUndefined();
    expect(c.members).toEqual(['web-files', 'web-again', 'web-offsite', 'web-disabled']);
    // web-again lands where a copy already is; the disabled job adds nothing.
    expect(c.copies.map((x) => x.via ?? 'live')).toEqual(['live', 'web-files', 'web-offsite']);
    expect(c.counts).toEqual({ copies: 3, media: 2, offsite: 1, immutable: 1, verified: true });
    expect(shortfall(c.counts, plan.checks.coverage)).toBeUndefined();
    expect(formatChain(c, plan)).toBe('3 copies · 2 media · 1 offsite · 1 immutable · verified ✓');
  });

  it('counts replicated storage once, and a verify on a disabled job not at all', () => {
    const plan = model(`version: 1
hosts: { h: { site: a } }
storage:
  ceph: { site: b, media: cloud-volume, replicated: 3 }
jobs:
  dump: { kind: pg-dump, host: h, database: app, to: ceph, verify: { restore: latest }, enabled: false }
  dump2: { kind: pg-dump, host: h, database: app, to: ceph }
  copy: { kind: rsync, from: dump2, to: ceph, verify: { restore: latest }, enabled: false }
`);
    const chains = computeChains(plan);
    expect(chains.map((c) => [c.root, c.enabled])).toEqual([
      ['dump', false],
      ['dump2', true],
    ]);
    expect(chains[1].counts).toEqual({ copies: 2, media: 1, offsite: 1, immutable: 0, verified: false });
  });

  it('an incus-copy to a remote host lands on that host; unknown sites are listed', () => {
    const plan = model(`version: 1
hosts:
  prod: { site: a }
  standby: { role: standby }
jobs:
  snaps: { kind: incus-snapshot, host: prod, instance: web }
  copy: { kind: incus-copy, from: snaps, instance: web, remote: standby }
`);
    const [c] = computeChains(plan);
    expect(c.landing.snaps?.key).toBe('host:prod');
    expect(c.landing.copy?.key).toBe('host:standby');
    expect(c.counts).toMatchObject({ copies: 2, offsite: 0 });
    expect(c.unknownSites.map((l) => l.key)).toEqual(['host:standby']);
  });

  it('leaves jobs hanging off a cycle or an unknown job out of every chain', () => {
    const plan = model(`version: 1
jobs:
  a: { kind: restic, from: b }
  b: { kind: restic, from: a }
  c: { kind: restic, from: a }
  d: { kind: restic, from: nowhere }
  e: { kind: velero, cluster: k }
`);
    const chains = computeChains(plan);
    expect(chains.map((c) => c.root)).toEqual(['e']);
    expect(chains[0].source.key).toBe('live:e');
    expect(chains[0].counts.copies).toBe(1);
  });

  it('formats a satisfied target with a check mark and singular copy', () => {
    const target = { copies: 1, media: 0, offsite: 0, immutable: 0, verified: false };
    expect(formatCoverage({ copies: 1, media: 1, offsite: 0, immutable: 0, verified: false }, target)).toBe('1 copy · 1 media · 0 offsite ✓');
  });
});

// The common 3-2-1 setup: two backups of one folder, one to a NAS in the building, one to a cloud
// bucket. Both jobs read the same data, so they are one chain with three copies.
const TWO_BACKUPS = `version: 1
hosts:
  web: { address: web.lan, site: office }
  nas: { address: nas.lan, site: office }
storage:
  nas-repo: { host: nas, media: ssd }
  cloud: { site: cloud, media: object }
jobs:
  nas-backup:
    kind: restic
    host: web
    paths: [/home]
    to: nas-repo
  cloud-backup:
    kind: restic
    host: web
    paths: [/home]
    to: cloud
`;

describe('roots that read the same data are one chain', () => {
  it('two restic roots of the same paths: one chain, 3 copies, 2 media, 1 offsite', () => {
    const plan = model(TWO_BACKUPS);
    const chains = computeChains(plan);
    expect(chains).toHaveLength(1);
    const [c] = chains;
    expect(c.root).toBe('nas-backup');
    expect(c.roots).toEqual(['nas-backup', 'cloud-backup']);
    expect(c.members).toEqual(['nas-backup', 'cloud-backup']);
    expect(c.rootOf).toEqual({ 'nas-backup': 'nas-backup', 'cloud-backup': 'cloud-backup' });
    expect(c.source.key).toBe('host:web');
    expect(c.copies.map((x) => x.via ?? 'live')).toEqual(['live', 'nas-backup', 'cloud-backup']);
    expect(c.counts).toEqual({ copies: 3, media: 2, offsite: 1, immutable: 0, verified: false });
    expect(shortfall(c.counts, plan.checks.coverage)).toBeUndefined();
    expect(chainName(c)).toBe('the `/home` data of `nas-backup` and `cloud-backup`');
    expect(chainOfJob(chains, 'cloud-backup')).toBe(c);
    expect(otherRoots(c, 'cloud-backup')).toEqual(['nas-backup']);
  });

  it('merges sub-trees in plan order, and counts a storage both reach once', () => {
    const plan = model(`${TWO_BACKUPS}  nas-copy: { kind: rsync, from: nas-backup, to: cloud }
  borg-home: { kind: borg, host: web, paths: /home/, to: nas-repo }
`);
    const [c, ...rest] = computeChains(plan);
    expect(rest).toEqual([]);
    expect(c.roots).toEqual(['nas-backup', 'cloud-backup', 'borg-home']);
    expect(c.members).toEqual(['nas-backup', 'nas-copy', 'cloud-backup', 'borg-home']);
    expect(c.rootOf['nas-copy']).toBe('nas-backup');
    // nas-copy reaches the bucket first; cloud-backup and borg-home land where copies already are.
    expect(c.copies.map((x) => x.via ?? 'live')).toEqual(['live', 'nas-backup', 'nas-copy']);
    expect(c.counts.copies).toBe(3);
  });

  it('the same paths written differently are one unit: trailing slashes, order, `.` and `..`', () => {
    const plan = model(`version: 1
hosts: { web: { address: web.lan } }
jobs:
  a: { kind: restic, host: web, paths: [/home/, /etc] }
  b: { kind: rsync, host: web, paths: [/etc//, /srv/../home, /home] }
  c: { kind: archive, host: web, paths: [/etc] }
`);
    // c reads part of what a and b read: one chain, /etc protected by all three, /home by a and b.
    const chains = computeChains(plan);
    expect(chains.map((c) => c.roots)).toEqual([['a', 'b', 'c']]);
    expect(chains[0].units.map((u) => [u.label, u.roots])).toEqual([
      ['`/home`', ['a', 'b']],
      ['`/etc`', ['a', 'b', 'c']],
    ]);
  });

  it('relative paths merge when they resolve to the same absolute path', () => {
    const plan = model(`version: 1
jobs:
  rel: { kind: archive, paths: [./data/], to: x }
  abs: { kind: restic, paths: [/plans/site/data], to: y }
  other-rel: { kind: borg, paths: [data], to: z }
`);
    // With the plan's folder, all three read /plans/site/data on this machine.
    expect(computeChains(plan, { baseDir: '/plans/site' }).map((c) => c.roots)).toEqual([['rel', 'abs', 'other-rel']]);
    expect(computeChains(plan, { baseDir: '/elsewhere' }).map((c) => c.roots)).toEqual([['rel', 'other-rel'], ['abs']]);
    // Without it (a plan checked from memory), relative paths still compare with each other only.
    expect(computeChains(plan).map((c) => c.roots)).toEqual([['rel', 'other-rel'], ['abs']]);
  });

  it('different hosts, different paths or different kinds of source do not merge', () => {
    const plan = model(`version: 1
hosts: { web: { address: web.lan }, web2: { address: web2.lan } }
jobs:
  web-home: { kind: restic, host: web, paths: [/home] }
  web2-home: { kind: restic, host: web2, paths: [/home] }
  local-home: { kind: restic, paths: [/home] }
  web-home-etc: { kind: restic, host: web, paths: [/home, /etc] }
  web-srv: { kind: borg, host: web, paths: [/srv] }
  pg-app: { kind: pg-dump, host: web, database: app }
  pg-app-again: { kind: pg-dump, host: web, database: app, db_port: 5432 }
  pg-app-other-cluster: { kind: pg-dump, host: web, database: app, db_port: 5433 }
  mysql-app: { kind: mysql-dump, host: web, database: app }
  vm-a: { kind: incus-snapshot, host: web, instance: a }
  vm-a-standby: { kind: incus-copy, host: web, instance: a, remote: web2 }
  vm-b: { kind: incus-snapshot, host: web, instance: b }
`);
    // web-home-etc reads web-home's /home too (containment, below); nothing else relates.
    expect(computeChains(plan).map((c) => c.roots)).toEqual([
      ['web-home', 'web-home-etc'],
      ['web2-home'],
      ['local-home'],
      ['web-srv'],
      ['pg-app', 'pg-app-again'],
      ['pg-app-other-cluster'],
      ['mysql-app'],
      ['vm-a', 'vm-a-standby'],
      ['vm-b'],
    ]);
  });

  it('a dataset is mounted at `/<dataset>` unless `mountpoint` says otherwise; `mountpoint: none` keeps paths out', () => {
    const jobs = (mp: string) => `version: 1
hosts: { nas: { address: nas.lan, site: a }, backup: { address: b.lan, site: b } }
storage:
  tank: { host: nas, media: hdd }
  backup-pool: { host: backup, media: hdd }
  cloud: { site: cloud, media: object }
jobs:
  home-snaps: { kind: zfs-snapshot, host: nas, dataset: tank/home, storage: tank${mp} }
  home-send: { kind: zfs-send, from: home-snaps, to: backup-pool, dataset: backup/home }
  home-hourly: { kind: zfs-snapshot, host: nas, dataset: tank/home/, storage: tank }
  home-files: { kind: restic, host: nas, paths: [/tank/home], to: cloud }
  home-recursive: { kind: zfs-snapshot, host: nas, dataset: tank/home, recursive: true, storage: tank }
`;
    const chains = computeChains(model(jobs('')));
    // The restic reads the dataset's files at its default mountpoint; the recursive snapshot holds it too.
    expect(chains.map((c) => c.roots)).toEqual([['home-snaps', 'home-hourly', 'home-files', 'home-recursive']]);
    const unit = (label: string) => chains[0].units.find((u) => u.label === label)!;
    expect(unit('dataset `tank/home`').roots).toEqual(['home-snaps', 'home-hourly', 'home-files', 'home-recursive']);
    expect(unit('dataset `tank/home`').counts).toMatchObject({ copies: 3, offsite: 2 });
    // The children are only in the recursive snapshot (no send) and in the restic of the mountpoint.
    expect(unit('dataset `tank/home` and its children').roots).toEqual(['home-files', 'home-recursive']);
    expect(unit('dataset `tank/home` and its children').copies.map((c) => c.via ?? 'live')).toEqual(['live', 'home-files']);
    expect(chains[0].data).toBe('dataset `tank/home`, `/tank/home`, dataset `tank/home` and its children');

    // Mounted elsewhere (said once, for every job of the dataset): /tank/home is not in it; /export/home is.
    const moved = computeChains(model(jobs(', mountpoint: /export/home')));
    expect(moved.map((c) => c.roots)).toEqual([['home-snaps', 'home-hourly', 'home-recursive'], ['home-files']]);
    const exported = computeChains(model(jobs(', mountpoint: /export/home').replace('paths: [/tank/home]', 'paths: [/export/home/alice]')));
    expect(exported.map((c) => c.roots)).toEqual([['home-snaps', 'home-hourly', 'home-files', 'home-recursive']]);
    const none = model(jobs(', mountpoint: none').replace(/  home-(hourly|recursive):.*\n/g, ''));
    expect(computeChains(none).map((c) => c.roots)).toEqual([['home-snaps'], ['home-files']]);
  });

  it('a disabled root makes no copy and does not join: it stays a disabled chain of its own', () => {
    const plan = model(TWO_BACKUPS.replace('    to: cloud\n', '    to: cloud\n    enabled: false\n    verify: { restore: latest }\n'));
    const chains = computeChains(plan);
    expect(chains.map((c) => [c.roots, c.enabled])).toEqual([
      [['nas-backup'], true],
      [['cloud-backup'], false],
    ]);
    expect(chains[0].counts).toEqual({ copies: 2, media: 1, offsite: 0, immutable: 0, verified: false });
    expect(chainName(chains[0])).toBe('`nas-backup`');
  });

  it('roots whose source field is missing or unreadable never merge', () => {
    const plan = model(`version: 1
jobs:
  a: { kind: restic, to: x }
  b: { kind: restic, to: y }
  c: { kind: zfs-snapshot }
  d: { kind: zfs-snapshot }
  e: { kind: velero, cluster: k }
  f: { kind: velero, cluster: k }
`);
    expect(computeChains(plan).map((c) => c.roots)).toEqual([['a'], ['b'], ['c'], ['d'], ['e'], ['f']]);
  });
});
