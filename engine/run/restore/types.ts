// What `backplan restore` (ops/restore-job.ts) asks of a kind, and what a kind gives back: the
// job's copies where it finds them, and the actions that put one copy into a place. A module of
// its own so that the per-kind files (restore/<kind>.ts), their table (restore/index.ts) and the
// operation all use these types without importing each other.
import type { JobModel, PlanModel } from '../../plan/model';
import type { ExecEnv } from '../exec/exec-env';
import type { Inventory, Step } from '../steps/step';

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
  /** Snapshot kinds: the snapshot store that lists it (dataset, snapshot directory, instance). */
  inventory?: Inventory;
  /** The objects one copy is made of (OpenStack: the images of one run), with what a restore needs of each. */
  parts?: RestorePart[];
}

export interface RestorePart {
  name: string;
  /** A volume made from it needs this many GiB (an image's min_disk or virtual size), when known. */
  sizeGb?: number;
  /** It is a volume's image (restored as a volume), not an instance snapshot (restored as a server). */
  volume?: boolean;
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
  /** Commands that `argv`'s stdout feeds, each on its own host (a pipeline). */
  pipe?: { host: string; argv: string[] }[];
  /** Do it; throws RestoreError (one line) on failure. */
  run(): Promise<void>;
  /** Undo what `run` made once a later action failed (a scratch clone, a partial dataset). */
  undo?(): Promise<void>;
}

/** Kinds restored as files and directories: a tree of absolute paths under `root`. */
export interface FileRestorer {
  target: 'files';
  /** Where the restored files are written (LOCAL or a plan host): the machine the kind's tool runs on. */
  targetHost(ctx: KindContext): string;
  /** The job's own copies, newest first (the storage they were listed on). */
  list(ctx: KindContext): Promise<CopyListing>;
  /** Other storages that hold copies of the job (the replicas of a snapshot, the source of a send). */
  replicas?(ctx: KindContext): Promise<CopyListing[]>;
  /** The paths an in-place restore may replace, when they are not the job's `paths` (a dataset's mountpoint). */
  ownPaths?(ctx: KindContext): Promise<string[]>;
  /**
   * The actions that fill `root` (an existing, empty directory on the target host) with the copy's
   * tree, every file at `root` + its absolute path; `include` (absolute paths) limits it to those
   * paths and what is under them (empty: everything).
   */
  restore(
    ctx: KindContext,
    copy: RestoreCopy,
    root: string,
    include: readonly string[],
  ): RestoreAction[] | Promise<RestoreAction[]>;
  /** Restoring without --path: the copy becomes a new dataset or subvolume (snapshot kinds). */
  whole?: WholeRestore;
  /** Its argv is read from live state (snapshot directories, mountpoints): `restore` runs read-only commands. */
  live?: boolean;
}

/** What a restore of a whole copy (a dataset, a subvolume, an instance) is told. */
export interface WholeRequest {
  /** `--to`: the new object's name (dataset, path, instance); undefined: in place. */
  to?: string;
  /** The stamp (UTC) of names moved aside. */
  stamp: string;
}

/** The plan of a whole restore: where it goes, its actions, and what to say about it. */
export interface WholePlan {
  target: string;
  actions: RestoreAction[];
  /** Removes what a failed restore left (the scratch dataset, subvolume or instance). */
  cleanup(): Promise<void>;
  bytes(): Promise<number>;
  movedAside(): string | undefined;
  /** Said with the copy's choice (where the new object is, what it depends on, boot.autostart ...). */
  notes: string[];
}

/**
 * A copy restored as a new object beside the others, never over one: the checks of the target
 * (it must not exist) and the actions, which make it under a scratch name and rename it when whole.
 */
export interface WholeRestore {
  /** `dataset`, `subvolume`, `instance`: for messages. */
  noun: string;
  /** For the runbook (nothing runs): a target to write in `--to` (`root` for a path), and what it becomes. */
  suggest(plan: PlanModel, job: JobModel, root: string): { target: string; note: string };
  plan(ctx: KindContext, copy: RestoreCopy, req: WholeRequest): Promise<WholePlan>;
}

/** Kinds restored only whole (an Incus instance: a new instance from a snapshot). */
export interface InstanceRestorer {
  target: 'instance';
  list(ctx: KindContext): Promise<CopyListing>;
  replicas?(ctx: KindContext): Promise<CopyListing[]>;
  whole: WholeRestore;
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

/** What a restore by the kind's own tool is told. */
export interface ToolRestoreRequest {
  /** `--to`: the name of what the restore creates (a namespace, a server or volume name, a guest id). */
  to?: string;
  /** `--in-place`: back under the job's own names, where the kind's tool allows it without replacing anything. */
  inPlace: boolean;
  /** The stamp (UTC) used to name what the restore creates. */
  stamp: string;
  /** The copy was named (--copy), not the newest taken by default. */
  named?: boolean;
  /** `to` is the restorer's placeholder (the runbook): shown, not checked. */
  placeholder?: boolean;
}

/**
 * Kinds whose copies only their own tool can put back, as a new object of that tool (a Velero
 * restore, an OpenStack server or volume, a Proxmox guest): no `.partial` root; what exists is
 * never replaced (no --force, no overwrite policy is ever passed).
 */
export interface ToolRestorer {
  target: 'tool';
  /** What `--to` names, as the runbook writes it (`<free guest id>`). */
  placeholder: string;
  list(ctx: KindContext): Promise<CopyListing>;
  /** The copy `--copy NAME` names, built from its name alone (a dry run where the tool cannot list). */
  named(ctx: KindContext, name: string): RestoreCopy | undefined;
  /** Reads what the argv needs of the chosen copy (sizes); read-only, so a dry run does it too. */
  describe?(ctx: KindContext, copy: RestoreCopy): Promise<RestoreCopy>;
  /** The tool's commands; throws RestoreError for a target the kind cannot take. */
  restore(
    ctx: KindContext,
    copy: RestoreCopy,
    req: ToolRestoreRequest,
  ): { actions: RestoreAction[]; target: string; notes: string[] };
}

export type KindRestorer = FileRestorer | DbRestorer | ToolRestorer | InstanceRestorer;
