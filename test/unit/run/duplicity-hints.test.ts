// The advice added to duplicity's own words when its sftp:// target cannot be opened: the lines
// duplicity 0.8.22 prints (ssh_paramiko_backend.py, and the backend import) get one each;
// anything else gets none.
import { describe, expect, it } from 'vitest';
import { duplicityHint } from '../../../engine/run/exec/duplicity-hints';

describe('duplicityHint', () => {
  it('names the host, port and user to accept an unknown host key for', () => {
    const text =
      'BackendException: ssh connection to duplicity@backup.example.edu:2222 failed: EOF when reading a line';
    expect(duplicityHint(text)).toContain('does not know the host key of backup.example.edu');
    expect(duplicityHint(text)).toContain('`ssh -p 2222 duplicity@backup.example.edu`');
  });

  it('says to install paramiko when the backend cannot load', () => {
    const text = "BackendException: Could not initialize backend: No module named 'paramiko'";
    expect(duplicityHint(text)).toBe("— install python3-paramiko on the job's host (duplicity's sftp:// backend)");
  });

  it('adds nothing to other failures', () => {
    expect(duplicityHint('GPGError: GPG Failed, see log below')).toBeUndefined();
    expect(duplicityHint('ssh connection to a@b:22 failed: Authentication failed.')).toBeUndefined();
  });
});
