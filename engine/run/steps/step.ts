// A Step is one unit of work of a run, described completely enough that a runner can execute
// it and `backplan plan` can show it: argv arrays only (never shell strings, SPEC §8.1), the
// host each command runs on, secrets as references only (SPEC §8.8), and outputs written under
// a temporary name and renamed once whole (SPEC §8.6).
//
// How a runner executes a step:
// - `command`: run `argv` on `host` (locally, or through sshArgv for a remote host). When `pipe`
//   is present, stdout of each command feeds stdin of the next, each on its own host; the step
//   succeeds only when every command exits 0. Steps on remote hosts receive their secret env by
//   the runner (over the ssh channel's stdin or a temporary file), never in argv.
// - `output`: with `via: 'stdout'` the runner writes the last command's stdout to
//   `output.partial` on `output.host` (writeArgv below when remote), fsyncs, then renames it to
//   `output.path` (renameArgv) after every command succeeded. With `via: 'tool'` the command
//   itself writes `output.partial`, and the runner only renames.
// - `expect`: the last command's stdout, trimmed, must equal `expect.stdout` (a read-back).
// - `guard`: before running `argv`, run `guard.argv` (the tool's own dry run) and refuse the
//   step if it would leave fewer than `guard.min` snapshots or remove the newest (SPEC §8.3).
// - `builtin`: an operation Backplan does itself (the `archive` kind), streaming to `pipe`/`output`.
// - `tool-config`: write the configuration file a pruning tool reads (sanoid, btrbk), atomically.
// - `prune`: evaluate `prune.policy` with the engine-exact evaluator against live inventory,
//   never removing the newest `min` copies nor a replication base (SPEC §8.3, §8.4).
// - `after`: ids of steps that must have succeeded in this run first (SPEC §8.2 for prunes).
// - `unresolved`: placeholders in argv (`{{...}}`) that only live inventory can fill; a runner
//   must resolve them (or refuse the step), `plan` shows them as they are.
import type { PolicyModel } from '../../plan/model';
import type { EngineId } from '../../retention/types';
import { displayArgv, displayQuote, LOCAL } from '../exec/quote';

export { LOCAL };

export type Phase = 'setup' | 'backup' | 'copy' | 'prune' | 'verify';

/** A secret's source, never its value; or a plain, non-secret value. */
export type EnvValue =
  | { fromEnv: string }
  /**
   * A file on the host where the command runs, read by the runner just before running it (over
   * the same ssh connection for a remote host) and passed in the environment.
   */
  | { fromFile: string }
  | { value: string };

export interface Command {
  /** LOCAL or a host name of the plan. */
  host: string;
  argv: string[];
  env?: Record<string, EnvValue>;
}

export interface StepOutput {
  host: string;
  /** Final name, present only once the step completed. */
  path: string;
  /** Temporary name written while the step runs. */
  partial: string;
  kind: 'file' | 'directory';
  via: 'stdout' | 'tool';
}

export interface StepBase {
  /** `JOB/N`, unique in a plan. */
  id: string;
  job: string;
  phase: Phase;
  /** One line, for people. */
  description: string;
  /** Where the step (its first command) runs. */
  host: string;
  after: string[];
  notes?: string[];
  unresolved?: string[];
  /**
   * The job's `timeout`: a step with no output and no progress for `stallMs`, or running longer
   * than `totalMs`, is stopped (SIGTERM, then SIGKILL to its process groups) and fails. None:
   * the runner's default stall timeout (exec/process.ts DEFAULT_STALL_MS), no total.
   */
  timeout?: { stallMs: number; totalMs?: number };
}

export interface PruneGuard {
  argv: string[];
  /** How to read the dry run's output. */
  parse: 'restic-forget-json' | 'borg-prune-list' | 'duplicity-remove-list';
  min: number;
  /**
   * Engine-exact check (exec/guard.ts): `list` lists the job's snapshots, Backplan's own `engine`
   * decides on them with `policy` in `timezone`, and the step is refused when the tool's dry run
   * decides otherwise. `version` prints the tool's version (restic: features differ by release).
   */
  list?: {
    argv: string[];
    parse: 'restic-snapshots-json' | 'borg-list-json' | 'duplicity-collection-status';
    env?: Record<string, EnvValue>;
  };
  version?: string[];
  /** The version the plan declares for the tool on this host (`tool_versions`), whose rules the engine follows. */
  declaredVersion?: string;
  /**
   * The plan's name of the host the tool runs on (where `tool_versions` belongs); none: this machine, no host entry.
   */
  planHost?: string;
  engine?: EngineId;
  policy?: PolicyModel;
  timezone?: string;
}

export interface CommandStep extends StepBase, Command {
  type: 'command';
  pipe?: Command[];
  output?: StepOutput;
  expect?: { stdout: string };
  guard?: PruneGuard;
  /** Where the job's copies written by this step are listed (verify, prune). */
  inventory?: Inventory;
  /**
   * The tool this step runs prunes the copies of `inventory` itself, by `prunedBy.engine`'s rules
   * (sanoid, btrbk): no Backplan prune follows, and `status` reads the copies with this spec.
   */
  prunedBy?: PruneSpec;
}

export interface ArchiveOp {
  op: 'archive';
  /** Absolute paths read on the step's host. */
  paths: string[];
  exclude: string[];
  /** tar + gzip, written to stdout (then `pipe`, then `output`). */
  format: 'tar.gz';
  /** Where the sha256 manifest (one line per archived file) is written, beside the archive. */
  manifest: { host: string; path: string; partial: string };
  /** Where the job's archives are listed (verify, prune, stale `.partial` clean-up). */
  inventory?: Inventory;
}

/**
 * The configuration file of a tool that prunes by its own rules (sanoid, btrbk), written for one
 * job on the step's host: under a temporary name, fsynced, then renamed over the old one.
 */
export interface ToolConfigOp {
  tool: 'sanoid' | 'btrbk';
  /** Absolute path on the step's host; its directory is created (0700) when missing. */
  path: string;
  content: string;
  /** Files removed before the tool runs: its own cache, which would hide what changed since it was written. */
  clear: string[];
}

export interface ToolConfigStep extends StepBase {
  type: 'tool-config';
  config: ToolConfigOp;
}

export interface BuiltinStep extends StepBase {
  type: 'builtin';
  builtin: ArchiveOp;
  pipe?: Command[];
  output?: StepOutput;
}

/**
 * Snapshots named by the tool that takes them, not by Backplan: sanoid's `autosnap_<date>_<type>`,
 * btrbk's `NAME.YYYYMMDDTHHMM` (timestamp_format long), both in the host's local time.
 */
export type ToolNaming = 'sanoid' | 'btrbk';

/** What a native prune lists to find the job's copies. */
export type Inventory =
  | { type: 'zfs-snapshots'; host: string; dataset: string; match: string; naming?: ToolNaming }
  | { type: 'btrfs-snapshots'; host: string; dir: string; match: string; naming?: ToolNaming }
  | { type: 'files'; host: string; dir: string; match: string }
  | { type: 'directories'; host: string; dir: string; match: string }
  | { type: 'incus-snapshots'; host: string; binary: string; instance: string; match: string }
  | { type: 'openstack-images'; host: string; cloud?: string; match: string }
  | { type: 'openstack-volume-snapshots'; host: string; cloud?: string; match: string };

export interface PruneSpec {
  engine: EngineId;
  policy: PolicyModel;
  /** Zone whose calendar decides the buckets. */
  timezone: string;
  /** Never keep fewer than this many newest copies (policy `min`, default 1). */
  min: number;
  /**
   * What to list. `match` is a glob on the copy's name (`*` = any run of characters) built from
   * the job's naming pattern, so a prune only ever sees the copies this job made. Names ending
   * in `.partial` are never copies (interrupted runs) and are never matched.
   */
  inventory: Inventory;
  /** Jobs that replicate this job's copies: the newest copy common with each is never pruned. */
  protectBaseOf?: string[];
  /** This job replicates `replicaOf`: keep the newest copy common with it on this side too. */
  replicaOf?: string;
}

export interface PruneStep extends StepBase {
  type: 'prune';
  prune: PruneSpec;
}

export type Step = CommandStep | BuiltinStep | ToolConfigStep | PruneStep;

// ---------------------------------------------------------------------------------------------
// Fixed argv the runner uses to finish outputs on a remote host (shared with the display).

/** Write stdin to `partial` and fsync it (GNU coreutils dd). */
export function writeArgv(partial: string): string[] {
  return ['dd', `of=${partial}`, 'bs=1M', 'conv=fsync', 'status=none'];
}

/** Rename `partial` to `path` once complete; `-T` so a directory is never moved *into* `path`. */
export function renameArgv(partial: string, path: string): string[] {
  return ['mv', '-T', '--', partial, path];
}

// ---------------------------------------------------------------------------------------------
// Display

function envPrefix(env: Record<string, EnvValue> | undefined): string {
  if (!env) return '';
  const parts = Object.keys(env)
    .sort()
    .map((k) => {
      const v = env[k];
      if ('fromEnv' in v) return `${k}="$${v.fromEnv}"`;
      if ('fromFile' in v) return `${k}="$(cat ${displayQuote(v.fromFile)})"`;
      return `${k}=${displayQuote(v.value)}`;
    });
  return parts.length ? `${parts.join(' ')} ` : '';
}

function commandText(c: Command): string {
  return `[${c.host}] ${envPrefix(c.env)}${displayArgv(c.argv)}`;
}

function outputText(o: StepOutput | undefined): string {
  if (!o) return '';
  const rename = `; then ${displayArgv(renameArgv(o.partial, o.path))}`;
  if (o.via === 'stdout') return ` > [${o.host}] ${displayQuote(o.partial)}${rename}`;
  return rename;
}

/** Pretty-print a limited set of policy fields (for prune steps). */
function policyText(p: PolicyModel): string {
  const bits: string[] = [];
  if (p.keep) {
    for (const [k, v] of Object.entries(p.keep)) {
      if (v === undefined) continue;
      bits.push(`${k}=${Array.isArray(v) ? JSON.stringify(v) : v === -1 ? 'all' : String(v)}`);
    }
  }
  if (p.tiers) {
    bits.push(
      `tiers=[${p.tiers
        .map((t) => `${t.keep === 'all' ? 'all' : `every ${t.every}`}${t.until ? ` until ${t.until}` : ''}`)
        .join(', ')}]`,
    );
  }
  if (p.expiry) bits.push(`expiry=${p.expiry}`);
  return (p.name ? `${p.name}: ` : '') + (bits.join(' ') || 'no rules');
}

function inventoryText(i: Inventory): string {
  switch (i.type) {
    case 'zfs-snapshots':
      return `zfs snapshots ${displayQuote(`${i.dataset}@${i.match}`)}`;
    case 'btrfs-snapshots':
      return `btrfs snapshots ${displayQuote(`${i.dir}/${i.match}`)}`;
    case 'files':
      return `files ${displayQuote(`${i.dir}/${i.match}`)}`;
    case 'directories':
      return `directories ${displayQuote(`${i.dir}/${i.match}`)}`;
    case 'incus-snapshots':
      return `${i.binary} snapshots ${displayQuote(`${i.instance}/${i.match}`)}`;
    case 'openstack-images':
      return `openstack images ${displayQuote(i.match)}`;
    case 'openstack-volume-snapshots':
      return `openstack volume snapshots ${displayQuote(i.match)}`;
  }
}

/**
 * One readable line per step: `[host] argv`, pipelines with `|`, secrets as `$NAME` references,
 * outputs as `> partial; then mv`. Display only: the runner executes the argv arrays.
 */
export function formatStep(step: Step): string {
  switch (step.type) {
    case 'command': {
      const cmds = [step as Command, ...(step.pipe ?? [])].map(commandText).join(' | ');
      const expect = step.expect ? ` (expect ${displayQuote(step.expect.stdout)})` : '';
      return `${cmds}${outputText(step.output)}${expect}`;
    }
    case 'tool-config': {
      const b = step.config;
      const clear = b.clear.length ? `, after removing ${displayArgv(b.clear)}` : '';
      return `[${step.host}] write ${b.tool}'s configuration ${displayQuote(b.path)} (${b.content.length} bytes, ` +
        `atomically)${clear}`;
    }
    case 'builtin': {
      const b = step.builtin;
      const head = `[${step.host}] backplan archive (built-in tar.gz) ${displayArgv(b.paths)}${
        b.exclude.length ? ` excluding ${displayArgv(b.exclude)}` : ''
      }, sha256 manifest ${displayQuote(b.manifest.path)}`;
      const rest = (step.pipe ?? []).map((c) => ` | ${commandText(c)}`).join('');
      return `${head}${rest}${outputText(step.output)}`;
    }
    case 'prune': {
      const p = step.prune;
      const protect = [
        ...(p.protectBaseOf?.length ? [`keeps the base shared with ${p.protectBaseOf.join(', ')}`] : []),
        ...(p.replicaOf ? [`keeps the base shared with ${p.replicaOf}`] : []),
      ];
      return `[${step.host}] prune (${p.engine} rules, ${p.timezone}) ${inventoryText(p.inventory)} by ${policyText(
        p.policy,
      )}; never fewer than ${p.min} newest${
        protect.length ? `; ${protect.join('; ')}` : ''
      }`;
    }
  }
}
