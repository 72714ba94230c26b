// The longest wait between two runs of a job must not exceed its rpo. For every enabled job with
// a valid schedule and an rpo (its own `rpo`, else `checks.default_rpo`), over the year after
// ctx.now with DST included (a 6-hourly schedule in Europe/Paris has a 7-hour interval in
// October): fires when some interval between consecutive runs is longer than the rpo (equal is
// fine). An rpo with months or years is compared interval by interval with calendar arithmetic
// in the job's zone.
//
// Where: the job's `rpo` value; with `checks.default_rpo`, the job's schedule (the default is
// related information). The message gives both lengths and where the longest interval falls.
// The schedule is the job's effective one: its own, else (a job with `from` and no schedule,
// which runs after its source every time) its source's. A copy job's data can be older still
// (its source's interval comes on top), which is not what its rpo field measures here.
import { jobRpo, planDeadline } from './shared/policies';
import { intervalText, jobScheduleOf, spanText, worstOverrun } from './shared/schedules';
import { dedupe } from './shared/values';
import type { Rule, RuleFinding } from './rule';

export const rule: Rule = {
  id: 'rpo-exceeded',
  defaultSeverity: 'warning',
  summary: "The longest interval between runs (DST included) exceeds the job's rpo.",
  check(ctx) {
    const out: RuleFinding[] = [];
    for (const job of ctx.model.jobs.values()) {
      if (!job.enabled) continue;
      const rpo = jobRpo(ctx, job);
      if (!rpo) continue;
      const js = jobScheduleOf(ctx, job);
      if (!js) continue;
      const worst = worstOverrun(ctx, js.schedule, planDeadline(rpo.duration, js.zone), true);
      if (!worst) continue;
      const scheduleSite = {
        message: js.owner !== undefined ? `schedule of \`${js.owner}\`` : 'schedule',
        range: ctx.locate(js.schedulePath, 'value'),
      };
      const rpoText = rpo.fromDefault ? `the plan's default rpo ${rpo.text}` : `its rpo ${rpo.text}`;
      const message =
        `job \`${job.name}\` can go ${spanText(worst.ms)} without a run (${js.text}, ${intervalText(worst, js.zone)}), ` +
        `longer than ${rpoText}: schedule it more often, or raise the rpo to at least ${spanText(worst.ms)}`;
      out.push(
        rpo.fromDefault
          ? {
              range: ctx.locate(js.path, 'value'),
              message,
              related: [{ message: 'default rpo', range: ctx.locate(rpo.path, 'value') }, ...(js.owner !== undefined ? [scheduleSite] : [])],
            }
          : { range: ctx.locate(rpo.path, 'value'), message, related: [scheduleSite] },
      );
    }
    return dedupe(out);
  },
};
