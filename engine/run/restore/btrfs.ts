// Restoring a btrfs-snapshot or btrfs-send copy. The data belongs to the `subvolume` of the
// btrfs-snapshot job (the send's `from`), on that job's host; the copy is a read-only snapshot
// there or on a replica.
// - `--path P` (P under the subvolume): copied out of the read-only snapshot (a tar stream when
//   the copy is on another host) into `.partial`, renamed by the operation (ops/restore-job.ts).
// - No `--path`: a writable snapshot of the copy, `btrfs subvolume snapshot COPY TARGET.partial`
//   (no -r), renamed to the target when made. A copy on another host is first received beside
//   the target (`btrfs send COPY | btrfs receive DIR`), snapshotted writable, and the received
//   one deleted. `--to` must not exist or be an empty directory; `--in-place` renames the
//   current subvolume to `SUBVOLUME.before-restore-<time>` first, beside it.
// Syntax: https://btrfs.readthedocs.io/en/latest/btrfs-subvolume.html (`snapshot [-r] <source>
// <dest>`, `delete`), https://btrfs.readthedocs.io/en/latest/btrfs-send.html,
// https://btrfs.readthedocs.io/en/latest/btrfs-receive.html.
import { fsFor } from '../exec/files';
import { toolOn } from '../inventory/tools';
import { inventoryOf } from '../prune/replication-base';
import { onHost, treeBytes } from './common';
import { copyOut, ownListing, pipeline, replicaListings, snapshotJob, under, type Family } from './snapshots';
import { RestoreError, type FileRestorer, type KindContext, type RestoreAction, type RestoreCopy } from './types';

const FAMILY: Family = { snapshot: 'btrfs-snapshot', send: 'btrfs-send' };

/** The subvolume the data belongs to, and its host. */
function home(ctx: KindContext): { host: string; subvolume: string } {
  const src = snapshotJob(ctx, FAMILY);
  const inv = inventoryOf(ctx.plan, src.name, Date.now());
  const sub = src.raw.subvolume;
  if (typeof sub !== 'string' || !sub.startsWith('/')) throw new RestoreError(`job ${src.name}: no subvolume`);
  return { host: inv.host, subvolume: sub.length > 1 ? sub.replace(/\/+$/, '') : sub };
}

const btrfsOn = (ctx: KindContext, host: string) => toolOn(ctx.plan, host, 'btrfs');

/**
 * The actions that make `dest` (absent) a writable snapshot of the copy on `host`: one snapshot
 * when the copy is there, else received into `dest.receive/` first and that received one deleted.
 */
function writable(
  ctx: KindContext,
  copy: RestoreCopy,
  host: string,
  dest: string,
): { actions: RestoreAction[]; undo(): Promise<void> } {
  const btrfs = btrfsOn(ctx, host);
  const made: string[] = [];
  const del = async (p: string) => {
    await onHost(ctx.x.hosts, host, [btrfs, 'subvolume', 'delete', p], `cannot delete ${p}`);
  };
  const undo = async () => {
    for (const p of made.splice(0).reverse()) {
      if (p.endsWith('/'))
        await onHost(ctx.x.hosts, host, ['rmdir', '--', p], `cannot remove ${p}`).catch(() => undefined);
      else await del(p).catch(() => undefined);
    }
  };
  const snapshot = (from: string): RestoreAction => {
    const argv = [btrfs, 'subvolume', 'snapshot', from, dest];
    return {
      description: `make ${dest} a writable snapshot of ${from}`,
      host,
      argv,
      async run() {
        await onHost(ctx.x.hosts, host, argv, `cannot snapshot ${from}`);
        made.push(dest);
      },
      undo,
    };
  };
  if (copy.host === host) return { actions: [snapshot(copy.path)], undo };
  const dir = `${dest}.receive`;
  const received = `${dir}/${copy.name}`;
  const send = [btrfsOn(ctx, copy.host), 'send', copy.path];
  const recv = [btrfs, 'receive', dir];
  return {
    actions: [
      {
        description: `receive ${copy.path} from ${copy.host} into ${dir}`,
        host: copy.host,
        argv: send,
        pipe: [{ host, argv: recv }],
        async run() {
          await onHost(ctx.x.hosts, host, ['mkdir', '--', dir], `cannot create ${dir}`);
          made.push(`${dir}/`);
          made.push(received);
          await pipeline(
            ctx,
            [
              { host: copy.host, argv: send },
              { host, argv: recv },
            ],
            `cannot receive ${copy.path} from ${copy.host}`,
          );
        },
        undo,
      },
      snapshot(received),
      {
        description: `delete the received read-only ${received}`,
        host,
        argv: [btrfs, 'subvolume', 'delete', received],
        async run() {
          await del(received);
          await onHost(ctx.x.hosts, host, ['rmdir', '--', dir], `cannot remove ${dir}`);
          made.splice(0, 2);
        },
      },
    ],
    undo,
  };
}

export const btrfsRestorer: FileRestorer = {
  target: 'files',
  live: true,
  targetHost: (ctx) => home(ctx).host,
  list: (ctx) => ownListing(ctx, FAMILY),
  replicas: (ctx) => replicaListings(ctx, FAMILY),
  async ownPaths(ctx) {
    return [home(ctx).subvolume];
  },
  restore(ctx, copy, root, include) {
    const h = home(ctx);
    const rels = include.length
      ? include.map((p) => {
          const r = under(p, h.subvolume);
          if (r === undefined) throw new RestoreError(`--path ${p} is not under the subvolume ${h.subvolume}`);
          return r;
        })
      : [''];
    const into = `${root}${h.subvolume === '/' ? '' : h.subvolume}`;
    return rels.flatMap((rel) => copyOut(ctx, copy.host, copy.path, rel, h.host, into));
  },
  whole: {
    noun: 'subvolume',
    suggest: (_plan, _job, root) => ({
      target: root,
      note:
        `restored as a writable snapshot at ${root} on the data's host (received there first from a replica); ` +
        '--in-place moves the current subvolume aside beside it',
    }),
    async plan(ctx, copy, req) {
      const h = home(ctx);
      const fs = fsFor(h.host, ctx.x.hosts);
      const final = req.to ?? h.subvolume;
      if (!final.startsWith('/') || final === '/') throw new RestoreError(`--to ${final} must be an absolute path`);
      const partial = `${final}.partial`;
      const aside = req.to === undefined ? `${final}.before-restore-${req.stamp}` : undefined;
      for (const p of [partial, `${partial}.receive`])
        if (await fs.exists(p))
          throw new RestoreError(
            `${p} exists (left by an interrupted restore?): look at it, remove it, and restore again`,
          );
      let empty = false;
      if (aside !== undefined) {
        if (await fs.exists(aside)) throw new RestoreError(`${aside} exists already; nothing was changed`);
      } else if (await fs.exists(final)) {
        const entries = await fs.list(final).catch(() => undefined);
        if (!entries || entries.length > 0)
          throw new RestoreError(
            `${final} exists and is not an empty directory: a restore never overwrites; choose a new --to (or ` +
              `--in-place --yes to move the job's own subvolume aside first)`,
          );
        empty = true;
      }
      const w = writable(ctx, copy, h.host, partial);
      let moved: string | undefined;
      const actions: RestoreAction[] = [...w.actions];
      if (aside !== undefined)
        actions.push({
          description: `move the current ${final} aside to ${aside}`,
          host: h.host,
          argv: ['mv', '-T', '--', final, aside],
          async run() {
            if (!(await fs.exists(final))) return;
            await fs.commit(final, aside, 'directory').catch((e: Error) => {
              throw new RestoreError(`cannot move ${final} aside: ${e.message}`);
            });
            moved = aside;
          },
          // The restored one could not take the name: the current one takes it back.
          async undo() {
            if (moved === undefined || (await fs.exists(final))) return;
            await fs.commit(aside, final, 'directory');
            moved = undefined;
          },
        });
      actions.push({
        description: `give the restored subvolume its name ${final}`,
        host: h.host,
        argv: ['mv', '-T', '--', partial, final],
        async run() {
          if (empty) await onHost(ctx.x.hosts, h.host, ['rmdir', '--', final], `cannot replace the empty ${final}`);
          await fs.commit(partial, final, 'directory').catch((e: Error) => {
            throw new RestoreError(`cannot rename ${partial} to ${final}: ${e.message}`);
          });
        },
      });
      return {
        target: final,
        actions,
        cleanup: w.undo,
        bytes: () => treeBytes(ctx.x.hosts, h.host, final),
        movedAside: () => moved,
        notes: [
          `${final} is a writable snapshot of ${copy.path}${copy.host !== h.host ? ` received from ${copy.host}` : ''}`,
        ],
      };
    },
  },
};
