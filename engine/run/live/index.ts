// Live state that a job's steps depend on, read from its hosts right before the job runs (after
// the jobs it depends on ran in this run): the replication base and the source's newest snapshot
// for sends, a zfs resume token, rsync's previous directory ... One reader per kind, in this
// folder; a kind without a reader is planned without live state.
import type { StateReader } from './types';
import { readBtrfsSend } from './btrfs-send';
import { readIncusCopy } from './incus-copy';
import { readZfsSend } from './zfs-send';
import { readRsyncState } from './rsync';

export type { LiveContext, StateReader } from './types';

const READERS: Record<string, StateReader> = {
  'zfs-send': (job, ctx) => readZfsSend(job, ctx),
  'btrfs-send': (job, ctx) => readBtrfsSend(job, ctx),
  rsync: readRsyncState,
  'incus-copy': readIncusCopy,
};

export function stateReaderFor(kind: string | undefined): StateReader | undefined {
  return kind !== undefined && Object.hasOwn(READERS, kind) ? READERS[kind] : undefined;
}
