// What the restores of snapshot kinds share (zfs, btrfs, incus): the job that takes the
// snapshots (the job itself, or the source of a send), the copies on one snapshot store, the
// other stores that hold them (every send with `from:` the source, and the source itself when
// the job is the send), and copying a tree out of a snapshot's directory into a restore root,
// on another host if need be (`tar c` where the copy is, `tar x` where the data goes, joined
// by Backplan as a pipeline of argv arrays).
import type { JobModel, PlanModel } from '../../plan/model';
import { runCommandStep } from '../exec/execute';
import { fsFor } from '../exec/files';
import { LOCAL } from '../exec/quote';
import { isSnapshotInventory, type SnapshotInventory } from '../inventory/index';
import { listCopies } from '../prune/copies';
import { inventoryOf } from '../prune/replication-base';
import type { CommandStep } from '../steps/step';
import { onHost, zoneOf } from './common';
import { RestoreError, type CopyListing, type KindContext, type RestoreAction, type RestoreCopy } from './types';

/** A snapshot kind and the kind that replicates it. */
export interface Family {
  snapshot: string;
  send: string;
}

/** The job that takes the snapshots: the job itself, or the `from` job of a send. */
export function snapshotJob(ctx: KindContext, family: Family): JobModel {
  if (ctx.job.kind === family.snapshot) return ctx.job;
  const src = ctx.job.from !== undefined ? ctx.plan.jobs.get(ctx.job.from) : undefined;
  if (!src || src.kind !== family.snapshot)
    throw new RestoreError(`job ${ctx.job.name}: its \`from\` is not a ${family.snapshot} job`);
  return src;
}

/** The same from the plan alone (the runbook: nothing runs), or undefined. */
export function snapshotJobOf(plan: PlanModel, job: JobModel, family: Family): JobModel | undefined {
  if (job.kind === family.snapshot) return job;
  const src = job.from !== undefined ? plan.jobs.get(job.from) : undefined;
  return src?.kind === family.snapshot ? src : undefined;
}

/** The name a storage of the job goes by (`--from-storage`): its `to`, its `storage`, else its host. */
export function storageLabel(job: JobModel): string {
  return job.to ?? job.storage ?? job.host ?? LOCAL;
}

function snapshotInventory(ctx: KindContext, job: string): SnapshotInventory {
  const inv = inventoryOf(ctx.plan, job, Date.now());
  if (!isSnapshotInventory(inv)) throw new RestoreError(`job ${job} keeps no snapshots`);
  return inv;
}

/** The copies of `job` (a snapshot job, or a send that holds its source's names), newest first. */
export async function listSnapshotJob(
  ctx: KindContext,
  job: JobModel,
  family: Family,
  why: string,
): Promise<CopyListing> {
  const inv = snapshotInventory(ctx, job.name);
  const namer = job.kind === family.snapshot ? job : snapshotJob({ ...ctx, job }, family);
  const replica = job.kind === family.send;
  const storage = storageLabel(job);
  const listed = await listCopies(inv, namer, zoneOf(namer, ctx.plan), fsFor(inv.host, ctx.x.hosts), {
    hosts: ctx.x.hosts,
    replica,
  });
  const copies: RestoreCopy[] = listed.copies.map((c) => ({
    name: c.name,
    time: c.time,
    path: c.path,
    host: inv.host,
    storage,
    inventory: inv,
  }));
  const gone = listed.missing ? ` (${inv.type === 'incus-snapshots' ? inv.instance : c0(inv)} does not exist)` : '';
  return { storage, copies, why: `${why}${gone}` };
}

function c0(inv: SnapshotInventory): string {
  return inv.type === 'zfs-snapshots' ? inv.dataset : inv.type === 'btrfs-snapshots' ? inv.dir : inv.instance;
}

/** The job's own copies. */
export function ownListing(ctx: KindContext, family: Family): Promise<CopyListing> {
  return listSnapshotJob(
    ctx,
    ctx.job,
    family,
    ctx.job.kind === family.send ? "the job's own replica" : "the job's own snapshots",
  );
}

/**
 * Every other store of the same snapshots: the sends of the source (`from:` it) and, for a send,
 * the source itself. A store that cannot be read is listed empty, with the reason.
 */
export async function replicaListings(ctx: KindContext, family: Family): Promise<CopyListing[]> {
  const source = snapshotJob(ctx, family);
  const others: { job: JobModel; why: string }[] = [];
  if (source !== ctx.job)
    others.push({ job: source, why: `the snapshots of ${source.name}, which job ${ctx.job.name} replicates` });
  for (const r of ctx.plan.jobs.values())
    if (r.kind === family.send && r.from === source.name && r !== ctx.job)
      others.push({ job: r, why: `the replica written by ${family.send} job ${r.name}` });
  const out: CopyListing[] = [];
  for (const o of others) {
    try {
      out.push(await listSnapshotJob(ctx, o.job, family, o.why));
    } catch (e) {
      out.push({
        storage: storageLabel(o.job),
        copies: [],
        why: `${o.why}; it cannot be read: ${(e as Error).message}`,
      });
    }
  }
  return out;
}

/** `/a/b` under `/a` → `b` ('' for `/a` itself); undefined when not under it. */
export function under(path: string, dir: string): string | undefined {
  if (path === dir) return '';
  if (dir === '/') return path.slice(1);
  return path.startsWith(`${dir}/`) ? path.slice(dir.length + 1) : undefined;
}

/** Run a pipeline of commands, each on its own host, as one step; throws RestoreError with the tools' words. */
export async function pipeline(ctx: KindContext, cmds: CommandStep['pipe'] & object, what: string): Promise<void> {
  const [first, ...rest] = cmds;
  const step: CommandStep = {
    type: 'command',
    id: `${ctx.job.name}/restore`,
    job: ctx.job.name,
    phase: 'copy',
    description: what,
    host: first.host,
    argv: first.argv,
    after: [],
    ...(rest.length ? { pipe: rest } : {}),
  };
  const r = await runCommandStep(step, ctx.x);
  if (!r.ok) throw new RestoreError(ctx.x.redactor.text(`${what}: ${r.message ?? 'failed'}`));
}

/**
 * The actions that copy `rel` (a path relative to `from`, '' for all of it) out of the directory
 * `from` on `fromHost` to `into` + '/' + rel on `toHost`: `mkdir -p into`, then
 * `tar -C from -cf - ./rel | tar -C into -xpf -` (owners by number, modes kept).
 */
export function copyOut(
  ctx: KindContext,
  fromHost: string,
  from: string,
  rel: string,
  toHost: string,
  into: string,
): RestoreAction[] {
  const create = ['tar', '-C', from, '--numeric-owner', '-cf', '-', '--', rel === '' ? '.' : `./${rel}`];
  const extract = ['tar', '-C', into, '--numeric-owner', '-xpf', '-'];
  return [
    {
      description: `create the directory ${into}`,
      host: toHost,
      argv: ['mkdir', '-p', '--', into],
      async run() {
        await onHost(ctx.x.hosts, toHost, ['mkdir', '-p', '--', into], `cannot create ${into}`);
      },
    },
    {
      description:
        `copy ${rel === '' ? from : `${from}/${rel}`}` +
        `${fromHost !== toHost ? ` from ${fromHost}` : ''} into ${into}`,
      host: fromHost,
      argv: create,
      pipe: [{ host: toHost, argv: extract }],
      async run() {
        await pipeline(
          ctx,
          [
            { host: fromHost, argv: create },
            { host: toHost, argv: extract },
          ],
          `cannot copy ${rel || '.'} out of ${from}`,
        );
      },
    },
  ];
}
