// The `backplan` invocations a scheduler makes for one job: the run at `schedule`, a separate
// prune at `prune_schedule`, a restore test at `verify.schedule`. Shared by the systemd and
// cron targets, which hand Backplan's own commands to the host's scheduler.
//
// A job without a schedule of its own that follows another through `from` (plan/effective-
// schedule) gets no run of its own: `backplan run --job X` runs X's followers after it, so X's
// unit runs them every time X runs (its files say so in a comment and list them in `jobs`). Only
// a job that nothing schedules (no schedule, and no job it follows) is skipped: it runs by hand.
import type { JobModel, PlanModel } from '../plan/model';
import { jobZone } from '../plan/build-model';
import { effectiveSchedule, followersOf } from '../plan/effective-schedule';
import { parseSchedule } from '../time/schedule';
import { kindInfo } from '../kinds';

export interface Invocation {
  job: string;
  /** `run`, `prune` or `verify`; also the unit-name suffix (none for `run`). */
  command: 'run' | 'prune' | 'verify';
  schedule: string;
  zone: string;
  argv: string[];
  /** For `run`: the jobs that run after this one in the same command (its followers). */
  riders: string[];
}

export interface JobInvocations {
  ok: Invocation[];
  problems: string[];
  /** No run of its own: the job whose run it follows (the owner of its effective schedule). */
  follows?: string;
  /** Nothing runs it on a schedule: why (no schedule and nothing to follow). */
  unscheduled?: string;
}

/** The comment that says which jobs a `run` invocation also runs; undefined when none. */
export function ridersComment(i: Invocation): string | undefined {
  if (i.command !== 'run' || !i.riders.length) return undefined;
  const list = i.riders.map((r) => `\`${r}\``).join(', ');
  return `# Also runs, after ${i.job} and every time it runs: ${list} (\`from\`, no schedule of their own)`;
}

/**
 * Whether the target skips `name` (no invocation of its own, no problem, and the job it follows,
 * if any, is not exported with it), with why.
 */
export function skipReason(name: string, inv: JobInvocations, exported: readonly string[]): string | undefined {
  if (inv.ok.length || inv.problems.length) return undefined;
  if (inv.follows !== undefined) {
    if (exported.includes(inv.follows)) return undefined;
    return `no schedule of its own: it runs after \`${inv.follows}\` (\`backplan run --job ${inv.follows}\`), export that job`;
  }
  return inv.unscheduled ?? 'no schedule: runs only when started by hand';
}

export function invocations(plan: PlanModel, job: JobModel, opts: { planPath: string; command?: string }): JobInvocations {
  const zone = jobZone(plan, job);
  const bin = opts.command ?? 'backplan';
  const ok: Invocation[] = [];
  const problems: string[] = [];
  const add = (command: Invocation['command'], schedule: unknown, what: string) => {
    if (schedule === undefined) return;
    const r = typeof schedule === 'string' ? parseSchedule(schedule, zone) : undefined;
    if (!r || !r.ok) {
      problems.push(`${what} ${typeof schedule === 'string' ? `\`${schedule}\`` : ''} is not a valid schedule${r && !r.ok ? `: ${r.message}` : ''}`);
      return;
    }
    const argv = [bin, command, opts.planPath, '--job', job.name];
    const riders = command === 'run' ? followersOf(plan, job.name) : [];
    ok.push({ job: job.name, command, schedule: r.schedule.normalized, zone, argv, riders });
  };
  add('run', job.schedule, 'schedule');
  add('prune', job.prune_schedule, 'prune_schedule');
  if (job.verify?.schedule !== undefined && kindInfo(job.kind)?.restoreTest === false) {
    // A timer for a restore test that `backplan verify` refuses would fail on every fire.
    problems.push(`verify.schedule: \`backplan verify\` has no restore test for kind ${job.kind}; no verify unit is written`);
  } else add('verify', job.verify?.schedule, 'verify.schedule');
  if (job.schedule !== undefined) return { ok, problems };
  const eff = effectiveSchedule(plan, job);
  return eff.ok ? { ok, problems, follows: eff.owner.name } : { ok, problems, unscheduled: eff.reason };
}
