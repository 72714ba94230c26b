// velero — `velero backup create NAME --include-namespaces a,b --ttl 720h0m0s --wait` from the
// job's host (where the velero CLI and a kubeconfig are), `cluster` selecting the kubeconfig
// context and `kubeconfig_file` the kubeconfig. Pruned by Velero's TTL (`retention.expiry`); count/tier rules cannot
// be expressed. `scheduleArgv()` gives the `velero schedule create` form for `backplan export --to velero`. Syntax:
// https://velero.io/docs/main/backup-reference/ and the CLI reference (`velero backup create NAME [flags]`:
// --include-namespaces, --ttl, --wait; `velero schedule create NAME --schedule CRON`; global --kubeconfig,
// --kubecontext), https://velero.io/docs/main/api-types/schedule/. Not run here (no velero binary): checked against
// the documented flags only.
import type { JobModel, PlanModel } from '../../plan/model';
import { goDuration } from '../steps/translate';
import { Kit, type DriverContext, type DriverResult } from '../steps/driver-kit';
import { DateTime } from 'luxon';

const NAMESPACE = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?|\*)$/;

function common(k: Kit): { host: string; flags: string[]; ttl?: string } | undefined {
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
  if (k.errors.length) return undefined;
  const flags = [`--include-namespaces=${ns.join(',')}`];
  if (ttl) flags.push(`--ttl=${ttl}`);
  if (kubeconfig) flags.push(`--kubeconfig=${kubeconfig}`);
  if (cluster) flags.push(`--kubecontext=${cluster}`);
  return { host, flags, ttl };
}

/** A Kubernetes object name for this job: lowercase letters, digits and '-'. */
function objectName(job: JobModel, suffix: string): string {
  return `${job.name.replace(/[._]/g, '-')}${suffix}`.slice(0, 63).replace(/-+$/, '');
}

export function steps(job: JobModel, plan: PlanModel, ctx: DriverContext): DriverResult {
  const k = new Kit(job, plan, ctx);
  const c = common(k);
  if (!c) return k.result();
  const stamp = DateTime.fromMillis(ctx.now, { zone: 'UTC' }).toFormat("yyyyLLdd'-'HHmm");
  const name = objectName(job, `-${stamp}`);
  const velero = k.tool(job.host, 'velero');
  k.command(
    'backup',
    `velero backup ${name}`,
    { host: c.host, argv: [velero, 'backup', 'create', name, ...c.flags, '--wait'] },
    c.ttl ? {} : { notes: ['no retention.expiry: Velero applies its default TTL (720h)'] },
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
