// The options, reports and error of the operations on one job outside a run (`backplan prune`,
// `backplan verify`), and the session they open. A module of its own: the operations
// (prune-job.ts, verify-job.ts) and the per-kind code they call (prune/tool-prune.ts,
// verify/repo.ts, verify/rsync.ts) all use these without importing each other.
import type { PlanModel } from '../../plan/model';
import type { RestoreResult } from '../builtin/restore';
import type { TableCount } from '../builtin/db-verify';
import type { Hosts } from '../exec/hosts';
import type { Redactor } from '../exec/redact';
import type { Journal } from '../state/journal';
import type { RunEvent } from './run-plan';
import type { RtoVerdict } from './rto';

export class JobOpError extends Error {}

/** What an operation on one job opens when it changes something (journal, ssh masters, lock). */
export interface JobSession {
  journal: Journal;
  hosts: Hosts;
  redactor: Redactor;
  emit(e: RunEvent): void;
  close(status: 'ok' | 'failed', t0: number): Promise<void>;
}

export interface PruneJobOptions {
  plan: PlanModel;
  planPath: string;
  job: string;
  stateDir: string;
  dryRun?: boolean;
  now?: number;
  breakStaleLock?: boolean;
  sshOptions?: string[];
  onEvent?(e: RunEvent): void;
}

export interface PruneJobReport {
  job: string;
  dryRun: boolean;
  engine: string;
  min: number;
  dir: string;
  keep: { name: string; time: string; reasons: string[] }[];
  remove: { name: string; time: string }[];
  removed: string[];
  failed: string[];
  ignored: { name: string; why: string }[];
  partials: string[];
  journal?: string;
}

export interface VerifyJobOptions {
  plan: PlanModel;
  planPath: string;
  job: string;
  stateDir: string;
  /** A copy's file name; default the newest (or a random one for `verify.restore: sample`). */
  copy?: string;
  scratchDir?: string;
  breakStaleLock?: boolean;
  sshOptions?: string[];
  onEvent?(e: RunEvent): void;
}

export interface VerifyJobReport extends RestoreResult {
  job: string;
  copy: string;
  path: string;
  journal: string;
  /** Dumps: the row count of every table restored (and of the source). */
  tables?: TableCount[];
  /** One line for people when the kind verifies otherwise than by a manifest or row counts (rsync, incus-copy). */
  summary?: string;
  /** The measured restore time (SPEC §11), as journalled on the verify step's end (with `bytes`). */
  durationSeconds?: number;
  /** The job's `rto` against durationSeconds, when the job has one and the restore test passed. */
  rto?: RtoVerdict;
}
