// Incus (or LXD) snapshots of one instance, possibly on a remote (`REMOTE:INSTANCE`), through the
// client on the store's host. Listing reads the REST API through the client
// (`incus query [REMOTE:]/1.0/instances/NAME/snapshots?recursion=1`, the same for `lxc`), which
// gives names and creation times as JSON instead of a table meant for people. Removal is
// `incus snapshot delete [REMOTE:]INSTANCE SNAP`, or LXD's `lxc delete [REMOTE:]INSTANCE/SNAP`.
// Syntax: https://linuxcontainers.org/incus/docs/main/reference/manpages/incus/query/,
// https://linuxcontainers.org/incus/docs/main/reference/manpages/incus/snapshot/delete/,
// https://documentation.ubuntu.com/lxd/en/latest/reference/manpages/lxc/delete/.
import { capture, describeExit, exitOk, type Exit } from '../exec/process';
import type { Inventory } from '../steps/step';
import type { Snapshot, SnapshotStore, StoreAccess } from './types';

type IncusInventory = Extract<Inventory, { type: 'incus-snapshots' }>;

const INSTANCE = /^(?:([A-Za-z0-9][A-Za-z0-9._-]*):)?([A-Za-z0-9][A-Za-z0-9-]*)$/;
const SNAPSHOT = /^[A-Za-z0-9][A-Za-z0-9._:+-]*$/;

/** `lxc` (LXD) and `incus` differ in how a snapshot is deleted. */
export function speaksLxc(binary: string): boolean {
  return /(^|\/)lxc$/.test(binary);
}

/** `REMOTE:INSTANCE` or `INSTANCE`, split and checked (nothing else may reach a URL or argv). */
export function splitTarget(target: string): { remote?: string; instance: string } {
  const m = INSTANCE.exec(target);
  if (!m)
    throw new Error(`\`${target}\` is not an Incus instance (letters, digits and '-', optionally after \`REMOTE:\`)`);
  return m[1] !== undefined ? { remote: m[1], instance: m[2] } : { instance: m[2] };
}

/** The argv that lists the snapshots of `target` as JSON. */
export function listArgv(binary: string, target: string): string[] {
  const { remote, instance } = splitTarget(target);
  return [
    binary,
    'query',
    `${remote !== undefined ? `${remote}:` : ''}/1.0/instances/${instance}/snapshots?recursion=1`,
  ];
}

/** The argv that deletes snapshot `name` of `target`. */
export function removeArgv(binary: string, target: string, name: string): string[] {
  splitTarget(target);
  if (!SNAPSHOT.test(name)) throw new Error(`\`${name}\` is not a plain snapshot name; not removed`);
  return speaksLxc(binary) ? [binary, 'delete', `${target}/${name}`] : [binary, 'snapshot', 'delete', target, name];
}

/** The client's JSON answer to a listing, oldest first. */
export function parseListing(stdout: string, target: string): Snapshot[] {
  let data: unknown;
  try {
    data = JSON.parse(stdout);
  } catch {
    throw new Error(`the snapshot list of ${target} is not JSON: ${stdout.slice(0, 120)}`);
  }
  if (!Array.isArray(data)) throw new Error(`the snapshot list of ${target} is not a list`);
  const out: Snapshot[] = [];
  for (const s of data as unknown[]) {
    const name = (s as { name?: unknown })?.name;
    if (typeof name !== 'string') throw new Error(`the snapshot list of ${target} holds an entry without a name`);
    // The API gives the snapshot's own name; older servers gave INSTANCE/SNAP.
    const own = name.includes('/') ? name.slice(name.lastIndexOf('/') + 1) : name;
    const created = Date.parse(String((s as { created_at?: unknown }).created_at ?? ''));
    out.push({ name: own, ...(Number.isFinite(created) && created > 0 ? { created } : {}) });
  }
  return out.sort((a, b) => (a.created ?? 0) - (b.created ?? 0) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * How the client failed, in its own words: its `Error: ...` line when it printed one (a client
 * run for the first time prints a welcome text on stderr before it).
 */
export function clientFailure(binary: string, r: Exit): string {
  const line = r.stderr
    .split('\n')
    .reverse()
    .find((l) => l.startsWith('Error: '));
  return line !== undefined && !r.spawnError ? describeExit(binary, { ...r, stderr: line }) : describeExit(binary, r);
}

/** "Instance not found" (both clients, local or remote) means there is nothing to list. */
function notFound(stderr: string): boolean {
  return /\binstance not found\b/i.test(stderr);
}

export function incusStore(inv: IncusInventory, access: StoreAccess): SnapshotStore {
  const where = (argv: string[]) => access.hosts.argv(inv.host, argv);
  const on = inv.host === 'local' ? '' : ` on ${inv.host}`;
  return {
    async list() {
      const argv = listArgv(inv.binary, inv.instance);
      await access.hosts.ready(inv.host);
      const r = await capture(where(argv), { signal: access.signal });
      if (!exitOk(r)) {
        if (r.code !== null && !r.spawnError && notFound(r.stderr)) return undefined;
        throw new Error(`cannot list the snapshots of ${inv.instance}${on}: ${clientFailure(inv.binary, r)}`);
      }
      return parseListing(r.stdout.toString('utf8'), inv.instance);
    },
    async remove(name) {
      const argv = removeArgv(inv.binary, inv.instance, name);
      await access.hosts.ready(inv.host);
      const r = await capture(where(argv), { signal: access.signal });
      if (!exitOk(r)) throw new Error(clientFailure(inv.binary, r));
    },
  };
}
