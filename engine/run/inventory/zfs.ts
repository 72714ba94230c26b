// zfs snapshots of one dataset on a host: `zfs get -H -p -o name,value -d 1 creation DATASET`
// (one command that also works with zfs-fuse, whose `zfs list` has no -p), keeping only the
// dataset's own snapshots (`DATASET@NAME`; its children's are not this job's). Removal:
// `zfs destroy DATASET@NAME` (one snapshot, never -r: a snapshot name cannot widen it).
import type { Inventory } from '../steps/step';
import { describeExit, outputOf, runOn } from './run-on';
import { toolOn } from './tools';
import type { Snapshot, SnapshotStore, StoreAccess } from './types';

type ZfsInventory = Extract<Inventory, { type: 'zfs-snapshots' }>;

/** Parses `name<TAB>creation` lines into the snapshots of `dataset`, oldest first. */
export function parseZfsCreation(text: string, dataset: string): Snapshot[] {
  const out: Snapshot[] = [];
  const prefix = `${dataset}@`;
  for (const line of text.split('\n')) {
    const [name, value] = line.split('\t');
    if (!name?.startsWith(prefix)) continue;
    const secs = Number(value);
    out.push({
      name: name.slice(prefix.length),
      ...(Number.isFinite(secs) && value !== '' ? { created: secs * 1000 } : {}),
    });
  }
  return out.sort((a, b) => (a.created ?? 0) - (b.created ?? 0) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export function zfsStore(inv: ZfsInventory, access: StoreAccess): SnapshotStore {
  const zfs = toolOn(access.hosts.plan, inv.host, 'zfs');
  return {
    async list() {
      const argv = [zfs, 'get', '-H', '-p', '-o', 'name,value', '-d', '1', 'creation', inv.dataset];
      const r = await runOn(access, inv.host, argv);
      if (!r.ok) {
        if (/does not exist/.test(r.stderr)) return undefined;
        throw new Error(`cannot list the snapshots of ${inv.dataset} on ${inv.host}: ${describeExit(zfs, r)}`);
      }
      return parseZfsCreation(r.stdout.toString('utf8'), inv.dataset);
    },
    async remove(name) {
      await outputOf(
        access,
        inv.host,
        [zfs, 'destroy', `${inv.dataset}@${name}`],
        `cannot destroy ${inv.dataset}@${name}`,
      );
    },
  };
}

/** The dataset's `receive_resume_token` ('-' or absent: none); undefined where zfs has no such property. */
export async function zfsResumeToken(access: StoreAccess, host: string, dataset: string): Promise<string | undefined> {
  const zfs = toolOn(access.hosts.plan, host, 'zfs');
  const r = await runOn(access, host, [zfs, 'get', '-H', '-o', 'value', 'receive_resume_token', dataset]);
  if (!r.ok) return undefined;
  const v = r.stdout.toString('utf8').trim();
  return v === '' || v === '-' ? undefined : v;
}
