// velero — `velero backup create NAME --include-namespaces a,b --ttl 720h0m0s --storage-location LOC --wait` from
// the job's host (where the velero CLI and a kubeconfig are), `cluster` selecting the kubeconfig
// context and `kubeconfig_file` the kubeconfig. Pruned by Velero's TTL (`retention.expiry`); count/tier rules cannot
// be expressed. `scheduleArgv()` gives the `velero schedule create` form for `backplan export --to velero`.
// Where the backup goes: the job's `to` is a storage whose `location` (default: the storage's own name) is the
// name of a Velero BackupStorageLocation (`--storage-location`), and whose optional `snapshot_location` names
// the VolumeSnapshotLocations (at most one per volume provider, `--volume-snapshot-locations`). Each Velero
// backup has exactly one BackupStorageLocation, so one `to`. Without `to` the backup goes to Velero's default
// location, which the plan does not describe (coverage counts no copy for it). Velero's TTL garbage collection
// works on each backup wherever it is stored, so the location changes nothing for pruning.
// Syntax: https://velero.io/docs/main/backup-reference/, https://velero.io/docs/main/locations/ and the CLI
// reference (`velero backup create NAME [flags]`: --include-namespaces, --ttl, --storage-location string,
// --volume-snapshot-locations strings, --wait; `velero schedule create NAME --schedule CRON` takes the same
// backup flags; global --kubeconfig, --kubecontext), https://velero.io/docs/main/api-types/schedule/ and
// https://velero.io/docs/main/api-types/backup/ (storageLocation, volumeSnapshotLocations). Not run here (no
// velero binary): checked against the documented flags only.
import type { JobModel, PlanModel, StorageModel } from '../../plan/model';
import { goDuration } from '../steps/translate';
import { Kit, type DriverContext, type DriverResult } from '../steps/driver-kit';
import { DateTime } from 'luxon';

export const NAMESPACE = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?|\*)$/;
/** A Kubernetes object name (DNS subdomain): what a BackupStorageLocation or VolumeSnapshotLocation is called. */
export const OBJECT_NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

/** The Velero locations of the job's `to`: `--storage-location` and `--volume-snapshot-locations`. */
function locations(k: Kit): { storage?: string; snapshots: string[] } {
  const to: StorageModel | undefined = k.storage(k.job.to, 'to', false);
  if (!to) return { snapshots: [] };
  const written = to.raw.location;
  const storage = written === undefined ? to.name : written;
  if (typeof storage !== 'string' || !OBJECT_NAME.test(storage))
    k.err(
      written === undefined
        ? `storage \`${to.name}\`: its name is not a Velero BackupStorageLocation name (lowercase letters, digits, ` +
            `'-' and '.'): set \`location\` to the location's name`
        : `storage \`${to.name}\`: \`location\` must be the name of a Velero BackupStorageLocation (lowercase ` +
            `letters, digits, '-' and '.')`,
      written === undefined ? to.at : [...to.at, 'location'],
    );
  const raw = to.raw.snapshot_location;
  const list = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  const snapshots: string[] = [];
  list.forEach((v, i) => {
    if (typeof v === 'string' && OBJECT_NAME.test(v)) snapshots.push(v);
    else
      k.err(
        `storage \`${to.name}\`: \`snapshot_location\` must name Velero VolumeSnapshotLocations (lowercase letters, ` +
          `digits, '-' and '.')`,
        [...to.at, 'snapshot_location', ...(Array.isArray(raw) ? [i] : [])],
      );
  });
  return { storage: typeof storage === 'string' ? storage : undefined, snapshots };
}

function common(k: Kit): { host: string; flags: string[]; ttl?: string; location?: string } | undefined {
  const host = k.jobHost();
  const ns = k.list(
    'namespaces',
    (v) =>
      typeof v === 'string' && NAMESPACE.test(v)
        ? undefined
        : `\`${String(v)}\` is not a Kubernetes namespace name (or *)`,
    true,
  );
  const cluster = k.name('cluster', k.raw.cluster, false);
  const kubeconfig = k.raw.kubeconfig_file !== undefined ? k.absPath('kubeconfig_file') : undefined;
  const policy = k.policy();
  let ttl: string | undefined;
  if (policy) {
    if (policy.keep !== undefined || policy.tiers !== undefined)
      k.err('Velero prunes by TTL only: use `retention: {expiry: 30d}`', k.at('retention'));
    if (policy.expiry !== undefined) {
      const t = goDuration(policy.expiry);
      if (t.ok) ttl = t.value;
      else k.err(`retention.expiry: ${t.message}`, [...policy.at, 'expiry']);
    }
  }
  const loc = locations(k);
  if (k.errors.length) return undefined;
  const flags = [`--include-namespaces=${ns.join(',')}`];
  if (ttl) flags.push(`--ttl=${ttl}`);
  if (loc.storage) flags.push(`--storage-location=${loc.storage}`);
  if (loc.snapshots.length) flags.push(`--volume-snapshot-locations=${loc.snapshots.join(',')}`);
  if (kubeconfig) flags.push(`--kubeconfig=${kubeconfig}`);
  if (cluster) flags.push(`--kubecontext=${cluster}`);
  return { host, flags, ttl, location: loc.storage };
}

/** A Kubernetes object name for this job: lowercase letters, digits and '-'. */
export function objectName(job: JobModel, suffix: string): string {
  return `${job.name.replace(/[._]/g, '-')}${suffix}`.slice(0, 63).replace(/-+$/, '');
}

export function steps(job: JobModel, plan: PlanModel, ctx: DriverContext): DriverResult {
  const k = new Kit(job, plan, ctx);
  const c = common(k);
  if (!c) return k.result();
  const stamp = DateTime.fromMillis(ctx.now, { zone: 'UTC' }).toFormat("yyyyLLdd'-'HHmm");
  const name = objectName(job, `-${stamp}`);
  const velero = k.tool(job.host, 'velero');
  const notes = [
    ...(c.ttl ? [] : ['no retention.expiry: Velero applies its default TTL (720h)']),
    ...(c.location
      ? []
      : [
          'no `to`: Velero writes to its default BackupStorageLocation, which the plan does not describe (no copy ' +
            'counted)',
        ]),
  ];
  k.command(
    'backup',
    `velero backup ${name}${c.location ? ` to location ${c.location}` : ''}`,
    { host: c.host, argv: [velero, 'backup', 'create', name, ...c.flags, '--wait'] },
    notes.length ? { notes } : {},
  );
  return k.result();
}

/** `velero schedule create` for handing scheduling to Velero (export). */
export function scheduleArgv(job: JobModel, plan: PlanModel): { host: string; argv: string[] } | { errors: string[] } {
  const k = new Kit(job, plan, { now: 0 });
  const c = common(k);
  if (typeof job.schedule !== 'string' || job.schedule === '' || /[\x00-\x1f]/.test(job.schedule))
    k.err('`schedule` is required for a Velero schedule', k.at('schedule'));
  if (!c || k.errors.length) return { errors: k.errors };
  return {
    host: c.host,
    argv: [
      k.tool(job.host, 'velero'),
      'schedule',
      'create',
      objectName(job, ''),
      `--schedule=${job.schedule}`,
      ...c.flags,
    ],
  };
}
