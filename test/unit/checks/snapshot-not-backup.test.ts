import { describe, expect, it } from 'vitest';
import { checkText } from '../../../engine/check';
import { rule } from '../../../engine/checks/snapshot-not-backup';
import { rule as coverage } from '../../../engine/checks/coverage-3-2-1';

const run = (text: string) => checkText(text, { rules: [rule] });
const slice = (text: string, r: { start: number; end: number }) => text.slice(r.start, r.end);

const HEAD = `version: 1
hosts:
  prod: { site: a }
  backup: { site: b }
storage:
  pool: { host: prod, media: ssd }
  far: { host: backup, media: hdd }
`;

describe('snapshot-not-backup', () => {
  it('fires on a chain of snapshots only, on the root key, naming the sending kind', () => {
    const text = `${HEAD}jobs:
  snaps:
    kind: zfs-snapshot
    host: prod
    storage: pool
  snaps-daily:
    kind: zfs-snapshot
    from: snaps
    storage: pool
`;
    const f = run(text).findings;
    expect(f).toHaveLength(1);
    expect(slice(text, f[0].range)).toBe('snaps');
    expect(f[0].range.start).toBe(text.indexOf('  snaps:') + 2);
    expect(f[0].message).toBe(
      '`snaps` is protected only by snapshots on `pool`, where the data itself lives: losing that storage loses the snapshots too. ' +
        'Add a `zfs-send` job with `from: snaps` and `to:` another storage (snapshots are not backups)',
    );
    // Decision: coverage-3-2-1 still reports the counts for the same chain.
    expect(checkText(text, { rules: [coverage] }).findings.map((x) => slice(text, x.range))).toEqual(['snaps']);
  });

  it('fires for incus snapshots on a host without declared storage', () => {
    const text = `${HEAD}jobs:\n  inst: { kind: incus-snapshot, host: prod, instance: web }\n`;
    const [f] = run(text).findings;
    expect(slice(text, f.range)).toBe('inst');
    expect(f.message).toContain('on the local disk of `prod`');
    expect(f.message).toContain('Add a `incus-copy` job with `from: inst`');
  });

  it('is quiet once a job copies the snapshots elsewhere, for backups, and for disabled chains', () => {
    expect(run(`${HEAD}jobs:\n  s: { kind: zfs-snapshot, host: prod, storage: pool }\n  r: { kind: zfs-send, from: s, to: far }\n`).findings).toEqual([]);
    expect(run(`${HEAD}jobs:\n  f: { kind: restic, host: prod, paths: [/srv], to: pool }\n`).findings).toEqual([]);
    expect(run(`${HEAD}jobs:\n  s: { kind: zfs-snapshot, host: prod, storage: pool, enabled: false }\n`).findings).toEqual([]);
  });

  it('still fires when the only copy job is disabled', () => {
    const text = `${HEAD}jobs:\n  s: { kind: btrfs-snapshot, host: prod, storage: pool }\n  r: { kind: btrfs-send, from: s, to: far, enabled: false }\n`;
    expect(run(text).findings.map((f) => slice(text, f.range))).toEqual(['s']);
  });

  it('two snapshot jobs of one dataset are one chain: one finding, and none once one of them is sent away', () => {
    const text = `${HEAD}jobs:
  hourly: { kind: zfs-snapshot, host: prod, dataset: tank/home, storage: pool }
  daily: { kind: zfs-snapshot, host: prod, dataset: tank/home, storage: pool }
`;
    const f = run(text).findings;
    expect(f.map((x) => slice(text, x.range))).toEqual(['hourly']);
    expect(f[0].message).toMatch(/^the dataset `tank\/home` data of `hourly` and `daily` is protected only by snapshots on `pool`/);
    const sent = `${text}  send: { kind: zfs-send, from: hourly, to: far }\n`;
    expect(run(sent).findings).toEqual([]);
  });
});
