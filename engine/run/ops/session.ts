// What `backplan prune` and `backplan verify` share: the job's steps planned on their own, and the
// session of an operation that changes something (state directory, journal, lock, ssh masters).
import { hostname } from 'node:os';
import type { PlanModel } from '../../plan/model';
import { Hosts } from '../exec/hosts';
import { Redactor } from '../exec/redact';
import { Journal } from '../state/journal';
import { acquireLock, LockError, type Lock } from '../state/lock';
import { ensureStateDir } from '../state/dir';
import { planSteps } from '../steps/plan-steps';
import type { Step } from '../steps/step';
import { newRunId, type RunEvent } from './run-plan';
import { JobOpError, type JobSession } from './types';

export function stepsFor(plan: PlanModel, job: string, now: number): Step[] {
  const j = plan.jobs.get(job);
  if (!j) throw new JobOpError(`no job named \`${job}\` in the plan`);
  // Planned on its own, even when disabled: prune and verify act on what exists.
  const p = planSteps(
    { ...plan, jobs: new Map([...plan.jobs].map(([n, m]) => [n, n === job ? { ...m, enabled: true } : m])) },
    { job, now, alone: true },
  );
  const errs = p.errors.filter((e) => e.job === job);
  if (errs.length) throw new JobOpError(`job ${job}: ${errs.map((e) => e.message).join('; ')}`);
  return p.steps;
}

export interface Session extends JobSession {
  lock: Lock;
}

export function openSession(
  command: 'prune' | 'verify' | 'restore',
  plan: PlanModel,
  planPath: string,
  job: string,
  stateDir: string,
  opts: { breakStaleLock?: boolean; onEvent?(e: RunEvent): void; sshOptions?: string[] },
): Session {
  const layout = ensureStateDir(stateDir);
  const redactor = new Redactor();
  const run = newRunId(Date.now());
  const journal = Journal.create(layout.runs, run, redactor);
  const emit = (e: RunEvent) => opts.onEvent?.(redactor.value(e));
  journal.append({ type: 'run-start', command, plan: planPath, jobs: [job], pid: process.pid, host: hostname() });
  journal.append({ type: 'job-start', job });
  let lock: Lock;
  try {
    lock = acquireLock(layout.locks, job, {
      run,
      command,
      journal: journal.path,
      breakStale: opts.breakStaleLock,
      onBroken: (info, why) => {
        journal.append({ type: 'lock-broken', job, lock: { ...info } });
        emit({ event: 'notice', job, message: `broke the stale lock of job ${job} (${why})` });
      },
    });
  } catch (e) {
    const msg = (e as Error).message;
    journal.append({ type: 'job-end', job, status: 'failed', message: msg });
    journal.append({ type: 'run-end', status: 'failed', ms: 0 });
    journal.close();
    throw e instanceof LockError ? e : new JobOpError(msg);
  }
  const hosts = new Hosts(plan, { controlDir: layout.ssh, sshOptions: opts.sshOptions });
  return {
    journal,
    lock,
    hosts,
    redactor,
    emit,
    async close(status, t0) {
      await hosts.close();
      lock.release();
      journal.append({ type: 'job-end', job, status });
      journal.append({ type: 'run-end', status, ms: Date.now() - t0 });
      journal.close();
    },
  };
}
