// The metrics of a plan (SPEC §10), in the Prometheus text format, made with prom-client on a
// registry of our own (never the global one): one series per job and metric, labelled
// `job_name`, `kind`, `host`, `storage` (Backplan's own label is `job_name`: a scrape adds `job`).
// A job that never ran reports 0 as its last run, last success and last verify times, so that
// alerts can tell "never" from "absent"; metrics with no value (duration of a run that never
// ran, copies never counted, rto not set) are left out rather than reported as 0.
import { Counter, Gauge, Registry } from 'prom-client';
import type { PlanModel } from '../../plan/model';
import type { JobHistory } from '../status/history';
import { jobInfos, type JobInfo } from '../status/state';

export const METRIC_LABELS = ['job_name', 'kind', 'host', 'storage'] as const;

export const METRICS = {
  lastRun: 'backplan_job_last_run_timestamp_seconds',
  lastSuccess: 'backplan_job_last_success_timestamp_seconds',
  lastRunDuration: 'backplan_job_last_run_duration_seconds',
  lastRunSuccess: 'backplan_job_last_run_success',
  runs: 'backplan_job_runs_total',
  expectedInterval: 'backplan_job_expected_interval_seconds',
  rpo: 'backplan_job_rpo_seconds',
  copies: 'backplan_job_copies',
  bytes: 'backplan_job_bytes',
  lastVerify: 'backplan_job_last_verify_timestamp_seconds',
  lastVerifySuccess: 'backplan_job_last_verify_success',
  lastRestoreDuration: 'backplan_job_last_restore_duration_seconds',
  rto: 'backplan_job_rto_seconds',
} as const;

type Labels = Record<(typeof METRIC_LABELS)[number], string>;

export function jobLabels(job: Pick<JobInfo, 'name' | 'kind' | 'host' | 'storage'>): Labels {
  return { job_name: job.name, kind: job.kind, host: job.host ?? '', storage: job.storage };
}

const ts = (iso: string | undefined) => (iso ? Date.parse(iso) / 1000 : 0);

/** The registry holding the metrics of the plan's jobs (disabled ones included: their rpo and runs still mean something). */
export function planRegistry(jobs: readonly JobInfo[], history: ReadonlyMap<string, JobHistory>): Registry {
  const registry = new Registry();
  const labelNames = [...METRIC_LABELS];
  const gauge = (name: string, help: string) => new Gauge({ name, help, labelNames, registers: [registry] });
  const g = {
    lastRun: gauge(METRICS.lastRun, 'Start of the job\'s last run (Unix time; 0 if it never ran).'),
    lastSuccess: gauge(METRICS.lastSuccess, 'End of the job\'s last successful run (Unix time; 0 if it never succeeded).'),
    lastRunDuration: gauge(METRICS.lastRunDuration, 'Duration of the job\'s last finished run.'),
    lastRunSuccess: gauge(METRICS.lastRunSuccess, '1 if the job\'s last run succeeded, 0 if it failed.'),
    expectedInterval: gauge(METRICS.expectedInterval, 'Longest interval between two runs of the job\'s schedule over the next year.'),
    rpo: gauge(METRICS.rpo, 'The job\'s rpo (else 1.5 x its longest schedule interval).'),
    copies: gauge(METRICS.copies, 'Copies the job\'s last prune kept.'),
    bytes: gauge(METRICS.bytes, 'Bytes written by the job\'s last successful run.'),
    lastVerify: gauge(METRICS.lastVerify, 'Time of the job\'s last restore test (Unix time; 0 if never tested).'),
    lastVerifySuccess: gauge(METRICS.lastVerifySuccess, '1 if the job\'s last restore test succeeded, 0 if it failed.'),
    lastRestoreDuration: gauge(METRICS.lastRestoreDuration, 'Duration of the job\'s last restore (its last restore test).'),
    rto: gauge(METRICS.rto, 'The job\'s rto.'),
  };
  const runs = new Counter({ name: METRICS.runs, help: 'Finished runs of the job, by result.', labelNames: [...labelNames, 'result'], registers: [registry] });
  for (const job of jobs) {
    const l = jobLabels(job);
    const h = history.get(job.name);
    const last = h?.lastRun;
    g.lastRun.set(l, ts(last?.start));
    g.lastSuccess.set(l, ts(h?.lastSuccess));
    if (last && last.result !== 'running') {
      if (last.start && last.end) g.lastRunDuration.set(l, (Date.parse(last.end) - Date.parse(last.start)) / 1000);
      g.lastRunSuccess.set(l, last.result === 'ok' ? 1 : 0);
    }
    for (const result of ['ok', 'failed', 'skipped'] as const) runs.inc({ ...l, result }, h?.runs[result] ?? 0);
    if (job.gapMs !== undefined) g.expectedInterval.set(l, job.gapMs / 1000);
    if (job.deadline) g.rpo.set(l, Math.round(job.deadline.ms / 1000));
    if (h?.copies !== undefined) g.copies.set(l, h.copies);
    if (h?.bytes !== undefined) g.bytes.set(l, h.bytes);
    g.lastVerify.set(l, ts(h?.lastVerify?.time));
    if (h?.lastVerify) {
      g.lastVerifySuccess.set(l, h.lastVerify.ok ? 1 : 0);
      g.lastRestoreDuration.set(l, h.lastVerify.ms / 1000);
    }
    if (job.rtoMs !== undefined) g.rto.set(l, job.rtoMs / 1000);
  }
  return registry;
}

/** The plan's metrics in the Prometheus text format. */
export function renderMetrics(plan: PlanModel | readonly JobInfo[], history: ReadonlyMap<string, JobHistory>, now: number): Promise<string> {
  return planRegistry(Array.isArray(plan) ? (plan as readonly JobInfo[]) : jobInfos(plan as PlanModel, now), history).metrics();
}
