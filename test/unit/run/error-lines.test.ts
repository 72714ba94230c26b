// What a failed tool's message keeps of its stderr (engine/run/exec/process.ts errorLines): the
// lines that say what went wrong, not restic's Go stack nor borg's traceback and platform
// trailer (both printed in full when the repository's filesystem turned read-only; the fixtures
// are their real stderr, paths shortened).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeExit, errorLines } from '../../../engine/run/exec/process';

const fixture = (name: string) => readFileSync(join(__dirname, '../../fixtures/tool-errors', name), 'utf8');

describe('errorLines', () => {
  it("restic 0.14 on a read-only repository: its last error and the open that failed, not its stack or retries", () => {
    const got = errorLines(fixture('restic-0.14-read-only-lock.stderr'));
    expect(got).toMatch(/^open \/srv\/mnt\/s\/locks\/[0-9a-f]+-tmp-\d+: read-only file system \| unable to create lock in backend$/);
  });

  it('borg 1.2 on a read-only repository: the lock failure once, no traceback frames, no platform trailer', () => {
    const e = { code: 2, signal: null, stderr: fixture('borg-1.2-read-only-lock.stderr') };
    expect(describeExit('borg', e)).toMatch(
      /^borg exited with status 2: Failed to create\/acquire the lock \/srv\/mnt\/b\/lock\.exclusive \(\[Errno 30\] Read-only file system: '\/srv\/mnt\/b\/lock\.exclusive\.\w+\.tmp'\)\.$/,
    );
  });

  it('borg 1.2 whose lock removal failed after the error: the OSError, not "Local Exception" nor the link between two tracebacks', () => {
    const stderr = [
      "OSError: [Errno 30] Read-only file system: '/srv/mnt/b/lock.roster'",
      '',
      'During handling of the above exception, another exception occurred:',
      '',
      'Traceback (most recent call last):',
      '  File "/usr/lib/python3/dist-packages/borg/archiver.py", line 5213, in main',
      '    exit_code = archiver.run(args)',
      "OSError: [Errno 30] Read-only file system: '/srv/mnt/b/lock.exclusive'",
      'Local Exception',
      'Platform: Linux host 6.1.0 x86_64',
      'PID: 1325  CWD: /root',
    ].join('\n');
    expect(errorLines(stderr)).toBe(
      "OSError: [Errno 30] Read-only file system: '/srv/mnt/b/lock.roster' | OSError: [Errno 30] Read-only file system: '/srv/mnt/b/lock.exclusive'",
    );
  });

  it('plain stderr: its last three lines, as before; retry reports only when nothing else was said', () => {
    expect(errorLines('a\nb\n\nc\nd\n')).toBe('b | c | d');
    const retry = 'Save(<data/1>) returned error, retrying after 1s: x: read-only file system';
    expect(errorLines(`${retry}\nFatal: unable to save snapshot: x: read-only file system\n`)).toBe(
      'Fatal: unable to save snapshot: x: read-only file system',
    );
    expect(errorLines(`${retry}\n`)).toBe(retry);
    // An indented line that is not in a traceback stays.
    expect(errorLines('rsync: [receiver] write failed\n  (code 11)\n')).toBe('rsync: [receiver] write failed |   (code 11)');
  });
});
