// Stopping a remote step's own process group on its host (remote-group.ts says why and how the
// group is made). Apart from remote-group.ts because it runs a command: process.ts reads the
// wrapper's marker line, and a module that both runs and is read by the runner is an import cycle.
import type { Hosts } from './hosts';
import { capture } from './process';

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
