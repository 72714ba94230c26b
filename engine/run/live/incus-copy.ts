// Live state of an incus-copy job. With `refresh: false` the copy is made from the source's
// newest snapshot into an instance the standby must not have yet: the reader gives that newest
// snapshot (so `run --job COPY` works on its own, without this run's snapshot) and whether the
// target already exists (the driver then refuses with a message instead of the client's
// error). A refreshing copy (the default) needs nothing: the client compares both sides itself.
import type { JobModel } from '../../plan/model';
import type { JobState } from '../steps/driver-kit';
import type { LiveContext } from './types';
import { readSides } from './replication';

export async function readIncusCopy(job: JobModel, ctx: LiveContext): Promise<JobState> {
  if (job.raw.refresh !== false || job.from === undefined) return {};
  return (await readSides(job, ctx)).state;
}
