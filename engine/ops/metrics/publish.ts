// Publishing the plan's metrics (SPEC §10) where `monitoring:` says: written atomically to
// `monitoring.textfile` (for node_exporter's textfile collector: a temporary file in the same
// directory, fsynced, renamed over it) and pushed to `monitoring.pushgateway` (or the URL in the
// environment variable `monitoring.pushgateway_env`) under the grouping key
// `job="backplan"`, `plan=NAME` (NAME: the plan file's base name without `.backplan.yaml`), with
// no `instance` label and a bounded timeout. Publishing never throws: each failure is one
// warning, returned for the face to print; it never changes a run's exit code.
import { basename, dirname, isAbsolute, resolve } from 'node:path';
import type { PlanModel } from '../../plan/model';
import { writeFileAtomic } from '../atomic-write';
import { readHistory } from '../status/history';
import { cachedPlan } from '../status/plan-cache';
import { renderMetrics } from './metrics';

export interface MonitoringConfig {
  /** Absolute path of the textfile (relative ones resolve against the plan's folder). */
  textfile?: string;
  /** Pushgateway base URL. */
  pushgateway?: string;
  /** Set when the URL comes from an environment variable that is not set. */
  pushgatewayEnvMissing?: string;
}

/** The plan's `monitoring:` mapping, resolved (`env` for pushgateway_env). */
export function monitoringOf(plan: Pick<PlanModel, 'monitoring'>, planPath: string, env: NodeJS.ProcessEnv = process.env): MonitoringConfig {
  const m = plan.monitoring;
  if (!m || typeof m !== 'object' || Array.isArray(m)) return {};
  const raw = m as Record<string, unknown>;
  const out: MonitoringConfig = {};
  if (typeof raw.textfile === 'string' && raw.textfile !== '')
    out.textfile = isAbsolute(raw.textfile) ? raw.textfile : resolve(dirname(resolve(planPath)), raw.textfile);
  if (typeof raw.pushgateway === 'string' && raw.pushgateway !== '') out.pushgateway = raw.pushgateway;
  else if (typeof raw.pushgateway_env === 'string' && raw.pushgateway_env !== '') {
    const v = env[raw.pushgateway_env];
    if (v) out.pushgateway = v;
    else out.pushgatewayEnvMissing = raw.pushgateway_env;
  }
  return out;
}

/** The plan's name for the grouping key: the file's base name without `.backplan.yaml` (or `.yaml`/`.yml`). */
export function planName(planPath: string): string {
  return basename(planPath).replace(/(\.backplan)?\.ya?ml$/i, '') || 'plan';
}

/** The Pushgateway URL of the plan's group: `<base>/metrics/job/backplan/plan/<name>`. */
export function pushUrl(base: string, plan: string): string {
  return `${base.replace(/\/+$/, '')}/metrics/job/backplan/plan/${encodeURIComponent(plan)}`;
}

export const PUSH_TIMEOUT_MS = 5000;

/** PUT the metrics (replacing the group's previous ones). Resolves to a warning, or undefined when pushed. */
export async function pushMetrics(base: string, plan: string, text: string, timeoutMs = PUSH_TIMEOUT_MS): Promise<string | undefined> {
  const url = pushUrl(base, plan);
  try {
    const res = await fetch(url, {
      method: 'PUT',
      headers: { 'content-type': 'text/plain; version=0.0.4' },
      body: text,
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (!res.ok) {
      const body = (await res.text().catch(() => '')).split('\n')[0].slice(0, 200);
      return `could not push the metrics to ${base}: HTTP ${res.status}${body ? ` (${body})` : ''}`;
    }
    return undefined;
  } catch (e) {
    const err = e as Error & { cause?: { code?: string; message?: string } };
    const why = err.name === 'TimeoutError' ? `no answer within ${timeoutMs / 1000} s` : (err.cause?.code ?? err.cause?.message ?? err.message);
    return `could not push the metrics to ${base}: ${why}`;
  }
}

/** Write the metrics file atomically. Returns a warning, or undefined when written. */
export function writeMetricsFile(path: string, text: string): string | undefined {
  try {
    writeFileAtomic(path, text);
    return undefined;
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    return `could not write the metrics file ${path}: ${err.code ?? err.message}`;
  }
}

export interface PublishResult {
  warnings: string[];
  /** The metrics text (also when there is nowhere to publish it). */
  text?: string;
  wrote?: string;
  pushed?: string;
}

/**
 * After a run, prune or verify (and for `backplan status`): the plan's metrics from the journals
 * of `stateDir`, published where `monitoring:` says. Does nothing (no journal read) when the
 * plan has no `monitoring:`, unless `always` (status wants the text).
 */
export async function publishMetrics(
  plan: PlanModel,
  planPath: string,
  stateDir: string,
  opts: { now?: number; env?: NodeJS.ProcessEnv; timeoutMs?: number; always?: boolean } = {},
): Promise<PublishResult> {
  const warnings: string[] = [];
  try {
    const cfg = monitoringOf(plan, planPath, opts.env);
    if (cfg.pushgatewayEnvMissing) warnings.push(`monitoring.pushgateway_env names ${cfg.pushgatewayEnvMissing}, which is not set: the metrics were not pushed`);
    if (!cfg.textfile && !cfg.pushgateway && !opts.always) return { warnings };
    const now = opts.now ?? Date.now();
    const jobs = cachedPlan(stateDir, planPath, () => plan, now).jobs;
    const text = await renderMetrics(jobs, readHistory(stateDir, planPath).jobs, now);
    const out: PublishResult = { warnings, text };
    if (cfg.textfile) {
      const w = writeMetricsFile(cfg.textfile, text);
      if (w) warnings.push(w);
      else out.wrote = cfg.textfile;
    }
    if (cfg.pushgateway) {
      const w = await pushMetrics(cfg.pushgateway, planName(planPath), text, opts.timeoutMs);
      if (w) warnings.push(w);
      else out.pushed = cfg.pushgateway;
    }
    return out;
  } catch (e) {
    warnings.push(`could not publish the metrics: ${String((e as Error)?.message ?? e).split('\n')[0]}`);
    return { warnings };
  }
}
