import { describe, expect, it } from 'vitest';
import { checkText } from '../../../engine/check';
import { rule } from '../../../engine/checks/unused';

const run = (text: string) => checkText(text, { rules: [rule] });
const slice = (text: string, r: { start: number; end: number }) => text.slice(r.start, r.end);

describe('unused', () => {
  it('hints at each unused host, storage and policy on its key, tagged unnecessary', () => {
    const text = `version: 1
hosts:
  scylla: { site: a }
  spare: { role: standby }
  lonely: {}
  nas-host: {}
storage:
  pool: { host: scylla }
  nas: { host: nas-host }
  bucket: { media: object }
policies:
  minet: { expiry: 30d }
  gfs:
    keep: { daily: 7 }
jobs:
  s: { kind: zfs-snapshot, host: scylla, storage: pool, retention: minet }
  c: { kind: incus-copy, from: s, remote: spare, to: nas }
`;
    const f = run(text).findings;
    expect(f.map((x) => [slice(text, x.range), x.message])).toEqual([
      ['lonely', 'host `lonely` is not used by any job or storage: remove it, or refer to it'],
      ['bucket', 'storage `bucket` is not used by any job (`to` or `storage`): remove it, or refer to it'],
      ['gfs', 'policy `gfs` is not used by any job (`retention`): remove it, or refer to it'],
    ]);
    expect(f.every((x) => x.severity === 'hint' && x.tags?.includes('unnecessary'))).toBe(true);
    expect(f[0].range.start).toBe(text.indexOf('  lonely:') + 2);
  });

  it('is quiet when everything is used, including by disabled jobs', () => {
    const text = `version: 1
hosts: { h: {} }
storage: { s: { host: h } }
policies: { p: { expiry: 1d } }
jobs:
  j: { kind: restic, to: s, retention: p, enabled: false }
`;
    expect(run(text).findings).toEqual([]);
  });
});
