import { describe, expect, it } from 'vitest';
import { checkText } from '../../../engine/check';
import { rule } from '../../../engine/checks/no-restore-test';

const run = (text: string) => checkText(text, { rules: [rule] });
const slice = (text: string, r: { start: number; end: number }) => text.slice(r.start, r.end);

const HEAD = `version: 1
hosts: { h: { site: a } }
storage:
  pool: { host: h }
  far: { site: b }
`;

describe('no-restore-test', () => {
  it('fires on the root key of a chain without verify, suggesting the job with the last copy', () => {
    const text = `${HEAD}jobs:
  snaps:
    kind: zfs-snapshot
    host: h
    storage: pool
  send:
    kind: zfs-send
    from: snaps
    to: far
`;
    const f = run(text).findings;
    expect(f).toHaveLength(1);
    expect(slice(text, f[0].range)).toBe('snaps');
    expect(f[0].range.start).toBe(text.indexOf('  snaps:') + 2);
    expect(f[0].message).toBe(
      'no job of the `snaps` chain has `verify`: nothing tests that its copies can be restored. ' +
        'Add a restore test to `send`, e.g. `verify: { schedule: "@weekly", restore: sample }`',
    );
  });

  it('words a one-job chain simply', () => {
    const text = `${HEAD}jobs:\n  files: { kind: restic, host: h, paths: [/srv], to: far }\n`;
    expect(run(text).findings[0].message).toBe(
      '`files` has no `verify`: nothing tests that its copies can be restored. ' +
        'Add a restore test to `files`, e.g. `verify: { schedule: "@weekly", restore: sample }`',
    );
  });

  it('is quiet when any member verifies, or the chain is disabled', () => {
    expect(
      run(`${HEAD}jobs:\n  s: { kind: zfs-snapshot, host: h, storage: pool }\n  r: { kind: zfs-send, from: s, to: far, verify: { restore: latest } }\n`).findings,
    ).toEqual([]);
    expect(run(`${HEAD}jobs:\n  s: { kind: zfs-snapshot, host: h, storage: pool, enabled: false }\n`).findings).toEqual([]);
  });

  it('does not count the verify of a disabled job', () => {
    const text = `${HEAD}jobs:\n  s: { kind: zfs-snapshot, host: h, storage: pool }\n  r: { kind: zfs-send, from: s, to: far, verify: { restore: latest }, enabled: false }\n`;
    expect(run(text).findings.map((f) => slice(text, f.range))).toEqual(['s']);
  });
});
