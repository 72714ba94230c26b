// Incus (or LXD) snapshots of one instance, possibly on a remote (`REMOTE:INSTANCE`).
import type { Inventory } from '../step';
import type { SnapshotStore, StoreAccess } from './types';

export function incusStore(inv: Extract<Inventory, { type: 'incus-snapshots' }>, access: StoreAccess): SnapshotStore {
  void inv;
  void access;
  throw new Error('listing Incus snapshots is not implemented yet');
}
