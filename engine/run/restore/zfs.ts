// Restoring a zfs-snapshot or zfs-send copy. The data belongs to the dataset of the zfs-snapshot
// job (the send's `from`), on that job's host; the copy is a snapshot there or on a replica.
// - `--path P` (P under the dataset's mountpoint): the files are copied out of the snapshot's
//   directory `MOUNTPOINT/.zfs/snapshot/NAME/` (as the MiNET procedure does by hand), or, where
//   there is no `.zfs` directory (zfs-fuse, an unmounted replica), out of a scratch clone of the
//   snapshot (`zfs clone`), destroyed afterwards. A copy on another host comes over as a tar
//   stream. The operation writes into `.partial` and renames (ops/restore-job.ts).
// - No `--path`: a NEW dataset named by `--to`: `zfs clone SNAP TO` when the snapshot is on the
//   dataset's own host and pool, else `zfs send SNAP | zfs receive TO.partial` (the replica's
//   snapshot received where the data belongs) then `zfs rename TO.partial TO`. An existing
//   dataset is never received into or replaced; a whole dataset is not restored in place.
// Syntax: https://openzfs.github.io/openzfs-docs/man/master/8/zfs-clone.8.html,
// https://openzfs.github.io/openzfs-docs/man/master/8/zfs-rename.8.html,
// https://openzfs.github.io/openzfs-docs/man/master/7/zfsprops.7.html (snapdir, mountpoint).
import { createHash } from 'node:crypto';
import { fsFor } from '../exec/files';
import { capture, describeExit, exitOk } from '../exec/process';
import { toolOn } from '../inventory/tools';
import { inventoryOf } from '../prune/replication-base';
import { onHost } from './common';
import {
  copyOut,
  ownListing,
  pipeline,
  replicaListings,
  snapshotJob,
  snapshotJobOf,
  under,
  type Family,
} from './snapshots';
import { RestoreError, type FileRestorer, type KindContext, type RestoreAction, type RestoreCopy } from './types';

const FAMILY: Family = { snapshot: 'zfs-snapshot', send: 'zfs-send' };
const DATASET = /^[A-Za-z0-9][A-Za-z0-9_.:-]*(\/[A-Za-z0-9_.:-]+)*$/;

/** The dataset the data belongs to, and its host. */
function home(ctx: KindContext): { host: string; dataset: string } {
  const inv = inventoryOf(ctx.plan, snapshotJob(ctx, FAMILY).name, Date.now());
  if (inv.type !== 'zfs-snapshots') throw new RestoreError(`job ${ctx.job.name}: no zfs dataset`);
  return { host: inv.host, dataset: inv.dataset };
}

function ofCopy(copy: RestoreCopy): { dataset: string; snapshot: string } {
  const inv = copy.inventory;
  if (inv?.type !== 'zfs-snapshots') throw new RestoreError(`${copy.name} is not a zfs snapshot`);
  return { dataset: inv.dataset, snapshot: `${inv.dataset}@${copy.name}` };
}

const zfsOn = (ctx: KindContext, host: string) => toolOn(ctx.plan, host, 'zfs');
const poolOf = (ds: string) => ds.split(/[/@]/)[0];

async function prop(ctx: KindContext, host: string, ds: string, name: string): Promise<string> {
  const out = await onHost(
    ctx.x.hosts,
    host,
    [zfsOn(ctx, host), 'get', '-H', '-p', '-o', 'value', name, ds],
    `cannot read ${name} of ${ds}`,
  );
  return out.trim();
}

async function mountpoint(ctx: KindContext, host: string, ds: string): Promise<string> {
  const m = await prop(ctx, host, ds, 'mountpoint');
  if (!m.startsWith('/'))
    throw new RestoreError(`${ds} on ${host} has no mountpoint (${m}): its files cannot be restored by path`);
  return m.length > 1 ? m.replace(/\/+$/, '') : m;
}

/** Whether a dataset exists on a host (an error other than "does not exist" is said as such). */
async function datasetExists(ctx: KindContext, host: string, ds: string): Promise<boolean> {
  const zfs = zfsOn(ctx, host);
  await ctx.x.hosts.ready(host);
  const r = await capture(ctx.x.hosts.argv(host, [zfs, 'list', '-H', '-o', 'name', ds]));
  if (exitOk(r)) return true;
  if (/does not exist/.test(r.stderr)) return false;
  throw new RestoreError(`cannot tell whether ${ds} exists on ${host}: ${describeExit(zfs, r)}`);
}

/** `zfs destroy -r DS`, retried: a dataset just read can stay busy for a moment (zfs-fuse). */
async function destroy(ctx: KindContext, host: string, ds: string): Promise<void> {
  const zfs = zfsOn(ctx, host);
  await ctx.x.hosts.ready(host);
  let r = await capture(ctx.x.hosts.argv(host, [zfs, 'destroy', '-r', '-f', ds]));
  for (let i = 0; i < 8 && !exitOk(r) && !/does not exist/.test(r.stderr); i++) {
    await new Promise((done) => setTimeout(done, 250 * (i + 1)));
    await capture(ctx.x.hosts.argv(host, [zfs, 'unmount', '-f', ds]));
    r = await capture(ctx.x.hosts.argv(host, [zfs, 'destroy', '-r', '-f', ds]));
  }
  if (!exitOk(r) && !/does not exist/.test(r.stderr))
    throw new RestoreError(
      `the scratch dataset ${ds} on ${host} could not be destroyed (${describeExit(zfs, r)}): destroy it by hand`,
    );
}

/** Where a snapshot's files can be read: its `.zfs/snapshot` directory, else a scratch clone's mountpoint. */
async function readPlace(
  ctx: KindContext,
  copy: RestoreCopy,
): Promise<{ dir: string; before: RestoreAction[]; after: RestoreAction[] }> {
  const { dataset, snapshot } = ofCopy(copy);
  const m = await mountpoint(ctx, copy.host, dataset).catch(() => undefined);
  const snapdir = m !== undefined ? `${m === '/' ? '' : m}/.zfs/snapshot/${copy.name}` : undefined;
  if (snapdir !== undefined && (await fsFor(copy.host, ctx.x.hosts).exists(snapdir)))
    return { dir: snapdir, before: [], after: [] };
  // No snapshot directory: clone it into a scratch dataset of its pool, mounted under the pool's own mountpoint.
  const pool = poolOf(dataset);
  const poolMount = await mountpoint(ctx, copy.host, pool);
  // Named by job and snapshot, so the dry run shows the very argv, and one left by a killed restore is seen.
  const leaf = `bp-restore-${createHash('sha256').update(`${ctx.job.name}\0${snapshot}`).digest('hex').slice(0, 8)}`;
  const clone = `${pool}/${leaf}`;
  if (await datasetExists(ctx, copy.host, clone))
    throw new RestoreError(
      `${clone} exists on ${copy.host} (left by an interrupted restore?): destroy it (zfs destroy -r ${clone}) ` +
        'and restore again',
    );
  const dir = `${poolMount === '/' ? '' : poolMount}/${leaf}`;
  const zfs = zfsOn(ctx, copy.host);
  let made = false;
  const gone = async () => {
    if (made) await destroy(ctx, copy.host, clone);
    made = false;
  };
  const argv = [zfs, 'clone', '--', snapshot, clone];
  return {
    dir,
    before: [
      {
        description: `clone ${snapshot} into the scratch dataset ${clone} (no .zfs directory to read it from)`,
        host: copy.host,
        argv,
        async run() {
          await onHost(ctx.x.hosts, copy.host, argv, `cannot clone ${snapshot}`);
          made = true;
          const got = await mountpoint(ctx, copy.host, clone);
          if (got !== dir) throw new RestoreError(`the scratch clone ${clone} is mounted at ${got}, not ${dir}`);
        },
        undo: gone,
      },
    ],
    after: [
      {
        description: `destroy the scratch dataset ${clone}`,
        host: copy.host,
        argv: [zfs, 'destroy', '-r', '-f', clone],
        run: gone,
      },
    ],
  };
}

export const zfsRestorer: FileRestorer = {
  target: 'files',
  live: true,
  targetHost: (ctx) => home(ctx).host,
  list: (ctx) => ownListing(ctx, FAMILY),
  replicas: (ctx) => replicaListings(ctx, FAMILY),
  async ownPaths(ctx) {
    const h = home(ctx);
    return [await mountpoint(ctx, h.host, h.dataset)];
  },
  async restore(ctx, copy, root, include) {
    const h = home(ctx);
    const mount = await mountpoint(ctx, h.host, h.dataset);
    const rels = include.length
      ? include.map((p) => {
          const r = under(p, mount);
          if (r === undefined)
            throw new RestoreError(`--path ${p} is not under ${mount}, the mountpoint of ${h.dataset}`);
          return r;
        })
      : [''];
    const place = await readPlace(ctx, copy);
    const into = `${root}${mount === '/' ? '' : mount}`;
    return [
      ...place.before,
      ...rels.flatMap((rel) => copyOut(ctx, copy.host, place.dir, rel, h.host, into)),
      ...place.after,
    ];
  },
  whole: {
    noun: 'dataset',
    suggest(plan, job) {
      const ds = snapshotJobOf(plan, job, FAMILY)?.raw.dataset;
      const target = typeof ds === 'string' && DATASET.test(ds) ? `${ds}-restored` : 'POOL/NEW_DATASET';
      return {
        target,
        note:
          `restored as the new dataset ${target} (a clone of the snapshot, or received from the replica); ` +
          'nothing existing is replaced: rename it into place once checked, or restore a folder with --path',
      };
    },
    async plan(ctx, copy, req) {
      if (req.to === undefined)
        throw new RestoreError(
          "an in-place restore of a whole dataset is refused: name what to restore with --path (a VM's folder), " +
            'or restore the dataset with --to NEW_DATASET and rename it yourself',
        );
      const to = req.to;
      if (!DATASET.test(to) || to.endsWith('.partial'))
        throw new RestoreError(`--to ${to} is not a ZFS dataset name (pool/fs: letters, digits, _ - . : only)`);
      const h = home(ctx);
      const { snapshot } = ofCopy(copy);
      const zfs = zfsOn(ctx, h.host);
      for (const ds of [to, `${to}.partial`])
        if (await datasetExists(ctx, h.host, ds))
          throw new RestoreError(
            `${ds} exists on ${h.host}: a restore never receives into or replaces a dataset; choose a new --to`,
          );
      const clone = copy.host === h.host && poolOf(to) === poolOf(snapshot);
      let made: string | undefined;
      const undo = async () => {
        if (made !== undefined) await destroy(ctx, h.host, made);
        made = undefined;
      };
      const actions: RestoreAction[] = [];
      const notes: string[] = [];
      if (clone) {
        const argv = [zfs, 'clone', '--', snapshot, to];
        actions.push({
          description: `clone ${snapshot} as the new dataset ${to}`,
          host: h.host,
          argv,
          async run() {
            await onHost(ctx.x.hosts, h.host, argv, `cannot clone ${snapshot}`);
            made = to;
          },
          undo,
        });
        notes.push(
          `${to} on ${h.host} is a clone of ${snapshot}: that snapshot cannot be destroyed (pruned) while the ` +
            `clone exists; \`zfs promote ${to}\` makes it independent`,
        );
      } else {
        const partial = `${to}.partial`;
        const send = [zfsOn(ctx, copy.host), 'send', snapshot];
        // -u: not mounted until it has its name (a mounted dataset is busy for a rename on zfs-fuse).
        const recv = [zfs, 'receive', '-u', partial];
        actions.push({
          description: `receive ${snapshot}${copy.host !== h.host ? ` from ${copy.host}` : ''} into ${partial}`,
          host: copy.host,
          argv: send,
          pipe: [{ host: h.host, argv: recv }],
          async run() {
            made = partial;
            await pipeline(
              ctx,
              [
                { host: copy.host, argv: send },
                { host: h.host, argv: recv },
              ],
              `cannot receive ${snapshot} into ${partial}`,
            );
          },
          undo,
        });
        const rename = [zfs, 'rename', partial, to];
        actions.push({
          description: `give the received dataset its name ${to}`,
          host: h.host,
          argv: rename,
          async run() {
            await onHost(ctx.x.hosts, h.host, rename, `cannot rename ${partial} to ${to}`);
            made = to;
          },
          undo,
        });
        const mount = [zfs, 'mount', to];
        actions.push({
          description: `mount ${to}`,
          host: h.host,
          argv: mount,
          async run() {
            if ((await prop(ctx, h.host, to, 'mountpoint')).startsWith('/'))
              await onHost(ctx.x.hosts, h.host, mount, `cannot mount ${to}`);
            made = undefined;
          },
        });
        notes.push(
          `${to} is a new dataset on ${h.host}, received whole from ${snapshot}` +
            `${copy.host !== h.host ? ` on ${copy.host}` : ''}`,
        );
      }
      return {
        target: to,
        actions,
        cleanup: undo,
        bytes: async () => Number(await prop(ctx, h.host, to, 'referenced')) || 0,
        movedAside: () => undefined,
        notes,
      };
    },
  },
};
