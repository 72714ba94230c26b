// The `backplan` invocations a scheduler makes for one job: the run at `schedule`, a separate
// prune at `prune_schedule`, a restore test at `verify.schedule`. Shared by the systemd and
// cron targets, which hand Backplan's own commands to the host's scheduler.
import type { JobModel, PlanModel } from '../plan/model';
import { jobZone } from '../plan/build-model';
import { parseSchedule } from '../time/schedule';
import { kindInfo } from '../kinds';

export interface Invocation {
  job: string;
  /** `run`, `prune` or `verify`; also the unit-name suffix (none for `run`). */
  command: 'run' | 'prune' | 'verify';
  schedule: string;
  zone: string;
  argv: string[];
}

export function invocations(plan: PlanModel, job: JobModel, opts: { planPath: string; command?: string }): { ok: Invocation[]; problems: string[] } {
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
    ok.push({ job: job.name, command, schedule: r.schedule.normalized, zone, argv });
  };
  add('run', job.schedule, 'schedule');
  add('prune', job.prune_schedule, 'prune_schedule');
  if (job.verify?.schedule !== undefined && kindInfo(job.kind)?.restoreTest === false) {
    // A timer for a restore test that `backplan verify` refuses would fail on every fire.
    problems.push(`verify.schedule: \`backplan verify\` has no restore test for kind ${job.kind}; no verify unit is written`);
  } else add('verify', job.verify?.schedule, 'verify.schedule');
  return { ok, problems };
}
