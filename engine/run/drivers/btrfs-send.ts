// btrfs-send — replicate the snapshots of the `from` btrfs-snapshot job into a directory on the
// host of `to` (`snapshot_dir`, else `<to.path>/<job>`): `btrfs send [-p PARENT] SNAP |
// btrfs receive DIR`, each side on its own host. Incremental from the newest snapshot both sides
// hold (-p); the first send is full. With `pruner: btrbk` (its source too), `btrbk resume` on the
// source's section sends and prunes instead (btrbk-send.ts). An interrupted receive leaves a subvolume without a
// received UUID: the live state lists it and the job deletes it (a step) before retrying. Pruned natively on the
// target. Syntax: https://btrfs.readthedocs.io/en/latest/btrfs-send.html (`btrfs send [-p <parent>] <subvol>`),
// https://btrfs.readthedocs.io/en/latest/btrfs-receive.html (`btrfs receive <path>`).
import type { JobModel, PlanModel } from '../../plan/model';
import { Kit, type DriverContext, type DriverResult, DEFAULT_PREFIX } from '../steps/driver-kit';
import { snapshotDir } from './btrfs-snapshot';
import { btrbkTargetDir } from '../../export/btrbk';
import { engineIdFor } from '../../retention/index';
import { btrbkTargetMkdirs, toolPrunerSteps } from './tool-pruner';

export function steps(job: JobModel, plan: PlanModel, ctx: DriverContext): DriverResult {
  const k = new Kit(job, plan, ctx);
  if (engineIdFor(job.kind, undefined, job.raw.pruner) === 'btrbk') return btrbkSend(k, job, plan);
  const from = k.source('btrfs-snapshot');
  const srcHost = from ? k.hostRef(from.host, `host of ${from.name}`, [...from.at, 'host']) : undefined;
  const srcDir = from ? snapshotDir(k, from, `snapshot_dir of ${from.name}`) : undefined;
  const to = k.storage(job.to, 'to');
  const dstHost = to ? k.storageHost(to) : undefined;
  const ownDir = job.raw.snapshot_dir !== undefined;
  const storeDir = !ownDir && to ? k.storagePath(to) : undefined;
  const dstDir = ownDir ? k.absPath('snapshot_dir') : storeDir ? `${storeDir}/${job.name}` : undefined;
  const policy = k.policy();
  const state = k.state;
  k.checkInventoryNames(state.base, state.latest, ...(state.incomplete ?? []));
  if (k.errors.length || !from || !srcHost || !srcDir || !dstHost || !dstDir) return k.result();

  const produced = ctx.produced?.[from.name];
  const snap = produced?.name ?? state.latest;
  const snapName = snap ?? `{{newest snapshot of ${from.name}}}`;
  if (state.base !== undefined && state.base === snap && !state.incomplete?.length) return k.result(); // already there
  if (!ownDir) k.mkdir(dstHost, dstDir);
  const btrfsDst = k.tool(to!.host, 'btrfs');
  // A receive that was interrupted left a writable subvolume that is not a copy, and would make
  // the next receive of the same name fail: remove it first (a step, so it is journalled).
  for (const name of state.incomplete ?? []) {
    k.command('copy', `remove ${dstDir}/${name}, left by an interrupted receive`, {
      host: dstHost,
      argv: [btrfsDst, 'subvolume', 'delete', `${dstDir}/${name}`],
    });
  }
  if (state.base !== undefined && state.base === snap) return k.result();
  const send = [k.tool(from.host, 'btrfs'), 'send'];
  const notes: string[] = [];
  if (state.base) send.push('-p', `${srcDir}/${state.base}`);
  else notes.push('no common snapshot known: shown as a full send; with one the runner adds -p <parent>');
  send.push(`${srcDir}/${snapName}`);
  const src = new Kit(from, plan, ctx).copyName(DEFAULT_PREFIX);
  const inventory = {
    type: 'btrfs-snapshots' as const,
    host: dstHost,
    dir: dstDir,
    match: src?.match ?? `${DEFAULT_PREFIX}*`,
  };
  k.command(
    'copy',
    `send ${srcDir}/${snapName} to ${dstDir}`,
    { host: srcHost, argv: send },
    {
      pipe: [{ host: dstHost, argv: [btrfsDst, 'receive', dstDir] }],
      notes,
      inventory,
      ...(snap ? {} : { unresolved: [snapName] }),
    },
  );
  k.produced = { name: snapName, host: dstHost, where: dstDir };
  if (policy) {
    k.prune(`prune snapshots in ${dstDir} by policy`, dstHost, policy, inventory, {
      timezone: k.timezone(from.host),
      replicaOf: from.name,
    });
  }
  return k.result();
}

/**
 * `pruner: btrbk`: the job is the `target` of its source's btrbk section; `btrbk -c FILE resume`
 * on the source's host sends every snapshot the target keeps, then prunes backups and snapshots,
 * keeping the latest common pair itself (no Backplan replication base step).
 */
function btrbkSend(k: Kit, job: JobModel, plan: PlanModel): DriverResult {
  const from = k.source('btrfs-snapshot');
  if (!from) return k.result();
  if (from.raw.pruner !== 'btrbk') {
    k.err(
      `\`pruner: btrbk\` sends only snapshots btrbk took: give ${from.name} \`pruner: btrbk\` too, ` +
        'or remove `pruner`',
      k.at('pruner'),
    );
    return k.result();
  }
  const host = k.hostRef(from.host, `host of ${from.name}`, [...from.at, 'host']);
  const where = btrbkTargetDir(plan, job, from);
  if ('problem' in where) k.err(`\`pruner: btrbk\`: ${where.problem}`, k.at('to'));
  const subvol = typeof from.raw.subvolume === 'string' ? from.raw.subvolume : undefined;
  if (k.errors.length || !subvol || 'problem' in where) return k.result();
  const policy = k.policy();
  const base = subvol.replace(/\/+$/, '').split('/').pop()!;
  const inventory = {
    type: 'btrfs-snapshots' as const,
    host,
    dir: where.dir,
    match: `${base}.*`,
    naming: 'btrbk' as const,
  };
  toolPrunerSteps(k, 'btrbk', host, policy, inventory, `${subvol} to ${where.dir}`, {
    action: 'resume',
    mkdirs: btrbkTargetMkdirs(plan, from),
  });
  return k.result();
}
