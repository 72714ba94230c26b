// The state of each job from its journalled history (SPEC §10): `disabled` (not enabled in the
// plan), `failed` (its last run failed or was interrupted), `never` (no run ever succeeded),
// `late` (its newest good copy is older than its rpo), `ok`. The rpo is the job's own `rpo`
// (else `checks.default_rpo`), else 1.5 × the longest gap of its effective schedule (its own, or
// the one of the job it follows through `from`) over the year ahead; a job with neither cannot be
// late. The age is counted from the last success (the end of the newest run that succeeded).
//
// Pure functions of (plan, history, now): `backplan status`, the metrics, the `backup-late` rule
// and the `late` notification all use them.
import type { JobModel, PlanModel } from '../../plan/model';
import { jobZone } from '../../plan/build-model';
import { durationOf } from '../../checks/shared/policies';
import { jobScheduleOf, longestOf } from '../../checks/shared/schedules';
import { approxMs, subtractDuration } from '../../time/duration';
import type { JobHistory, RunResult } from './history';

export type JobState = 'ok' | 'late' | 'failed' | 'never' | 'disabled';

/** Worst first: the order of `backplan status` lines. */
export const STATE_ORDER: readonly JobState[] = ['failed', 'never', 'late', 'ok', 'disabled'];

export interface JobStatus {
  job: string;
  kind: string;
  host: string | null;
  state: JobState;
  lastRun: { id: string; start: string | null; end: string | null; durationSeconds: number | null; result: RunResult } | null;
  lastSuccess: string | null;
  ageSeconds: number | null;
  rpoSeconds: number | null;
  copies: number | null;
  bytes: number | null;
  lastVerify: { time: string; result: 'ok' | 'failed'; durationSeconds: number } | null;
  drift?: { missing: string[]; extra: string[] } | null;
}

/** What a job's rpo is for status, and where it comes from. */
export interface JobDeadline {
  /** Milliseconds, measured back from `now` (calendar durations in the job's zone). */
  ms: number;
  from: 'rpo' | 'schedule';
}

type Ctx = { memo<T>(key: string, compute: () => T): T; now: number; model: PlanModel };

/** A memo for the check helpers, for callers outside a check. */
export function statusContext(plan: PlanModel, now: number): Ctx {
  const memo = new Map<string, unknown>();
  return {
    model: plan,
    now,
    memo<T>(key: string, compute: () => T): T {
      if (!memo.has(key)) memo.set(key, compute());
      return memo.get(key) as T;
    },
  };
}

/** The longest gap between two runs of the job's effective schedule over the year after now (ms); undefined without one. */
export function expectedIntervalMs(plan: PlanModel, job: JobModel, now: number, ctx: Ctx = statusContext(plan, now)): number | undefined {
  const js = jobScheduleOf(ctx, job);
  if (!js) return undefined;
  return longestOf(ctx, js.schedule)?.ms;
}

/** The job's rpo (its own or the plan's default), else 1.5 × its longest schedule gap; undefined when it has neither. */
export function jobDeadline(plan: PlanModel, job: JobModel, now: number, ctx: Ctx = statusContext(plan, now)): JobDeadline | undefined {
  // The job's own rpo, else the plan's default (as the rpo-exceeded rule reads them).
  const rpo = job.rpo !== undefined ? durationOf(job.rpo) : durationOf(plan.checks.raw?.default_rpo);
  if (rpo) return { ms: now - subtractDuration(now, rpo, jobZone(plan, job)), from: 'rpo' };
  const gap = expectedIntervalMs(plan, job, now, ctx);
  return gap !== undefined ? { ms: Math.round(1.5 * gap), from: 'schedule' } : undefined;
}

/** The state of one job: see the module header. `history` undefined = nothing journalled. */
export function jobState(job: Pick<JobModel, 'enabled'>, history: JobHistory | undefined, deadlineMs: number | undefined, now: number): JobState {
  if (job.enabled === false) return 'disabled';
  const last = history?.lastRun;
  if (last && (last.result === 'failed' || last.result === 'interrupted')) return 'failed';
  if (!history?.lastSuccess) return 'never';
  if (deadlineMs !== undefined && now - Date.parse(history.lastSuccess) > deadlineMs) return 'late';
  return 'ok';
}

const secs = (ms: number) => Math.round(ms) / 1000;

/** What status and the metrics need of a job of the plan: computed once (and cached, plan-cache.ts). */
export interface JobInfo {
  name: string;
  kind: string;
  host: string | null;
  /** Its `to`, else its `storage`; '' when none. */
  storage: string;
  enabled: boolean;
  deadline?: JobDeadline;
  /** Longest interval of its effective schedule (ms). */
  gapMs?: number;
  /** Its `rto` (ms, months and years approximated). */
  rtoMs?: number;
}

/** The JobInfo of one job at `now`. */
export function jobInfo(plan: PlanModel, job: JobModel, now: number, ctx: Ctx = statusContext(plan, now)): JobInfo {
  const deadline = jobDeadline(plan, job, now, ctx);
  const gapMs = expectedIntervalMs(plan, job, now, ctx);
  const rto = durationOf(job.raw?.rto);
  return {
    name: job.name,
    kind: String(job.kind ?? ''),
    host: typeof job.host === 'string' ? job.host : null,
    storage: typeof job.to === 'string' ? job.to : typeof job.storage === 'string' ? job.storage : '',
    enabled: job.enabled !== false,
    ...(deadline ? { deadline } : {}),
    ...(gapMs !== undefined ? { gapMs } : {}),
    ...(rto ? { rtoMs: approxMs(rto) } : {}),
  };
}

/** The JobInfo of every job, in plan order. */
export function jobInfos(plan: PlanModel, now: number): JobInfo[] {
  const ctx = statusContext(plan, now);
  return [...plan.jobs.values()].map((j) => jobInfo(plan, j, now, ctx));
}

/** The status of one job. */
export function statusOf(info: JobInfo, history: JobHistory | undefined, now: number): JobStatus {
  const last = history?.lastRun;
  const duration = last?.start && last.end ? secs(Date.parse(last.end) - Date.parse(last.start)) : null;
  const v = history?.lastVerify;
  return {
    job: info.name,
    kind: info.kind,
    host: info.host,
    state: jobState(info, history, info.deadline?.ms, now),
    lastRun: last ? { id: last.id, start: last.start ?? null, end: last.end ?? null, durationSeconds: duration, result: last.result } : null,
    lastSuccess: history?.lastSuccess ?? null,
    ageSeconds: history?.lastSuccess ? Math.max(0, Math.round((now - Date.parse(history.lastSuccess)) / 1000)) : null,
    rpoSeconds: info.deadline ? Math.round(info.deadline.ms / 1000) : null,
    copies: history?.copies ?? null,
    bytes: history?.bytes ?? null,
    lastVerify: v ? { time: v.time, result: v.ok ? 'ok' : 'failed', durationSeconds: secs(v.ms) } : null,
  };
}

/** The status of one job of the plan (for the `late` notification and other single-job callers). */
export function jobStatus(plan: PlanModel, job: JobModel, history: JobHistory | undefined, now: number, ctx: Ctx = statusContext(plan, now)): JobStatus {
  return statusOf(jobInfo(plan, job, now, ctx), history, now);
}

export interface StatusReport {
  at: string;
  jobs: JobStatus[];
}

/** The status of every job (or of `only`), worst first, then in plan order. `plan`: the model, or its JobInfos. */
export function planStatus(plan: PlanModel | readonly JobInfo[], history: ReadonlyMap<string, JobHistory>, now: number, only?: string): StatusReport {
  const infos = Array.isArray(plan) ? (plan as readonly JobInfo[]) : jobInfos(plan as PlanModel, now);
  const jobs: JobStatus[] = [];
  for (const info of infos) {
    if (only !== undefined && info.name !== only) continue;
    jobs.push(statusOf(info, history.get(info.name), now));
  }
  const rank = (s: JobState) => STATE_ORDER.indexOf(s);
  const order = new Map(jobs.map((j, i) => [j.job, i]));
  jobs.sort((a, b) => rank(a.state) - rank(b.state) || order.get(a.job)! - order.get(b.job)!);
  return { at: new Date(now).toISOString(), jobs };
}

/** A job whose real copies differ from what the plan projects (`--live` only). */
export function drifted(j: JobStatus): boolean {
  return !!j.drift && (j.drift.missing.length > 0 || j.drift.extra.length > 0);
}

/** Exit code of `backplan status`: 0 when every job is ok or disabled and none drifted, else 1. */
export function statusExitCode(r: StatusReport): number {
  return r.jobs.every((j) => (j.state === 'ok' || j.state === 'disabled') && !drifted(j)) ? 0 : 1;
}

/** A job late by more than twice its rpo (Nagios CRITICAL). */
export function veryLate(j: JobStatus): boolean {
  return j.state === 'late' && j.ageSeconds !== null && j.rpoSeconds !== null && j.ageSeconds > 2 * j.rpoSeconds;
}

/** The Monitoring Plugins line (`BACKPLAN STATE - summary | perfdata`) and exit code (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN). */
export function nagios(r: StatusReport): { line: string; code: 0 | 1 | 2 | 3 } {
  const count = (s: JobState) => r.jobs.filter((j) => j.state === s).length;
  const failed = r.jobs.filter((j) => j.state === 'failed').map((j) => j.job);
  const never = r.jobs.filter((j) => j.state === 'never').map((j) => j.job);
  const late = r.jobs.filter((j) => j.state === 'late');
  const drift = r.jobs.filter(drifted).map((j) => j.job);
  const critical = failed.length + never.length + late.filter(veryLate).length > 0;
  const code: 0 | 1 | 2 = critical ? 2 : late.length || drift.length ? 1 : 0;
  const word = ['OK', 'WARNING', 'CRITICAL'][code];
  const bits: string[] = [];
  if (failed.length) bits.push(`failed: ${failed.join(', ')}`);
  if (never.length) bits.push(`never ran: ${never.join(', ')}`);
  if (late.length) bits.push(`late: ${late.map((j) => j.job).join(', ')}`);
  if (drift.length) bits.push(`copies differ from the plan: ${drift.join(', ')}`);
  const summary = bits.length ? bits.join('; ') : `${count('ok')} of ${r.jobs.length} jobs ok${count('disabled') ? ` (${count('disabled')} disabled)` : ''}`;
  const enabled = r.jobs.length - count('disabled');
  const perf = [
    `ok=${count('ok')};;;0;${enabled}`,
    `late=${late.length};0;;0;${enabled}`,
    `failed=${failed.length};;0;0;${enabled}`,
    `never=${never.length};;0;0;${enabled}`,
    `disabled=${count('disabled')}`,
  ];
  return { line: `BACKPLAN ${word} - ${summary} | ${perf.join(' ')}`, code };
}
