// A backup that failed on a full disk names the target that is full (engine/run/exec/execute.ts
// withNoSpaceTarget): Node says only `ENOSPC`, borg blames the source file it was reading, and
// duplicity names no path; restic and rsync already name a path under the target.
import { describe, expect, it } from 'vitest';
import { withNoSpaceTarget } from '../../../engine/run/exec/execute';
import type { CommandStep } from '../../../engine/run/steps/step';

const step = (argv: string[], extra: Partial<CommandStep> = {}): CommandStep => ({
  type: 'command',
  id: 'files/1',
  job: 'files',
  phase: 'backup',
  description: 'x',
  host: 'local',
  after: [],
  argv,
  ...extra,
});

describe('withNoSpaceTarget', () => {
  it('names the output, the repository or the url when the message does not', () => {
    const archive = step([], {
      output: { host: 'local', path: '/mnt/t/files/a.tar.gz', partial: '/mnt/t/files/a.tar.gz.partial', kind: 'file', via: 'stdout' },
    });
    expect(withNoSpaceTarget(archive, 'writing the output failed: ENOSPC: no space left on device, write')).toBe(
      'writing the output failed: ENOSPC: no space left on device, write (no space left on the filesystem of ' +
        '/mnt/t/files/a.tar.gz.partial)',
    );
    const borg = step(['borg', 'create', '--', '/mnt/t/files::files-20260101T000000Z', '/src']);
    expect(withNoSpaceTarget(borg, 'borg exited with status 1: /src/r0.bin: read: [Errno 28] No space left on device')).toMatch(
      /\(no space left on the filesystem of \/mnt\/t\/files\)$/,
    );
    const dup = step(['duplicity', '--name=backplan-files', '/', 'sftp://vault//srv/files'], { host: 'db1' });
    expect(withNoSpaceTarget(dup, 'duplicity exited with status 53: Giving up after 5 attempts. OSError: No space left on device')).toMatch(
      /\(no space left on the filesystem of sftp:\/\/vault\/\/srv\/files on db1\)$/,
    );
  });

  it('leaves a message that names the target already, or that is about something else, as it is', () => {
    const restic = step(['restic', '--repo=/mnt/t/files', 'backup', '--', '/src']);
    const m = 'restic exited with status 1: Fatal: unable to save snapshot: write /mnt/t/files/data/91/x-tmp: no space left on device';
    expect(withNoSpaceTarget(restic, m)).toBe(m);
    expect(withNoSpaceTarget(restic, 'restic exited with status 1: wrong password')).toBe('restic exited with status 1: wrong password');
  });
});
