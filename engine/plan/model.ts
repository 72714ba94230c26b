// The typed plan model built from the parsed YAML. Every entity keeps `at`, the YAML path of
// its own node, so a check can point at the key or value at fault through the Locator.
// Values are kept as written (after schema validation they have the documented types, but the
// model is also built from invalid plans, so readers must tolerate anything).

export type YamlPath = readonly (string | number)[];

export interface HostModel {
  name: string;
  at: YamlPath;
  address?: string;
  user?: string;
  port?: number;
  identity?: string;
  site?: string;
  role?: 'primary' | 'standby' | 'storage';
  timezone?: string;
  raw: Record<string, unknown>;
}

export interface StorageModel {
  name: string;
  at: YamlPath;
  host?: string;
  site?: string;
  media?: string;
  capacity?: string;
  replicated?: number;
  immutable?: boolean;
  /** A directory on the storage's host. */
  path?: string;
  /** A repository or bucket URL. */
  url?: string;
  raw: Record<string, unknown>;
}

/** Counts: a number, -1 for unlimited ('all' in the plan is normalised to -1). */
export interface KeepModel {
  last?: number;
  /** sanoid only: its `frequently` count. */
  frequently?: number;
  hourly?: number;
  daily?: number;
  weekly?: number;
  monthly?: number;
  yearly?: number;
  within?: string;
  within_hourly?: string;
  within_daily?: string;
  within_weekly?: string;
  within_monthly?: string;
  within_yearly?: string;
  tags?: string[][];
  /** duplicity: keep the N newest chains (`remove-all-but-n-full`). */
  full?: number;
  /** duplicity: incrementals only in the N newest chains (`remove-all-inc-of-but-n-full`). */
  incrementals_of?: number;
}

export interface TierModel {
  keep?: 'all';
  every?: string;
  until?: string;
}

export interface PolicyModel {
  /** Set for named policies; undefined for an inline `retention:` mapping. */
  name?: string;
  at: YamlPath;
  keep?: KeepModel;
  tiers?: TierModel[];
  expiry?: string;
  min?: number;
  raw: Record<string, unknown>;
}

export interface VerifyModel {
  schedule?: string;
  restore?: 'latest' | 'sample';
  check?: string;
}

export interface JobModel {
  name: string;
  at: YamlPath;
  kind: string;
  host?: string;
  from?: string;
  to?: string;
  storage?: string;
  schedule?: string;
  /** A policy name, or the inline policy. */
  retention?: string | PolicyModel;
  prune_schedule?: string;
  rpo?: string;
  after: string[];
  verify?: VerifyModel;
  encrypt?: Record<string, unknown>;
  size?: string;
  change?: string;
  enabled: boolean;
  description?: string;
  /** Every field as written, including the kind-specific ones (dataset, instance, paths ...). */
  raw: Record<string, unknown>;
}

export interface ChecksModel {
  /** Severity overrides per rule id. */
  levels: Record<string, 'error' | 'warning' | 'info' | 'off'>;
  coverage: { copies: number; media: number; offsite: number; immutable: number; verified: boolean };
  raw: Record<string, unknown>;
}

export interface PlanModel {
  version?: unknown;
  /** IANA zone; 'UTC' when the plan names none. */
  timezone: string;
  hosts: Map<string, HostModel>;
  storage: Map<string, StorageModel>;
  policies: Map<string, PolicyModel>;
  jobs: Map<string, JobModel>;
  checks: ChecksModel;
  /** The plan-level `notify:` targets as written (engine/ops/notify reads them; a job's own `notify:` in its raw replaces them). */
  notify?: unknown;
  /** The plan-level `monitoring:` mapping as written (engine/ops/metrics reads it: textfile, pushgateway). */
  monitoring?: unknown;
}
