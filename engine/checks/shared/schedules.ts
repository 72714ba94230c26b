// Schedules as the checks share them. Every rule that looks at when jobs run goes through here,
// so within one check each distinct expression is parsed once, and each distinct (expression,
// zone) has its year of intervals / fires computed once, whatever the number of jobs and rules
// using it (ctx.memo). Parsed schedules are also kept across checks (they depend on nothing
// else). The window is the year after ctx.now, DST included. Jobs without a valid schedule (or
// in an invalid zone) have no runs here: the timing rules skip them, cron-invalid and the schema
// rule report why.
import type { JobModel, YamlPath } from '../../plan/model';
import { jobZone } from '../../plan/build-model';
import { effectiveSchedule } from '../../plan/effective-schedule';
import { localParts } from '../../retention/calendar';
import { intervalStats, YEAR_MS, type Interval } from '../../time/intervals';
import { zoneTable } from '../../time/offsets';
import { parseCron, type CronResult } from '../../time/cron';
import { parseSchedule, type Schedule } from '../../time/schedule';
import type { CheckContext } from '../rule';

type Ctx = Pick<CheckContext, 'memo' | 'now' | 'model'>;

/** The cron expression parsed (zone-independent), once per check and expression. */
export function cronOf(ctx: Pick<CheckContext, 'memo'>, expr: string): CronResult {
  return ctx.memo(`cron\u0000${expr}`, () => parseCron(expr));
}

/**
 * Parsed schedules kept across checks (most recently used last). A parsed schedule depends on
 * nothing but its expression and zone, and the editor re-checks a mostly unchanged plan on every
 * keystroke, while parseSchedule validates the zone through Intl each time (about 0.25 ms).
 */
const PARSED = new Map<string, Schedule | undefined>();
const PARSED_MAX = 4096;

function parsedSchedule(expr: string, zone: string): Schedule | undefined {
  const key = `${zone}\u0000${expr}`;
  if (PARSED.has(key)) {
    const hit = PARSED.get(key);
    PARSED.delete(key);
    PARSED.set(key, hit);
    return hit;
  }
  const r = parseSchedule(expr, zone);
  const value = r.ok ? r.schedule : undefined;
  if (PARSED.size >= PARSED_MAX) PARSED.delete(PARSED.keys().next().value as string);
  PARSED.set(key, value);
  return value;
}

/** The schedule of `expr` in `zone`; undefined when the expression or the zone is invalid (other rules say so). */
export function scheduleOf(ctx: Pick<CheckContext, 'memo'>, expr: string, zone: string): Schedule | undefined {
  return ctx.memo(`schedule\u0000${zone}\u0000${expr}`, () => (cronOf(ctx, expr).ok ? parsedSchedule(expr, zone) : undefined));
}

const DAY = 86_400_000;

/**
 * The longest interval between consecutive runs of the year after `from` (intervals that start
 * at a fire t with from < t <= from + 1 year, DST included): the same length as intervalStats
 * over that window, computed faster for the common schedules that run every day. Such a
 * schedule repeats its times of day, so away from clock changes its intervals are those of one
 * day; only the days around each transition of the zone are enumerated (intervalStats on a
 * four-day window). Other schedules go through intervalStats over the whole year.
 */
export function longestOfYear(s: Schedule, from: number): Interval | undefined {
  const f = s.fields;
  const tod = s.timesOfDay;
  const everyDay = f.months.length === 12 && f.daysOfMonth.length === 31 && f.daysOfWeek.length === 7 && tod.length > 0;
  if (!everyDay) return intervalStats(s, from, YEAR_MS)?.longest;
  // The longest gap of a day without clock change: between two times of day, or overnight.
  let regular = DAY - tod[tod.length - 1] + tod[0];
  for (let i = 1; i < tod.length; i++) regular = Math.max(regular, tod[i] - tod[i - 1]);
  const end = from + YEAR_MS;
  let best: Interval | undefined;
  for (const tr of zoneTable(s.zone).transitionsBetween(from - 2 * DAY, end + 2 * DAY)) {
    const a = Math.max(from, tr.at - 2 * DAY);
    const b = Math.min(end, tr.at + 2 * DAY);
    if (!(b > a)) continue;
    const near = intervalStats(s, a, b - a)?.longest;
    if (near && (!best || near.ms > best.ms)) best = near;
  }
  if (best && best.ms > regular) return best;
  // The first instance of the regular longest gap after `from`.
  let prev = Number.NaN;
  let found: Interval | undefined;
  s.forEachFire(from, from + 3 * DAY, (t) => {
    if (t - prev === regular) {
      found = { ms: regular, after: prev, before: t };
      return false;
    }
    prev = t;
    return true;
  });
  return found ?? best ?? intervalStats(s, from, YEAR_MS)?.longest;
}

/** The longest interval between runs over the year after ctx.now (DST included), once per check. */
export function longestOf(ctx: Ctx, s: Schedule): Interval | undefined {
  return ctx.memo(`longest\u0000${s.zone}\u0000${s.expr}`, () => longestOfYear(s, ctx.now));
}

/**
 * The fires of the year after ctx.now (from < t <= from + 1 year), followed by the first fire
 * after that year when there is one, so that every fire of the year has a successor.
 */
export function firesOf(ctx: Ctx, s: Schedule): Float64Array {
  return ctx.memo(`fires\u0000${s.zone}\u0000${s.expr}`, () => {
    const end = ctx.now + YEAR_MS;
    const chunks: Float64Array[] = [];
    let n = 0;
    for (const c of s.chunks(ctx.now, end)) {
      chunks.push(c.runs);
      n += c.count;
    }
    const last = n > 0 ? chunks[chunks.length - 1][chunks[chunks.length - 1].length - 1] : ctx.now;
    const closing = s.next(Math.max(last, end));
    const out = new Float64Array(n + (Number.isFinite(closing) ? 1 : 0));
    let w = 0;
    for (const c of chunks) {
      out.set(c, w);
      w += c.length;
    }
    if (Number.isFinite(closing)) out[w] = closing;
    return out;
  });
}

export interface JobSchedule {
  job: JobModel;
  expr: string;
  zone: string;
  schedule: Schedule;
  /**
   * Where a finding about the job's timing goes: its `schedule` value, or its `from` value when
   * it inherits the schedule of the job it follows.
   */
  path: YamlPath;
  /** Set when inherited: the job whose schedule it is (it runs after that job, every time). */
  owner?: string;
  /** YAML path of the expression: `path`, or the owner's `schedule` when inherited. */
  schedulePath: YamlPath;
  /** `\`0 3 * * *\``, or `\`0 3 * * *\` of \`X\`, which it runs after` when inherited. */
  text: string;
}

/**
 * A job's effective schedule (plan/effective-schedule: its own, else the one of the job it
 * follows through `from`), parsed in the zone of the job it belongs to; undefined when there is
 * none or it is invalid.
 */
export function jobScheduleOf(ctx: Ctx, job: JobModel): JobSchedule | undefined {
  const eff = ctx.memo(`effective-schedule\u0000${job.name}`, () => effectiveSchedule(ctx.model, job));
  if (!eff.ok) return undefined;
  const schedule = scheduleOf(ctx, eff.expr, eff.zone);
  if (!schedule) return undefined;
  const owner = eff.via ? eff.owner.name : undefined;
  return {
    job,
    expr: eff.expr,
    zone: eff.zone,
    schedule,
    path: owner !== undefined ? [...job.at, 'from'] : eff.path,
    schedulePath: eff.path,
    ...(owner !== undefined ? { owner } : {}),
    text: owner !== undefined ? `\`${eff.expr}\` of \`${owner}\`, which it runs after` : `\`${eff.expr}\``,
  };
}

/** The job's `prune_schedule`, parsed in the job's zone. */
export function pruneScheduleOf(ctx: Ctx, job: JobModel): JobSchedule | undefined {
  if (typeof job.prune_schedule !== 'string') return undefined;
  const zone = jobZone(ctx.model, job);
  const schedule = scheduleOf(ctx, job.prune_schedule, zone);
  const path = [...job.at, 'prune_schedule'];
  return schedule ? { job, expr: job.prune_schedule, zone, schedule, path, schedulePath: path, text: `\`${job.prune_schedule}\`` } : undefined;
}

/** A length of time that a fire-to-deadline function can take: exactly, or at least. */
export interface Deadline {
  /** The deadline of something that starts at t (t + a duration, in the engine's arithmetic). */
  at(t: number): number;
  /** Set when at(t) − t is the same for every t (no calendar units): then the longest interval decides. */
  fixedMs?: number;
  /** A lower bound of at(t) − t, for every t. */
  minMs: number;
}

/**
 * The longest interval between consecutive runs of the year that reaches `deadline`:
 * `before ≥ deadline.at(after)` (or `>` when `strict`); the earliest of equals. Undefined when
 * none does. With a fixed length this is the longest interval; with calendar units (1mo is 28 to
 * 31 days) every long enough interval is tried.
 */
export function worstOverrun(ctx: Ctx, s: Schedule, deadline: Deadline, strict: boolean): Interval | undefined {
  const longest = longestOf(ctx, s);
  if (!longest) return undefined;
  const over = (len: number, limit: number): boolean => (strict ? len > limit : len >= limit);
  if (deadline.fixedMs !== undefined) return over(longest.ms, deadline.fixedMs) ? longest : undefined;
  if (!over(longest.ms, deadline.minMs)) return undefined;
  const fires = firesOf(ctx, s);
  let worst: Interval | undefined;
  for (let i = 1; i < fires.length; i++) {
    const a = fires[i - 1];
    const b = fires[i];
    if (!over(b - a, deadline.minMs) || (worst && b - a <= worst.ms)) continue;
    if (over(b, deadline.at(a))) worst = { ms: b - a, after: a, before: b };
  }
  return worst;
}

/** Index of the first element of a sorted array that is > x (or >= x when `inclusive`). */
export function firstAfter(arr: Float64Array, x: number, inclusive = false): number {
  let lo = 0;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (inclusive ? arr[mid] >= x : arr[mid] > x) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

const pad = (n: number): string => String(n).padStart(2, '0');

/**
 * A length to the minute, `26h30` as `1d 2h 30min`, `45min`, `7d`: exact, unlike formatSpan's
 * rounded hours, because messages compare it with a limit ("make expiry longer than …").
 */
export function spanText(ms: number): string {
  if (ms < 0) return `-${spanText(-ms)}`;
  const minutes = Math.round(ms / 60_000);
  const d = Math.floor(minutes / 1440);
  const h = Math.floor((minutes % 1440) / 60);
  const m = minutes % 60;
  const parts = [d ? `${d}d` : '', h ? `${h}h` : '', m ? `${m}min` : ''].filter(Boolean);
  return parts.length > 0 ? parts.join(' ') : '0min';
}

/** `2026-03-29 01:00`: the wall-clock reading of an instant in `zone`. */
export function localText(ms: number, zone: string): string {
  const p = localParts(ms, zone);
  return `${p.year}-${pad(p.month)}-${pad(p.day)} ${pad(p.hour)}:${pad(p.minute)}`;
}

/** `from 2026-10-25 00:00 to 06:00 (Europe/Paris)`: an interval, the date repeated only when it changes. */
export function intervalText(iv: { after: number; before: number }, zone: string): string {
  const a = localText(iv.after, zone);
  const b = localText(iv.before, zone);
  const shownB = a.slice(0, 10) === b.slice(0, 10) ? b.slice(11) : b;
  return `from ${a} to ${shownB} (${zone})`;
}
