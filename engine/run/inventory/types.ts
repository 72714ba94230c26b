// The snapshots a snapshot-kind job keeps on a host (zfs datasets, btrfs snapshot directories,
// Incus instances), listed and removed through that host's own tool. One store per system, in
// this folder; prune/copies.ts decides what to remove and never calls the tools itself.
import type { Hosts } from '../exec/hosts';

export interface Snapshot {
  /** The snapshot's own name (after `@` for zfs, the directory entry for btrfs, after `/` for Incus). */
  name: string;
  /** Creation time (epoch ms) as the system records it, when it records one. */
  created?: number;
}

export interface SnapshotStore {
  /** Every snapshot of the object, oldest first; undefined when the object itself does not exist. */
  list(): Promise<Snapshot[] | undefined>;
  /** Remove one snapshot by name; rejects with the tool's own message. */
  remove(name: string): Promise<void>;
}

/** Runs `argv` on the store's host (locally or over ssh through `hosts`). */
export interface StoreAccess {
  hosts: Hosts;
  signal?: AbortSignal;
}
