// What `backplan restore` (ops/restore-job.ts) asks of a kind, and what a kind gives back: the
// job's copies where it finds them, and the actions that put one copy into a place. A module of
// its own so that the per-kind files (restore/<kind>.ts), their table (restore/index.ts) and the
// operation all use these types without importing each other.
import type { JobModel, PlanModel } from '../../plan/model';
import type { ExecEnv } from '../exec/exec-env';
import type { Step } from '../steps/step';

export class RestoreError extends Error {}

/** One copy a restore can read. */
export interface RestoreCopy {
  /** The name people use (`--copy`): a file or directory name, a restic short id, a borg archive name. */
  name: string;
  /** When it was taken (epoch ms). */
  time: number;
  /** Where it is read: a path on `host` (files, directories), or the tool's own id (restic, borg). */
  path: string;
  /** LOCAL or the plan host holding `path`. */
  host: string;
  /** The storage of the plan that holds it. */
  storage: string;
  /** Other ids that name the same copy (restic's long id). */
  aliases?: string[];
  /** A file beside it that belongs to it (an archive's manifest). */
  manifest?: string;
}

/** The copies of a job on one storage, newest first. */
export interface CopyListing {
  storage: string;
  copies: RestoreCopy[];
  /** Why this storage is read (own storage, a replica made by job R ...). */
  why: string;
}

/** What every kind receives. */
export interface KindContext {
  plan: PlanModel;
  job: JobModel;
  /** The job's steps, planned on their own (ops/session.ts stepsFor). */
  steps: Step[];
  x: ExecEnv;
}

/** One action of a restore: shown by `--dry-run` (host and exact argv), journalled as a step when run. */
export interface RestoreAction {
  description: string;
  host: string;
  /** The command it runs, when it is one command (argv array, never a shell string). */
  argv?: string[];
  /** Do it; throws RestoreError (one line) on failure. */
  run(): Promise<void>;
}

/** Kinds restored as files and directories: a tree of absolute paths under `root`. */
export interface FileRestorer {
  target: 'files';
  /** Where the restored files are written (LOCAL or a plan host): the machine the kind's tool runs on. */
  targetHost(ctx: KindContext): string;
  /** The job's own copies, newest first (the storage they were listed on). */
  list(ctx: KindContext): Promise<CopyListing>;
  /**
   * The actions that fill `root` (an existing, empty directory on the target host) with the copy's
   * tree, every file at `root` + its absolute path; `include` (absolute paths) limits it to those
   * paths and what is under them (empty: everything).
   */
  restore(ctx: KindContext, copy: RestoreCopy, root: string, include: readonly string[]): RestoreAction[];
}

/** What a database restore is told. */
export interface DbRestoreRequest {
  /** The database that receives the copy (`--to NAME`, or the job's own for `--in-place`). */
  database: string;
  /** `--in-place`: the job's own database, renamed to `aside` in the same step the copy takes its name. */
  aside?: string;
  /** The stamp (UTC) used to name a temporary database. */
  stamp: string;
}

/** Kinds restored into a database server (pg-dump, mysql-dump). */
export interface DbRestorer {
  target: 'database';
  /** The database the job dumps. */
  ownDatabase(ctx: KindContext): string;
  list(ctx: KindContext): Promise<CopyListing>;
  /** Throws RestoreError when `database` exists and holds tables (a restore never replaces data). */
  checkTarget(ctx: KindContext, database: string, inPlace: boolean): Promise<void>;
  /**
   * The actions that restore the copy into a temporary database and give it its name (for
   * `aside`: the current database takes that name in the same step); `cleanup` removes what a
   * failed restore left (the temporary database), and `bytes` says how much was read.
   */
  restore(
    ctx: KindContext,
    copy: RestoreCopy,
    req: DbRestoreRequest,
  ): { actions: RestoreAction[]; cleanup(): Promise<void>; bytes(): number; movedAside(): string | undefined };
}

export type KindRestorer = FileRestorer | DbRestorer;
