// rsync's live state: the newest complete dated directory of the job on its storage (final names
// only: a `.partial` directory is an interrupted run and never a base), which the run passes to
// `--link-dest` so that files unchanged since then become hard links to it.
import { fsFor } from '../exec/files';
import { planSteps } from '../steps/plan-steps';
import { listCopies } from '../prune/copies';
import type { JobState } from '../steps/driver-kit';
import type { LiveContext } from './types';
import type { JobModel } from '../../plan/model';

export async function readRsyncState(job: JobModel, ctx: LiveContext): Promise<JobState> {
  // Where the job writes, as the driver plans it without live state.
  const planned = planSteps(ctx.plan, { job: job.name, now: Date.now(), alone: true });
  const backup = planned.steps.find((s) => s.job === job.name && s.type === 'command' && s.phase === 'backup');
  const inv = backup?.type === 'command' ? backup.inventory : undefined;
  // A job that cannot be planned gets its planning errors when it is planned again.
  if (!inv) return {};
  const zone =
    (job.host !== undefined ? ctx.plan.hosts.get(job.host)?.timezone : undefined) || ctx.plan.timezone || 'UTC';
  const listed = await listCopies(inv, job, zone, fsFor(inv.host, ctx.hosts));
  return listed.copies.length ? { previous: listed.copies[0].name } : {};
}
