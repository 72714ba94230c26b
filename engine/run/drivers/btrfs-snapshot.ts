// btrfs-snapshot — `btrfs subvolume snapshot -r SUBVOLUME SNAPSHOT_DIR/NAME` on the job's host
// (read-only, so it can be sent). `snapshot_dir` defaults to the `path` of the job's `storage`.
// Pruned natively (`btrfs subvolume delete`), keeping the base shared with a btrfs-send job; with
// `pruner: btrbk`, btrbk takes and prunes them instead (tool-pruner.ts).
// Syntax: https://btrfs.readthedocs.io/en/latest/btrfs-subvolume.html
// (`btrfs subvolume snapshot [-r] <source> <dest>|[<dest>/]<name>`).
import type { JobModel, PlanModel } from '../../plan/model';
import { posix } from 'node:path';
import { engineIdFor } from '../../retention/index';
import { Kit, type DriverContext, type DriverResult, DEFAULT_PREFIX } from '../steps/driver-kit';
import { btrbkTargetMkdirs, toolPrunerSteps } from './tool-pruner';

/** The snapshot directory of a btrfs-snapshot job (its `snapshot_dir`, else its storage's path). */
export function snapshotDir(k: Kit, job: JobModel, label = 'snapshot_dir'): string | undefined {
  if (job.raw.snapshot_dir !== undefined)
    return k.absPath(label, job.raw.snapshot_dir, true, [...job.at, 'snapshot_dir']);
  const s = job.storage !== undefined ? k.plan.storage.get(job.storage) : undefined;
  if (s?.path !== undefined) return k.storagePath(s);
  k.err(`\`${label}\` is required (or a \`storage\` with a \`path\`) for ${job.name}`, [...job.at, 'snapshot_dir']);
  return undefined;
}

export function steps(job: JobModel, plan: PlanModel, ctx: DriverContext): DriverResult {
  const k = new Kit(job, plan, ctx);
  const host = k.jobHost();
  const subvol = k.absPath('subvolume');
  const dir = snapshotDir(k, job);
  if (engineIdFor(job.kind, undefined, job.raw.pruner) === 'btrbk') {
    // btrbk takes and prunes the snapshots itself (tool-pruner.ts), named `<subvolume name>.<stamp>`.
    const policy = k.policy();
    if (k.errors.length || !subvol || !dir) return k.result();
    const match = `${posix.basename(subvol)}.*`;
    const inventory = { type: 'btrfs-snapshots' as const, host, dir, match, naming: 'btrbk' as const };
    // A target directory btrbk cannot open makes it skip the snapshot delete: made first.
    toolPrunerSteps(k, 'btrbk', host, policy, inventory, subvol, { mkdirs: btrbkTargetMkdirs(plan, job) });
    return k.result();
  }
  if (job.raw.timestamp_format !== undefined) {
    // btrbk's option: Backplan's own snapshots are named by `pattern`.
    k.err('`timestamp_format` names the snapshots btrbk takes: it needs `pruner: btrbk`', k.at('timestamp_format'));
  }
  const named = k.copyName(DEFAULT_PREFIX);
  const policy = k.policy();
  const consumers = k.consumers('btrfs-send');
  if (k.errors.length || !subvol || !dir || !named) return k.result();

  const btrfs = k.tool(job.host, 'btrfs');
  const inventory = { type: 'btrfs-snapshots' as const, host, dir, match: named.match };
  k.command(
    'backup',
    `read-only snapshot of ${subvol} as ${dir}/${named.name}`,
    { host, argv: [btrfs, 'subvolume', 'snapshot', '-r', subvol, `${dir}/${named.name}`] },
    { inventory },
  );
  k.produced = { name: named.name, host, where: dir };
  if (policy) {
    k.prune(
      `prune snapshots in ${dir} by policy`,
      host,
      policy,
      inventory,
      consumers.length ? { protectBaseOf: consumers } : {},
    );
  }
  return k.result();
}
