// The snapshot store behind a snapshot inventory, or undefined for inventories of files.
import type { CommandStep, Inventory } from '../steps/step';
import { btrfsStore } from './btrfs';
import { incusStore } from './incus';
import type { SnapshotStore, StoreAccess } from './types';
import { zfsStore } from './zfs';

export type SnapshotInventory = Extract<Inventory, { type: 'zfs-snapshots' | 'btrfs-snapshots' | 'incus-snapshots' }>;

export function isSnapshotInventory(inv: Inventory): inv is SnapshotInventory {
  return inv.type === 'zfs-snapshots' || inv.type === 'btrfs-snapshots' || inv.type === 'incus-snapshots';
}

/**
 * @param replica the inventory is the receiving side of a send: a btrfs subvolume counts only
 *   once it was received whole.
 */
export function storeFor(inv: SnapshotInventory, access: StoreAccess, opts: { replica?: boolean } = {}): SnapshotStore {
  switch (inv.type) {
    case 'zfs-snapshots':
      return zfsStore(inv, access);
    case 'btrfs-snapshots':
      return btrfsStore(inv, access, { received: opts.replica });
    case 'incus-snapshots':
      return incusStore(inv, access);
  }
}

/** Where a snapshot lives, for messages and the journal (`pool/fs@name`, `/dir/name`, `c1/name`). */
export function snapshotPath(inv: SnapshotInventory, name: string): string {
  switch (inv.type) {
    case 'zfs-snapshots':
      return `${inv.dataset}@${name}`;
    case 'btrfs-snapshots':
      return `${inv.dir.replace(/\/+$/, '')}/${name}`;
    case 'incus-snapshots':
      return `${inv.instance}/${name}`;
  }
}

/**
 * The snapshot a successful snapshot or send step made (its snapshotPath), read from the step's
 * last argument (`pool/fs@NAME`, `DIR/NAME`), or undefined: the run's prune never removes it,
 * even when a clock that went back makes its name look older than others.
 */
export function snapshotMadeBy(step: CommandStep): string | undefined {
  const inv = step.inventory;
  if (!inv || !isSnapshotInventory(inv) || (step.phase !== 'backup' && step.phase !== 'copy')) return undefined;
  // A tool that names its own snapshots (sanoid, btrbk) does not say which one it made.
  if ('naming' in inv && inv.naming !== undefined) return undefined;
  const last = step.argv[step.argv.length - 1] ?? '';
  const name = last.slice(Math.max(last.lastIndexOf('@'), last.lastIndexOf('/')) + 1);
  return name ? snapshotPath(inv, name) : undefined;
}
