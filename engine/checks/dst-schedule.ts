// A schedule time that a daylight-saving change makes nonexistent or repeated. For every value
// the schema types as a schedule under a job (schedule, prune_schedule, verify.schedule), in the
// job's zone (its host's, else the plan's), over the 12 months after ctx.now: one warning per
// clock change that touches a run, on the schedule value, saying the date and what cron does
// (the model of engine/time/schedule.ts: a fixed-time run in a gap runs at the jump, a wildcard
// one is skipped; in an overlap a fixed-time run happens once, a wildcard one twice). Quiet in
// zones without DST, for times outside the changing hours and for schedules that run every hour
// (one run per real hour either way). Disabled jobs are skipped.
import { jobZone } from '../plan/build-model';
import { dstIssuesOf } from '../time/dst';
import { YEAR_MS } from '../time/intervals';
import { scheduleOf } from './shared/schedules';
import { annotatedOf, dedupe } from './shared/values';
import type { Rule, RuleFinding } from './rule';

export const rule: Rule = {
  id: 'dst-schedule',
  defaultSeverity: 'warning',
  summary: 'A schedule time falls in a DST gap or overlap (runs skipped or doubled).',
  check(ctx) {
    const out: RuleFinding[] = [];
    for (const v of annotatedOf(ctx)) {
      if (v.type !== 'cron' || typeof v.value !== 'string' || v.path[0] !== 'jobs') continue;
      const job = ctx.model.jobs.get(String(v.path[1]));
      if (!job || !job.enabled) continue;
      const zone = jobZone(ctx.model, job);
      const schedule = scheduleOf(ctx, v.value, zone);
      if (!schedule) continue;
      // A schedule that runs every hour still runs once per real hour across a change: the
      // skipped 02:00 is an hour that never happens, the doubled one two hours that do.
      if (schedule.fields.hours.length === 24) continue;
      const issues = ctx.memo(`dst\u0000${zone}\u0000${v.value}`, () => dstIssuesOf(schedule, { from: ctx.now, horizonMs: YEAR_MS }));
      if (issues.length === 0) continue;
      const range = ctx.locate(v.path, 'value');
      for (const issue of issues) out.push({ range, message: `\`${v.value}\`: ${issue.message}` });
    }
    return dedupe(out);
  },
};
