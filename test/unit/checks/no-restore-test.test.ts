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

  describe('with journalled restore tests (backplan check --state-dir)', () => {
    const text = `${HEAD}jobs:\n  s: { kind: zfs-snapshot, host: h, storage: pool }\n  r: { kind: zfs-send, from: s, to: far }\n`;
    const withHistory = (t: string, verified: Map<string, { at: string; ok: boolean; copy?: string }>) => checkText(t, { rules: [rule], verified }).findings;

    it('turns into information when a restore test passed but nothing repeats it', () => {
      const f = withHistory(text, new Map([['r', { at: '2026-11-20T05:00:00.000Z', ok: true, copy: 'x' }]]));
      expect(f).toHaveLength(1);
      expect(f[0].severity).toBe('info');
      expect(slice(text, f[0].range)).toBe('s');
      expect(f[0].message).toBe(
        'no job of the `s` chain has `verify`: a restore test of `r` passed on 2026-11-20 (backplan verify), but nothing repeats it. ' +
          'Schedule one on `r`, e.g. `verify: { schedule: "@weekly", restore: sample }`',
      );
    });

    it('warns on the job whose newest restore test failed, even with verify set', () => {
      const t = `${HEAD}jobs:\n  s: { kind: zfs-snapshot, host: h, storage: pool }\n  r: { kind: zfs-send, from: s, to: far, verify: { restore: latest } }\n`;
      const f = withHistory(t, new Map([['r', { at: '2026-11-21T05:00:00.000Z', ok: false, copy: 'r-1.dump' }]]));
      expect(f.map((x) => [slice(t, x.range), x.severity])).toEqual([['r', 'warning']]);
      expect(f[0].message).toBe(
        'the last restore test of `r` failed (backplan verify, 2026-11-21T05:00:00.000Z, r-1.dump): its copies are not proven restorable. Run `backplan verify PLAN --job r` to see why',
      );
      expect(withHistory(t, new Map([['r', { at: '2026-11-21T05:00:00.000Z', ok: true }]]))).toEqual([]);
    });
  });

  it('a verify on any job of two backups of the same data counts for both', () => {
    const jobs = `jobs:
  home-local: { kind: restic, host: h, paths: [/home], to: pool }
  home-far: { kind: borg, host: h, paths: [/home/], to: far }
  home-far-copy: { kind: rsync, from: home-far, to: pool }
`;
    const text = HEAD + jobs;
    const f = run(text).findings;
    expect(f.map((x) => slice(text, x.range))).toEqual(['home-local']);
    expect(f[0].message).toBe(
      'no job protecting the `/home` data of `home-local` and `home-far` has `verify`: nothing tests that its copies can be restored. ' +
        'Add a restore test to `home-far`, e.g. `verify: { schedule: "@weekly", restore: sample }`',
    );
    // The restore test sits on a copy of the second backup; it proves the first root's chain too.
    const verified = HEAD + jobs.replace('from: home-far, to: pool }', 'from: home-far, to: pool, verify: { restore: latest } }');
    expect(verified).toContain('verify: { restore: latest }');
    expect(run(verified).findings).toEqual([]);
  });
});
