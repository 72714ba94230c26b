// A snapshot that expires before the next one is taken leaves a time with no snapshot at all.
// For every enabled job with a valid schedule whose pruning engine applies a per-snapshot expiry
// (native, Incus snapshots.expiry, Velero ttl — restic, borg and PBS have none:
// retention-unsupported says so), over the year after ctx.now, DST included: fires when some
// run's snapshot expires at or before the next run (`expiry ≤ interval`; equal counts, the copy
// is gone at the instant the next one is made). Expiry is measured in the engine's arithmetic:
// fixed lengths against the longest interval; calendar units (mo, y; days for Incus, which uses
// Go's AddDate) interval by interval.
//
// Native pruning never removes the newest copy (`min`, SPEC §8.3), so there the snapshot
// survives on `min` alone rather than vanishing; the message says which. Incus and Velero
// delete it whatever `min` says.
//
// Where: the expiry value of the job's policy (see policySite: a named policy shared by several
// jobs is pointed at through this job's `retention`). A Velero job without expiry uses the
// server's 30-day default: the finding then sits on the schedule. A quick fix (not preferred:
// it is a judgement call) sets a roomy expiry when the range is the expiry itself.
import type { Fix } from '../findings';
import { jobExpiry, policySite, roomyDuration } from './shared/policies';
import { intervalText, jobScheduleOf, spanText, worstOverrun } from './shared/schedules';
import { dedupe, replaceValueFix } from './shared/values';
import type { Rule, RuleFinding } from './rule';

export const rule: Rule = {
  id: 'expiry-gap',
  defaultSeverity: 'warning',
  summary: 'Expiry is not longer than the longest interval of the schedule.',
  check(ctx) {
    const out: RuleFinding[] = [];
    for (const job of ctx.model.jobs.values()) {
      if (!job.enabled) continue;
      const expiry = jobExpiry(ctx, job);
      if (!expiry) continue;
      const js = jobScheduleOf(ctx, job);
      if (!js) continue;
      const gap = worstOverrun(ctx, js.schedule, expiry.deadline, false);
      if (!gap) continue;
      const interval = spanText(gap.ms);
      const when = intervalText(gap, js.zone);
      const suggestion = roomyDuration(gap.ms, expiry.engine === 'velero');
      const outcome =
        expiry.engine === 'native'
          ? 'between those runs only `min` keeps a snapshot, past its expiry'
          : 'there are times with no snapshot at all';
      const advice = `make expiry longer than ${interval}, e.g. ${suggestion}, or run more often`;
      if (expiry.isDefault) {
        out.push({
          range: ctx.locate(js.path, 'value'),
          message: `Velero's default ttl (${expiry.text}) is not longer than the longest interval between runs of \`${js.expr}\` (${interval}, ${when}): ${outcome}; set \`retention: { expiry: ${suggestion} }\` or run more often`,
        });
        continue;
      }
      const site = policySite(ctx, job, ['expiry']);
      const whose = site.onPart && typeof job.retention !== 'string' ? '' : ` (${site.label})`;
      const fixes: Fix[] = site.onPart ? [replaceValueFix(ctx.text, site.range, suggestion, `Change expiry to \`${suggestion}\``, false)] : [];
      out.push({
        range: site.range,
        message: `expiry ${expiry.text}${whose} is not longer than the longest interval between runs of job \`${job.name}\` (\`${js.expr}\`: ${interval}, ${when}): ${outcome}; ${advice}`,
        ...(site.related.length > 0 ? { related: site.related } : {}),
        ...(fixes.length > 0 ? { fixes } : {}),
      });
    }
    return dedupe(out);
  },
};
