// The lifecycle of notifications around an operation (`backplan run`, `prune`, `verify`), one
// for every job and kind:
// - `start` when a job starts (sent in the background: the job does not wait for it);
// - once the operation has written its journal: `success` when the job fully succeeded,
//   `warning` when it finished but a step was skipped (other than a prune deferred to its
//   `prune_schedule`) or a prune refused, `failure` otherwise (a job skipped because a job it
//   depends on failed is a failure too: it made no copy). A job that did not fully succeed never
//   sends `success`;
// - `late` from `backplan status` (notifyLate).
// A notification never changes the outcome: a target that fails (after its timeout and one
// retry) gives a `notify-failed` record in the run's journal and one warning line, nothing else.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { PlanModel } from '../../plan/model';
import { Redactor } from '../../run/exec/redact';
import { Journal, readJournal, type JournalLine } from '../../run/state/journal';
import type { RunReport } from '../../run/ops/run-plan';
import { planName, targetsOf, wants, type NotifyEvent, type NotifyEventName, type TargetSpec } from './events';
import { deliver } from './send';

export interface NotifierOptions {
  plan: PlanModel;
  planPath: string;
  env?: NodeJS.ProcessEnv;
  /** One line per notification that could not be delivered. */
  onWarning?(line: string): void;
  retryDelayMs?: number;
}

export interface NotifyFailure {
  job: string;
  event: NotifyEventName;
  target: string;
  message: string;
}

/** How many journal lines of a job make its log tail. */
const LOG_LINES = 200;

/** The journal records of `job` as text lines: what `send_log: true` sends (already redacted by the journal). */
export function logTail(lines: readonly JournalLine[], job: string): string {
  const out: string[] = [];
  for (const l of lines) {
    if (!('job' in l) || l.job !== job || l.type === 'notify-failed') continue;
    const r = l as unknown as Record<string, unknown>;
    const bits = [l.t, l.type, r.step, r.status, r.description ?? r.path, r.message].filter((b) => b !== undefined && b !== '');
    out.push(bits.map(String).join(' '));
  }
  return out.slice(-LOG_LINES).join('\n');
}

/** The outcome of a job of a run, from its report and the journal. */
export function runOutcome(
  plan: PlanModel,
  job: RunReport['jobs'][number],
): { event: NotifyEventName; message: string } {
  if (job.status === 'failed') return { event: 'failure', message: job.message ?? 'failed' };
  if (job.status === 'skipped') return { event: 'failure', message: job.message ?? 'skipped' };
  const deferred = plan.jobs.get(job.job)?.prune_schedule !== undefined;
  const skipped = job.steps.filter((s) => s.status === 'skipped' && !(deferred && s.phase === 'prune'));
  const refused = job.steps.filter((s) => s.status === 'ok' && Array.isArray(s.detail?.ignored) && s.detail.ignored.length > 0);
  if (skipped.length) return { event: 'warning', message: `finished, but skipped ${skipped.map((s) => `${s.id}${s.message ? ` (${s.message})` : ''}`).join('; ')}` };
  const wrote = job.steps.map((s) => s.detail?.output).filter((o): o is string => typeof o === 'string');
  const pruned = job.steps.map((s) => s.detail?.removed).filter((r): r is unknown[] => Array.isArray(r));
  const bits = [`${job.steps.length} step(s) ok`];
  if (wrote.length) bits.push(`wrote ${wrote.join(', ')}`);
  if (pruned.length) bits.push(`pruned ${pruned.reduce((n, r) => n + r.length, 0)}`);
  if (refused.length) bits.push(`left alone ${refused.map((s) => (s.detail!.ignored as unknown[]).length).join('+')} unrecognised copies`);
  return { event: 'success', message: bits.join('; ') };
}

export class Notifier {
  private readonly redactor = new Redactor();
  private readonly rids = new Map<string, string>();
  private readonly pending = new Map<string, Promise<void>>();
  private readonly failures: NotifyFailure[] = [];
  private readonly env: NodeJS.ProcessEnv;
  private readonly plan: string;

  constructor(private readonly o: NotifierOptions) {
    this.env = o.env ?? process.env;
    this.plan = planName(o.planPath);
  }

  /** Whether any job of the plan has a target at all (nothing to do otherwise). */
  get active(): boolean {
    return targetsOf(this.o.plan, undefined).length > 0 || [...this.o.plan.jobs.values()].some((j) => targetsOf(this.o.plan, j).length > 0);
  }

  private rid(job: string): string {
    let r = this.rids.get(job);
    if (!r) this.rids.set(job, (r = randomUUID()));
    return r;
  }

  event(job: string, event: NotifyEventName, fields: { runId: string | null; durationSeconds: number | null; message: string; logTail?: string }): NotifyEvent {
    const j = this.o.plan.jobs.get(job);
    return {
      event,
      plan: this.plan,
      job,
      kind: j?.kind ?? '',
      host: j?.host ?? hostname(),
      runId: fields.runId,
      time: new Date().toISOString(),
      durationSeconds: fields.durationSeconds,
      message: fields.message,
      ...(fields.logTail !== undefined ? { logTail: fields.logTail } : {}),
    };
  }

  private async sendTo(targets: TargetSpec[], e: NotifyEvent): Promise<void> {
    await Promise.all(
      targets.map(async (t) => {
        const { logTail: tail, ...bare } = e;
        const ev: NotifyEvent = t.raw.send_log === true && tail !== undefined ? e : bare;
        const r = await deliver(t, ev, { env: this.env, redactor: this.redactor, rid: this.rid(e.job), retryDelayMs: this.o.retryDelayMs });
        if (!r.ok) {
          const f: NotifyFailure = { job: e.job, event: e.event, target: t.label, message: r.message };
          this.failures.push(f);
          this.o.onWarning?.(`backplan: warning: could not notify ${t.label} of ${e.event} of job ${e.job}: ${r.message} (the backup's outcome is unchanged)`);
        }
      }),
    );
  }

  /** Send `event` of `job` to the job's targets that want it. */
  async send(job: string, e: NotifyEvent): Promise<void> {
    const targets = targetsOf(this.o.plan, this.o.plan.jobs.get(job)).filter((t) => wants(t, e.event));
    if (targets.length) await this.sendTo(targets, e);
  }

  /** A job starts: `start` is sent in the background (its end waits for it, so a start ping precedes the finishing one). */
  start(job: string, runId: string | null): void {
    if (this.pending.has(job)) return;
    const targets = targetsOf(this.o.plan, this.o.plan.jobs.get(job)).filter((t) => wants(t, 'start'));
    this.rid(job);
    if (!targets.length) return;
    this.pending.set(job, this.sendTo(targets, this.event(job, 'start', { runId, durationSeconds: null, message: `job ${job} started` })));
  }

  /** The end of a job outside `run` (prune, verify): its outcome, from the operation's report. */
  async finishJob(job: string, event: NotifyEventName, message: string, journal?: string): Promise<NotifyFailure[]> {
    await this.pending.get(job);
    let lines: JournalLine[] = [];
    if (journal) {
      try {
        lines = readJournal(journal);
      } catch {
        lines = [];
      }
    }
    const runId = journal ? (journal.split(/[\\/]/).pop() ?? '').replace(/\.jsonl$/, '') : null;
    const e = this.event(job, event, { runId, durationSeconds: durationOf(lines, job), message, logTail: journal ? logTail(lines, job) : undefined });
    await this.send(job, e);
    return this.journalFailures(journal);
  }

  /** After `backplan run` has written its journal: the end events of every job that took part. */
  async finishRun(report: RunReport): Promise<NotifyFailure[]> {
    let lines: JournalLine[] = [];
    try {
      lines = readJournal(report.journal);
    } catch {
      lines = [];
    }
    const inRun = new Set(lines.filter((l) => l.type === 'job-start').map((l) => (l as { job: string }).job));
    await Promise.all(
      report.jobs
        .filter((j) => inRun.has(j.job) || j.status === 'failed')
        .map(async (j) => {
          await this.pending.get(j.job);
          const { event, message } = runOutcome(this.o.plan, j);
          await this.send(j.job, this.event(j.job, event, { runId: report.run, durationSeconds: durationOf(lines, j.job), message, logTail: logTail(lines, j.job) }));
        }),
    );
    // Start notifications of jobs whose end was not sent (none expected) are awaited too.
    await Promise.all(this.pending.values());
    return this.journalFailures(report.journal);
  }

  private journalled = 0;

  /** Journal the failures not journalled yet in the journal at `path` (when there is one); returns them. */
  journalFailures(path: string | undefined): NotifyFailure[] {
    const todo = this.failures.slice(this.journalled);
    this.journalled = this.failures.length;
    if (!path || todo.length === 0) return todo;
    try {
      const j = Journal.reopen(path, this.redactor);
      try {
        for (const f of todo) j.append({ type: 'notify-failed', job: f.job, event: f.event, target: f.target, message: f.message });
      } finally {
        j.close();
      }
    } catch (e) {
      this.o.onWarning?.(`backplan: warning: could not journal the failed notifications in ${path}: ${(e as Error).message}`);
    }
    return todo;
  }
}

/** Seconds from a job's `job-start` to its `job-end` in the journal; null when either is missing. */
export function durationOf(lines: readonly JournalLine[], job: string): number | null {
  const start = lines.find((l) => l.type === 'job-start' && l.job === job);
  const end = lines.find((l) => l.type === 'job-end' && l.job === job);
  if (!start || !end) return null;
  return Math.round((Date.parse(end.t) - Date.parse(start.t)) / 10) / 100;
}

/**
 * For `backplan status`: the `late` event of a job (SPEC §10), sent once per late episode
 * (the caller decides when an episode starts). `message` says how late, e.g. "newest good
 * copy is 2d 3h old (rpo 1d)".
 */
export async function notifyLate(
  opts: NotifierOptions,
  job: string,
  message: string,
  extra: { runId?: string | null; journal?: string } = {},
): Promise<NotifyFailure[]> {
  const n = new Notifier(opts);
  const e = n.event(job, 'late', { runId: extra.runId ?? null, durationSeconds: null, message });
  await n.send(job, e);
  return n.journalFailures(extra.journal);
}
