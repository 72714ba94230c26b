// restic `forget` semantics (restic's ExpirePolicy / ApplyPolicy), reimplemented from its
// documented behaviour and checked against restic's own golden files
// (test/fixtures/restic-forget):
// - snapshots are sorted newest first, stably (equal times keep input order);
// - `last` keeps the N newest; `hourly/daily/weekly/monthly/yearly` keep the newest snapshot of
//   each of the N newest hours / days / ISO weeks / months / years that hold a snapshot (calendar
//   of the snapshot's local time, here ctx.timezone);
// - every rule sees every snapshot: one snapshot can use up a count in several rules;
// - a rule that still has count left when it reaches the oldest snapshot keeps that one too
//   ("oldest daily snapshot"), which maximises the history kept — since restic 0.16 (PR #4366);
//   releases before keep no such snapshot, and read a count of -1 as "none" where 0.16 reads it
//   as unlimited (resticEngineFor picks the rules of a declared version);
// - `within D` keeps everything newer than (newest snapshot − D); `within_daily D` etc. keep the
//   newest of every bucket newer than that, without a count; the newest snapshot is the newest
//   one not in the future, and D is subtracted with Go's AddDate (years, months, days) then
//   the hours as a fixed length, so month overflow normalises (May 31 − 3 months = Feb 31 =
//   Mar 3) instead of clamping;
// - `tags` keeps every snapshot that has all tags of at least one list;
// - an empty policy makes `restic forget` remove nothing ("no policy was specified").
// Reasons are restic's own words ("daily snapshot", "within 1y2m3d", "oldest yearly snapshot").
import type { PolicyModel } from '../plan/model';
import type { Duration } from '../time/duration';
import { goAddDate, HOUR, localParts, type LocalParts } from './calendar';
import {
  COUNT_RULES,
  countOf,
  hasExpiry,
  hasTiers,
  isSet,
  keepOf,
  policyDuration,
  sortNewestFirst,
  tagListsOf,
  WITHIN_RULES,
  type WithinRule,
} from './common';
import type { KeptSnapshot, RetentionContext, RetentionDecision, RetentionEngine, SnapshotIn, Unsupported } from './types';

/** A `within` window: keeps snapshots strictly newer than `cutoff`; `label` names the duration in reasons. */
export interface WithinCutoff {
  cutoff: number;
  label: string;
}

/** restic's ExpirePolicy with the `within` windows already turned into cutoff instants. */
export interface ResticRules {
  last: number;
  hourly: number;
  daily: number;
  weekly: number;
  monthly: number;
  yearly: number;
  within?: WithinCutoff;
  withinHourly?: WithinCutoff;
  withinDaily?: WithinCutoff;
  withinWeekly?: WithinCutoff;
  withinMonthly?: WithinCutoff;
  withinYearly?: WithinCutoff;
  tags: string[][];
}

/** Counts left after a kept snapshot (restic's KeepReason.Counters; -1 stays -1 for unlimited). */
export interface ResticCounters {
  last: number;
  hourly: number;
  daily: number;
  weekly: number;
  monthly: number;
  yearly: number;
}

export interface ResticKept extends KeptSnapshot {
  /** Position in the sorted list given to applyResticRules. */
  index: number;
  counters: ResticCounters;
}

export interface ResticResult {
  /** Newest first. */
  keep: ResticKept[];
  /** Newest first. */
  remove: SnapshotIn[];
}

export function isEmptyResticRules(r: ResticRules): boolean {
  return (
    COUNT_RULES.every((k) => r[k] === 0) &&
    r.tags.length === 0 &&
    !r.within &&
    !r.withinHourly &&
    !r.withinDaily &&
    !r.withinWeekly &&
    !r.withinMonthly &&
    !r.withinYearly
  );
}

/** A calendar bucket of a snapshot, from its local parts (computed once per snapshot). */
type Bucketer = (p: LocalParts, nr: number) => number;

const byNumber: Bucketer = (_p, nr) => nr;
export const byHour: Bucketer = (p) => p.year * 1_000_000 + p.month * 10_000 + p.day * 100 + p.hour;
export const byDay: Bucketer = (p) => p.year * 10_000 + p.month * 100 + p.day;
export const byIsoWeek: Bucketer = (p) => p.isoYear * 100 + p.isoWeek;
export const byMonth: Bucketer = (p) => p.year * 100 + p.month;
export const byYear: Bucketer = (p) => p.year;

/** True when the snapshot carries every tag of `list` (an empty tag `""` matches an untagged snapshot). */
function hasTags(snapshot: SnapshotIn, list: readonly string[]): boolean {
  const tags = snapshot.tags ?? [];
  for (const tag of list) {
    if (tag === '' && tags.length === 0) return true;
    if (!tags.includes(tag)) return false;
  }
  return true;
}

/**
 * The core of restic's ApplyPolicy on a list already sorted newest first (use
 * sortNewestFirst). An empty rule set keeps nothing here, as in restic's ApplyPolicy; the
 * `forget` command itself keeps everything then (see resticEngine).
 */
export function applyResticRules(sorted: readonly SnapshotIn[], rules: ResticRules, zone: string, release: ResticRelease = CURRENT_RESTIC): ResticResult {
  const counted = [
    { count: rules.last, bucket: byNumber, last: -1, reason: 'last snapshot' },
    { count: rules.hourly, bucket: byHour, last: -1, reason: 'hourly snapshot' },
    { count: rules.daily, bucket: byDay, last: -1, reason: 'daily snapshot' },
    { count: rules.weekly, bucket: byIsoWeek, last: -1, reason: 'weekly snapshot' },
    { count: rules.monthly, bucket: byMonth, last: -1, reason: 'monthly snapshot' },
    { count: rules.yearly, bucket: byYear, last: -1, reason: 'yearly snapshot' },
  ];
  const windowed = [
    { within: rules.withinHourly, bucket: byHour, last: -1, reason: 'hourly within' },
    { within: rules.withinDaily, bucket: byDay, last: -1, reason: 'daily within' },
    { within: rules.withinWeekly, bucket: byIsoWeek, last: -1, reason: 'weekly within' },
    { within: rules.withinMonthly, bucket: byMonth, last: -1, reason: 'monthly within' },
    { within: rules.withinYearly, bucket: byYear, last: -1, reason: 'yearly within' },
  ];
  const keep: ResticKept[] = [];
  const remove: SnapshotIn[] = [];
  // Before restic 0.16 no rule keeps the oldest snapshot for count left over.
  const oldest = release.keepsOldest ? sorted.length - 1 : -1;

  const windowless = rules.tags.length === 0 && !rules.within && windowed.every((w) => !w.within);
  // Short lists are pruned again and again (a simulation): remember their local times. A long
  // one is read once, and would only fill the cache.
  const remember = sorted.length <= 10_000;
  for (let nr = 0; nr < sorted.length; nr++) {
    const snapshot = sorted[nr];
    // Once every count is used up and no tag or window rule exists, nothing else can be kept.
    if (windowless && counted.every((c) => c.count === 0 || c.count < -1)) {
      for (let rest = nr; rest < sorted.length; rest++) remove.push(sorted[rest]);
      break;
    }
    const reasons: string[] = [];
    const parts = localParts(snapshot.time, zone, remember);
    // Tags are not counted.
    for (const list of rules.tags) {
      if (hasTags(snapshot, list)) reasons.push(`has tags [${list.join(', ')}]`);
    }
    if (rules.within && snapshot.time > rules.within.cutoff) reasons.push(`within ${rules.within.label}`);

    for (const rule of counted) {
      if (rule.count === 0 || rule.count < -1) continue;
      const value = rule.bucket(parts, nr);
      if (value !== rule.last || nr === oldest) {
        reasons.push(value === rule.last ? `oldest ${rule.reason}` : rule.reason);
        rule.last = value;
        if (rule.count > 0) rule.count--;
      }
    }

    for (const rule of windowed) {
      if (!rule.within || !(snapshot.time > rule.within.cutoff)) continue;
      const value = rule.bucket(parts, nr);
      if (value !== rule.last || nr === oldest) {
        const reason = value === rule.last ? `oldest ${rule.reason}` : rule.reason;
        reasons.push(`${reason} ${rule.within.label}`);
        rule.last = value;
      }
    }

    if (reasons.length > 0) {
      keep.push({
        snapshot,
        index: nr,
        reasons,
        counters: {
          last: counted[0].count,
          hourly: counted[1].count,
          daily: counted[2].count,
          weekly: counted[3].count,
          monthly: counted[4].count,
          yearly: counted[5].count,
        },
      });
    } else {
      remove.push(snapshot);
    }
  }
  return { keep, remove };
}

type WithinField = 'within' | 'withinHourly' | 'withinDaily' | 'withinWeekly' | 'withinMonthly' | 'withinYearly';

const WITHIN_FIELD: Record<WithinRule, WithinField> = {
  within: 'within',
  within_hourly: 'withinHourly',
  within_daily: 'withinDaily',
  within_weekly: 'withinWeekly',
  within_monthly: 'withinMonthly',
  within_yearly: 'withinYearly',
};

/**
 * ResticRules from a policy's `keep` mapping; `window` turns each `within*` duration into its
 * cutoff (undefined = no window, e.g. a zero duration). Shared by the restic and native engines,
 * which differ only in where a window is measured from.
 */
export function resticRulesFromKeep(
  policy: PolicyModel | undefined,
  window: (d: Duration, key: WithinRule) => WithinCutoff | undefined,
): ResticRules {
  const keep = keepOf(policy);
  const rules: ResticRules = {
    last: countOf(keep?.last),
    hourly: countOf(keep?.hourly),
    daily: countOf(keep?.daily),
    weekly: countOf(keep?.weekly),
    monthly: countOf(keep?.monthly),
    yearly: countOf(keep?.yearly),
    tags: tagListsOf(keep),
  };
  if (keep) {
    for (const key of WITHIN_RULES) {
      const raw = keep[key];
      if (!isSet(raw) || String(raw).trim() === '') continue;
      const w = window(policyDuration(raw, ['keep', key]), key);
      if (w) rules[WITHIN_FIELD[key]] = w;
    }
  }
  return rules;
}

/** What changed in restic's `forget` rules between releases. */
export interface ResticRelease {
  /** A rule with count left when it reaches the oldest snapshot keeps that one too (restic ≥ 0.16). */
  keepsOldest: boolean;
  /** A count of -1 (`unlimited`) keeps every bucket (restic ≥ 0.16; before, -1 kept none and `unlimited` was an error). */
  unlimited: boolean;
  /** How messages name these rules. */
  label: string;
}

export const CURRENT_RESTIC: ResticRelease = { keepsOldest: true, unlimited: true, label: 'restic 0.16 or later' };
export const RESTIC_BEFORE_0_16: ResticRelease = { keepsOldest: false, unlimited: false, label: 'restic before 0.16' };

/** `0.14`, `0.14.0`, `restic 0.14.0 compiled with ...` → [0, 14, 0]; undefined when there is no version. */
export function parseResticVersion(text: string): [number, number, number] | undefined {
  const m = /(?:^|[\sv])(\d+)\.(\d+)(?:\.(\d+))?(?![\d.])/.exec(text.trim());
  return m ? [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)] : undefined;
}

/** The rules of a restic version (undefined or unreadable: the current rules). */
export function resticReleaseOf(version: string | undefined): ResticRelease {
  const v = version === undefined ? undefined : parseResticVersion(version);
  if (!v) return CURRENT_RESTIC;
  return v[0] === 0 && v[1] < 16 ? RESTIC_BEFORE_0_16 : CURRENT_RESTIC;
}

/** restic's own duration: years, months, days, hours (no weeks, no minutes). */
export interface ResticDuration {
  years: number;
  months: number;
  days: number;
  hours: number;
}

/** Our duration in restic's units (a week is 7 days); minutes have no restic unit and are dropped (unsupported() reports them). */
export function toResticDuration(d: Duration): ResticDuration {
  return { years: d.y, months: d.mo, days: d.d + 7 * d.w, hours: d.h };
}

/** restic's spelling of a duration (`1y2m3d4h`, `m` = months): what the driver passes and what restic prints. */
export function formatResticDuration(r: ResticDuration): string {
  let s = '';
  if (r.years !== 0) s += `${r.years}y`;
  if (r.months !== 0) s += `${r.months}m`;
  if (r.days !== 0) s += `${r.days}d`;
  if (r.hours !== 0) s += `${r.hours}h`;
  return s;
}

export function isZeroResticDuration(r: ResticDuration): boolean {
  return r.years === 0 && r.months === 0 && r.days === 0 && r.hours === 0;
}

/** `from − r` as restic computes it: AddDate(−y, −m, −d) in the zone, then minus the hours. */
export function resticSubtract(from: number, r: ResticDuration, zone: string): number {
  return goAddDate(from, -r.years, -r.months, -r.days, zone) - r.hours * HOUR;
}

/** The newest snapshot time strictly before `now` (restic ignores snapshots from the future), or undefined. */
export function resticLatest(snapshots: readonly SnapshotIn[], now: number): number | undefined {
  let latest: number | undefined;
  for (const s of snapshots) {
    if (s.time < now && (latest === undefined || s.time > latest)) latest = s.time;
  }
  return latest;
}

/** restic's rules for a policy at a prune time (windows measured from the newest snapshot). */
export function resticRules(policy: PolicyModel | undefined, snapshots: readonly SnapshotIn[], ctx: RetentionContext): ResticRules {
  const latest = resticLatest(snapshots, ctx.now);
  return resticRulesFromKeep(policy, (d) => {
    const r = toResticDuration(d);
    if (isZeroResticDuration(r)) return undefined;
    // No snapshot before now: restic measures from the zero time, so every snapshot is inside.
    const cutoff = latest === undefined ? -Infinity : resticSubtract(latest, r, ctx.timezone);
    return { cutoff, label: formatResticDuration(r) };
  });
}

export const NO_POLICY_REASON = 'no policy was specified, no snapshots will be removed';

function unsupported(policy: PolicyModel, release: ResticRelease): Unsupported[] {
  const out: Unsupported[] = [];
  const keepCounts = keepOf(policy);
  if (!release.unlimited && keepCounts) {
    for (const key of COUNT_RULES) {
      if (countOf(keepCounts[key]) < 0) {
        out.push({
          key: ['keep', key],
          message: `${release.label} has no unlimited count (it rejects \`unlimited\` and reads -1 as "keep none"): write a finite \`keep.${key}\`, or declare a newer restic in the host's \`tool_versions\``,
        });
      }
    }
  }
  if (hasTiers(policy)) {
    out.push({
      key: ['tiers'],
      message: 'restic forget has no age bands (`tiers`): express the policy with `keep` counts and `within*` durations',
    });
  }
  if (hasExpiry(policy)) {
    out.push({
      key: ['expiry'],
      message: 'restic has no per-snapshot expiry: use `keep.within` (kept while newer than the newest snapshot minus the duration)',
    });
  }
  const keep = keepOf(policy);
  if (keep) {
    for (const key of WITHIN_RULES) {
      const raw = keep[key];
      if (!isSet(raw)) continue;
      let d: Duration;
      try {
        d = policyDuration(raw, ['keep', key]);
      } catch {
        continue; // duration-invalid reports it
      }
      if (d.min !== 0) {
        out.push({
          key: ['keep', key],
          message: `restic durations have no minutes (units y, m, d, h): write \`keep.${key}\` in whole hours`,
        });
      }
    }
  }
  return out;
}

function evaluate(snapshots: readonly SnapshotIn[], policy: PolicyModel, ctx: RetentionContext, release: ResticRelease): RetentionDecision {
  const sorted = sortNewestFirst(snapshots);
  const rules = resticRules(policy, sorted, ctx);
  if (isEmptyResticRules(rules)) {
    return { keep: sorted.map((snapshot) => ({ snapshot, reasons: [NO_POLICY_REASON] })), remove: [] };
  }
  const r = applyResticRules(sorted, rules, ctx.timezone, release);
  return { keep: r.keep.map(({ snapshot, reasons }) => ({ snapshot, reasons })), remove: r.remove };
}

function engineOf(release: ResticRelease): RetentionEngine {
  return {
    id: 'restic',
    release: release.label,
    unsupported: (policy) => unsupported(policy, release),
    evaluate: (snapshots, policy, ctx) => evaluate(snapshots, policy, ctx, release),
  };
}

export const resticEngine: RetentionEngine = engineOf(CURRENT_RESTIC);
const resticBefore016Engine: RetentionEngine = engineOf(RESTIC_BEFORE_0_16);

/** The restic engine with the rules of `version` (as a host's `tool_versions.restic` declares it; undefined: current). */
export function resticEngineFor(version: string | undefined): RetentionEngine {
  return resticReleaseOf(version) === RESTIC_BEFORE_0_16 ? resticBefore016Engine : resticEngine;
}
