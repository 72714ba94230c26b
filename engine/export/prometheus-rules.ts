// prometheus-rules: alerting rules for the plan's metrics (SPEC §10), one rule file for the
// Prometheus that scrapes them (node_exporter's textfile collector, or the Pushgateway). Per
// enabled job: late (its last success is older than its own rpo, else 1.5 × its schedule's
// longest interval: the same deadline as `backplan status`), never succeeded (for one rpo after
// the metrics first show it), restore test stale (jobs with `verify`: no restore
// test within twice the verify schedule's longest interval, else 8 days); for the plan: last
// run failed, and metrics file stale (the textfile, or the Pushgateway's push time, older than
// twice the shortest deadline of its jobs, at least an hour).
// Syntax: https://prometheus.io/docs/prometheus/latest/configuration/alerting_rules/ (checked by
// `promtool check rules`).
import { stringify } from 'yaml';
import type { PlanModel } from '../plan/model';
import { parseSchedule } from '../time/schedule';
import { jobZone } from '../plan/build-model';
import { longestOfYear } from '../checks/shared/schedules';
import { jobDeadline, statusContext } from '../ops/status/state';
import { METRICS } from '../ops/metrics/metrics';
import type { ExportOptions, ExportResult } from './types';

const DAY = 86_400;
const HOUR = 3_600;

/** A PromQL string literal's content. */
const q = (s: string) => s.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
/** A regex matching exactly one of the names (RE2, anchored by Prometheus). */
const anyOf = (names: string[]) => names.map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|');

function planNameOf(planPath: string): string {
  return (planPath.split('/').pop() ?? 'plan').replace(/(\.backplan)?\.ya?ml$/i, '') || 'plan';
}

function textfileBase(plan: PlanModel): string | undefined {
  const m = plan.monitoring as Record<string, unknown> | undefined;
  return m && typeof m.textfile === 'string' && m.textfile ? m.textfile.split('/').pop() : undefined;
}

function hasPush(plan: PlanModel): boolean {
  const m = plan.monitoring as Record<string, unknown> | undefined;
  return Boolean(m && (typeof m.pushgateway === 'string' || typeof m.pushgateway_env === 'string'));
}

export interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

/** The rules of the plan (pure), with `now` for the schedules' year ahead. */
export function prometheusRules(plan: PlanModel, jobs: string[], planPath: string, now = Date.now()): AlertRule[] {
  const ctx = statusContext(plan, now);
  const rules: AlertRule[] = [];
  const deadlines: number[] = [];
  for (const name of jobs) {
    const job = plan.jobs.get(name)!;
    const sel = `{job_name="${q(name)}"}`;
    const deadline = jobDeadline(plan, job, now, ctx);
    if (deadline) {
      const secs = Math.max(1, Math.round(deadline.ms / 1000));
      deadlines.push(secs);
      rules.push({
        alert: 'BackplanJobLate',
        expr: `${METRICS.lastSuccess}${sel} > 0 and time() - ${METRICS.lastSuccess}${sel} > ${secs}`,
        labels: { severity: 'warning', job_name: name },
        annotations: {
          summary: `Backplan job ${name} is late`,
          description: `The newest good copy of ${name} is older than its ${deadline.from === 'rpo' ? 'rpo' : 'schedule allows (1.5 x its longest interval)'} (${secs} s).`,
        },
      });
      rules.push({
        alert: 'BackplanJobNeverSucceeded',
        expr: `${METRICS.lastSuccess}${sel} == 0`,
        for: `${secs}s`,
        labels: { severity: 'critical', job_name: name },
        annotations: { summary: `Backplan job ${name} never succeeded`, description: `No run of ${name} has succeeded since its metrics appeared.` },
      });
    }
    if (job.verify) {
      let window = 8 * DAY;
      if (typeof job.verify.schedule === 'string') {
        const s = parseSchedule(job.verify.schedule, jobZone(plan, job));
        const gap = s.ok ? longestOfYear(s.schedule, now)?.ms : undefined;
        if (gap) window = Math.round((2 * gap) / 1000);
      }
      rules.push({
        alert: 'BackplanRestoreTestStale',
        expr: `time() - ${METRICS.lastVerify}${sel} > ${window}`,
        labels: { severity: 'warning', job_name: name },
        annotations: { summary: `Backplan job ${name} has no recent restore test`, description: `No restore test of ${name} (backplan verify) within ${window} s.` },
      });
    }
  }
  if (jobs.length) {
    rules.push({
      alert: 'BackplanJobFailed',
      expr: `${METRICS.lastRunSuccess}{job_name=~"${q(anyOf(jobs))}"} == 0`,
      labels: { severity: 'critical' },
      annotations: { summary: 'Backplan job {{ $labels.job_name }} failed', description: 'The last run of {{ $labels.job_name }} failed; see its journal (backplan status).' },
    });
  }
  const stale = Math.max(HOUR, 2 * (deadlines.length ? Math.min(...deadlines) : DAY));
  const base = textfileBase(plan);
  if (base) {
    rules.push({
      alert: 'BackplanMetricsStale',
      expr: `time() - node_textfile_mtime_seconds{file=~"(.*/)?${q(base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))}"} > ${stale}`,
      labels: { severity: 'warning' },
      annotations: { summary: 'Backplan metrics file is stale', description: `${base} was not rewritten for ${stale} s: Backplan does not run (or cannot write it).` },
    });
  }
  if (hasPush(plan)) {
    rules.push({
      alert: 'BackplanMetricsStale',
      expr: `time() - push_time_seconds{job="backplan",plan="${q(planNameOf(planPath))}"} > ${stale}`,
      labels: { severity: 'warning' },
      annotations: { summary: 'Backplan metrics push is stale', description: `No push from plan ${planNameOf(planPath)} for ${stale} s.` },
    });
  }
  return rules;
}

export function exportPrometheusRules(plan: PlanModel, opts: ExportOptions, jobs: string[]): ExportResult {
  const name = planNameOf(opts.planPath);
  const rules = prometheusRules(plan, jobs, opts.planPath);
  const content =
    `# Backplan alerting rules for plan ${name} (backplan export --to prometheus-rules); list this file under rule_files.\n` +
    stringify({ groups: [{ name: `backplan-${name}`, rules }] }, { lineWidth: 0 });
  return {
    target: 'prometheus-rules',
    files: rules.length ? [{ host: 'local', path: `/etc/prometheus/rules/backplan-${name}.rules.yml`, content, jobs }] : [],
    skipped: [],
    problems: [],
  };
}
