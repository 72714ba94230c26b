import { describe, expect, it } from 'vitest';
import { checkText } from '../../../engine/check';
import { rule } from '../../../engine/checks/unknown-reference';
import type { Fix } from '../../../engine/findings';
import { parsePlan } from '../../../engine/plan/parse';

const run = (text: string) => checkText(text, { rules: [rule] });
const slice = (text: string, r: { start: number; end: number }) => text.slice(r.start, r.end);
const apply = (text: string, fix: Fix) =>
  [...fix.edits].sort((a, b) => b.range.start - a.range.start).reduce((t, e) => t.slice(0, e.range.start) + e.newText + t.slice(e.range.end), text);

const PLAN = `version: 1
hosts:
  scylla: { site: a }
  charybde: { site: b }
storage:
  scylla-pool: { host: scylla, media: hdd }
  charybde-pool: { host: charybdis, media: hdd }
policies:
  minet: { expiry: 30d }
jobs:
  vm-snapshots:
    kind: zfs-snapshot
    host: sylla
    storage: scylla-pol
    retention: mint
  vm-replica:
    kind: zfs-send
    from: vm-snapshot
    to: "charybde-pol"
    after: [vm-snapshots, vm-replika, nothing-like-it]
  other:
    kind: restic
    after: vm-replica
`;

describe('unknown-reference', () => {
  const { findings } = run(PLAN);

  it('reports every unknown name at its value, with the closest name', () => {
    expect(findings.map((f) => [slice(PLAN, f.range), f.message])).toEqual([
      ['charybdis', 'unknown host `charybdis`: did you mean `charybde`?'],
      ['sylla', 'unknown host `sylla`: did you mean `scylla`?'],
      ['scylla-pol', 'unknown storage `scylla-pol`: did you mean `scylla-pool`?'],
      ['mint', 'unknown policy `mint`: did you mean `minet`?'],
      ['vm-snapshot', 'unknown job `vm-snapshot`: did you mean `vm-snapshots`?'],
      ['"charybde-pol"', 'unknown storage `charybde-pol`: did you mean `charybde-pool`?'],
      ['vm-replika', 'unknown job `vm-replika`: define it under `jobs:` or use one of `vm-snapshots`, `other`'],
      ['nothing-like-it', 'unknown job `nothing-like-it`: define it under `jobs:` or use one of `vm-snapshots`, `other`'],
    ]);
    expect(findings.every((f) => f.severity === 'error')).toBe(true);
  });

  it('does not suggest a job as its own dependency', () => {
    // `vm-replika` is one edit from `vm-replica`, the job itself: no suggestion, not reported as a known name either.
    const f = run(`version: 1\njobs:\n  vm-replica: { kind: restic, after: [vm-replika] }\n`).findings;
    expect(f).toHaveLength(1);
    expect(f[0].message).toBe('unknown job `vm-replika`: no job is defined; add it under `jobs:`');
    expect(f[0].fixes).toBeUndefined();
  });

  it('offers the suggestion as a preferred fix that keeps the quotes and yields a valid plan', () => {
    let text = PLAN;
    for (let i = 0; i < 10; i++) {
      const f = run(text).findings.find((x) => x.fixes);
      if (!f) break;
      expect(f.fixes![0].preferred).toBe(true);
      text = apply(text, f.fixes![0]);
    }
    expect(text).toContain('to: "charybde-pool"');
    expect(parsePlan(text).findings).toEqual([]);
    expect(run(text).findings.map((f) => slice(text, f.range))).toEqual(['vm-replika', 'nothing-like-it']);
  });

  it('is quiet when every name is defined', () => {
    const ok = `version: 1
hosts: { h: {} }
storage: { s: { host: h } }
policies: { p: { expiry: 1d } }
jobs:
  a: { kind: zfs-snapshot, host: h, storage: s, retention: p, dataset: d }
  b: { kind: zfs-send, from: a, to: s, after: a, retention: { expiry: 2d } }
  c: { kind: restic, after: [a, b] }
`;
    expect(run(ok).findings).toEqual([]);
  });

  it('reports a typo inherited through a merge key once, at the anchored value', () => {
    const text = `version: 1
hosts: { web1: {} }
base: &base { host: web2, kind: restic }
jobs:
  a: { <<: *base, paths: [/a] }
  b: { <<: *base, paths: [/b] }
`;
    const f = run(text).findings;
    expect(f).toHaveLength(1);
    expect(f[0].range.start).toBe(text.indexOf('web2'));
    expect(f[0].message).toBe('unknown host `web2`: did you mean `web1`?');
  });

  describe('the `remote` of an incus-copy (a host)', () => {
    const INCUS = `version: 1
hosts:
  scylla: { role: primary }
  incus-snapshot: { role: standby }
jobs:
  snaps: { kind: incus-snapshot, host: scylla, instance: web }
  copy:
    kind: incus-copy
    from: snaps
    remote: incus-snapshto
    autostart: false
`;

    it('reports a remote that names no host, with the closest host as the fix', () => {
      const f = run(INCUS).findings;
      expect(f.map((x) => [slice(INCUS, x.range), x.message])).toEqual([['incus-snapshto', 'unknown host `incus-snapshto`: did you mean `incus-snapshot`?']]);
      const text = apply(INCUS, f[0].fixes![0]);
      expect(text).toContain('remote: incus-snapshot\n');
      expect(run(text).findings).toEqual([]); // a remote that names a host is fine
      // a remote on a kind that has none is the schema rule's (`does not apply to kind`)
      const zfs = `version: 1\nhosts: { h: {} }\njobs:\n  a: { kind: zfs-send, remote: nowhere }\n`;
      expect(run(zfs).findings).toEqual([]);
    });

    it('reports a remote inherited through a merge key once', () => {
      const text = `version: 1
hosts: { standby: { role: standby } }
x-copy: &copy { kind: incus-copy, remote: stanby, autostart: false }
jobs:
  s: { kind: incus-snapshot, instance: web }
  a: { <<: *copy, from: s }
  b: { <<: *copy, from: s, instance: db }
`;
      const f = run(text).findings;
      expect(f).toHaveLength(1);
      expect(f[0].range.start).toBe(text.indexOf('stanby'));
      expect(f[0].message).toBe('unknown host `stanby`: did you mean `standby`?');
    });
  });
});
