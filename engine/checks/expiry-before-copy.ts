// A copy job consumes the snapshots of its `from` job; a snapshot that expires before the next
// copy run never reaches the copy. For every enabled job C with `from: X` (X enabled, both with a
// valid schedule) where X's pruning engine applies an expiry (see jobExpiry), over the year after
// ctx.now, DST included: for each copy run c, the oldest X snapshot taken since the previous copy
// run is the first to go; if it is removed at or before c, it was never copied. Removal is at its
// expiry for Incus and Velero, which delete by themselves. Backplan's own pruner (native) removes
// an expired snapshot only when it prunes X (after each X run, or at X's `prune_schedule`), and
// not while it is among the `min` newest (SPEC §8.3): at the first X prune p with expiry ≤ p
// and p at or after the min-th later X run. Until then a copy run still finds the snapshot.
//
// A snapshot taken at the same minute as a copy run counts for that run only when C lists X in
// `after` or follows X (no schedule of its own: it runs after X every time, with X's fires, so
// each run copies the snapshot X just took); otherwise it waits for the next copy run.
//
// Where: C's schedule (what is usually changed), with X's expiry as related information. The
// message gives the expiry, the longest wait from a snapshot to the copy run that would take it,
// and when that happens.
import { ENGINE_WORDS, jobExpiry, policySite } from './shared/policies';
import { firesOf, firstAfter, jobScheduleOf, localText, longestOf, pruneScheduleOf, spanText } from './shared/schedules';
import { dedupe } from './shared/values';
import type { Rule, RuleFinding } from './rule';

export const rule: Rule = {
  id: 'expiry-before-copy',
  defaultSeverity: 'error',
  summary: 'A snapshot expires before the copy job that consumes it can run.',
  check(ctx) {
    const out: RuleFinding[] = [];
    for (const copy of ctx.model.jobs.values()) {
      if (!copy.enabled || copy.from === undefined || copy.from === copy.name) continue;
      const source = ctx.model.jobs.get(copy.from);
      if (!source || !source.enabled) continue;
      const expiry = jobExpiry(ctx, source);
      if (!expiry) continue;
      const cs = jobScheduleOf(ctx, copy);
      const xs = jobScheduleOf(ctx, source);
      if (!cs || !xs) continue;
      // No snapshot waits longer than the copy's longest interval: nothing to do when even that
      // is shorter than the shortest possible expiry.
      const copyStats = longestOf(ctx, cs.schedule);
      if (!copyStats || copyStats.ms < expiry.deadline.minMs) continue;

      // A copy that follows its source (no schedule of its own) runs right after it, in its run.
      const sameRun = copy.after.includes(source.name) || cs.owner !== undefined;
      const native = expiry.engine === 'native';
      const minKeep = native ? Math.max(1, Math.floor(Number(expiry.policy?.min ?? 1)) || 1) : 0;
      const copies = firesOf(ctx, cs.schedule);
      const snaps = firesOf(ctx, xs.schedule);
      // When Backplan prunes X: its prune_schedule (an unreadable one: cron-invalid's), else each run.
      let prunes = snaps;
      if (native && source.prune_schedule !== undefined) {
        const ps = pruneScheduleOf(ctx, source);
        if (!ps) continue;
        prunes = firesOf(ctx, ps.schedule);
      }
      let worst: { wait: number; snap: number; run: number } | undefined;
      for (let k = 1; k < copies.length; k++) {
        const prev = copies[k - 1];
        const run = copies[k];
        // The X snapshots that this copy run is the first to see: (prev, run] or [prev, run).
        const i = firstAfter(snaps, prev, !sameRun);
        if (i >= snaps.length) break;
        const snap = snaps[i];
        if (sameRun ? snap > run : snap >= run) continue;
        let removed = expiry.deadline.at(snap);
        if (native) {
          // The first prune at or after both the deadline and the min-th newer snapshot (deadlines
          // and prunes fall on whole minutes: the prune's millisecond of delay changes nothing).
          const earliest = i + minKeep < snaps.length ? Math.max(removed, snaps[i + minKeep]) : Infinity;
          const p = Number.isFinite(earliest) ? firstAfter(prunes, earliest, true) : prunes.length;
          removed = p < prunes.length ? prunes[p] : Infinity;
        }
        if (removed > run) continue;
        if (!worst || run - snap > worst.wait) worst = { wait: run - snap, snap, run };
      }
      if (!worst) continue;
      const site = policySite(ctx, source, ['expiry']);
      const wait = spanText(worst.wait);
      const who = native ? `${ENGINE_WORDS.native} removes them at its first prune after that, once newer ones exist` : ENGINE_WORDS[expiry.engine];
      out.push({
        range: ctx.locate(cs.path, 'value'),
        message:
          `snapshots of \`${source.name}\` expire ${expiry.text} after they are taken (${who}), ` +
          `but job \`${copy.name}\` (${cs.text}) can run ${wait} after one: the ${localText(worst.snap, cs.zone)} snapshot is gone ` +
          `before the ${localText(worst.run, cs.zone)} run (${cs.zone}) can copy it; run \`${copy.name}\` more often, ` +
          `or make the expiry of \`${source.name}\` longer than ${wait}`,
        related: [{ message: `expiry of \`${source.name}\``, range: site.range }, ...site.related],
      });
    }
    return dedupe(out);
  },
};
