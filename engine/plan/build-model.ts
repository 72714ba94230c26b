// Plain JS value (from parse.ts) → PlanModel. Tolerant: builds what it can from an invalid
// plan (the schema rule reports what is wrong), so the other checks still run while typing.
import type { ChecksModel, VerifyModel, HostModel, JobModel, KeepModel, PlanModel, PolicyModel, StorageModel, TierModel, YamlPath } from './model';

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const bool = (v: unknown): boolean | undefined => (typeof v === 'boolean' ? v : undefined);

function entries(v: unknown): [string, Obj][] {
  if (!isObj(v)) return [];
  return Object.entries(v).map(([k, x]) => [k, isObj(x) ? x : {}]);
}

const COUNT_KEYS = [
  'last',
  'frequently',
  'hourly',
  'daily',
  'weekly',
  'monthly',
  'yearly',
  'full',
  'incrementals_of',
] as const;
const WITHIN_KEYS = ['within', 'within_hourly', 'within_daily', 'within_weekly', 'within_monthly', 'within_yearly'] as const;

/** `all` and -1 mean unlimited; anything else non-numeric is left out (the schema reports it). */
function count(v: unknown): number | undefined {
  if (v === 'all' || v === -1) return -1;
  return num(v);
}

export function buildKeep(raw: unknown): KeepModel | undefined {
  if (!isObj(raw)) return undefined;
  const keep: KeepModel = {};
  for (const k of COUNT_KEYS) {
    const c = count(raw[k]);
    if (c !== undefined) keep[k] = c;
  }
  for (const k of WITHIN_KEYS) {
    const d = str(raw[k]);
    if (d !== undefined) keep[k] = d;
  }
  if (Array.isArray(raw.tags)) {
    keep.tags = raw.tags.map((t) => (Array.isArray(t) ? t.map(String) : [String(t)]));
  }
  return keep;
}

export function buildPolicy(raw: Obj, at: YamlPath, name?: string): PolicyModel {
  const policy: PolicyModel = { name, at, raw };
  const keep = buildKeep(raw.keep);
  if (keep) policy.keep = keep;
  if (Array.isArray(raw.tiers)) {
    policy.tiers = raw.tiers.map((t): TierModel => {
      const o = isObj(t) ? t : {};
      const tier: TierModel = {};
      if (o.keep === 'all') tier.keep = 'all';
      const every = str(o.every);
      if (every !== undefined) tier.every = every;
      const until = str(o.until);
      if (until !== undefined) tier.until = until;
      return tier;
    });
  }
  const expiry = str(raw.expiry);
  if (expiry !== undefined) policy.expiry = expiry;
  const min = num(raw.min);
  if (min !== undefined) policy.min = min;
  return policy;
}

function buildHost(name: string, raw: Obj): HostModel {
  const role = str(raw.role);
  return {
    name,
    at: ['hosts', name],
    address: str(raw.address),
    user: str(raw.user),
    port: num(raw.port),
    identity: str(raw.identity),
    site: str(raw.site),
    role: role === 'primary' || role === 'standby' || role === 'storage' ? role : undefined,
    timezone: str(raw.timezone),
    raw,
  };
}

function buildStorage(name: string, raw: Obj): StorageModel {
  return {
    name,
    at: ['storage', name],
    host: str(raw.host),
    site: str(raw.site),
    media: str(raw.media),
    capacity: str(raw.capacity),
    replicated: num(raw.replicated),
    immutable: bool(raw.immutable),
    path: str(raw.path),
    url: str(raw.url),
    raw,
  };
}

function buildJob(name: string, raw: Obj): JobModel {
  const at: YamlPath = ['jobs', name];
  let retention: JobModel['retention'];
  if (typeof raw.retention === 'string') retention = raw.retention;
  else if (isObj(raw.retention)) retention = buildPolicy(raw.retention, [...at, 'retention']);
  const after = Array.isArray(raw.after) ? raw.after.map(String) : typeof raw.after === 'string' ? [raw.after] : [];
  const verify: VerifyModel | undefined = isObj(raw.verify)
    ? {
        schedule: str(raw.verify.schedule),
        restore: raw.verify.restore === 'latest' || raw.verify.restore === 'sample' ? (raw.verify.restore as VerifyModel['restore']) : undefined,
        check: str(raw.verify.check),
      }
    : raw.verify === true
      ? {}
      : undefined;
  return {
    name,
    at,
    kind: str(raw.kind) ?? '',
    host: str(raw.host),
    from: str(raw.from),
    to: str(raw.to),
    storage: str(raw.storage),
    schedule: str(raw.schedule),
    retention,
    prune_schedule: str(raw.prune_schedule),
    rpo: str(raw.rpo),
    after,
    verify,
    encrypt: isObj(raw.encrypt) ? raw.encrypt : undefined,
    size: str(raw.size),
    change: str(raw.change),
    enabled: raw.enabled !== false,
    description: str(raw.description),
    raw,
  };
}

export const DEFAULT_COVERAGE = { copies: 3, media: 2, offsite: 1, immutable: 0, verified: false };

function buildChecks(raw: Obj): ChecksModel {
  const levels: ChecksModel['levels'] = {};
  for (const [k, v] of Object.entries(raw)) {
    if (v === 'error' || v === 'warning' || v === 'info' || v === 'off') levels[k] = v;
  }
  const cov = isObj(raw.coverage) ? raw.coverage : {};
  return {
    levels,
    coverage: {
      copies: num(cov.copies) ?? DEFAULT_COVERAGE.copies,
      media: num(cov.media) ?? DEFAULT_COVERAGE.media,
      offsite: num(cov.offsite) ?? DEFAULT_COVERAGE.offsite,
      immutable: num(cov.immutable) ?? DEFAULT_COVERAGE.immutable,
      verified: bool(cov.verified) ?? DEFAULT_COVERAGE.verified,
    },
    raw,
  };
}

export function buildModel(value: unknown): PlanModel {
  const root = isObj(value) ? value : {};
  return {
    version: root.version,
    timezone: str(root.timezone) ?? 'UTC',
    hosts: new Map(entries(root.hosts).map(([n, r]) => [n, buildHost(n, r)])),
    storage: new Map(entries(root.storage).map(([n, r]) => [n, buildStorage(n, r)])),
    policies: new Map(entries(root.policies).map(([n, r]) => [n, buildPolicy(r, ['policies', n], n)])),
    jobs: new Map(entries(root.jobs).map(([n, r]) => [n, buildJob(n, r)])),
    checks: buildChecks(isObj(root.checks) ? root.checks : {}),
    ...(root.notify !== undefined ? { notify: root.notify } : {}),
    ...(root.monitoring !== undefined ? { monitoring: root.monitoring } : {}),
  };
}

/** The policy a job uses: its inline policy, or the named one (undefined if unknown). */
export function jobPolicy(plan: PlanModel, job: JobModel): PolicyModel | undefined {
  if (job.retention === undefined) return undefined;
  return typeof job.retention === 'string' ? plan.policies.get(job.retention) : job.retention;
}

/** The job's timezone: its host's, else the plan's. */
export function jobZone(plan: PlanModel, job: JobModel): string {
  return (job.host && plan.hosts.get(job.host)?.timezone) || plan.timezone;
}
