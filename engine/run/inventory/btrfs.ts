// btrfs snapshots in one directory on a host. A copy is a read-only subvolume directly in the
// directory; on the receiving side of a send it must also carry a received UUID: `btrfs
// receive` creates a writable subvolume, fills it, then sets the received UUID and makes it
// read-only, so an interrupted receive leaves a subvolume that is never counted as a copy
// (`incomplete()` lists those, for the sender to remove before it retries).
// One command per listing, whatever the number of snapshots: `btrfs subvolume list -r -R DIR`
// (paths from the filesystem's top, received UUIDs). Where DIR sits inside its filesystem is
// learned once per run: `find` for a subvolume root in DIR (inode 256), then `btrfs subvolume
// show` on it (its path from the top). Removal: `btrfs subvolume delete DIR/NAME`.
import type { Inventory } from '../steps/step';
import { describeExit, outputOf, runOn } from './run-on';
import { toolOn } from './tools';
import type { Snapshot, SnapshotStore, StoreAccess } from './types';

type BtrfsInventory = Extract<Inventory, { type: 'btrfs-snapshots' }>;

export interface SubvolumeRow {
  path: string;
  received: boolean;
  readonly: boolean;
}

/** Rows of `btrfs subvolume list [-r] -R`: `ID n gen n top level n received_uuid U path P`. */
export function parseSubvolumeList(text: string, readonly: boolean): SubvolumeRow[] {
  const rows: SubvolumeRow[] = [];
  for (const line of text.split('\n')) {
    const m = /^ID \d+ .*?received_uuid (\S+)\s+.*?path (.*)$/.exec(line);
    if (m) rows.push({ path: m[2], received: m[1] !== '-', readonly });
  }
  return rows;
}

export interface BtrfsStore extends SnapshotStore {
  /** Subvolumes in the directory that are not whole copies (writable, or never received). */
  incomplete(): Promise<string[]>;
}

/** A directory's path inside its filesystem, by run (Hosts) and host: it does not change. */
const placeCache = new WeakMap<object, Map<string, string>>();

export function btrfsStore(inv: BtrfsInventory, access: StoreAccess, opts: { received?: boolean } = {}): BtrfsStore {
  const btrfs = toolOn(access.hosts.plan, inv.host, 'btrfs');
  const dir = inv.dir.replace(/\/+$/, '') || '/';
  const join = (name: string) => (dir === '/' ? `/${name}` : `${dir}/${name}`);
  const key = `${inv.host}\0${dir}`;
  if (!placeCache.has(access.hosts)) placeCache.set(access.hosts, new Map());
  const cache = placeCache.get(access.hosts)!;

  /**
   * The directory's path from the filesystem's top ('' at the top); undefined: no subvolume in it (or no directory).
   */
  const place = async (): Promise<{ rel: string | undefined; missing: boolean }> => {
    const known = cache.get(key);
    if (known !== undefined) return { rel: known, missing: false };
    const f = await runOn(access, inv.host, [
      'find',
      dir,
      '-mindepth',
      '1',
      '-maxdepth',
      '1',
      '-type',
      'd',
      '-inum',
      '256',
      '-printf',
      '%f\\0',
    ]);
    if (!f.ok) {
      if (/No such file or directory/.test(f.stderr)) return { rel: undefined, missing: true };
      throw new Error(`cannot list ${dir} on ${inv.host}: ${describeExit('find', f)}`);
    }
    const first = f.stdout.toString('utf8').split('\0').find(Boolean);
    if (first === undefined) return { rel: undefined, missing: false };
    // The first line of `subvolume show` is the subvolume's path from the filesystem's top.
    const shown = (
      await outputOf(
        access,
        inv.host,
        [btrfs, 'subvolume', 'show', join(first)],
        `cannot read subvolume ${join(first)}`,
      )
    )
      .split('\n')[0]
      .trim();
    const rel = shown === first ? '' : shown.endsWith(`/${first}`) ? shown.slice(0, -first.length - 1) : undefined;
    if (rel === undefined)
      throw new Error(
        `cannot tell where ${dir} is inside its btrfs filesystem on ${inv.host} (subvolume show says ${shown})`,
      );
    cache.set(key, rel);
    return { rel, missing: false };
  };

  /** Subvolumes directly in `dir`: all, or the read-only ones. */
  const rows = async (rel: string, readonlyOnly: boolean): Promise<Map<string, SubvolumeRow>> => {
    const text = await outputOf(
      access,
      inv.host,
      [btrfs, 'subvolume', 'list', ...(readonlyOnly ? ['-r'] : []), '-R', dir],
      `cannot list the subvolumes of ${dir}`,
    );
    const out = new Map<string, SubvolumeRow>();
    for (const row of parseSubvolumeList(text, readonlyOnly)) {
      const name = rel === '' ? row.path : row.path.startsWith(`${rel}/`) ? row.path.slice(rel.length + 1) : undefined;
      if (name !== undefined && name !== '' && !name.includes('/')) out.set(name, row);
    }
    return out;
  };
  const whole = (r: SubvolumeRow) => r.readonly && (!opts.received || r.received);

  return {
    async list() {
      const p = await place();
      if (p.missing) return undefined;
      if (p.rel === undefined) return [];
      const snaps: Snapshot[] = [...(await rows(p.rel, true))].filter(([, r]) => whole(r)).map(([name]) => ({ name }));
      return snaps.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    },
    async incomplete() {
      const p = await place();
      if (p.rel === undefined) return [];
      const all = await rows(p.rel, false);
      const ro = await rows(p.rel, true);
      return [...all.keys()].filter((n) => !whole(ro.get(n) ?? { path: '', received: false, readonly: false })).sort();
    },
    async remove(name) {
      await outputOf(
        access,
        inv.host,
        [btrfs, 'subvolume', 'delete', join(name)],
        `cannot delete subvolume ${join(name)}`,
      );
    },
  };
}
