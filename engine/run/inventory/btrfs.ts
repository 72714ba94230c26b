// btrfs snapshots in one directory on a host: read-only subvolumes, `btrfs subvolume delete`.
import type { Inventory } from '../step';
import type { SnapshotStore, StoreAccess } from './types';

export function btrfsStore(inv: Extract<Inventory, { type: 'btrfs-snapshots' }>, access: StoreAccess): SnapshotStore {
  void inv;
  void access;
  throw new Error('listing btrfs snapshots is not implemented yet');
}
