// The contract every pruning-engine evaluator implements. Times are epoch milliseconds.
import type { PolicyModel } from '../plan/model';

export interface SnapshotIn {
  time: number;
  tags?: string[];
  /** Free identifier carried through (a snapshot name, a restic id ...). */
  id?: string;
  /** sanoid: the snapshot's name, whose last word is its type (`autosnap_<date>_daily`). */
  name?: string;
  /** duplicity: a full backup set or an incremental (a chain is a full and the incrementals after it). */
  type?: 'full' | 'incremental';
}

export interface KeptSnapshot {
  snapshot: SnapshotIn;
  /** Why it is kept, in the engine's own words where it has them (restic: "daily snapshot"). */
  reasons: string[];
}

export interface RetentionDecision {
  /** Newest first. */
  keep: KeptSnapshot[];
  /** Newest first. */
  remove: SnapshotIn[];
}

export interface RetentionContext {
  /** The moment of pruning (borg `within`, native tiers and expiry measure from it). */
  now: number;
  /** IANA zone whose calendar decides hours, days, weeks, months and years. */
  timezone: string;
}

export type EngineId = 'restic' | 'borg' | 'pbs' | 'native' | 'incus' | 'velero' | 'duplicity' | 'sanoid' | 'btrbk';

export interface Unsupported {
  /** The policy key at fault, relative to the policy (e.g. ['keep', 'within_hourly'] or ['tiers']). */
  key: readonly (string | number)[];
  message: string;
}

export interface RetentionEngine {
  id: EngineId;
  /** The tool release whose rules these are, when releases differ (restic: "restic before 0.16"). */
  release?: string;
  /** Forms of the policy this engine cannot express (empty when it can express all of it). */
  unsupported(policy: PolicyModel): Unsupported[];
  /** One pruning decision. Inputs may be in any order; equal times keep input order. */
  evaluate(snapshots: readonly SnapshotIn[], policy: PolicyModel, ctx: RetentionContext): RetentionDecision;
}
