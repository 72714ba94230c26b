// Retention that cannot hold what the schedule and the rpo need. Two findings, both on the job's
// `retention` value (for a named policy the name; for an inline one the `retention` key), for
// enabled jobs with a valid schedule and a policy the engine can express (otherwise
// retention-unsupported speaks):
//
// (a) Nothing held between a prune and the next run. Pruning right after a run (the default)
//     always keeps the copy just made under every rule of every engine, except rules of length
//     zero (retention-invalid's) and expiry (expiry-gap's: Incus and Velero delete at the
//     deadline; Backplan's own expiry acts at prunes, and can only find the newest copy expired
//     when the expiry is shorter than an interval between runs, which expiry-gap reports). So
//     this can only happen with a separate `prune_schedule`: at a prune P the newest copy is
//     already P − (last run before P) old, and a policy whose only rules are age windows
//     measured from the prune time (native `within*` and tiers, borg `within`) removes it — and
//     with it every copy — when that age reaches the longest window. Count rules (`last`,
//     `daily` ...) always keep the newest, restic measures `within` from the newest snapshot,
//     PBS has counts only: none of those can. Checked at every prune of the year after
//     ctx.now, DST included, with the engine's arithmetic (native: calendar months; borg: a
//     month is 31 days).
//
// (b) Less history than the rpo. The retained span R is an upper estimate of the oldest age the
//     policy can still keep right after a run, in steady state, with L the longest interval
//     between runs: `last: N` → (N−1)·L; a calendar count `hourly|daily|weekly|monthly|yearly: N`
//     → N·max(period, L) (periods 1h, 25h, 7d 1h, 31d, 366d: a DST day can be 25h); a count of
//     -1/all, a tag rule, a last tier without `until`, or no rule at all → unlimited;
//     `within*: D` → D (longest reading); tiers → the last `until`; the union of the forms is
//     their maximum, capped by `expiry` (longest reading: right after a prune nothing older is
//     held; between a deadline and the next prune Backplan still holds the expired copy, but the
//     history kept after each prune is what counts); then `min: N` (native) → at least (N−1)·L,
//     since the runner keeps the N newest past their expiry too; expiry-only engines (Incus,
//     Velero) → the expiry (Velero's default 30d when none). The finding fires when R is
//     shorter than the shortest reading of the rpo (its own `rpo`, else `checks.default_rpo`):
//     restore points then never reach back as far as the loss the job's owner says they accept,
//     so a problem noticed within the rpo may have no clean copy left.
import { jobPolicy } from '../plan/build-model';
import type { JobModel, PolicyModel } from '../plan/model';
import { COUNT_RULES, WITHIN_RULES, countOf, hasExpiry } from '../retention/common';
import { engineForJob, engineIdFor, type EngineId } from '../retention/index';
import { maxMs, minMs, MS, subtractDuration, isZero, type Duration } from '../time/duration';
import { durationOf, jobExpiry, jobRpo } from './shared/policies';
import { firesOf, firstAfter, jobScheduleOf, localText, pruneScheduleOf, longestOf, spanText, type JobSchedule } from './shared/schedules';
import { dedupe } from './shared/values';
import type { CheckContext, Rule, RuleFinding } from './rule';

const PERIOD: Readonly<Record<string, number>> = {
  hourly: MS.HOUR,
  daily: 25 * MS.HOUR,
  weekly: 7 * MS.DAY + MS.HOUR,
  monthly: 31 * MS.DAY,
  yearly: 366 * MS.DAY,
};

interface Window {
  key: string;
  text: string;
  d: Duration;
}

/**
 * The age windows of a policy, measured from the prune time (within* and the last tier's until);
 * whether a rule keeps the newest copy whatever its age (a count, a tag rule); whether some rule
 * keeps copies of any age (a count of -1, a tag rule, a last tier without until).
 */
function windowsOf(policy: PolicyModel): { windows: Window[]; keepsNewest: boolean; unbounded: boolean } {
  const windows: Window[] = [];
  let unbounded = false;
  let keepsNewest = false;
  const keep = policy.keep;
  if (keep) {
    const tags = Array.isArray(keep.tags) && keep.tags.length > 0;
    keepsNewest = tags || COUNT_RULES.some((r) => countOf(keep[r]) !== 0);
    unbounded = tags || COUNT_RULES.some((r) => countOf(keep[r]) < 0);
    for (const r of WITHIN_RULES) {
      const d = durationOf(keep[r]);
      if (d && !isZero(d)) windows.push({ key: `keep.${r}`, text: String(keep[r]), d });
    }
  }
  const tiers = policy.tiers ?? [];
  if (tiers.length > 0) {
    const last = tiers[tiers.length - 1];
    const d = durationOf(last.until);
    if (last.until === undefined) unbounded = true;
    else if (d) windows.push({ key: 'tiers', text: `until: ${last.until}`, d });
    else unbounded = true; // unreadable: duration-invalid's; assume nothing
  }
  return { windows, keepsNewest, unbounded };
}

/** The cutoff of a window at prune time `p`: copies taken at or before it are out. */
function cutoff(engine: EngineId, w: Window, p: number, zone: string): number {
  if (engine === 'borg') {
    const d = w.d;
    return p - (minMs({ ...d, mo: 0, y: 0 }) + d.mo * 31 * MS.DAY + d.y * 365 * MS.DAY);
  }
  return subtractDuration(p, w.d, zone);
}

/** Part (a): the prune that finds the newest copy outside every window, the latest after its run. */
function emptyAfterPrune(ctx: CheckContext, engine: EngineId, policy: PolicyModel, runs: JobSchedule, prunes: JobSchedule) {
  if (engine !== 'native' && engine !== 'borg') return undefined;
  const { windows, keepsNewest, unbounded } = windowsOf(policy);
  if (keepsNewest || unbounded || windows.length === 0) return undefined;
  const pruneStats = longestOf(ctx, prunes.schedule);
  const runStats = longestOf(ctx, runs.schedule);
  // The newest copy is never older at a prune than the longest interval between runs, and it is
  // removed only once it is outside every window (3h: the most a clock change shifts a calendar one).
  const widestWindow = Math.max(...windows.map((w) => minMs(w.d)));
  if (!pruneStats || !runStats || runStats.ms < widestWindow - 3 * MS.HOUR) return undefined;
  const runFires = firesOf(ctx, runs.schedule);
  const pruneFires = firesOf(ctx, prunes.schedule);
  let worst: { prune: number; run: number; window: Window } | undefined;
  // Does the prune at p (after the run at `run`) find the newest copy outside every window?
  const consider = (p: number, run: number): void => {
    if (worst && p - run <= worst.prune - worst.run) return;
    let widest: Window | undefined;
    let lowest = Infinity;
    for (const w of windows) {
      const c = cutoff(engine, w, p, runs.zone);
      if (c < lowest) {
        lowest = c;
        widest = w;
      }
    }
    if (widest && run <= lowest) worst = { prune: p, run, window: widest };
  };
  if (pruneFires.length <= runFires.length) {
    for (const p of pruneFires) {
      const i = firstAfter(runFires, p) - 1; // the last run at or before the prune
      if (i >= 0) consider(p, runFires[i]);
    }
  } else {
    // Between two runs the last prune is the worst one (the cutoffs only move forward).
    for (let k = 0; k + 1 < runFires.length; k++) {
      const j = firstAfter(pruneFires, runFires[k + 1], true) - 1;
      if (j >= 0 && pruneFires[j] >= runFires[k]) consider(pruneFires[j], runFires[k]);
    }
  }
  return worst;
}

/** Part (b): the retained span R (see the header) and the form that gives it. */
function retainedSpan(job: JobModel, policy: PolicyModel | undefined, engine: EngineId, longestOf: () => number | undefined, ctx: CheckContext) {
  if (engine === 'incus' || engine === 'velero') {
    const e = jobExpiry(ctx, job);
    return e ? { ms: maxMs(e.duration), why: e.isDefault ? `Velero's default ttl ${e.text}` : `\`expiry: ${e.text}\`` } : undefined;
  }
  if (!policy) return undefined;
  const { windows, keepsNewest, unbounded } = windowsOf(policy);
  let best = { ms: -1, why: '' };
  const consider = (ms: number, why: string) => {
    if (ms > best.ms) best = { ms, why };
  };
  const keep = policy.keep;
  const hasRule = keepsNewest || unbounded || windows.length > 0 || (policy.tiers ?? []).length > 0;
  if (unbounded || !hasRule) {
    if (!hasExpiry(policy)) return undefined;
    best = { ms: Infinity, why: '' };
  }
  const needsLongest = (keep && COUNT_RULES.some((r) => countOf(keep[r]) > 0)) || (engine === 'native' && typeof policy.min === 'number' && policy.min > 1);
  const longest = needsLongest ? longestOf() : 0;
  if (longest === undefined) return undefined;
  const every = spanText(longest);
  if (keep) {
    const last = countOf(keep.last);
    if (last > 0) consider((last - 1) * longest, last === 1 ? '`keep.last: 1`' : `\`keep.last: ${last}\` with runs up to ${every} apart`);
    for (const r of Object.keys(PERIOD)) {
      const n = countOf((keep as Record<string, unknown>)[r]);
      if (n > 0) consider(n * Math.max(PERIOD[r], longest), `\`keep.${r}: ${n}\``);
    }
  }
  for (const w of windows) consider(maxMs(w.d), w.key === 'tiers' ? `the last tier's \`${w.text}\`` : `\`${w.key}: ${w.text}\``);
  const expiry = hasExpiry(policy) ? durationOf(policy.expiry) : undefined;
  if (expiry && maxMs(expiry) < best.ms) best = { ms: maxMs(expiry), why: `\`expiry: ${policy.expiry}\`` };
  // After the cap: the runner keeps the min newest even past their expiry.
  if (engine === 'native' && typeof policy.min === 'number' && policy.min > 1) {
    consider((policy.min - 1) * longest, `\`min: ${policy.min}\` with runs up to ${every} apart`);
  }
  return best.ms >= 0 && Number.isFinite(best.ms) ? best : undefined;
}

export const rule: Rule = {
  id: 'retention-too-short',
  defaultSeverity: 'warning',
  summary: 'Retention removes every copy before the next run, or keeps less history than rpo.',
  check(ctx) {
    const out: RuleFinding[] = [];
    for (const job of ctx.model.jobs.values()) {
      if (!job.enabled) continue;
      const policy = jobPolicy(ctx.model, job);
      const engine = engineIdFor(job.kind, policy);
      if (!policy && engine !== 'velero') continue;
      if (policy && engineForJob(ctx.model, job, policy).unsupported(policy).length > 0) continue;
      const runs = jobScheduleOf(ctx, job);
      if (!runs) continue;
      const whose = typeof job.retention === 'string' ? `policy \`${job.retention}\`` : 'this retention';

      const prunes = policy ? pruneScheduleOf(ctx, job) : undefined;
      const empty = policy && prunes ? emptyAfterPrune(ctx, engine, policy, runs, prunes) : undefined;
      if (empty) {
        const held = engine === 'native' ? 'only `min` keeps the newest copy' : 'borg removes every archive';
        out.push({
          range: ctx.locate([...job.at, 'retention'], 'value'),
          message:
            `${whose} keeps nothing older than \`${empty.window.key === 'tiers' ? empty.window.text : `${empty.window.key}: ${empty.window.text}`}\`, ` +
            `but job \`${job.name}\` prunes at \`${prunes!.expr}\` up to ${spanText(empty.prune - empty.run)} after a run ` +
            `(the ${localText(empty.prune, runs.zone)} prune, after the ${localText(empty.run, runs.zone)} run, ${runs.zone}): ` +
            `from that prune to the next run ${held}; prune right after each run (remove \`prune_schedule\`), or keep copies longer than ${spanText(empty.prune - empty.run)}`,
          related: [{ message: 'prune schedule', range: ctx.locate(prunes!.path, 'value') }],
        });
      }

      const rpo = jobRpo(ctx, job);
      if (!rpo) continue;
      const span = retainedSpan(job, policy, engine, () => longestOf(ctx, runs.schedule)?.ms, ctx);
      if (!span || span.ms >= minMs(rpo.duration)) continue;
      const rpoText = rpo.fromDefault ? `the plan's default rpo ${rpo.text}` : `the rpo ${rpo.text}`;
      const advice =
        engine === 'incus' || engine === 'velero'
          ? `make the expiry at least ${rpo.text}`
          : `keep restore points for at least the rpo (e.g. \`keep.within: ${rpo.text}\` or more copies)`;
      out.push({
        range: policy ? ctx.locate([...job.at, 'retention'], 'value') : ctx.locate(runs.path, 'value'),
        message:
          `${policy ? whose : 'Velero'} ${span.ms === 0 ? 'keeps only the newest copy' : `keeps at most ${spanText(span.ms)} of history`} (${span.why}), less than ${rpoText} of job \`${job.name}\`: ${advice}`,
        related: [{ message: rpo.fromDefault ? 'default rpo' : 'rpo', range: ctx.locate(rpo.path, 'value') }],
      });
    }
    return dedupe(out);
  },
};
