// `backplan run`: execute a plan's steps (planSteps order) for real, with the safety invariants
// of SPEC §8:
// - jobs start when the jobs they depend on (`from`, `after`) succeeded in this run, and are
//   skipped when one failed; jobs on different hosts run in parallel, at most `perHost` at a
//   time on one host (the job's `host`, else this machine);
// - each job holds its lock (state/lock.ts) from its first step to its last;
// - every step is journalled before and after (state/journal.ts), with secrets redacted;
// - a prune step runs only after this job's backup step succeeded in this run, never removes
//   the copy this run made nor the `min` newest, and refuses what it cannot do safely.
import { hostname } from 'node:os';
import type { JobModel, PlanModel } from '../../plan/model';
import { Hosts } from '../exec/hosts';
import { runBuiltinStep, runCommandStep, type StepResult } from '../exec/execute';
import { writeToolConfig } from '../builtin/tool-config';
import { preflight } from '../exec/preflight';
import { fsFor } from '../exec/files';
import { staleToolLockHint, toolUnlockStep } from '../exec/tool-lock';
import { clearToolStopped, markToolStopped, toolStoppedMark } from '../state/tool-stopped';
import { Redactor } from '../exec/redact';
import { Journal, type JournalRecord } from '../state/journal';
import { acquireLock, LockError, type Lock } from '../state/lock';
import { deferredPrune, planSteps } from '../steps/plan-steps';
import { stateReaderFor } from '../live/index';
import {
  decide,
  listCopies,
  namerOf,
  pruneEngine,
  removeCopies,
  removePartials,
  type RemoveHooks,
} from '../prune/copies';
import { protectReplicationBases } from '../prune/replication-base';
import { snapshotMadeBy } from '../inventory/index';
import { ensureStateDir } from '../state/dir';
import type { JobState } from '../steps/driver-kit';
import { backupInventory, takenNames } from './taken-names';
import { sanoidMissedSnapshots, takesSanoidSnapshots } from './sanoid-taken';
import {
  formatStep,
  LOCAL,
  type CommandStep,
  type Inventory,
  type PruneSpec,
  type PruneStep,
  type Step,
} from '../steps/step';

export type JobStatus = 'ok' | 'failed' | 'skipped';

export type RunEvent =
  | { event: 'run-start'; run: string; journal: string; jobs: string[] }
  | { event: 'job-start'; job: string }
  | { event: 'step-start'; job: string; step: string; phase: string; description: string }
  | {
      event: 'step-end';
      job: string;
      step: string;
      status: JobStatus;
      ms: number;
      message?: string;
      detail?: Record<string, unknown>;
    }
  | { event: 'job-end'; job: string; status: JobStatus; message?: string }
  | { event: 'notice'; job?: string; message: string }
  | { event: 'run-end'; ok: boolean; ms: number };

export interface JobReport {
  job: string;
  status: JobStatus;
  message?: string;
  steps: {
    id: string;
    phase: string;
    status: JobStatus;
    ms: number;
    message?: string;
    detail?: Record<string, unknown>;
  }[];
}

export interface RunReport {
  run: string;
  journal: string;
  ok: boolean;
  ms: number;
  jobs: JobReport[];
}

export interface RunOptions {
  plan: PlanModel;
  /** The plan file (absolute), for the journal. */
  planPath: string;
  job?: string;
  stateDir: string;
  now?: number;
  breakStaleLock?: boolean;
  /** Jobs running at once on one host (default 1). */
  perHost?: number;
  /** Where `*_env` secrets are read (default process.env). */
  env?: NodeJS.ProcessEnv;
  sshOptions?: string[];
  signal?: AbortSignal;
  onEvent?(e: RunEvent): void;
}

export function newRunId(now: number): string {
  const stamp = new Date(now)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${process.pid}-${Math.random().toString(16).slice(2, 6)}`;
}

class Semaphore {
  private active = 0;
  private readonly queue: (() => void)[] = [];
  constructor(private readonly limit: number) {}
  async take(): Promise<() => void> {
    if (this.active >= this.limit) await new Promise<void>((r) => this.queue.push(r));
    this.active++;
    return () => {
      this.active--;
      this.queue.shift()?.();
    };
  }
}

function depsOf(job: JobModel | undefined): string[] {
  if (!job) return [];
  const out = typeof job.from === 'string' ? [job.from] : [];
  for (const a of job.after ?? []) if (typeof a === 'string' && !out.includes(a)) out.push(a);
  return out;
}

/** Context shared by the steps of one run. */
export interface RunContext {
  plan: PlanModel;
  hosts: Hosts;
  redactor: Redactor;
  journal: Journal;
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  emit(e: RunEvent): void;
}

export function removeHooks(ctx: Pick<RunContext, 'journal' | 'emit'>, job: string): RemoveHooks {
  return {
    before: (path, reason) => ctx.journal.append({ type: 'remove-start', job, path, reason }),
    after: (path, ok, message) => {
      ctx.journal.append({ type: 'remove-end', job, path, ok, ...(message ? { message } : {}) });
      if (!ok) ctx.emit({ event: 'notice', job, message: `could not remove ${path}: ${message}` });
    },
  };
}

function leftoversNotice(names: readonly string[]): string {
  return `removed ${names.length} leftover(s) of an interrupted run: ${names.join(', ')}`;
}

/** Remove `.partial` leftovers of interrupted runs of `job` (the caller holds the job's lock). */
async function cleanStalePartials(
  ctx: RunContext,
  job: JobModel,
  inventory: Inventory,
  timezone: string,
): Promise<string[]> {
  const fs = fsFor(inventory.host, ctx.hosts);
  const listed = await listCopies(inventory, job, timezone, fs);
  const removed = await removePartials(listed, fs, removeHooks(ctx, job.name));
  if (removed.length) ctx.emit({ event: 'notice', job: job.name, message: leftoversNotice(removed) });
  return removed;
}

/** Whether a prune step of `inventory` comes after `step` among its job's `steps`. */
function prunedLater(steps: readonly Step[], step: Step, inventory: Inventory): boolean {
  const same = JSON.stringify(inventory);
  return steps
    .slice(steps.indexOf(step) + 1)
    .some((s) => s.type === 'prune' && JSON.stringify(s.prune.inventory) === same);
}

async function runPruneStep(step: PruneStep, ctx: RunContext, madeThisRun: ReadonlySet<string>): Promise<StepResult> {
  const job = ctx.plan.jobs.get(step.job)!;
  const spec = step.prune;
  const engine = pruneEngine(job, ctx.plan, spec);
  const fs = fsFor(spec.inventory.host, ctx.hosts);
  const listed = await listCopies(spec.inventory, namerOf(job, ctx.plan, spec), spec.timezone, fs, {
    hosts: ctx.hosts,
    signal: ctx.signal,
    replica: spec.replicaOf !== undefined,
  });
  const now = Date.now();
  const decision = decide(listed.copies, spec, engine, now);
  await protectReplicationBases(job, ctx.plan, spec, listed, decision, { hosts: ctx.hosts, signal: ctx.signal, now });
  // The copy this run made is never removed, even if a clock jump made it look older.
  for (let i = decision.remove.length - 1; i >= 0; i--) {
    const c = decision.remove[i];
    if (madeThisRun.has(c.path)) {
      decision.remove.splice(i, 1);
      decision.keep.push({ copy: c, reasons: ['made by this run'] });
    }
  }
  const hooks = removeHooks(ctx, step.job);
  const r = await removeCopies(decision.remove, listed, fs, hooks);
  const partials = await removePartials(listed, fs, hooks);
  if (partials.length) ctx.emit({ event: 'notice', job: step.job, message: leftoversNotice(partials) });
  const detail = {
    kept: decision.keep.map((k) => ({ name: k.copy.name, reasons: k.reasons })),
    removed: r.removed,
    ...(listed.ignored.length ? { ignored: listed.ignored } : {}),
    ...(partials.length ? { partialsRemoved: partials } : {}),
  };
  if (r.failed.length) return { ok: false, message: `could not remove ${r.failed.join('; ')}`, detail };
  return { ok: true, detail };
}

/**
 * What a tool that prunes by itself (sanoid, btrbk) left, listed as `status` lists it: the
 * journal's `kept`, as a Backplan prune records it. A listing that fails is a notice, not a failure.
 */
async function toolKept(step: CommandStep, spec: PruneSpec, ctx: RunContext): Promise<Record<string, unknown>> {
  const job = ctx.plan.jobs.get(step.job)!;
  try {
    const fs = fsFor(spec.inventory.host, ctx.hosts);
    const listed = await listCopies(spec.inventory, job, spec.timezone, fs, { hosts: ctx.hosts, signal: ctx.signal });
    return { kept: listed.copies.map((c) => ({ name: c.name, reasons: [`left by ${spec.engine}`] })) };
  } catch (e) {
    const message = `could not list what ${spec.engine} left: ${(e as Error).message}`;
    ctx.emit({ event: 'notice', job: step.job, message });
    return {};
  }
}

async function runStep(step: Step, ctx: RunContext, madeThisRun: Set<string>): Promise<StepResult> {
  switch (step.type) {
    case 'command': {
      const start = Date.now();
      const r = await runCommandStep(step, {
        hosts: ctx.hosts,
        redactor: ctx.redactor,
        signal: ctx.signal,
        env: ctx.env,
      });
      const snapshot = r.ok ? snapshotMadeBy(step) : undefined;
      if (snapshot !== undefined) madeThisRun.add(snapshot);
      if (r.ok && takesSanoidSnapshots(step)) {
        const missed = await sanoidMissedSnapshots(step, ctx.plan.jobs.get(step.job)!, start, ctx.hosts, ctx.signal);
        if (missed) return { ok: false, message: missed, detail: await toolKept(step, step.prunedBy!, ctx) };
      }
      if (r.ok && step.prunedBy) {
        return { ...r, detail: { ...r.detail, ...(await toolKept(step, step.prunedBy, ctx)) } };
      }
      return r;
    }
    case 'builtin': {
      const r = await runBuiltinStep(step, {
        hosts: ctx.hosts,
        redactor: ctx.redactor,
        signal: ctx.signal,
        env: ctx.env,
      });
      if (r.ok && step.output) madeThisRun.add(step.output.path);
      return r;
    }
    case 'tool-config':
      return writeToolConfig(step.host, step.config, { hosts: ctx.hosts, redactor: ctx.redactor, signal: ctx.signal });
    case 'prune':
      return runPruneStep(step, ctx, madeThisRun);
  }
}

export async function runPlan(opts: RunOptions): Promise<RunReport> {
  const t0 = Date.now();
  const now = opts.now ?? t0;
  const runId = newRunId(now);
  const planned = planSteps(opts.plan, { job: opts.job, now, runId });
  const layout = ensureStateDir(opts.stateDir);
  const redactor = new Redactor();
  const journal = Journal.create(layout.runs, runId, redactor);
  const emit = (e: RunEvent) => opts.onEvent?.(redactor.value(e));
  const hosts = new Hosts(opts.plan, { controlDir: layout.ssh, sshOptions: opts.sshOptions, signal: opts.signal });
  const ctx: RunContext = { plan: opts.plan, hosts, redactor, journal, env: opts.env, signal: opts.signal, emit };
  const j = (r: JournalRecord) => journal.append(r);

  const jobNames = [
    ...planned.order,
    ...planned.errors.map((e) => e.job).filter((n, i, a) => a.indexOf(n) === i && !planned.order.includes(n)),
  ];
  j({ type: 'run-start', command: 'run', plan: opts.planPath, jobs: jobNames, pid: process.pid, host: hostname() });
  emit({ event: 'run-start', run: runId, journal: journal.path, jobs: jobNames });

  const reports = new Map<string, JobReport>();
  const finish = (job: string, status: JobStatus, message?: string, steps: JobReport['steps'] = []) => {
    reports.set(job, { job, status, ...(message ? { message: redactor.text(message) } : {}), steps });
    j({ type: 'job-end', job, status, ...(message ? { message } : {}) });
    emit({ event: 'job-end', job, status, ...(message ? { message } : {}) });
  };
  // Jobs the planner refused: failed, with its reasons.
  const planErrors = new Map<string, string[]>();
  for (const e of planned.errors) planErrors.set(e.job, [...(planErrors.get(e.job) ?? []), e.message]);
  for (const [job, msgs] of planErrors) finish(job, 'failed', `cannot plan: ${msgs.join('; ')}`);
  for (const s of planned.skipped) {
    reports.set(s.job, { job: s.job, status: 'skipped', message: s.reason, steps: [] });
  }

  const stepsOf = new Map<string, Step[]>();
  for (const s of planned.steps) stepsOf.set(s.job, [...(stepsOf.get(s.job) ?? []), s]);
  const inRun = new Set([...planned.order, ...planErrors.keys()]);
  const semaphores = new Map<string, Semaphore>();
  const results = new Map<string, Promise<JobStatus>>();

  const runJob = async (name: string): Promise<JobStatus> => {
    const job = opts.plan.jobs.get(name)!;
    const deps = depsOf(job).filter((d) => inRun.has(d));
    const depStatus = await Promise.all(
      deps.map(
        async (d) => [d, await (results.get(d) ?? Promise.resolve(reports.get(d)?.status ?? 'failed'))] as const,
      ),
    );
    const bad = depStatus.find(([, s]) => s !== 'ok');
    if (bad) {
      const msg = `skipped: prerequisite job ${bad[0]} ${bad[1] === 'failed' ? 'failed' : 'did not run'}`;
      j({ type: 'job-start', job: name });
      finish(name, 'skipped', msg);
      return 'skipped';
    }
    const hostKey = job.host !== undefined && opts.plan.hosts.has(job.host) ? job.host : LOCAL;
    if (!semaphores.has(hostKey)) semaphores.set(hostKey, new Semaphore(Math.max(1, opts.perHost ?? 1)));
    const release = await semaphores.get(hostKey)!.take();
    let lock: Lock | undefined;
    const steps: JobReport['steps'] = [];
    try {
      j({ type: 'job-start', job: name });
      emit({ event: 'job-start', job: name });
      try {
        lock = acquireLock(layout.locks, name, {
          run: runId,
          command: 'run',
          journal: journal.path,
          breakStale: opts.breakStaleLock,
          staleHint: staleToolLockHint(job.kind, stepsOf.get(name) ?? []),
          onBroken: (info, why) => {
            j({ type: 'lock-broken', job: name, lock: { ...info } });
            emit({
              event: 'notice',
              job: name,
              message: `broke the stale lock of job ${name} (${why}; pid ${info.pid}, run ${info.run})`,
            });
          },
        });
      } catch (e) {
        if (!(e instanceof LockError)) throw e;
        finish(name, 'failed', e.message);
        return 'failed';
      }
      // Kinds whose steps depend on live state (replication base, resume token ...) are
      // planned again now that the jobs before them ran, with what their hosts hold.
      const reader = stateReaderFor(job.kind);
      let state: Record<string, JobState> | undefined;
      if (reader) {
        let why: string | undefined;
        try {
          state = { [name]: await reader(job, { plan: opts.plan, hosts, signal: opts.signal }) };
          const again = planSteps(opts.plan, { job: name, alone: true, now, runId, state });
          if (again.errors.length)
            why = `cannot plan with the live state of its hosts: ${again.errors.map((e) => e.message).join('; ')}`;
          else stepsOf.set(name, again.steps);
        } catch (e) {
          why = `cannot read the live state of its hosts: ${(e as Error).message}`;
        }
        if (why !== undefined) {
          finish(name, 'failed', why);
          return 'failed';
        }
      }
      // The copy's name is decided now, before any work: one already taken where the copy goes
      // (a second run in the same second, a copy restored by hand) gets a `-N` suffix.
      const output = backupInventory(stepsOf.get(name) ?? []);
      const taken = output ? await takenNames(output, hosts, opts.signal) : undefined;
      if (taken?.size) {
        const again = planSteps(opts.plan, { job: name, alone: true, now, runId, state, taken: { [name]: taken } });
        if (!again.errors.length) stepsOf.set(name, again.steps);
      }
      // Every program the job starts must be installed where it runs, before anything runs.
      const missing = await preflight(stepsOf.get(name) ?? [], hosts, opts.signal);
      if (missing !== undefined) {
        finish(name, 'failed', missing);
        return 'failed';
      }
      // Backplan's stale lock was broken: no run of the job is alive, so the lock its tool left
      // in the repository (restic, borg) is stale too and is cleared before anything else.
      // A step of the runner's own (not of the plan), journalled and reported like the others.
      const sideStep = async (side: CommandStep): Promise<string | undefined> => {
        const u0 = Date.now();
        j({
          type: 'step-start',
          job: name,
          step: side.id,
          phase: side.phase,
          description: side.description,
          display: formatStep(side),
        });
        emit({ event: 'step-start', job: name, step: side.id, phase: side.phase, description: side.description });
        const r = await runCommandStep(side, { hosts, redactor, signal: opts.signal, env: opts.env });
        const ms = Date.now() - u0;
        const status: JobStatus = r.ok ? 'ok' : 'failed';
        const message = r.message !== undefined ? redactor.text(r.message) : undefined;
        j({ type: 'step-end', job: name, step: side.id, status, ms, ...(message ? { message } : {}) });
        emit({ event: 'step-end', job: name, step: side.id, status, ms, ...(message ? { message } : {}) });
        steps.push({ id: side.id, phase: side.phase, status, ms, ...(message ? { message } : {}) });
        return r.ok ? undefined : `${side.id}: ${message ?? 'failed'}`;
      };
      // Or the last run stopped a restic/borg step at its timeout (state/tool-stopped.ts): the
      // lock is ours now, so that tool process is gone and its lock is stale.
      const stopped = job.kind === 'restic' || job.kind === 'borg' ? toolStoppedMark(layout.locks, name) : undefined;
      let unlock = lock.brokeStale || stopped ? toolUnlockStep(job.kind, stepsOf.get(name) ?? []) : undefined;
      if (unlock && stopped && !lock.brokeStale) {
        const why = `${stopped.step} was stopped by Backplan in run ${stopped.run} (${stopped.reason})`;
        unlock = { ...unlock, description: `${unlock.description.replace(/the interrupted run/, 'a stopped step')}: ${why}` };
        emit({ event: 'notice', job: name, message: `clearing the ${job.kind} lock left in its repository: ${why}` });
      }
      if (unlock) {
        const failed = await sideStep(unlock);
        if (failed !== undefined) {
          finish(name, 'failed', failed, steps);
          return 'failed';
        }
        if (stopped) clearToolStopped(layout.locks, name);
      }
      const ok = new Set<string>();
      const madeThisRun = new Set<string>();
      let failure: string | undefined;
      let backupOk = false;
      const deferred = deferredPrune(job);
      for (const step of stepsOf.get(name) ?? []) {
        // The prune of a job with a prune_schedule runs then (`backplan prune`), not after the backup.
        if (deferred !== undefined && step.phase === 'prune' && failure === undefined && !opts.signal?.aborted) {
          const why = `${deferred}, not after the backup`;
          j({ type: 'step-end', job: name, step: step.id, status: 'skipped', ms: 0, message: why });
          emit({ event: 'step-end', job: name, step: step.id, status: 'skipped', ms: 0, message: why });
          steps.push({ id: step.id, phase: step.phase, status: 'skipped', ms: 0, message: why });
          ok.add(step.id);
          continue;
        }
        const waiting = step.after.filter((a) => !ok.has(a) && a.startsWith(`${name}/`));
        if (failure !== undefined || waiting.length || opts.signal?.aborted) {
          const why = opts.signal?.aborted ? 'the run was interrupted' : `an earlier step of ${name} failed`;
          j({ type: 'step-end', job: name, step: step.id, status: 'skipped', ms: 0, message: why });
          emit({ event: 'step-end', job: name, step: step.id, status: 'skipped', ms: 0, message: why });
          steps.push({ id: step.id, phase: step.phase, status: 'skipped', ms: 0, message: why });
          continue;
        }
        // SPEC §8.2: prune only after this job's own backup step succeeded in this run.
        if (step.phase === 'prune' && !backupOk) {
          failure = 'prune refused: no backup step of this job succeeded in this run';
        }
        const s0 = Date.now();
        j({
          type: 'step-start',
          job: name,
          step: step.id,
          phase: step.phase,
          description: step.description,
          display: formatStep(step),
        });
        emit({ event: 'step-start', job: name, step: step.id, phase: step.phase, description: step.description });
        let r: StepResult;
        if (failure !== undefined) r = { ok: false, message: failure };
        else {
          try {
            r = await runStep(step, ctx, madeThisRun);
          } catch (e) {
            r = { ok: false, message: (e as Error).message };
          }
          // Leftovers of interrupted runs are removed now, unless this job's own prune of the
          // same directory follows: it lists that directory anyway and removes them from its
          // listing (one ssh round trip less on a remote storage).
          if (
            r.ok &&
            step.type === 'builtin' &&
            step.builtin.inventory &&
            (deferred !== undefined || !prunedLater(stepsOf.get(name) ?? [], step, step.builtin.inventory))
          ) {
            try {
              await cleanStalePartials(ctx, job, step.builtin.inventory, opts.plan.timezone);
            } catch (e) {
              emit({
                event: 'notice',
                job: name,
                message: `could not look for leftovers of interrupted runs: ${(e as Error).message}`,
              });
            }
          }
        }
        const ms = Date.now() - s0;
        const status: JobStatus = r.ok ? 'ok' : 'failed';
        const message = r.message !== undefined ? redactor.text(r.message) : undefined;
        j({
          type: 'step-end',
          job: name,
          step: step.id,
          status,
          ms,
          ...(message ? { message } : {}),
          ...(r.detail ? { detail: r.detail } : {}),
        });
        emit({
          event: 'step-end',
          job: name,
          step: step.id,
          status,
          ms,
          ...(message ? { message } : {}),
          ...(r.detail ? { detail: r.detail } : {}),
        });
        steps.push({
          id: step.id,
          phase: step.phase,
          status,
          ms,
          ...(message ? { message } : {}),
          ...(r.detail ? { detail: redactor.value(r.detail) } : {}),
        });
        if (r.ok) {
          ok.add(step.id);
          if (step.phase === 'backup' || step.phase === 'copy') backupOk = true;
        } else {
          failure = `${step.id}: ${message ?? 'failed'}`;
          // Stopped at its timeout, the tool died holding its own lock: the next run clears it.
          if (r.stopped && (job.kind === 'restic' || job.kind === 'borg') && step.type === 'command')
            markToolStopped(layout.locks, name, { run: runId, step: step.id, reason: r.stopped, at: new Date().toISOString() });
          // A failed duplicity backup leaves a partial set that duplicity lists as complete and
          // would resume next time (exec/tool-lock.ts): removed now; the job has failed already.
          const cleanup =
            step.phase === 'backup' && job.kind === 'duplicity' && !opts.signal?.aborted && step.type === 'command'
              ? toolUnlockStep('duplicity', [step])
              : undefined;
          if (cleanup) await sideStep(cleanup);
        }
      }
      const status: JobStatus = failure === undefined ? 'ok' : 'failed';
      finish(name, status, failure, steps);
      return status;
    } finally {
      lock?.release();
      release();
    }
  };

  try {
    for (const name of planned.order) results.set(name, runJob(name));
    await Promise.all(results.values());
  } finally {
    await hosts.close();
  }
  const jobs = jobNames.map((n) => reports.get(n)!).concat(planned.skipped.map((s) => reports.get(s.job)!));
  const ok = jobs.every(
    (r) => r.status === 'ok' || (r.status === 'skipped' && planned.skipped.some((s) => s.job === r.job)),
  );
  const ms = Date.now() - t0;
  j({ type: 'run-end', status: ok ? 'ok' : 'failed', ms });
  journal.close();
  emit({ event: 'run-end', ok, ms });
  return { run: runId, journal: journal.path, ok, ms, jobs };
}
