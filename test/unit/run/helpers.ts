// PlanModel builders for the run tests (built directly, independent of the YAML builder).
import type { HostModel, JobModel, PlanModel, PolicyModel, StorageModel } from '../../../engine/plan/model';

type Raw = Record<string, unknown>;

export function host(name: string, fields: Raw = {}): HostModel {
  return { name, at: ['hosts', name], ...(fields as Partial<HostModel>), raw: fields };
}

export function storage(name: string, fields: Raw = {}): StorageModel {
  return { name, at: ['storage', name], ...(fields as Partial<StorageModel>), raw: fields };
}

export function policy(name: string | undefined, fields: Raw): PolicyModel {
  return {
    ...(name ? { name } : {}),
    at: name ? ['policies', name] : ['inline'],
    ...(fields as Partial<PolicyModel>),
    raw: fields,
  };
}

export function job(name: string, fields: Raw): JobModel {
  const f = fields as Partial<JobModel> & Raw;
  return {
    name,
    at: ['jobs', name],
    kind: String(f.kind),
    host: f.host,
    from: f.from,
    to: f.to,
    storage: f.storage,
    schedule: f.schedule,
    retention: f.retention,
    after: (f.after as string[] | undefined) ?? [],
    encrypt: f.encrypt,
    enabled: f.enabled !== false,
    raw: fields,
  };
}

export function plan(parts: {
  timezone?: string;
  hosts?: HostModel[];
  storage?: StorageModel[];
  policies?: PolicyModel[];
  jobs: JobModel[];
}): PlanModel {
  return {
    version: 1,
    timezone: parts.timezone ?? 'UTC',
    hosts: new Map((parts.hosts ?? []).map((h) => [h.name, h])),
    storage: new Map((parts.storage ?? []).map((s) => [s.name, s])),
    policies: new Map((parts.policies ?? []).map((p) => [p.name!, p])),
    jobs: new Map(parts.jobs.map((j) => [j.name, j])),
    checks: { levels: {}, coverage: { copies: 3, media: 2, offsite: 1, immutable: 0, verified: false }, raw: {} },
  };
}

/** 2024-03-05T06:07:00Z */
export const NOW = Date.UTC(2024, 2, 5, 6, 7);

export const FLEET = {
  hosts: [
    host('scylla', { address: '192.0.2.10', user: 'root', site: 'a' }),
    host('charybde', {
      address: '192.0.2.11',
      user: 'backup',
      port: 2222,
      identity: '/etc/backplan/id_ed25519',
      site: 'b',
    }),
    host('here', {}),
  ],
  storage: [
    storage('scylla-pool', { host: 'scylla', media: 'hdd' }),
    storage('charybde-pool', { host: 'charybde', media: 'hdd', path: '/srv/backup' }),
    storage('local-disk', { path: '/var/backups/bp', media: 'ssd' }),
    storage('offsite', {
      url: 's3:https://s3.example.net/bucket/restic',
      site: 'cloud',
      media: 'object',
      password_env: 'RESTIC_PW',
    }),
  ],
  policies: [
    policy('gfs', { keep: { last: 3, daily: 7, weekly: 4, monthly: 12, within: '1y2mo' } }),
    policy('tiers', { tiers: [{ keep: 'all', until: '15d' }, { every: '1d' }] }),
  ],
};
