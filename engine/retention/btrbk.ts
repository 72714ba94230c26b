// btrbk 0.32's own retention (a btrfs job with `pruner: btrbk`), read from its source (/usr/bin/btrbk:
// schedule(), config_preserve_hash, the preserve matrix parser, the option defaults):
// - A snapshot's date is read from its name (`NAME.YYYYMMDDTHHMM`, timestamp_format long) in the
//   local zone. Against "now", each gets whole deltas in hours, days, weeks, months and years:
//   hours count wall-clock hours (the minutes dropped, DST ignored: btrbk uses timegm on local
//   fields); a day starts at preserve_hour_of_day (default 0); a week starts on
//   preserve_day_of_week (default sunday); a month or a year starts on the first such weekday in it.
// - preserve_min (`snapshot_preserve_min`/`target_preserve_min`, btrbk default `all`): `all`
//   keeps everything, `latest` the newest, `Nh|Nd|Nw|Nm|Ny` every snapshot whose delta in that
//   unit is ≤ N. A snapshot dated in the future is always kept.
// - preserve (`snapshot_preserve`, e.g. `18h 7d 4w 12m *y`; `*` = all): the first (oldest)
//   snapshot of each hour is an hourly, kept while its delta_hours ≤ h; the first hourly of each
//   day is a daily (≤ d); the first daily of each week a weekly (≤ w); the first weekly of each
//   month a monthly (≤ m); the first monthly of each year a yearly (≤ y). A count of 0 keeps none.
// - Source (`snapshot_preserve*`, a btrfs-snapshot job) and target (`target_preserve*`, a
//   btrfs-send job) retention are independent policies read by the same schedule(); the target's
//   preserve_min may also be `no` (nothing kept by it) or a count of 0 (`0d`: this day only).
//   btrbk's "latest common" rule (the newest source snapshot with a backup, and that backup,
//   forced on both sides) is applied by its run (btrbk-send.ts), passed here as `forced`.
// - Names (btrbk_timestamp_match, _get_btrbk_date, whatever timestamp_format the config says now):
//   `NAME.YYYYMMDD` (short: local midnight, and the day starts at 00:00 whatever
//   preserve_hour_of_day), `NAME.YYYYMMDDThhmm` (long, local), `NAME.YYYYMMDDThhmmss±hhmm`
//   (long-iso: the instant its offset says), each with an optional `_N` that btrbk adds when the
//   name is taken; they sort by instant, then N. Local times are Perl's timelocal (perl-time.ts);
//   the calendar fields are the local time of the instant, whatever the format. Not modelled:
//   archive_preserve.
// Backplan's `keep` counts map onto `preserve` (hourly: 48 → 48h, -1/all → *); the policy may also
// say btrbk's own terms: preserve_min, preserve, preserve_day_of_week, preserve_hour_of_day.
import type { PolicyModel } from '../plan/model';
import { localParts } from './calendar';
import { perlTimelocal } from './perl-time';
import { countOf, hasExpiry, hasTiers, isSet, keepOf, WITHIN_RULES } from './common';
import type {
  KeptSnapshot,
  RetentionContext,
  RetentionDecision,
  RetentionEngine,
  SnapshotIn,
  Unsupported,
} from './types';

export const BTRBK_DAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'] as const;
const UNITS = ['h', 'd', 'w', 'm', 'y'] as const;
type Unit = (typeof UNITS)[number];
type Count = number | 'all';

export interface BtrbkPreserve {
  /** `all`, `latest`, `no` (target only: nothing kept by it), or `{ n, unit }`. */
  min: 'all' | 'latest' | 'no' | { n: number; unit: Unit };
  counts: Partial<Record<Unit, Count>>;
  dayOfWeek: (typeof BTRBK_DAYS)[number];
  hourOfDay: number;
}

const KEEP_UNITS: Record<string, Unit> = { hourly: 'h', daily: 'd', weekly: 'w', monthly: 'm', yearly: 'y' };

/** btrbk's preserve matrix (`18h 7d 4w 12m *y`), or an error message. */
export function parsePreserveMatrix(text: string): Partial<Record<Unit, Count>> | string {
  const out: Partial<Record<Unit, Count>> = {};
  if (text.trim() === 'no') return out; // btrbk.conf's `snapshot_preserve no`: nothing by the matrix
  let rest = ` ${text}`;
  const re = /\s+(\*|[0-9]+)([hdwmyHDWMY])/;
  for (let m = re.exec(rest); m; m = re.exec(rest)) {
    const unit = m[2].toLowerCase() as Unit;
    if (unit in out) return `\`${text}\`: ${unit} given twice`;
    out[unit] = m[1] === '*' ? 'all' : Number(m[1]);
    rest = rest.replace(re, '');
  }
  return rest.trim() === '' ? out : `\`${text}\` is not a btrbk preserve matrix (like \`48h 14d 4w 6m *y\`)`;
}

/** preserve_min as btrbk.conf writes it. */
export function formatPreserveMin(min: BtrbkPreserve['min']): string {
  return typeof min === 'string' ? min : `${min.n}${min.unit}`;
}

/** A preserve matrix as btrbk.conf writes it (h d w m y order). */
export function formatPreserveMatrix(counts: Partial<Record<Unit, Count>>): string {
  return UNITS.filter((u) => counts[u] !== undefined)
    .map((u) => `${counts[u] === 'all' ? '*' : counts[u]}${u}`)
    .join(' ');
}

/** The btrbk terms of a policy, or the problems that keep it from having them. */
export type PreserveResult = { ok: true; value: BtrbkPreserve } | { ok: false; problems: Unsupported[] };

/** Which btrbk options the policy stands for: `snapshot_preserve*` or `target_preserve*`. */
export type BtrbkSide = 'snapshot' | 'target';

export function btrbkPreserve(policy: PolicyModel | undefined, side: BtrbkSide = 'snapshot'): PreserveResult {
  const raw = (policy?.raw ?? {}) as Record<string, unknown>;
  const keep = keepOf(policy) as Record<string, unknown> | undefined;
  const problems: Unsupported[] = [];
  const instead = 'write `keep` counts or `preserve`';
  if (hasTiers(policy)) problems.push({ key: ['tiers'], message: `btrbk has no tiers: ${instead}` });
  if (hasExpiry(policy)) problems.push({ key: ['expiry'], message: `btrbk has no expiry: ${instead}` });
  if (policy?.min !== undefined) problems.push({ key: ['min'], message: 'btrbk has no `min`: write `preserve_min`' });
  for (const k of ['last', ...WITHIN_RULES, 'tags', 'full', 'incrementals_of']) {
    if (isSet(keep?.[k])) problems.push({ key: ['keep', k], message: `btrbk cannot express \`keep.${k}\`` });
  }
  let counts: Partial<Record<Unit, Count>> = {};
  for (const [k, u] of Object.entries(KEEP_UNITS)) {
    const v = keep?.[k];
    if (!isSet(v)) continue;
    const n = countOf(v);
    if (n < -1) problems.push({ key: ['keep', k], message: `\`keep.${k}\` must be a count or all` });
    else counts[u] = n === -1 ? 'all' : n;
  }
  if (typeof raw.preserve === 'string') {
    if (Object.keys(counts).length) {
      problems.push({ key: ['preserve'], message: 'write `preserve` or `keep` counts, not both' });
    }
    const p = parsePreserveMatrix(raw.preserve);
    if (typeof p === 'string') problems.push({ key: ['preserve'], message: p });
    else counts = p;
  }
  let min: BtrbkPreserve['min'] = 'latest';
  if (raw.preserve_min !== undefined) {
    // btrbk.conf: snapshot_preserve_min all|latest|[1-9][0-9]*[hdwmy], target_preserve_min also no and 0.
    const m = /^([0-9]+)([hdwmy])$/.exec(String(raw.preserve_min));
    const target = side === 'target';
    if (raw.preserve_min === 'all' || raw.preserve_min === 'latest') min = raw.preserve_min;
    else if (target && raw.preserve_min === 'no') min = 'no';
    else if (m && (target || Number(m[1]) > 0)) min = { n: Number(m[1]), unit: m[2] as Unit };
    else {
      const message = target
        ? '`preserve_min` of a target is all, latest, no or N (0 allowed) followed by h, d, w, m or y'
        : '`preserve_min` is all, latest or N (from 1) followed by h, d, w, m or y';
      problems.push({ key: ['preserve_min'], message });
    }
  }
  const dow = raw.preserve_day_of_week ?? 'sunday';
  if (!(BTRBK_DAYS as readonly unknown[]).includes(dow)) {
    const message = '`preserve_day_of_week` is a day name (sunday ... saturday)';
    problems.push({ key: ['preserve_day_of_week'], message });
  }
  const hod = raw.preserve_hour_of_day ?? 0;
  if (!(typeof hod === 'number' && Number.isInteger(hod) && hod >= 0 && hod <= 23)) {
    problems.push({ key: ['preserve_hour_of_day'], message: '`preserve_hour_of_day` is a whole hour, 0 to 23' });
  }
  if (problems.length) return { ok: false, problems };
  return { ok: true, value: { min, counts, dayOfWeek: dow as BtrbkPreserve['dayOfWeek'], hourOfDay: hod as number } };
}

export const BTRBK_TIMESTAMP_FORMATS = ['short', 'long', 'long-iso'] as const;
export type BtrbkTimestampFormat = (typeof BTRBK_TIMESTAMP_FORMATS)[number];

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** The timestamp btrbk writes at `ms` in `format` (its timestamp(): local fields, long-iso with the local offset). */
export function btrbkTimestamp(ms: number, zone: string, format: BtrbkTimestampFormat = 'long'): string {
  const p = localParts(ms, zone, false);
  const day = `${pad(p.year, 4)}${pad(p.month)}${pad(p.day)}`;
  if (format === 'short') return day;
  if (format === 'long') return `${day}T${pad(p.hour)}${pad(p.minute)}`;
  // long-iso: seconds, then timegm(@tm) - timelocal(@tm) of the local fields as ±hhmm.
  const wall = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  let offset = Math.round((wall - perlTimelocal(wall, zone)) / 60_000);
  const sign = offset < 0 ? '-' : '+';
  offset = Math.abs(offset);
  const zz = `${sign}${pad(Math.floor(offset / 60))}${pad(offset % 60)}`;
  return `${day}T${pad(p.hour)}${pad(p.minute)}${pad(p.second)}${zz}`;
}

/**
 * The snapshot name btrbk gives at `ms`: `base.TIMESTAMP`, with `_N` when `taken` (the names
 * already in the snapshot directory and the targets) holds `base.TIMESTAMP` or `base.TIMESTAMP_K`:
 * N is one more than the largest K (a bare name counts as 0).
 */
export function btrbkName(
  base: string,
  ms: number,
  zone: string,
  format: BtrbkTimestampFormat = 'long',
  taken: Iterable<string> = [],
): string {
  const stem = `${base}.${btrbkTimestamp(ms, zone, format)}`;
  let top = -1;
  for (const name of taken) {
    if (name === stem) top = Math.max(top, 0);
    else if (name.startsWith(`${stem}_`) && /^[0-9]+$/.test(name.slice(stem.length + 1))) {
      top = Math.max(top, Number(name.slice(stem.length + 1)));
    }
  }
  return top < 0 ? stem : `${stem}_${top + 1}`;
}

/** What btrbk reads from a snapshot name (its btrbk_timestamp_match and _get_btrbk_date). */
export interface BtrbkDate {
  /** The subvolume's base name (everything before the last `.TIMESTAMP`). */
  base: string;
  /** The instant, ms (whole seconds). */
  time: number;
  /** The `_N` postfix, 0 when there is none: of two equal dates, the higher N is the newer. */
  nn: number;
  /** False for timestamp_format short: the day then starts at 00:00, not preserve_hour_of_day. */
  exact: boolean;
}

const BTRBK_STAMP =
  /^(.+)\.([0-9]{4})([0-9]{2})([0-9]{2})(?:T([0-9]{2})([0-9]{2})(?:([0-9]{2})(Z|[+-][0-9]{4}))?)?(?:_([0-9]+))?$/;

/** Time::Local's range checks (it croaks on a day past the month's end, an hour 24, ...). */
function validFields(y: number, mo: number, d: number, h: number, mi: number, s: number): boolean {
  const last = new Date(Date.UTC(y, mo, 0)).getUTCDate();
  return mo >= 1 && mo <= 12 && d >= 1 && d <= last && h <= 23 && mi <= 59 && s <= 59;
}

/**
 * The date btrbk reads from `name` in the local zone `zone` (short and long are local times,
 * long-iso carries its offset), or undefined when btrbk would not take it for one of its own
 * (no timestamp, or an illegal one, which btrbk ignores with a warning).
 */
export function parseBtrbkName(name: string, zone: string): BtrbkDate | undefined {
  const m = BTRBK_STAMP.exec(name.slice(name.lastIndexOf('/') + 1));
  if (!m) return undefined;
  const [y, mo, d] = [m[2], m[3], m[4]].map(Number);
  const [h, mi, sec] = [m[5], m[6], m[7]].map((x) => (x === undefined ? 0 : Number(x)));
  if (!validFields(y, mo, d, h, mi, sec)) return undefined;
  const wall = Date.UTC(y, mo - 1, d, h, mi, sec);
  let time: number;
  const zz = m[8];
  if (zz === undefined) time = perlTimelocal(wall, zone);
  else if (zz === 'Z') time = wall;
  else {
    const off = (Number(zz.slice(1, 3)) * 60 + Number(zz.slice(3, 5))) * 60_000;
    time = zz[0] === '-' ? wall + off : wall - off;
  }
  return { base: m[1], time, nn: m[9] === undefined ? 0 : Number(m[9]), exact: m[5] !== undefined };
}

interface Entry {
  s: SnapshotIn;
  dh: number;
  dd: number;
  dw: number;
  dm: number;
  dy: number;
  reason?: string;
}

/** UTC reading of local fields, minutes dropped (btrbk's timegm_nocheck(0, 0, hour, mday, mon, year)). */
const hourStamp = (p: { year: number; month: number; day: number; hour: number }) =>
  Date.UTC(p.year, p.month - 1, p.day, p.hour) / 3_600_000;

/**
 * The date btrbk reads for an entry: from its `name` when it is a btrbk name, else its `time` to
 * the minute (the name Backplan's own runs give, timestamp_format long).
 */
export function dateOf(s: SnapshotIn, zone: string): BtrbkDate {
  const d = s.name !== undefined ? parseBtrbkName(s.name, zone) : undefined;
  return d ?? { base: '', time: Math.floor(s.time / 60_000) * 60_000, nn: 0, exact: true };
}

/** What schedule() is told besides the list: forced entries, informative ones, future dates. */
export interface ScheduleOptions {
  /** Ids kept whatever the schedule says, with btrbk's reason (FORCE_PRESERVE). */
  forced?: ReadonlyMap<string, string>;
  /**
   * Ids that take part in the calendar (first of hour, latest) but are neither kept nor removed:
   * the backups already on the target when btrbk picks the snapshots to send.
   */
  informative?: ReadonlySet<string>;
  /** A date in the future is kept (true for every delete; the resume's pick does not say it). */
  keepFuture?: boolean;
}

/** btrbk's schedule() over `snapshots` at `now`; `forced` ids are kept whatever the schedule says. */
export function btrbkSchedule(
  snapshots: readonly SnapshotIn[],
  preserve: BtrbkPreserve,
  now: number,
  zone: string,
  forcedIds: ReadonlySet<string> = new Set(),
  opts: ScheduleOptions = {},
): RetentionDecision {
  const forced = new Map(opts.forced ?? []);
  for (const id of forcedIds) if (!forced.has(id)) forced.set(id, 'preserve forced: latest common snapshot');
  const info = opts.informative ?? new Set<string>();
  const isInfo = (s: SnapshotIn) => (s.id !== undefined && info.has(s.id) ? 1 : 0);
  const n = localParts(now, zone, false);
  const nowH = hourStamp(n);
  const dowIndex = BTRBK_DAYS.indexOf(preserve.dayOfWeek);
  // Ascending by the minute of the name, informative entries after regular ones of the same date;
  // equal dates keep their input order.
  const sorted = snapshots
    .map((s, i) => ({ s, i, d: dateOf(s, zone), f: isInfo(s) }))
    .sort((a, b) => a.d.time - b.d.time || a.d.nn - b.d.nn || a.f - b.f || a.i - b.i);
  const entries: Entry[] = sorted.map(({ s, d: date }) => {
    const p = localParts(date.time, zone, false);
    const wday = (((p.dayNumber + 4) % 7) + 7) % 7;
    let fromHod = p.hour - (date.exact ? preserve.hourOfDay : 0);
    let fromEow = wday - dowIndex;
    if (fromHod < 0) {
      fromHod += 24;
      fromEow -= 1;
    }
    if (fromEow < 0) fromEow += 7;
    let month = p.month - 1;
    let year = p.year;
    if (p.day <= fromEow) {
      month -= 1;
      if (month < 0) {
        month = 11;
        year -= 1;
      }
    }
    const dh = Math.trunc(nowH - hourStamp(p));
    const dd = Math.trunc((dh + fromHod) / 24);
    const dw = Math.trunc((dd + fromEow) / 7);
    const dy = n.year - year;
    const dm = dy * 12 + (n.month - 1 - month);
    const e: Entry = { s, dh, dd, dw, dm, dy };
    if (s.id !== undefined && forced.has(s.id)) e.reason = forced.get(s.id);
    if ((opts.keepFuture ?? true) && dh < 0) e.reason = `preserve forced: ${-dh} hours in the future`;
    return e;
  });

  const firstOf = (list: Entry[], key: (e: Entry) => number): Entry[] => {
    const m = new Map<number, Entry>();
    for (const e of list) if (!m.has(key(e))) m.set(key(e), e);
    return [...m.entries()].sort((a, b) => b[0] - a[0]).map(([, e]) => e);
  };
  const min = preserve.min;
  for (const e of entries) {
    if (min === 'all') e.reason = 'preserve min: all';
    else if (min !== 'latest' && min !== 'no') {
      const d = { h: e.dh, d: e.dd, w: e.dw, m: e.dm, y: e.dy }[min.unit];
      if (d <= min.n) e.reason = `preserve min: ${d} ${min.unit} ago`;
    }
  }
  if (min === 'latest' && entries.length) entries[entries.length - 1].reason = 'preserve min: latest';
  const c = preserve.counts;
  const within = (count: Count | undefined, d: number) => !!count && (count === 'all' || d <= count);
  const hourly = firstOf(entries, (e) => e.dh);
  for (const e of hourly) if (within(c.h, e.dh)) e.reason = `preserve hourly: first of hour, ${e.dh} hours ago`;
  const daily = firstOf(hourly, (e) => e.dd);
  for (const e of daily) if (within(c.d, e.dd)) e.reason = `preserve daily: first of day, ${e.dd} days ago`;
  const weekly = firstOf(daily, (e) => e.dw);
  for (const e of weekly) if (within(c.w, e.dw)) e.reason = `preserve weekly: ${e.dw} weeks ago`;
  const monthly = firstOf(weekly, (e) => e.dm);
  for (const e of monthly) {
    if (within(c.m, e.dm)) e.reason = `preserve monthly: first weekly of month, ${e.dm} months ago`;
  }
  const yearly = firstOf(monthly, (e) => e.dy);
  for (const e of yearly) if (within(c.y, e.dy)) e.reason = `preserve yearly: first weekly of year, ${e.dy} years ago`;

  const keep: KeptSnapshot[] = [];
  const remove: SnapshotIn[] = [];
  for (const e of entries.slice().reverse()) {
    if (isInfo(e.s)) continue;
    if (e.reason) keep.push({ snapshot: e.s, reasons: [e.reason] });
    else remove.push(e.s);
  }
  return { keep, remove };
}

/** The release label of the target side (the hover's lines for a btrfs-send key on it). */
export const BTRBK_TARGET_RELEASE = 'btrbk 0.32.5, target_preserve';

function engineOf(side: BtrbkSide): RetentionEngine {
  return {
    id: 'btrbk',
    release: side === 'target' ? BTRBK_TARGET_RELEASE : 'btrbk 0.32.5',
    unsupported: (policy) => {
      const p = btrbkPreserve(policy, side);
      return p.ok ? [] : p.problems;
    },
    evaluate(snapshots, policy, ctx: RetentionContext): RetentionDecision {
      const p = btrbkPreserve(policy, side);
      if (!p.ok) throw new Error(p.problems.map((x) => x.message).join('; '));
      return btrbkSchedule(snapshots, p.value, ctx.now, ctx.timezone);
    },
  };
}

/** `snapshot_preserve*`: a btrfs-snapshot job's snapshots. */
export const btrbkEngine: RetentionEngine = engineOf('snapshot');
/** `target_preserve*`: the backups of a btrfs-send job (its target). */
export const btrbkTargetEngine: RetentionEngine = engineOf('target');
