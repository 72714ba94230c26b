// What the Backplan language server and its clients agree on, beyond standard LSP: the custom
// requests and notifications, the commands that code lenses carry, the initialization options
// and the settings. Types only (plus the method and command names): both sides import this
// module, neither imports the other's code.
//
// Positions in these messages are LSP positions (0-based line, UTF-16 character); times are
// ISO-8601 strings with the offset of the job's zone, as `backplan simulate --format json` prints
// them.
import type { StepJson } from '../engine/run/steps/step-json';
import type { SimulatedJob } from '../engine/simulate/simulate-job';

// ---------------------------------------------------------------------------------------------
// Initialization and settings

/** Commands a code lens may carry. The server emits only those the client lists in `commands`. */
export const COMMANDS = {
  runNow: 'backplan.runNow',
  dryRun: 'backplan.dryRun',
  simulateRetention: 'backplan.simulateRetention',
  showCoverage: 'backplan.showCoverage',
  restore: 'backplan.restore',
} as const;
export type CommandId = (typeof COMMANDS)[keyof typeof COMMANDS];

/**
 * Opens the reference page of a rule (argument: the rule id) in a Markdown preview. When the
 * client lists it in `commands`, each diagnostic's `codeDescription.href` is this command's URI;
 * otherwise the file URI of the page shipped beside the server, when there is one.
 */
export const REFERENCE_COMMAND = 'backplan.showReference';

/** Arguments of the lens commands: `{uri, job}` on a job, `{uri, policy}` on a policy. */
export interface JobCommandArgs {
  uri: string;
  job: string;
}
export interface PolicyCommandArgs {
  uri: string;
  policy: string;
}

/** The section `backplan` of the client's settings (all optional; defaults below). */
export interface Settings {
  validation: {
    /** Quiet time after the last edit before a document is checked again (ms). */
    debounceMs: number;
    /** The language status turns amber when one check takes longer than this (ms). */
    budgetMs: number;
  };
  inlayHints: {
    /** The cron in words after each schedule. */
    schedules: boolean;
    /** The projected set after each retention. */
    retention: boolean;
  };
  /**
   * Where runs keep their journals (`backplan --state-dir`; empty: the command's default). The
   * restore tests journalled there feed `no-restore-test`, as `backplan check --state-dir` does.
   */
  stateDir: string;
}

export const DEFAULT_SETTINGS: Settings = {
  validation: { debounceMs: 150, budgetMs: 50 },
  inlayHints: { schedules: true, retention: true },
  stateDir: '',
};

/** A deep-partial of Settings, as a client may send it. */
export type SettingsInput = {
  [K in keyof Settings]?: Settings[K] extends object ? Partial<Settings[K]> : Settings[K];
};

/** `initializationOptions` of the initialize request. */
export interface InitializationOptions {
  /**
   * The client commands this client implements (e.g. `['backplan.runNow', 'backplan.dryRun',
   * 'backplan.simulateRetention']`). Without it, no code lens carries a command and none is sent
   * (a plain LSP client such as Neovim has none of them).
   */
  commands?: string[];
  /** The `backplan` settings section, when the client does not answer workspace/configuration. */
  settings?: SettingsInput;
}

// ---------------------------------------------------------------------------------------------
// Custom requests

/** `backplan/simulate`: the retention simulation of one job, of the jobs using a policy, or of every job. */
export const SIMULATE_REQUEST = 'backplan/simulate';

export interface SimulateParams {
  uri: string;
  /** One job. */
  job?: string;
  /** The jobs that use this named policy (or, when none does, the policy on a daily schedule). */
  policy?: string;
  /** Target date (ISO-8601); default: start + the job's default horizon. */
  at?: string;
  /** Start (ISO-8601); default: now. */
  from?: string;
  /** Plan duration from the start (`2y`, `6mo`), when `at` is not given. */
  horizon?: string;
}

export type SimulatedSnapshotJson = SimulatedJob['snapshots'][number];

/** One job of `backplan simulate --format json` (SPEC §7), plus the timeline picture. */
export interface SimulatedJobJson extends SimulatedJob {
  /** The timeline (engine/simulate/svg.ts), a standalone SVG document. */
  svg: string;
  /** Set when the job does not exist in the plan: a policy simulated on a daily schedule. */
  synthetic?: boolean;
}

export interface SimulateResult {
  jobs: SimulatedJobJson[];
  /** Jobs that could not be simulated, and why. */
  skipped: { job: string; reason: string }[];
  /** Set when the plan cannot be simulated at all (it has errors that prevent reading it). */
  error?: string;
}

/** `backplan/plan`: the dry run, as `backplan plan --format json` prints it. */
export const PLAN_REQUEST = 'backplan/plan';

export interface PlanParams {
  uri: string;
  job?: string;
}

/** One step, as `backplan plan --format json` gives it. */
export type PlanStepJson = StepJson;

export interface PlanResult {
  steps: PlanStepJson[];
  errors: { job: string; message: string }[];
  skipped: { job: string; reason: string }[];
  order: string[];
  /** Errors of the plan itself (`file:line:col: message [rule]`): no steps are planned then. */
  planErrors?: string[];
}

/** `backplan/coverage`: the 3-2-1 counts of every chain. */
export const COVERAGE_REQUEST = 'backplan/coverage';

export interface CoverageParams {
  uri: string;
}

export interface ChainCoverageJson {
  /** The job that starts the chain. */
  root: string;
  /** Every job without `from` that reads the chain's data, `root` first (several: their copies count together). */
  roots: string[];
  members: string[];
  enabled: boolean;
  /** "3 copies · 2 media · 1 offsite ✓", or "… ✗ (needs …)". */
  line: string;
  ok: boolean;
  counts: { copies: number; media: number; offsite: number; immutable: number; verified: boolean };
  target: { copies: number; media: number; offsite: number; immutable: number; verified: boolean };
  /** Copy 1 (the live data) first. */
  copies: { label: string; via?: string; site?: string; media?: string; offsite: boolean; immutable: boolean }[];
  /** Where the chain's root job is defined (its key). */
  range: { start: { line: number; character: number }; end: { line: number; character: number } };
}

export interface CoverageResult {
  chains: ChainCoverageJson[];
}

// ---------------------------------------------------------------------------------------------
// Notifications from the server

/** `backplan/status`: sent after each validation, for a language status item. */
export const STATUS_NOTIFICATION = 'backplan/status';

export interface StatusParams {
  uri: string;
  version: number;
  /** Time of parse + every check for this version (ms). */
  ms: number;
  /** settings.validation.budgetMs: amber when `ms` exceeds it. */
  budgetMs: number;
  counts: { error: number; warning: number; info: number; hint: number };
}
