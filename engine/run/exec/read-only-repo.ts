// Reading a restic or borg repository that cannot be written (a read-only filesystem: a disk
// that failed into read-only, a snapshot mounted ro, a write-protected medium). Both tools take
// a lock in the repository before listing or restoring, which fails there: restic retries the
// lock file for about 40 s, then says "unable to create lock in backend"; borg says "Failed to
// create/acquire the lock ... Read-only file system". Each has a flag to read without it:
// - restic `--no-lock` (global; honoured by snapshots, ls, restore and the other commands that
//   only read; restic's own help: it "allows some operations on read-only repositories");
// - borg `--bypass-lock` (a common option, after the command: list, extract).
// Without the lock a concurrent prune of the same repository could remove data being read; the
// read then fails (both tools check what they read against its id), it does not return wrong
// data. borg's documentation still calls the flag unsafe, so it is used only for the listings and
// restores of `restore --list`, `restore` and `verify`, and only when the repository's directory
// is not writable by the user the tool runs as: there no writer of ours can be at work, and no
// lock can be taken anyway. Repositories that are not a path (sftp:, rest:, s3:, ssh://, host:)
// are left as they are.
import { accessSync, constants } from 'node:fs';
import type { Command } from '../steps/step';
import type { ExecEnv } from './exec-env';
import { capture, exitOk } from './process';

/** A repository named by a path on its host (not a URL, not borg's `host:path`). */
export function isPathRepository(repo: string): boolean {
  return repo.startsWith('/') || (!/^[a-z][a-z0-9+.-]*:/i.test(repo) && !/^[^/]*:/.test(repo));
}

/** Whether `repo`, a directory on `host`, exists and cannot be written there. */
export async function repositoryReadOnly(host: string, repo: string, x: ExecEnv): Promise<boolean> {
  if (!isPathRepository(repo)) return false;
  if (x.hosts.isLocal(host)) {
    try {
      accessSync(repo, constants.W_OK);
      return false;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      return code === 'EROFS' || code === 'EACCES' || code === 'EPERM';
    }
  }
  await x.hosts.ready(host);
  const r = await capture(x.hosts.argv(host, ['sh', '-c', 'test -d "$1" && ! test -w "$1"', 'sh', repo]), {
    signal: x.signal,
  });
  return exitOk(r);
}

/** restic's argv with `--no-lock` after the program (a global flag), once. */
export function resticNoLock(argv: readonly string[]): string[] {
  return argv.includes('--no-lock') ? [...argv] : [argv[0], '--no-lock', ...argv.slice(1)];
}

/** borg's argv with `--bypass-lock` after its command (`borg list --bypass-lock ...`), once. */
export function borgBypassLock(argv: readonly string[]): string[] {
  return argv.includes('--bypass-lock') ? [...argv] : [argv[0], argv[1], '--bypass-lock', ...argv.slice(2)];
}

/**
 * `cmd` as it reads `repo`: with the tool's no-lock flag when the repository is read-only
 * (`tool` says which flag). `argv` is the tool's own argv inside cmd (a `sh -c` wrapper around
 * borg extract keeps its prefix): `at` is where it starts.
 */
export async function readWithoutLockIfReadOnly(
  tool: 'restic' | 'borg',
  cmd: Command,
  repo: string,
  x: ExecEnv,
  at = 0,
): Promise<Command & { readOnly: boolean }> {
  if (!(await repositoryReadOnly(cmd.host, repo, x))) return { ...cmd, readOnly: false };
  const own = cmd.argv.slice(at);
  const flagged = tool === 'restic' ? resticNoLock(own) : borgBypassLock(own);
  return { ...cmd, argv: [...cmd.argv.slice(0, at), ...flagged], readOnly: true };
}
