// `backplan export`: hand a plan's scheduling to the schedulers that already run fleets (SPEC §7,
// ARCHITECTURE "past one machine") — one file per target in this folder.
import type { PlanModel } from '../plan/model';
import { exportBorgmatic } from './borgmatic';
import { exportBtrbk } from './btrbk';
import { exportCron } from './cron';
import { exportIncus } from './incus';
import { exportPrometheusRules } from './prometheus-rules';
import { exportSanoid } from './sanoid';
import { exportSystemd } from './systemd';
import { EXPORT_TARGETS, type ExportOptions, type ExportResult, type ExportTarget } from './types';
import { exportVelero } from './velero';

export { EXPORT_TARGETS, type ExportFile, type ExportOptions, type ExportResult, type ExportTarget } from './types';

const TARGETS: Record<ExportTarget, (plan: PlanModel, opts: ExportOptions, jobs: string[]) => ExportResult> = {
  systemd: exportSystemd,
  cron: exportCron,
  incus: exportIncus,
  sanoid: exportSanoid,
  velero: exportVelero,
  borgmatic: exportBorgmatic,
  'prometheus-rules': exportPrometheusRules,
  btrbk: exportBtrbk,
};

export function isExportTarget(t: unknown): t is ExportTarget {
  return typeof t === 'string' && (EXPORT_TARGETS as readonly string[]).includes(t);
}

/** The target's files for the plan's enabled jobs (or `opts.job`); disabled jobs are skipped. */
export function exportPlan(plan: PlanModel, target: ExportTarget, opts: ExportOptions): ExportResult {
  const skipped: ExportResult['skipped'] = [];
  const jobs: string[] = [];
  for (const [name, job] of plan.jobs) {
    if (opts.job !== undefined && name !== opts.job) continue;
    if (job.enabled === false) skipped.push({ job: name, reason: 'disabled (enabled: false)' });
    else jobs.push(name);
  }
  const r = TARGETS[target](plan, opts, jobs);
  return { ...r, skipped: [...skipped, ...r.skipped] };
}
