// What both sides of a send hold, for the zfs-send and btrfs-send readers: the source job's
// snapshots and the replica's, listed through their stores and filtered by the source job's
// names exactly as a prune lists them.
import type { JobModel } from '../../plan/model';
import { fsFor } from '../exec/files';
import type { JobState } from '../steps/driver-kit';
import { listCopies, type Listed } from '../prune/copies';
import { inventoryOf } from '../prune/replication-base';
import type { Inventory } from '../steps/step';
import type { LiveContext } from './types';

export interface Sides {
  source: JobModel;
  sourceInventory: Inventory;
  targetInventory: Inventory;
  src: Listed;
  dst: Listed;
  /** latest, base, targetExists. */
  state: JobState;
}

export async function readSides(job: JobModel, ctx: LiveContext): Promise<Sides> {
  const source = job.from !== undefined ? ctx.plan.jobs.get(job.from) : undefined;
  if (!source) throw new Error(`from \`${String(job.from)}\` is not a job of this plan`);
  const now = Date.now();
  const sourceInventory = inventoryOf(ctx.plan, source.name, now);
  const targetInventory = inventoryOf(ctx.plan, job.name, now);
  // Names carry the source job's pattern, expanded in the zone of the source's host.
  const zone =
    (source.host !== undefined ? ctx.plan.hosts.get(source.host)?.timezone : undefined) || ctx.plan.timezone || 'UTC';
  const list = (inv: Inventory, replica: boolean) =>
    listCopies(inv, source, zone, fsFor(inv.host, ctx.hosts), { hosts: ctx.hosts, signal: ctx.signal, replica });
  const src = await list(sourceInventory, false);
  const dst = await list(targetInventory, true);
  const there = new Set(dst.copies.map((c) => c.name));
  const state: JobState = { targetExists: !dst.missing };
  if (src.copies.length) {
    state.latest = src.copies[0].name;
    state.oldest = src.copies[src.copies.length - 1].name;
  }
  const base = src.copies.find((c) => there.has(c.name));
  if (base) state.base = base.name;
  return { source, sourceInventory, targetInventory, src, dst, state };
}
