// zfs-snapshot — `zfs snapshot [-r] DATASET@NAME` on the job's host (`recursive`: children too). With
// `pruner: sanoid`, sanoid takes and prunes them instead (tool-pruner.ts). Otherwise pruned natively
// (Backplan lists `zfs list -t snapshot` and destroys what the policy drops), never removing the newest snapshot
// shared with a zfs-send job that replicates this one (SPEC §8.4). Syntax:
// https://openzfs.github.io/openzfs-docs/man/master/8/zfs-snapshot.8.html (`zfs snapshot [-r] [-o property=value]…
// dataset@snapname…`); component names: letters, digits and `_ - . :`
// (https://openzfs.github.io/openzfs-docs/man/master/8/zfs.8.html#Naming).
import type { JobModel, PlanModel } from '../../plan/model';
import { engineIdFor } from '../../retention/index';
import { Kit, type DriverContext, type DriverResult, DEFAULT_PREFIX } from '../steps/driver-kit';
import { toolPrunerSteps } from './tool-pruner';

const DATASET = /^[A-Za-z0-9][A-Za-z0-9_.:-]*(\/[A-Za-z0-9_.:-]+)*$/;

/** `at`: where the dataset is written (the job's own `dataset` by default). */
export function dataset(k: Kit, value: unknown, field = 'dataset', at = k.at('dataset')): string | undefined {
  const ds = k.name(field, value, true, at);
  if (ds !== undefined && !DATASET.test(ds)) {
    k.err(`\`${field}\` \`${ds}\` is not a ZFS dataset name (pool/fs/child: letters, digits, _ - . : only)`, at);
    return undefined;
  }
  return ds;
}

export function steps(job: JobModel, plan: PlanModel, ctx: DriverContext): DriverResult {
  const k = new Kit(job, plan, ctx);
  const host = k.jobHost();
  const ds = dataset(k, job.raw.dataset);
  if (engineIdFor(job.kind, undefined, job.raw.pruner) === 'sanoid') {
    // sanoid takes and prunes the snapshots itself (tool-pruner.ts).
    const policy = k.policy();
    if (k.errors.length || !ds) return k.result();
    const naming = 'sanoid' as const;
    const inventory = { type: 'zfs-snapshots' as const, host, dataset: ds, match: 'autosnap_*', naming };
    toolPrunerSteps(k, 'sanoid', host, policy, inventory, ds);
    return k.result();
  }
  const named = k.copyName(DEFAULT_PREFIX);
  const policy = k.policy();
  const consumers = k.consumers('zfs-send');
  if (k.errors.length || !ds || !named) return k.result();

  const zfs = k.tool(job.host, 'zfs');
  const recursive = job.raw.recursive === true;
  const inventory = { type: 'zfs-snapshots' as const, host, dataset: ds, match: named.match };
  k.command(
    'backup',
    `snapshot ${ds}@${named.name}${recursive ? ' and its children' : ''}`,
    { host, argv: [zfs, 'snapshot', ...(recursive ? ['-r'] : []), `${ds}@${named.name}`] },
    { inventory },
  );
  k.produced = { name: named.name, host, where: ds };
  if (policy) {
    k.prune(
      `prune snapshots of ${ds} by policy`,
      host,
      policy,
      inventory,
      consumers.length ? { protectBaseOf: consumers } : {},
    );
  }
  return k.result();
}
