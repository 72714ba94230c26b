// A snapshot that expires before the next one is taken leaves a time with no snapshot at all.
// For every enabled job with a valid schedule whose pruning engine applies a per-snapshot expiry
// (native, Incus snapshots.expiry, Velero ttl — restic, borg and PBS have none:
// retention-unsupported says so), over the year after ctx.now, DST included: fires when some
// run's snapshot expires before the next run, or at it (`expiry ≤ interval`) for native and
// Velero. Expiry is measured in the engine's arithmetic: fixed lengths against the longest
// interval; calendar units (mo, y; days for Incus, which uses Go's AddDate) interval by interval.
//
// Incus: expiry equal to the interval is no gap. The daemon's snapshot task (incusd
// pruneExpiredAndAutoCreateInstanceSnapshotsTask) runs once a minute; in one run it first
// deletes the snapshots whose expires_at has passed, then takes the scheduled ones, and
// expires_at is the creation instant + expiry (GetExpiry). The snapshot taken at a fire is
// stamped a few milliseconds after that minute's run started, so at the next fire, one interval
// later, it is deleted in the same run as the new one is taken, or one minute later: never a
// time without a snapshot (the simulator, engine/retention/expiry.ts, holds 1 throughout). Only
// an expiry shorter than the interval leaves one: (interval − expiry) with nothing held.
//
// Incus and Velero delete a snapshot at its deadline whatever `min` says: between the deadline
// and the next run nothing is held. Backplan's own pruner (native) removes an expired snapshot
// only when it prunes, and never the newest copy (`min`, SPEC §8.3): the set never empties, but
// the first prune after the next run finds every older snapshot expired and keeps none of them
// beyond what `min` keeps. The message says which.
//
// Where: the expiry value of the job's policy (see policySite: a named policy shared by several
// jobs is pointed at through this job's `retention`). A Velero job without expiry uses the
// server's 30-day default: the finding then sits on the schedule. A quick fix (not preferred:
// it is a judgement call) sets a roomy expiry when the range is the expiry itself.
import type { Fix } from '../findings';
import { jobExpiry, policySite, policyUsers, roomyDuration } from './shared/policies';
import { intervalText, jobScheduleOf, spanText, worstOverrun } from './shared/schedules';
import { dedupe, replaceValueFix } from './shared/values';
import { insertPair } from './shared/insert';
import type { JobModel } from '../plan/model';
import type { CheckContext, Rule, RuleFinding } from './rule';

/**
 * The fix of a Velero job that relies on the default ttl: writes the suggested expiry into its
 * inline retention, its own named policy, or a new `retention` when it has none.
 */
function setExpiryFix(ctx: CheckContext, job: JobModel, value: string): Fix[] | undefined {
  const r = job.retention;
  const edit =
    r === undefined
      ? insertPair(ctx.text, ctx.doc, job.at, 'retention', `{ expiry: ${value} }`)
      : typeof r === 'string'
        ? policyUsers(ctx, r).length <= 1 ? insertPair(ctx.text, ctx.doc, ['policies', r], 'expiry', value) : undefined
        : insertPair(ctx.text, ctx.doc, [...job.at, 'retention'], 'expiry', value);
  return edit ? [{ title: `Set expiry to \`${value}\``, edits: [edit] }] : undefined;
}

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
      // Incus: strictly shorter (see the header); native and Velero: equal counts.
      const gap = worstOverrun(ctx, js.schedule, expiry.deadline, expiry.engine === 'incus');
      if (!gap) continue;
      const interval = spanText(gap.ms);
      const when = intervalText(gap, js.zone);
      const suggestion = roomyDuration(gap.ms, expiry.engine === 'velero');
      const outcome =
        expiry.engine === 'native'
          ? 'a snapshot has expired by the next run, so the first prune after that run keeps none of the older snapshots but what `min` keeps'
          : 'there are times with no snapshot at all';
      const advice =
        expiry.engine === 'incus'
          ? `make expiry at least ${interval}, e.g. ${suggestion}, or run more often`
          : `make expiry longer than ${interval}, e.g. ${suggestion}, or run more often`;
      if (expiry.isDefault) {
        const fix = setExpiryFix(ctx, job, suggestion);
        out.push({
          range: ctx.locate(js.path, 'value'),
          message: `Velero's default ttl (${expiry.text}) is not longer than the longest interval between runs of \`${js.expr}\` (${interval}, ${when}): ${outcome}; set \`retention: { expiry: ${suggestion} }\` or run more often`,
          ...(fix ? { fixes: fix } : {}),
        });
        continue;
      }
      const site = policySite(ctx, job, ['expiry']);
      const whose = site.onPart && typeof job.retention !== 'string' ? '' : ` (${site.label})`;
      const fixes: Fix[] = site.onPart ? [replaceValueFix(ctx.text, site.range, suggestion, `Change expiry to \`${suggestion}\``, false)] : [];
      out.push({
        range: site.range,
        message: `expiry ${expiry.text}${whose} is ${expiry.engine === 'incus' ? 'shorter than' : 'not longer than'} the longest interval between runs of job \`${job.name}\` (\`${js.expr}\`: ${interval}, ${when}): ${outcome}; ${advice}`,
        ...(site.related.length > 0 ? { related: site.related } : {}),
        ...(fixes.length > 0 ? { fixes } : {}),
      });
    }
    return dedupe(out);
  },
};
