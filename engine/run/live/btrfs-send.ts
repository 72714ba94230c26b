// Live state of a btrfs-send job: the source's newest snapshot, the newest snapshot both sides
// hold (the parent of an incremental send; the target's copy must have been received whole),
// and the subvolumes an interrupted receive left on the target, which the job removes first.
import type { JobModel } from '../../plan/model';
import type { JobState } from '../steps/driver-kit';
import { btrfsStore } from '../inventory/btrfs';
import type { LiveContext } from './types';
import { readSides } from './replication';

const glob = (match: string) =>
  new RegExp(`^${match.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`, 's');

export async function readBtrfsSend(job: JobModel, ctx: LiveContext): Promise<JobState> {
  const { targetInventory, state } = await readSides(job, ctx);
  if (state.targetExists && targetInventory.type === 'btrfs-snapshots') {
    const rx = glob(targetInventory.match);
    const left = (
      await btrfsStore(targetInventory, { hosts: ctx.hosts, signal: ctx.signal }, { received: true }).incomplete()
    ).filter((n) => rx.test(n));
    if (left.length) state.incomplete = left;
  }
  return state;
}
