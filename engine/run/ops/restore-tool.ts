// The part of `backplan restore` (ops/restore-job.ts) for kinds that only their own tool can
// restore (velero, openstack-image, vzdump: restore/<kind>.ts, a ToolRestorer): the copy is
// looked for on the job's own storage only (a replica of such a copy, a restic repository
// holding vzdump archives say, is restored as its own job first); a dry run on a machine where
// the tool cannot list still shows the exact argv for the copy named by --copy; a real restore
// checks that every program is installed where it runs before the first command.
import { preflight } from '../exec/preflight';
import {
  RestoreError,
  type KindContext,
  type RestoreAction,
  type RestoreCopy,
  type ToolRestorer,
} from '../restore/types';
import { JobOpError } from './types';

export interface ToolRestoreOptions {
  copy?: string;
  at?: number;
  to?: string;
  inPlace?: boolean;
  fromStorage?: string;
  dryRun?: boolean;
}

export async function findToolCopy(
  ctx: KindContext,
  restorer: ToolRestorer,
  opts: ToolRestoreOptions,
): Promise<{ copy: RestoreCopy; why: string }> {
  const own = ctx.job.to ?? ctx.job.storage;
  if (opts.fromStorage !== undefined && opts.fromStorage !== own)
    throw new JobOpError(
      `storage ${opts.fromStorage} holds no copy of job ${ctx.job.name} that restore can read: a ` +
        `${ctx.job.kind} copy is read where the job keeps it${own ? ` (${own})` : ''}; a copy of it made by ` +
        'another job is restored as that job',
    );
  let copy: RestoreCopy | undefined;
  try {
    const l = await restorer.list(ctx);
    if (opts.copy !== undefined) copy = l.copies.find((c) => c.name === opts.copy || c.aliases?.includes(opts.copy!));
    else if (opts.at !== undefined) copy = l.copies.find((c) => c.time <= opts.at!);
    else copy = l.copies[0];
    if (copy) return { copy, why: `read from ${l.why}${own ? ` on storage ${l.storage}` : ''}` };
    const wanted =
      opts.copy !== undefined
        ? `copy ${opts.copy}`
        : opts.at !== undefined
          ? `copy at or before ${new Date(opts.at).toISOString()}`
          : 'copy';
    const some = l.copies.slice(0, 10).map((c) => c.name);
    throw new JobOpError(
      `job ${ctx.job.name}: found no ${wanted} to restore in ${l.why}` +
        `${some.length ? ` (copies: ${some.join(', ')})` : ''}`,
    );
  } catch (e) {
    if (e instanceof JobOpError) throw e;
    const why = (e as Error).message;
    const named = opts.dryRun && opts.copy !== undefined ? restorer.named(ctx, opts.copy) : undefined;
    if (named) return { copy: named, why: `not listed (${why}): the copy named by --copy, as given` };
    throw new JobOpError(`job ${ctx.job.name}: cannot list its copies: ${why}`);
  }
}

/** The restore's actions and target; a real one first checks every program it runs. */
export async function planToolRestore(
  ctx: KindContext,
  restorer: ToolRestorer,
  chosen: RestoreCopy,
  opts: ToolRestoreOptions & { stamp: string },
): Promise<{ actions: RestoreAction[]; target: string; notes: string[] }> {
  let copy = chosen;
  const notes: string[] = [];
  if (restorer.describe) {
    try {
      copy = await restorer.describe(ctx, chosen);
    } catch (e) {
      if (!opts.dryRun) throw e;
      notes.push(`not read: ${(e as Error).message}`);
    }
  }
  const r = restorer.restore(ctx, copy, {
    ...(opts.to !== undefined ? { to: opts.to } : {}),
    inPlace: Boolean(opts.inPlace),
    stamp: opts.stamp,
    named: opts.copy !== undefined,
  });
  if (!opts.dryRun) {
    const commands = r.actions.filter((a) => a.argv).map((a) => ({ host: a.host, argv: a.argv! }));
    const missing = await preflight(commands, ctx.x.hosts, ctx.x.signal);
    if (missing) throw new RestoreError(missing);
  }
  return { ...r, notes: [...r.notes, ...notes] };
}
