// Running one argv on a store's host (locally, or over the run's ssh connection) and reading
// its output: the one way the snapshot stores talk to zfs, btrfs and Incus.
import { capture, describeExit, exitOk, type Exit } from '../exec/process';
import type { StoreAccess } from './types';

export type Ran = Exit & { stdout: Buffer; ok: boolean };

export async function runOn(access: StoreAccess, host: string, argv: readonly string[]): Promise<Ran> {
  await access.hosts.ready(host);
  const r = await capture(access.hosts.argv(host, argv), { signal: access.signal });
  return { ...r, ok: exitOk(r) };
}

/** Runs argv and returns its stdout; rejects with the tool's own last words. */
export async function outputOf(
  access: StoreAccess,
  host: string,
  argv: readonly string[],
  what: string,
): Promise<string> {
  const r = await runOn(access, host, argv);
  if (!r.ok) throw new Error(`${what} on ${host}: ${describeExit(argv[0], r)}`);
  return r.stdout.toString('utf8');
}

export { describeExit };
