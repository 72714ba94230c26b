// A step's command on a remote host is killed on that host too. Stopping the local `ssh` (its
// process group: a stall, a total timeout, a failed stage, an interrupted run) ends the
// connection, but the command sshd started keeps running on the far host: without a terminal
// nothing sends it a signal, and it may go on holding its tool's lock or writing. (`ssh -tt` would
// hang it up, but a terminal breaks tools that read binary data on stdin.)
//
// So every remote step command runs under GROUP_WRAPPER: a fixed script (SPEC §8.1: the command
// is its positional arguments, never its text) that starts it with `setsid -w` in a session and
// process group of its own and first says that group's id on stderr (`backplan-remote-pgid N`,
// taken out of the command's stderr by process.ts). To stop it, a second ssh runs far-kill.ts's
// FAR_KILL with that id: SIGTERM to the group, up to the grace period for it to end, then
// SIGKILL. Where `setsid` is missing the command runs as before (no id said: only the local side
// can be stopped).

export const GROUP_WRAPPER =
  'command -v setsid >/dev/null 2>&1 || exec "$@"; ' +
  'exec setsid -w sh -c \'printf "backplan-remote-pgid %s\\n" "$$" >&2; exec "$@"\' backplan-step "$@"';

/** The marker line GROUP_WRAPPER writes first on stderr. */
export const PGID_LINE = /^backplan-remote-pgid (\d+)\n/;

/** `argv` as run on a remote host in a process group of its own. */
export function inOwnGroup(argv: readonly string[]): string[] {
  return ['sh', '-c', GROUP_WRAPPER, 'backplan-group', ...argv];
}
