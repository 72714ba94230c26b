// The no-lock flags of a read-only repository's reads (engine/run/exec/read-only-repo.ts): where
// each tool takes them, and which repositories are paths that can be probed.
import { describe, expect, it } from 'vitest';
import { borgBypassLock, isPathRepository, resticNoLock } from '../../../engine/run/exec/read-only-repo';

describe('read-only repository reads', () => {
  it('puts restic --no-lock after the program and borg --bypass-lock after the command, once', () => {
    expect(resticNoLock(['restic', '--repo=/r', 'snapshots', '--json'])).toEqual(['restic', '--no-lock', '--repo=/r', 'snapshots', '--json']);
    expect(resticNoLock(['restic', '--no-lock', 'ls'])).toEqual(['restic', '--no-lock', 'ls']);
    expect(borgBypassLock(['borg', 'extract', '--', '/r::a'])).toEqual(['borg', 'extract', '--bypass-lock', '--', '/r::a']);
    expect(borgBypassLock(['borg', 'list', '--bypass-lock', '--', '/r'])).toEqual(['borg', 'list', '--bypass-lock', '--', '/r']);
  });

  it('probes only repositories named by a path', () => {
    for (const p of ['/srv/repo', 'relative/repo', './r', '/a:b/c']) expect(isPathRepository(p), p).toBe(true);
    for (const p of ['sftp:host:/r', 'rest:https://h/r', 's3:s3.amazonaws.com/b', 'ssh://u@h/r', 'u@h:r', 'h:r', 'local:/r'])
      expect(isPathRepository(p), p).toBe(false);
  });
});
