// borg 1.2 `prune` semantics (checked against borg 1.2.4: helpers/misc.py prune_within / prune_split,
// archiver.py do_prune, helpers/parseformat.py interval, helpers/time.py to_localtime).
//
// How borg decides, in short:
// - Archives are walked newest first. Equal timestamps: borg lists its manifest (sorted by name)
//   by time ascending, reverses that list and then sorts it again newest first with a stable sort,
//   so among equal times the archive with the greater name comes first. Here the input order
//   stands in for that: among equal times, the one given first is treated as the newer one.
// - `--keep-within N<H|d|w|m|y>` runs first and keeps every archive whose timestamp is strictly
//   after `now − N hours`, with `m` = 31 days and `y` = 365 days (fixed lengths, no calendar).
//   It is measured from the clock of the machine running prune, not from the newest archive.
// - Then the period rules, in this fixed order: secondly (`--keep-last` is an alias of
//   `--keep-secondly`), minutely, hourly, daily, weekly, monthly, yearly. Each walks all archives
//   newest first; every time the period changes it keeps that archive — unless an earlier rule
//   already kept it, in which case the period is used up without counting (archives kept by an
//   earlier rule do not count for later rules, and the older archives of that period are not
//   looked at). A rule stops when it has kept N.
// - A rule that ran out of archives before reaching N keeps the oldest archive too, unless it is
//   already kept ("daily[oldest] #k"). This exists in 1.2.4 (it came with 1.2.0). With N = -1 (or
//   any negative count) a rule never stops and never adds the oldest.
// - Periods are read in the local time of the process running prune (`to_localtime`, at whole
//   seconds): `%Y-%m-%d %H` for hourly, ISO week-year and week (`%G-%V`) for weekly, ... Here
//   that local time is `ctx.timezone`. A repeated hour at the end of summer time is one hour
//   period (both halves print the same local hour).
// - Archives whose name ends in `.checkpoint` or `.checkpoint.N` are left out of every rule; the
//   newest checkpoint survives only when it is newer than every complete archive.
// - Reasons are borg's own words from `--list`: "within #3", "secondly #1", "daily #2",
//   "monthly[oldest] #5", "checkpoint".
import { IANAZone } from 'luxon';
import { localParts, type LocalParts } from './calendar';
import type { PolicyModel, KeepModel } from '../plan/model';
import { parseDuration, type Duration } from '../time/duration';
import { countOf, hasExpiry, hasTiers, isSet, keepOf, policyDuration, PolicyValueError } from './common';
import type { KeptSnapshot, RetentionContext, RetentionDecision, RetentionEngine, SnapshotIn, Unsupported } from './types';

const HOUR_MS = 3_600_000;

/** borg's period rules in the order borg applies them, with the plan key that feeds each. */
export const BORG_RULES = [
  { rule: 'secondly', key: 'last', flag: '--keep-last' },
  { rule: 'hourly', key: 'hourly', flag: '--keep-hourly' },
  { rule: 'daily', key: 'daily', flag: '--keep-daily' },
  { rule: 'weekly', key: 'weekly', flag: '--keep-weekly' },
  { rule: 'monthly', key: 'monthly', flag: '--keep-monthly' },
  { rule: 'yearly', key: 'yearly', flag: '--keep-yearly' },
] as const satisfies readonly { rule: string; key: keyof KeepModel; flag: string }[];

export type PeriodRule = (typeof BORG_RULES)[number]['rule'];

/** Plan keys borg 1.2 has no option for. */
const NO_BORG_OPTION: Partial<Record<keyof KeepModel, string>> = {
  within_hourly: 'borg 1.2 has no `--keep-within-hourly`; use `within` and/or `hourly`',
  within_daily: 'borg 1.2 has no `--keep-within-daily`; use `within` and/or `daily`',
  within_weekly: 'borg 1.2 has no `--keep-within-weekly`; use `within` and/or `weekly`',
  within_monthly: 'borg 1.2 has no `--keep-within-monthly`; use `within` and/or `monthly`',
  within_yearly: 'borg 1.2 has no `--keep-within-yearly`; use `within` and/or `yearly`',
  tags: 'borg prune cannot keep archives by tag (borg archives have no tags; it can only select archives by name)',
};

export type BorgWithin =
  | { ok: true; hours: number; /** The `--keep-within` value, e.g. `36H`, `2d`, `1m`. */ arg: string }
  | { ok: false; message: string };

/**
 * A plan `within` duration as borg's `--keep-within`: one number and one unit among H, d, w,
 * m (= 31 days) and y (= 365 days). Fixed-length combinations (`1w2d`, `1d12h`, `120min`) are
 * written in hours; `mo` and `y` cannot be combined with anything, and minutes must make whole hours.
 */
export function borgWithin(text: string): BorgWithin {
  const parsed = parseDuration(text);
  if (!parsed.ok) return { ok: false, message: parsed.message };
  const d: Duration = parsed.value;
  const used = (Object.keys(d) as (keyof Duration)[]).filter((u) => d[u] !== 0);
  if (used.length === 0) return { ok: false, message: `borg's --keep-within needs a duration greater than 0, not \`${text}\`` };
  const calendar = used.filter((u) => u === 'mo' || u === 'y');
  if (calendar.length > 0 && used.length > 1) {
    return {
      ok: false,
      message:
        `borg's --keep-within takes one number and one unit; \`${text}\` mixes ${used.join(' + ')}, and borg's ` +
        'month (31 days) and year (365 days) cannot be combined with other units. Write it with a single unit ' +
        '(e.g. `14mo`, `400d`)',
    };
  }
  if (d.y !== 0) return { ok: true, hours: d.y * 365 * 24, arg: `${d.y}y` };
  if (d.mo !== 0) return { ok: true, hours: d.mo * 31 * 24, arg: `${d.mo}m` };
  if (d.min % 60 !== 0) {
    return { ok: false, message: `borg's --keep-within counts whole hours at the finest; \`${text}\` has ${d.min % 60} minutes left over` };
  }
  const hours = d.w * 168 + d.d * 24 + d.h + d.min / 60;
  let arg: string;
  if (used.length === 1 && d.w !== 0) arg = `${d.w}w`;
  else if (used.length === 1 && d.d !== 0) arg = `${d.d}d`;
  else arg = `${hours}H`;
  return { ok: true, hours, arg };
}

/** The `within` value as written, or undefined when absent or blank. */
function withinOf(keep: KeepModel | undefined): string | undefined {
  const v = keep?.within as unknown;
  return isSet(v) && String(v).trim() !== '' ? String(v) : undefined;
}

function unsupported(policy: PolicyModel): Unsupported[] {
  const out: Unsupported[] = [];
  if (hasTiers(policy)) {
    out.push({ key: ['tiers'], message: 'borg prune has no age tiers; express the policy with `keep` counts and `within`' });
  }
  if (hasExpiry(policy)) {
    out.push({ key: ['expiry'], message: 'borg prune has no per-archive expiry; use `keep: {within: ...}`' });
  }
  const keep = keepOf(policy);
  if (keep) {
    for (const [k, message] of Object.entries(NO_BORG_OPTION)) {
      const v = keep[k as keyof KeepModel] as unknown;
      if (isSet(v) && !(Array.isArray(v) && v.length === 0)) out.push({ key: ['keep', k], message });
    }
    const within = withinOf(keep);
    if (within !== undefined) {
      const w = borgWithin(within);
      // An unreadable duration is duration-invalid's finding, not an engine limit.
      if (!w.ok && parseDuration(within).ok) out.push({ key: ['keep', 'within'], message: w.message });
    }
  }
  // borg refuses to prune without at least one rule (a count of 0 is no rule).
  const hasRule = withinOf(keep) !== undefined || BORG_RULES.some((r) => countOf(keep?.[r.key]) !== 0);
  if (!hasRule && out.length === 0) {
    out.push({
      key: keep ? ['keep'] : [],
      message: 'borg prune needs at least one rule: `within` or a non-zero `last`, `hourly`, `daily`, `weekly`, `monthly` or `yearly`',
    });
  }
  return out;
}

/** The `borg prune` options for a policy (throws when the policy has a form borg cannot express). */
export function borgPruneArgs(policy: PolicyModel): string[] {
  const bad = unsupported(policy);
  if (bad.length > 0) throw new Error(bad.map((u) => u.message).join('; '));
  const keep = keepOf(policy);
  const args: string[] = [];
  const within = withinOf(keep);
  if (within !== undefined) {
    const w = borgWithin(within);
    if (!w.ok) throw new PolicyValueError(['keep', 'within'], `keep.within: ${w.message}`);
    args.push('--keep-within', w.arg);
  }
  for (const r of BORG_RULES) {
    const n = countOf(keep?.[r.key]);
    if (n !== 0) args.push(r.flag, String(n));
  }
  return args;
}

const CHECKPOINT = /\.checkpoint(\.\d+)?$/;

/**
 * Period of one archive for one rule, in local time at whole seconds (borg's strftime keys), as a
 * number: two archives share a period exactly when their local fields up to the rule's unit are
 * equal (second, hour, day: by local day number; week: ISO week-year and week).
 */
export function periodKey(p: LocalParts, rule: PeriodRule): number {
  let k: number;
  switch (rule) {
    case 'secondly':
      k = ((p.dayNumber * 24 + p.hour) * 60 + p.minute) * 60 + p.second;
      break;
    case 'hourly':
      k = p.dayNumber * 24 + p.hour;
      break;
    case 'daily':
      k = p.dayNumber;
      break;
    case 'weekly':
      k = p.isoYear * 100 + p.isoWeek;
      break;
    case 'monthly':
      k = p.year * 12 + p.month;
      break;
    case 'yearly':
      k = p.year;
      break;
  }
  // A time with no date (NaN) reads as one shared period, as luxon's invalid DateTime printed it.
  return Number.isNaN(k) ? -Infinity : k;
}

// IANAZone.isValidZone builds an Intl formatter on every call; a simulation prunes thousands of times.
const validZones = new Map<string, boolean>();
function isValidZone(zone: string): boolean {
  let ok = validZones.get(zone);
  if (ok === undefined) {
    ok = IANAZone.isValidZone(zone);
    if (validZones.size > 1000) validZones.clear();
    validZones.set(zone, ok);
  }
  return ok;
}

function evaluate(snapshots: readonly SnapshotIn[], policy: PolicyModel, ctx: RetentionContext): RetentionDecision {
  if (!isValidZone(ctx.timezone)) throw new Error(`unknown timezone \`${ctx.timezone}\``);
  const keepModel = keepOf(policy);
  let withinHours: number | undefined;
  const within = withinOf(keepModel);
  if (within !== undefined) {
    policyDuration(within, ['keep', 'within']); // throws PolicyValueError when unreadable
    const w = borgWithin(within);
    if (!w.ok) throw new PolicyValueError(['keep', 'within'], `borg cannot evaluate keep.within: ${w.message}`);
    withinHours = w.hours;
  }

  // Newest first; equal times keep input order. Work on positions so equal objects stay apart.
  const order = snapshots.map((_, i) => i).sort((a, b) => snapshots[b].time - snapshots[a].time || a - b);
  const isCheckpoint = (i: number): boolean => {
    const id = snapshots[i].id;
    return id !== undefined && id.includes('.checkpoint') && CHECKPOINT.test(id);
  };
  const archives = order.filter((i) => !isCheckpoint(i));

  const because = new Map<number, string>();

  if (withinHours !== undefined) {
    const target = ctx.now - withinHours * HOUR_MS;
    let n = 0;
    for (const i of archives) if (snapshots[i].time > target) because.set(i, `within #${++n}`);
  }

  // Local time of an archive at whole seconds, read once for all the rules (and remembered across
  // decisions on short lists, which a simulation makes again and again).
  const parts: (LocalParts | undefined)[] = new Array(snapshots.length);
  const remember = snapshots.length <= 10_000;
  const partsOf = (i: number): LocalParts =>
    (parts[i] ??= localParts(Math.floor(snapshots[i].time / 1000) * 1000, ctx.timezone, remember));
  for (const { rule, key } of BORG_RULES) {
    const want = countOf(keepModel?.[key]);
    if (want === 0) continue;
    let last: number | undefined;
    let kept = 0;
    let a: number | undefined;
    for (a of archives) {
      const period = periodKey(partsOf(a), rule);
      if (period === last) continue;
      last = period;
      if (because.has(a)) continue;
      because.set(a, `${rule} #${++kept}`);
      if (kept === want) break;
    }
    // The rule still had count left after the walk: the oldest archive is kept as well.
    if (a !== undefined && kept < want && !because.has(a)) because.set(a, `${rule}[oldest] #${++kept}`);
  }

  // The newest checkpoint is kept when no complete archive is newer.
  if (order.length > 0 && isCheckpoint(order[0])) because.set(order[0], 'checkpoint');

  const keep: KeptSnapshot[] = [];
  const remove: SnapshotIn[] = [];
  for (const i of order) {
    const why = because.get(i);
    if (why === undefined) remove.push(snapshots[i]);
    else keep.push({ snapshot: snapshots[i], reasons: [why] });
  }
  return { keep, remove };
}

export const borgEngine: RetentionEngine = { id: 'borg', unsupported, evaluate };
export default borgEngine;
