// Retention as the checks share it: which policy a job uses and where to point at a part of it,
// the expiry that the job's pruning engine really applies (as a deadline function in that
// engine's arithmetic), and the job's rpo.
import type { OffsetRange, RelatedInfo } from '../../findings';
import { jobPolicy, jobZone } from '../../plan/build-model';
import type { JobModel, PolicyModel, YamlPath } from '../../plan/model';
import { engineIdFor, type EngineId } from '../../retention/index';
import { incusExpiresAt, VELERO_DEFAULT_TTL, veleroExpiresAt } from '../../retention/expiry';
import { addDuration, formatDuration, isZero, minMs, MS, parseDuration, type Duration } from '../../time/duration';
import type { CheckContext } from '../rule';
import type { Deadline } from './schedules';

type Ctx = Pick<CheckContext, 'model' | 'locate' | 'memo'>;

/** The most a clock change moves a wall-clock time (a calendar day or month can be this much shorter). */
const MAX_DST_SHIFT = 3 * MS.HOUR;

/** Jobs that name the policy `name` as their retention, in plan order (once per check). */
export function policyUsers(ctx: Ctx, name: string): JobModel[] {
  const byPolicy = ctx.memo('policyUsers', () => {
    const m = new Map<string, JobModel[]>();
    for (const job of ctx.model.jobs.values()) {
      if (typeof job.retention !== 'string') continue;
      const list = m.get(job.retention);
      if (list) list.push(job);
      else m.set(job.retention, [job]);
    }
    return m;
  });
  return byPolicy.get(name) ?? [];
}

/** Where a finding about part `key` of a job's policy goes. */
export interface PolicySite {
  range: OffsetRange;
  related: RelatedInfo[];
  /** "the job's retention", "policy `gfs`": for messages. */
  label: string;
  /** True when the range is the part itself (an inline policy, or a named one only this job uses). */
  onPart: boolean;
}

/**
 * Point at `key` of the job's policy: in an inline policy, at the key itself; in a named policy
 * used by this job only, at the key in the policy (related: the job's `retention`); in a named
 * policy shared by several jobs, at this job's `retention` value (related: the key in the
 * policy), because the finding is about this job and changing the policy changes the others.
 */
export function policySite(ctx: Ctx, job: JobModel, key: YamlPath, part: 'key' | 'value' = 'value'): PolicySite {
  const retentionPath = [...job.at, 'retention'];
  if (typeof job.retention !== 'string') {
    return { range: ctx.locate([...retentionPath, ...key], part), related: [], label: `the retention of job \`${job.name}\``, onPart: true };
  }
  const name = job.retention;
  const inPolicy = ctx.locate(['policies', name, ...key], part);
  const dotted = key.map((k) => (typeof k === 'number' ? `[${k}]` : `.${k}`)).join('').replace(/^\./, '');
  if (policyUsers(ctx, name).length <= 1) {
    return {
      range: inPolicy,
      related: [{ message: `used by job \`${job.name}\``, range: ctx.locate(retentionPath, 'value') }],
      label: `policy \`${name}\``,
      onPart: true,
    };
  }
  return {
    range: ctx.locate(retentionPath, 'value'),
    related: [{ message: `\`${dotted}\` of policy \`${name}\``, range: inPolicy }],
    label: `policy \`${name}\``,
    onPart: false,
  };
}

/** A plan duration, or undefined when it is absent or does not parse (duration-invalid reports it). */
export function durationOf(text: unknown): Duration | undefined {
  if (typeof text !== 'string' && typeof text !== 'number') return undefined;
  const r = parseDuration(String(text));
  return r.ok ? r.value : undefined;
}

const hasCalendar = (d: Duration): boolean => d.y !== 0 || d.mo !== 0;

/** `t + d` with the plan's arithmetic (calendar months and years in `zone`, fixed w/d/h/min). */
export function planDeadline(d: Duration, zone: string): Deadline {
  if (!hasCalendar(d)) {
    const ms = minMs(d);
    return { at: (t) => t + ms, fixedMs: ms, minMs: ms };
  }
  return { at: (t) => addDuration(t, d, zone), minMs: Math.max(0, minMs(d) - MAX_DST_SHIFT) };
}

export interface JobExpiry {
  policy: PolicyModel | undefined;
  engine: EngineId;
  duration: Duration;
  /** As written (`6h`), or Velero's default. */
  text: string;
  /** Velero's default ttl: the plan writes no expiry. */
  isDefault: boolean;
  deadline: Deadline;
}

/**
 * The expiry the job's pruning engine applies to each snapshot: the policy's `expiry` for the
 * engines that have one (native: plan arithmetic; Incus: Go's AddDate in the job's zone, so days
 * are calendar days; Velero: fixed lengths), Velero's 30-day default ttl when a Velero job names
 * none. Undefined for engines without per-snapshot expiry (restic, borg, PBS: retention-unsupported
 * reports an `expiry` there) and for an expiry that does not parse or is zero (retention-invalid's).
 */
export function jobExpiry(ctx: Ctx, job: JobModel): JobExpiry | undefined {
  const policy = jobPolicy(ctx.model, job);
  const engine = engineIdFor(job.kind, policy);
  if (engine !== 'native' && engine !== 'incus' && engine !== 'velero') return undefined;
  const written = policy?.expiry;
  const zone = jobZone(ctx.model, job);
  if (written === undefined || String(written).trim() === '') {
    if (engine !== 'velero') return undefined;
    const d = VELERO_DEFAULT_TTL;
    const ms = minMs(d);
    return { policy, engine, duration: d, text: formatDuration(d), isDefault: true, deadline: { at: (t) => t + ms, fixedMs: ms, minMs: ms } };
  }
  const d = durationOf(written);
  // A zero expiry keeps nothing at all: retention-invalid says so, the timing rules stay quiet.
  if (!d || isZero(d)) return undefined;
  let deadline: Deadline;
  if (engine === 'native') deadline = planDeadline(d, zone);
  else if (engine === 'velero') {
    if (hasCalendar(d)) return undefined; // a Velero ttl cannot hold months (retention-unsupported)
    const ms = minMs(d);
    deadline = { at: (t) => veleroExpiresAt(t, d), fixedMs: ms, minMs: ms };
  } else {
    const calendarDays = hasCalendar(d) || d.d !== 0 || d.w !== 0;
    const ms = minMs(d);
    deadline = calendarDays
      ? { at: (t) => incusExpiresAt(t, d, zone), minMs: Math.max(0, ms - MAX_DST_SHIFT) }
      : { at: (t) => t + ms, fixedMs: ms, minMs: ms };
  }
  return { policy, engine, duration: d, text: String(written).trim(), isDefault: false, deadline };
}

/** Words for an engine in messages. */
export const ENGINE_WORDS: Readonly<Record<EngineId, string>> = {
  native: "Backplan's pruner",
  incus: 'Incus snapshots.expiry',
  velero: 'Velero ttl',
  restic: 'restic forget',
  borg: 'borg prune',
  pbs: 'Proxmox prune-backups',
  duplicity: 'duplicity remove-*',
  sanoid: 'sanoid --prune-snapshots',
  btrbk: 'btrbk prune',
};

export interface JobRpo {
  duration: Duration;
  text: string;
  /** Where the rpo is written: the job's `rpo`, or `checks.default_rpo`. */
  path: YamlPath;
  fromDefault: boolean;
}

/** The job's rpo, else the plan's `checks.default_rpo`; undefined when neither is a valid duration. */
export function jobRpo(ctx: Ctx, job: JobModel): JobRpo | undefined {
  if (job.rpo !== undefined) {
    const d = durationOf(job.rpo);
    return d ? { duration: d, text: String(job.rpo).trim(), path: [...job.at, 'rpo'], fromDefault: false } : undefined;
  }
  const dflt = ctx.model.checks.raw.default_rpo;
  const d = durationOf(dflt);
  return d ? { duration: d, text: String(dflt).trim(), path: ['checks', 'default_rpo'], fromDefault: true } : undefined;
}

/**
 * A round duration strictly longer than `ms`, about twice it: what to suggest instead of a
 * too-short one. With `fixed`, no months or years (a Velero ttl cannot hold them).
 */
export function roomyDuration(ms: number, fixed = false): string {
  const target = 2 * ms;
  if (fixed && target > 21 * MS.DAY) return `${Math.ceil(target / (7 * MS.DAY))}w`;
  const ladder: [string, number][] = [
    ['5min', 5 * MS.MINUTE], ['10min', 10 * MS.MINUTE], ['15min', 15 * MS.MINUTE], ['30min', 30 * MS.MINUTE],
    ['1h', MS.HOUR], ['2h', 2 * MS.HOUR], ['3h', 3 * MS.HOUR], ['4h', 4 * MS.HOUR], ['6h', 6 * MS.HOUR], ['8h', 8 * MS.HOUR],
    ['12h', 12 * MS.HOUR], ['18h', 18 * MS.HOUR], ['1d', MS.DAY], ['2d', 2 * MS.DAY], ['3d', 3 * MS.DAY], ['4d', 4 * MS.DAY],
    ['1w', 7 * MS.DAY], ['2w', 14 * MS.DAY], ['3w', 21 * MS.DAY], ['6w', 42 * MS.DAY], ['3mo', 84 * MS.DAY], ['6mo', 168 * MS.DAY],
    ['1y', 365 * MS.DAY], ['2y', 730 * MS.DAY],
  ];
  for (const [text, len] of ladder) if (len >= target && len > ms) return text;
  return `${Math.ceil(target / (365 * MS.DAY))}y`;
}
