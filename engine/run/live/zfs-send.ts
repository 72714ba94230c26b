// Live state of a zfs-send job: the source's newest snapshot, the newest snapshot both sides
// hold (the base of an incremental send), whether the target dataset exists, and — for a
// resumable job — the target's receive_resume_token (an interrupted `receive -s`).
import type { JobModel } from '../../plan/model';
import type { JobState } from '../steps/driver-kit';
import { zfsResumeToken } from '../inventory/zfs';
import type { LiveContext } from './types';
import { readSides } from './replication';

export async function readZfsSend(job: JobModel, ctx: LiveContext): Promise<JobState> {
  const { targetInventory, state } = await readSides(job, ctx);
  if (job.raw.resumable !== false && state.targetExists && targetInventory.type === 'zfs-snapshots') {
    const token = await zfsResumeToken(
      { hosts: ctx.hosts, signal: ctx.signal },
      targetInventory.host,
      targetInventory.dataset,
    );
    if (token !== undefined) state.resumeToken = token;
  }
  return state;
}
