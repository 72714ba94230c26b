// The guard of a prune that a tool does itself (restic forget --prune, borg prune), SPEC §8.3:
// before the real prune, the runner
// 1. lists the job's snapshots (`restic snapshots --json`, `borg list --json`),
// 2. decides on them with Backplan's own engine for the tool (engine/retention restic or borg),
// 3. runs the tool's dry run with the step's flags and reads what the tool would keep and remove,
// and refuses the step (nothing is pruned) when the tool's decision differs from Backplan's, when
// it would remove the newest snapshot, or when it would keep fewer than `min`. So what the tool
// removes is exactly what `backplan simulate` and `backplan prune --dry-run` show.
//
// restic releases differ: from 0.16 a rule whose count is not used up keeps the oldest snapshot
// too, and `unlimited` counts; older restic (Debian 12 ships 0.14) has neither. Backplan follows
// the release the host declares in `tool_versions.restic` (default: the current rules), and the
// guard reads `restic version` first: a host whose restic follows other rules than declared is
// refused before anything runs, with the line to add to the plan.
import { spawn } from 'node:child_process';
import { DEFAULT_STALL_MS, errorLines, Watchdog, type StepTimeout } from './process';
import { toolLockedMessage } from './tool-lock';
import { getEngine, resticEngineFor } from '../../retention/index';
import { parseResticVersion, resticReleaseOf } from '../../retention/restic';
import type { Command, CommandStep, PruneGuard } from '../steps/step';
import { EnvError, remoteEnvWrapper, resolveEnv } from './env';
import type { ExecEnv } from './exec-env';
import { duplicityGuardSnapshots, parseDuplicityRemove } from '../inventory/duplicity';

/** One snapshot (restic) or archive (borg) of the job, as the tool lists it. */
export interface ToolSnapshot {
  /** The tool's full id (restic snapshot id, borg archive id). */
  id: string;
  /** What people call it: restic's short id, borg's archive name. */
  name: string;
  time: number;
  tags?: string[];
}

export interface GuardDecision {
  /** Newest first. */
  keep: { snapshot: ToolSnapshot; reasons: string[] }[];
  /** Newest first. */
  remove: ToolSnapshot[];
}

export interface GuardResult {
  ok: boolean;
  /** Why the prune is refused. */
  message?: string;
  /** Backplan's decision (equal to the tool's when ok). */
  decision?: GuardDecision;
  detail?: Record<string, unknown>;
}

export class GuardError extends Error {}

const MAX_OUTPUT = 256 * 1024 * 1024;

/** Run one command to its end on its host, with its environment, collecting stdout and stderr whole. */
export async function runTool(
  cmd: Command,
  x: ExecEnv,
  cwd?: string,
  limits: StepTimeout = { stallMs: DEFAULT_STALL_MS },
): Promise<{ code: number | null; stdout: string; stderr: string; error?: string }> {
  let env: Record<string, string>;
  try {
    env = await resolveEnv(cmd, x.hosts, x.redactor, x.env);
    await x.hosts.ready(cmd.host);
  } catch (e) {
    if (e instanceof EnvError) return { code: null, stdout: '', stderr: '', error: e.message };
    return { code: null, stdout: '', stderr: '', error: (e as Error).message };
  }
  let argv: string[];
  let header: Buffer | undefined;
  let spawnEnv: NodeJS.ProcessEnv = process.env;
  if (x.hosts.isLocal(cmd.host)) {
    argv = [...cmd.argv];
    spawnEnv = { ...process.env, ...env };
  } else if (Object.keys(env).length) {
    const w = remoteEnvWrapper(env, cmd.argv);
    argv = x.hosts.argv(cmd.host, w.argv);
    header = w.header;
  } else argv = x.hosts.argv(cmd.host, cmd.argv);
  return new Promise((resolve) => {
    const child = spawn(argv[0], argv.slice(1), {
      shell: false,
      env: spawnEnv,
      stdio: [header ? 'pipe' : 'ignore', 'pipe', 'pipe'],
      // Its own process group, bounded like a step (a dry run that hangs must not hang prune).
      detached: true,
      ...(cwd ? { cwd } : {}),
    });
    let exited = false;
    const killGroup = (sig: NodeJS.Signals, evenAfterExit = false) => {
      if ((exited && !evenAfterExit) || child.pid === undefined) return;
      try {
        process.kill(-child.pid, sig);
      } catch {
        // already gone
      }
    };
    const onAbort = () => killGroup('SIGTERM');
    x.signal?.addEventListener('abort', onAbort, { once: true });
    const dog = new Watchdog(limits, (reason) => {
      error ??= `${cmd.argv[0]} stopped: ${reason}; SIGTERM, then SIGKILL, to its process group`;
    });
    // After a stop, pipes something out of reach still holds are let go (Spawned.release).
    const release = () => {
      if (exited) for (const st of [child.stdin, child.stdout, child.stderr]) st?.destroy();
    };
    dog.watch({ child, done: Promise.resolve({ code: null, signal: null, stderr: '' }), killGroup, release });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let size = 0;
    let error: string | undefined;
    const take = (into: Buffer[]) => (d: Buffer) => {
      if (into === err) dog.output(d.toString('utf8'));
      else dog.touch();
      size += d.length;
      if (size <= MAX_OUTPUT) into.push(d);
      else if (!error) {
        error = `${cmd.argv[0]} printed more than ${MAX_OUTPUT} bytes`;
        killGroup('SIGTERM');
      }
    };
    child.stdout!.on('data', take(out));
    child.stderr!.on('data', take(err));
    child.stdin?.on('error', () => undefined);
    if (header) child.stdin!.end(header);
    child.on('error', (e: NodeJS.ErrnoException) => {
      error ??= e.code === 'ENOENT' ? `${cmd.argv[0]}: command not found` : `${cmd.argv[0]}: ${e.message}`;
    });
    child.once('exit', () => (exited = true));
    child.on('close', async (code) => {
      exited = true;
      x.signal?.removeEventListener('abort', onAbort);
      await dog.dispose();
      resolve({
        code,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        ...(error ? { error } : {}),
      });
    });
  });
}

function lastLines(text: string): string {
  return errorLines(text);
}

async function toolOutput(cmd: Command, x: ExecEnv, what: string): Promise<{ stdout: string; stderr: string }> {
  const r = await runTool(cmd, x);
  if (r.error) throw new GuardError(`${what}: ${r.error}`);
  if (r.code !== 0) {
    // The tool's lock left by a killed command: which repository, and what clears it.
    const locked = toolLockedMessage(cmd.argv, r.stderr);
    throw new GuardError(
      `${what}: ${locked ?? `${cmd.argv[0]} exited with status ${r.code}${r.stderr.trim() ? `: ${lastLines(r.stderr)}` : ''}`}`,
    );
  }
  return r;
}

// ---------------------------------------------------------------------------------------------
// Reading the tools' output

/** RFC 3339 with up to nanoseconds (restic) or a naive time read as UTC (borg with TZ=UTC). */
function parseTime(text: unknown, naiveIsUtc: boolean): number {
  if (typeof text !== 'string') throw new GuardError(`a snapshot time is not a string: ${JSON.stringify(text)}`);
  let t = text.replace(/(\.\d{3})\d+/, '$1');
  if (naiveIsUtc && !/(Z|[+-]\d\d:?\d\d)$/.test(t)) t += 'Z';
  const ms = Date.parse(t);
  if (Number.isNaN(ms)) throw new GuardError(`cannot read the snapshot time \`${text}\``);
  return ms;
}

function json(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new GuardError(`${what} is not JSON: ${text.slice(0, 120)}`);
  }
}

/** `restic snapshots --json` → snapshots. */
export function parseResticSnapshots(text: string): ToolSnapshot[] {
  const list = json(text, 'restic snapshots --json');
  if (!Array.isArray(list)) throw new GuardError('restic snapshots --json did not print a list');
  return list.map((s: Record<string, unknown>) => {
    if (typeof s.id !== 'string') throw new GuardError('restic listed a snapshot without id');
    return {
      id: s.id,
      name: typeof s.short_id === 'string' ? s.short_id : s.id.slice(0, 8),
      time: parseTime(s.time, false),
      tags: Array.isArray(s.tags) ? (s.tags as string[]) : [],
    };
  });
}

/** `borg list --json` (run with TZ=UTC) → archives. */
export function parseBorgList(text: string): ToolSnapshot[] {
  const doc = json(text, 'borg list --json') as { archives?: Record<string, unknown>[] };
  if (!doc || !Array.isArray(doc.archives)) throw new GuardError('borg list --json has no archives list');
  return doc.archives.map((a) => {
    if (typeof a.id !== 'string' || typeof a.name !== 'string')
      throw new GuardError('borg listed an archive without id or name');
    return { id: a.id, name: a.name, time: parseTime(a.time ?? a.start, true) };
  });
}

/** A duplicity remove command's listing (without --force) as a plan over the listed sets. */
function duplicityPlan(text: string, snaps: ToolSnapshot[], incrementalsOnly: boolean): ToolPlan {
  try {
    return parseDuplicityRemove(text, snaps, incrementalsOnly);
  } catch (e) {
    throw new GuardError((e as Error).message);
  }
}

/** What a dry run would keep and remove, by id. */
export interface ToolPlan {
  keep: Set<string>;
  remove: Set<string>;
}

/** `restic forget --dry-run --json`: groups of `keep` and `remove` snapshots. */
export function parseResticForget(text: string): ToolPlan {
  const groups = json(text, 'restic forget --dry-run --json');
  if (!Array.isArray(groups)) throw new GuardError('restic forget --dry-run --json did not print a list of groups');
  const plan: ToolPlan = { keep: new Set(), remove: new Set() };
  for (const g of groups as Record<string, unknown>[]) {
    for (const [field, into] of [
      ['keep', plan.keep],
      ['remove', plan.remove],
    ] as const) {
      const v = g[field];
      if (v === null || v === undefined) continue;
      if (!Array.isArray(v)) throw new GuardError(`restic forget: \`${field}\` is not a list`);
      for (const s of v as Record<string, unknown>[]) {
        if (typeof s.id !== 'string') throw new GuardError('restic forget listed a snapshot without id');
        into.add(s.id);
      }
    }
  }
  return plan;
}

/**
 * `borg prune --dry-run --list` (its log, on stderr): one line per archive, `Keeping archive
 * (rule: daily #1): NAME TIME [ID]`, `Keeping checkpoint archive: ...` or `Would prune: ...`.
 */
export function parseBorgPrune(text: string): ToolPlan {
  const plan: ToolPlan = { keep: new Set(), remove: new Set() };
  for (const line of text.split('\n')) {
    const m = /^(Keeping[^:]*:|Would prune:).*\[([0-9a-f]{64})\]\s*$/.exec(line);
    if (!m) continue;
    (m[1].startsWith('Keeping') ? plan.keep : plan.remove).add(m[2]);
  }
  return plan;
}

// ---------------------------------------------------------------------------------------------
// The check

/** Why the restic on the host does not follow the rules the plan declares, or undefined when it does. */
export function resticMismatch(
  declared: string | undefined,
  actual: string,
  planHost: string | undefined,
): string | undefined {
  const want = resticReleaseOf(declared);
  const have = resticReleaseOf(actual);
  if (want === have) return undefined;
  const where = planHost === undefined ? 'this machine' : `host ${planHost}`;
  const plan = declared
    ? `declares restic ${declared} (${want.label})`
    : `follows ${want.label} (no \`tool_versions.restic\` declared)`;
  const line = `tool_versions: {restic: "${actual}"}`;
  const fix =
    planHost === undefined
      ? `give the job a \`host\` (one without \`address\` runs here) with \`${line}\``
      : `set \`${line}\` on host ${planHost}`;
  return `${where} runs restic ${actual}, whose forget rules are those of ${have.label}, but the plan ${plan}: ` +
    `${fix}, so that simulate, check and this prune follow restic ${actual}`;
}

function iso(s: ToolSnapshot): string {
  return new Date(s.time).toISOString().replace('.000Z', 'Z');
}

function stamp(s: ToolSnapshot): string {
  return `${s.name} (${iso(s)})`;
}

/** Lists, decides, dry-runs and compares; never removes anything. */
export async function checkGuard(step: CommandStep, x: ExecEnv, now: number = Date.now()): Promise<GuardResult> {
  const g = step.guard as PruneGuard;
  const tool = g.parse === 'restic-forget-json' ? 'restic' : g.parse === 'duplicity-remove-list' ? 'duplicity' : 'borg';
  const on = (argv: string[], env = step.env): Command => ({ host: step.host, argv, ...(env ? { env } : {}) });
  let decision: GuardDecision | undefined;
  const refuse = (why: string, detail?: Record<string, unknown>): GuardResult => ({
    ok: false,
    message: `${why}; prune refused, nothing was pruned`,
    ...(decision ? { decision } : {}),
    ...(detail ? { detail } : {}),
  });
  try {
    if (!g.list || !g.engine || !g.policy || !g.timezone)
      return refuse(
        'this prune step has no listing to check the tool against (plan it again with this version of Backplan)',
      );
    const engine = g.engine === 'restic' ? resticEngineFor(g.declaredVersion) : getEngine(g.engine);
    const unsupported = engine.unsupported(g.policy);
    if (unsupported.length)
      return refuse(
        `the ${engine.id} rules cannot express this policy: ${unsupported.map((u) => u.message).join('; ')}`,
      );

    let version: string | undefined;
    let mismatch: string | undefined;
    if (g.version) {
      const v = parseResticVersion((await toolOutput(on(g.version), x, 'reading the restic version')).stdout);
      version = v?.join('.');
      mismatch = version === undefined ? undefined : resticMismatch(g.declaredVersion, version, g.planHost);
    }

    const listed = await toolOutput(on(g.list.argv, g.list.env ?? step.env), x, `listing the job's ${tool} snapshots`);
    const snaps =
      g.list.parse === 'restic-snapshots-json'
        ? parseResticSnapshots(listed.stdout)
        : g.list.parse === 'duplicity-collection-status'
          ? duplicityGuardSnapshots(listed.stdout)
          : parseBorgList(listed.stdout);
    const byId = new Map(snaps.map((s) => [s.id, s]));
    const d = engine.evaluate(
      snaps.map((s) => ({ id: s.id, time: s.time, ...(s.tags ? { tags: s.tags } : {}) })),
      g.policy,
      { now, timezone: g.timezone },
    );
    decision = {
      keep: d.keep.map((k) => ({ snapshot: byId.get(k.snapshot.id!)!, reasons: [...k.reasons] })),
      remove: d.remove.map((r) => byId.get(r.id!)!),
    };
    const detail: Record<string, unknown> = {
      engine: engine.id,
      ...(version ? { toolVersion: version } : {}),
      kept: decision.keep.map((k) => ({ name: k.snapshot.name, time: iso(k.snapshot), reasons: k.reasons })),
      removes: decision.remove.map((r) => ({ name: r.name, time: iso(r) })),
    };

    // Refused after deciding, so that a dry run still shows what Backplan would keep and remove.
    if (mismatch) return refuse(mismatch, detail);

    const dry = await toolOutput(on(g.argv), x, `${tool}'s dry run`);
    const plan =
      g.parse === 'restic-forget-json'
        ? parseResticForget(dry.stdout)
        : g.parse === 'duplicity-remove-list'
          ? duplicityPlan(dry.stdout + dry.stderr, snaps, g.argv.includes('remove-all-inc-of-but-n-full'))
          : parseBorgPrune(dry.stderr + dry.stdout);
    const seen = new Set([...plan.keep, ...plan.remove]);
    const unknown = [...seen].filter((id) => !byId.has(id));
    const unseen = snaps.filter((s) => !seen.has(s.id));
    if (unknown.length || unseen.length) {
      return refuse(
        `the dry run of ${tool} and its listing do not hold the same snapshots (${unknown.length} only in the dry ` +
          `run, ${unseen.length} only in the listing: did a backup run meanwhile?)`,
        detail,
      );
    }

    const engineRemove = new Set(decision.remove.map((s) => s.id));
    const toolOnly = snaps.filter((s) => plan.remove.has(s.id) && !engineRemove.has(s.id));
    const engineOnly = snaps.filter((s) => engineRemove.has(s.id) && !plan.remove.has(s.id));
    if (toolOnly.length || engineOnly.length) {
      const reasons = new Map(decision.keep.map((k) => [k.snapshot.id, k.reasons]));
      const parts = [
        ...(toolOnly.length
          ? [
              `${tool} would remove ${toolOnly
                .map((s) => `${stamp(s)}, which Backplan keeps (${(reasons.get(s.id) ?? []).join(', ')})`)
                .join('; ')}`,
            ]
          : []),
        ...(engineOnly.length
          ? [`Backplan would remove ${engineOnly.map(stamp).join(', ')}, which ${tool} keeps`]
          : []),
      ];
      const rules = engine.release ?? engine.id;
      return refuse(`${tool}'s decision differs from Backplan's ${rules} rules: ${parts.join('; ')}`, {
        ...detail,
        toolOnly: toolOnly.map((s) => s.name),
        engineOnly: engineOnly.map((s) => s.name),
      });
    }

    const newest = snaps.reduce<ToolSnapshot | undefined>(
      (a, s) => (a === undefined || s.time > a.time ? s : a),
      undefined,
    );
    if (newest && plan.remove.has(newest.id))
      return refuse(`the policy would remove the newest snapshot, ${stamp(newest)}`, detail);
    const need = Math.min(Math.max(1, g.min), snaps.length);
    if (plan.keep.size < need)
      return refuse(`the policy would keep ${plan.keep.size} snapshot(s), fewer than min ${g.min}`, detail);
    return { ok: true, decision, detail };
  } catch (e) {
    if (e instanceof GuardError) return refuse(e.message);
    throw e;
  }
}
