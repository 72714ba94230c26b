// velero: one `Schedule` resource per velero job (velero.io/v1), for `kubectl apply -f`: the
// cron in `spec.schedule` (prefixed `CRON_TZ=ZONE` when the job's zone is not UTC: Velero's cron
// library reads it; Velero ≥ 1.15 — older servers evaluate every schedule in UTC), the
// namespaces, the TTL from `retention.expiry`, and the locations of the job's `to` storage
// (`storageLocation`: its `location`, default its name; `volumeSnapshotLocations`: its
// `snapshot_location`) in `spec.template`. One file per host that holds the velero CLI and
// kubeconfig of its jobs.
// Syntax: https://velero.io/docs/main/api-types/schedule/ (spec.schedule, spec.template =
// a BackupSpec: includedNamespaces, ttl, storageLocation, volumeSnapshotLocations),
// https://velero.io/docs/main/api-types/backup/.
import { stringify } from 'yaml';
import type { PlanModel } from '../plan/model';
import { jobZone } from '../plan/build-model';
import { scheduleArgv } from '../run/drivers/velero';
import type { ExportOptions, ExportResult } from './types';

/** `--flag=value` → value, from the argv the velero driver generates. */
function flag(argv: readonly string[], name: string): string | undefined {
  const a = argv.find((x) => x.startsWith(`--${name}=`));
  return a === undefined ? undefined : a.slice(name.length + 3);
}

export function exportVelero(plan: PlanModel, _opts: ExportOptions, jobs: string[]): ExportResult {
  const result: ExportResult = { target: 'velero', files: [], skipped: [], problems: [] };
  const byHost = new Map<string, { job: string; doc: string }[]>();
  for (const name of jobs) {
    const job = plan.jobs.get(name)!;
    if (job.kind !== 'velero') {
      result.skipped.push({ job: name, reason: `kind ${job.kind}: only velero jobs become Velero Schedules` });
      continue;
    }
    const r = scheduleArgv(job, plan);
    if ('errors' in r) {
      for (const e of r.errors) result.problems.push({ job: name, message: e });
      continue;
    }
    const zone = jobZone(plan, job);
    const namespaces = flag(r.argv, 'include-namespaces')!.split(',');
    const ttl = flag(r.argv, 'ttl');
    const storageLocation = flag(r.argv, 'storage-location');
    const snapshotLocations = flag(r.argv, 'volume-snapshot-locations');
    const resource = {
      apiVersion: 'velero.io/v1',
      kind: 'Schedule',
      metadata: { name: r.argv[3], namespace: 'velero', labels: { 'app.kubernetes.io/managed-by': 'backplan' } },
      spec: {
        schedule: zone === 'UTC' ? job.schedule : `CRON_TZ=${zone} ${job.schedule}`,
        template: {
          includedNamespaces: namespaces,
          ...(ttl ? { ttl } : {}),
          ...(storageLocation ? { storageLocation } : {}),
          ...(snapshotLocations ? { volumeSnapshotLocations: snapshotLocations.split(',') } : {}),
        },
      },
    };
    const context = flag(r.argv, 'kubecontext');
    const doc = `# job ${name}${context ? ` (kubectl context ${context})` : ''}\n${stringify(resource)}`;
    byHost.set(r.host, [...(byHost.get(r.host) ?? []), { job: name, doc }]);
  }
  for (const [host, docs] of byHost) {
    result.files.push({ host, path: 'backplan-velero-schedules.yaml', jobs: docs.map((d) => d.job), content: docs.map((d) => d.doc).join('---\n') });
  }
  return result;
}
