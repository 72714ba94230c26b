// A step's command on a remote host is killed on that host too. Stopping the local `ssh` (its
// process group: a stall, a total timeout, a failed stage, an interrupted run) ends the
// connection, but the command sshd started keeps running on the far host: without a terminal
// nothing sends it a signal, and it may go on holding its tool's lock or writing. (`ssh -tt` would
// hang it up, but a terminal breaks tools that read binary data on stdin.)
//
// So every remote step command runs under GROUP_WRAPPER: a fixed script (SPEC §8.1: the command
// is its positional arguments, never its text) that starts it with `setsid -w` in a session and
// process group of its own and first says that group's id on stderr (`backplan-remote-pgid N`,
// taken out of the command's stderr here). To stop it, a second ssh runs FAR_KILL with that id:
// SIGTERM to the group, up to the grace period for it to end, then SIGKILL. Where `setsid` is
// missing the command runs as before (no id said: only the local side can be stopped).
import type { Hosts } from './hosts';
import { capture } from './process';

export const GROUP_WRAPPER =
  'command -v setsid >/dev/null 2>&1 || exec "$@"; ' +
  'exec setsid -w sh -c \'printf "backplan-remote-pgid %s\\n" "$$" >&2; exec "$@"\' backplan-step "$@"';

/** The marker line GROUP_WRAPPER writes first on stderr. */
export const PGID_LINE = /^backplan-remote-pgid (\d+)\n/;

/** `argv` as run on a remote host in a process group of its own. */
export function inOwnGroup(argv: readonly string[]): string[] {
  return ['sh', '-c', GROUP_WRAPPER, 'backplan-group', ...argv];
}

/**
 * SIGTERM to group $1, then up to $2 tenths of a second for it to end, then SIGKILL; exits 0 when
 * the group is gone (or was already), 1 when it is still there after the SIGKILL.
 */
export const FAR_KILL =
  // No `--` before the negative id: dash's kill takes none (a group id is a pid with a minus).
  'kill -TERM "-$1" 2>/dev/null || exit 0; i=0; ' +
  'while kill -0 "-$1" 2>/dev/null && [ "$i" -lt "$2" ]; do sleep 0.1; i=$((i+1)); done; ' +
  'kill -KILL "-$1" 2>/dev/null; sleep 0.1; kill -0 "-$1" 2>/dev/null && exit 1; exit 0';

/** Stop process group `pgid` on `host` (SIGTERM, `graceMs`, SIGKILL); an error message, or undefined. */
export async function killFarGroup(hosts: Hosts, host: string, pgid: number, graceMs: number): Promise<string | undefined> {
  if (!Number.isInteger(pgid) || pgid <= 1) return `no process group to stop on ${host}`;
  const tenths = String(Math.max(1, Math.round(graceMs / 100)));
  const r = await capture(hosts.argv(host, ['sh', '-c', FAR_KILL, 'backplan-kill', String(pgid), tenths]));
  if (r.code === 0) return undefined;
  return `the command on ${host} (process group ${pgid}) could not be stopped: ${r.spawnError ?? `exit ${r.code} ${r.stderr.trim()}`}`;
}
