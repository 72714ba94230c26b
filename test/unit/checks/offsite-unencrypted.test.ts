import { describe, expect, it } from 'vitest';
import { checkText } from '../../../engine/check';
import { rule } from '../../../engine/checks/offsite-unencrypted';

const run = (text: string) => checkText(text, { rules: [rule] });
const slice = (text: string, r: { start: number; end: number }) => text.slice(r.start, r.end);

const HEAD = `version: 1
hosts:
  prod: { site: paris }
  nas: { site: paris }
  far: { site: lyon }
storage:
  pool: { host: prod, media: ssd }
  nas-share: { host: nas, media: hdd }
  far-pool: { host: far, media: hdd }
  bucket: { site: cloud, media: object }
  nowhere: { media: tape }
`;

describe('offsite-unencrypted', () => {
  it('fires on the `to` value of an unencrypted copy to another site', () => {
    const text = `${HEAD}jobs:
  snaps: { kind: zfs-snapshot, host: prod, storage: pool }
  replica:
    kind: zfs-send
    from: snaps
    to: far-pool
`;
    const f = run(text).findings;
    expect(f).toHaveLength(1);
    expect(slice(text, f[0].range)).toBe('far-pool');
    expect(f[0].range.start).toBe(text.indexOf('to: far-pool') + 4);
    expect(f[0].severity).toBe('warning');
    expect(f[0].message).toBe(
      "`replica` sends `snaps`'s data to `far-pool` on site `lyon` (the data lives on `paris`) unencrypted: " +
        'use ZFS native encryption on the source dataset and raw sends (`zfs send -w`), or carry the copy offsite with a restic or borg job (encrypted repositories)',
    );
  });

  it('fires for a file archive to the cloud, and for an incus copy to a remote host', () => {
    const text = `${HEAD}jobs:
  tar: { kind: archive, host: prod, paths: [/etc], to: bucket }
  snap: { kind: incus-snapshot, host: prod, instance: web }
  copy: { kind: incus-copy, from: snap, instance: web, remote: far }
`;
    expect(run(text).findings.map((f) => slice(text, f.range))).toEqual(['bucket', 'far']);
  });

  it('is quiet for restic/borg, for `encrypt`, for copies of an encrypted repository, on site, and where a site is unknown', () => {
    const text = `${HEAD}jobs:
  r: { kind: restic, host: prod, paths: [/srv], to: bucket }
  r-copy: { kind: rsync, from: r, to: far-pool }
  b: { kind: borg, host: prod, paths: [/srv], to: far-pool }
  t: { kind: archive, host: prod, paths: [/etc], to: bucket, encrypt: { gpg: { recipient: ops@example.com } } }
  local: { kind: rsync, host: prod, paths: [/srv], to: nas-share }
  tape: { kind: archive, host: prod, paths: [/srv], to: nowhere }
  off: { kind: archive, host: prod, paths: [/srv], to: bucket, enabled: false }
`;
    expect(run(text).findings).toEqual([]);
  });
});

describe('offsite-unencrypted: advice in the terms of the kind', () => {
  it('does not count `encrypt` on a kind that cannot apply it, and says what would', () => {
    const text = `${HEAD}jobs:
  snaps: { kind: zfs-snapshot, host: prod, storage: pool }
  replica:
    kind: zfs-send
    from: snaps
    to: far-pool
    encrypt: { gpg: { recipient: ops@example.org } }
`;
    const f = run(text).findings;
    expect(f).toHaveLength(1);
    expect(f[0].message).toMatch(/`encrypt` has no effect on zfs-send: use ZFS native encryption .*zfs send -w/);
  });

  it('counts gpg on a dump, and offers gpg where it applies', () => {
    const quiet = `${HEAD}jobs:
  dump: { kind: pg-dump, host: prod, database: app, to: far-pool, encrypt: { gpg: { recipient: ops@example.org } } }
`;
    expect(run(quiet).findings).toEqual([]);
    const loud = `${HEAD}jobs:
  dump: { kind: pg-dump, host: prod, database: app, to: far-pool }
`;
    expect(run(loud).findings[0].message).toMatch(/add `encrypt:` \(e\.g\. `encrypt: \{ gpg:/);
  });

  it('names the data of the sending job’s own root when two roots read the same data', () => {
    const text = `${HEAD}jobs:
  home-nas: { kind: restic, host: prod, paths: [/home], to: nas-share }
  home-far: { kind: rsync, host: prod, paths: [/home], to: far-pool }
`;
    const f = run(text).findings;
    expect(f.map((x) => slice(text, x.range))).toEqual(['far-pool']);
    expect(f[0].message).toMatch(/^`home-far` sends `home-far`'s data to `far-pool` on site `lyon` \(the data lives on `paris`\) unencrypted: /);
  });
});
