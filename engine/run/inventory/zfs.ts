// zfs snapshots of one dataset on a host: `zfs list -t snapshot`, `zfs destroy DATASET@NAME`.
import type { Inventory } from '../step';
import type { SnapshotStore, StoreAccess } from './types';

export function zfsStore(inv: Extract<Inventory, { type: 'zfs-snapshots' }>, access: StoreAccess): SnapshotStore {
  void inv;
  void access;
  throw new Error('listing zfs snapshots is not implemented yet');
}
