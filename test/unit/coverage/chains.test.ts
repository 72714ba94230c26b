import { describe, expect, it } from 'vitest';
import { chainOfJob, computeChains, formatChain, formatCoverage, shortfall } from '../../../engine/coverage/chains';
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
