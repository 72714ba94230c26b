// The names already present where a job is about to write its copy, read just before the job
// runs, so that the copy's name is decided before any work starts: a taken name gets a `-N`
// suffix (driver-kit copyName) instead of the whole backup failing at its final rename. Only the
// job's own backup output is listed (files, directories, snapshots); a listing that fails says
// nothing is taken, and the never-replace rename still refuses a clash found later.
import type { Hosts } from '../exec/hosts';
import { fsFor } from '../exec/files';
import { isSnapshotInventory, storeFor } from '../inventory/index';
import type { Inventory, Step } from '../steps/step';

/** The inventory of the copy the job's backup step writes, when it writes one we can list. */
export function backupInventory(steps: readonly Step[]): Inventory | undefined {
  for (const s of steps) {
    if (s.phase !== 'backup') continue;
    const inv = s.type === 'builtin' ? s.builtin.inventory : s.type === 'command' ? s.inventory : undefined;
    if (inv) return inv;
  }
  return undefined;
}

export async function takenNames(
  inv: Inventory,
  hosts: Hosts,
  signal?: AbortSignal,
): Promise<ReadonlySet<string> | undefined> {
  try {
    if (isSnapshotInventory(inv)) {
      const snaps = await storeFor(inv, { hosts, signal }).list();
      return new Set((snaps ?? []).map((s) => s.name));
    }
    if (inv.type === 'files' || inv.type === 'directories') {
      const entries = await fsFor(inv.host, hosts).list(inv.dir);
      return new Set((entries ?? []).map((e) => e.name));
    }
  } catch {
    // Unreachable or not listable: the run goes on with the plain name.
  }
  return undefined;
}
