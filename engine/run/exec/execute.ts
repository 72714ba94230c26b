// Executes `command` and `builtin` steps (steps/step.ts says what each field means): argv arrays
// spawned without a shell, locally or through ssh; pipelines with each stage's stdout feeding
// the next stage's stdin; outputs written to their `.partial` name, fsynced, and renamed only
// after every stage succeeded (SPEC §8.6); secrets resolved just before spawning and passed by
// environment only (SPEC §8.8). A step whose argv still holds placeholders that only live
// inventory can fill is refused. A prune the tool does itself runs only after its guard
// (guard.ts) found the tool's dry run equal to Backplan's own decision.
import { createHash } from 'node:crypto';
import { dirname } from 'node:path';
import { Transform, type Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { BuiltinStep, Command, CommandStep, StepOutput } from '../steps/step';
import { manifestBytes } from '../builtin/manifest';
import { ArchiveError, createArchive } from '../builtin/archive';
import { EnvError, remoteEnvWrapper, resolveEnv } from './env';
import type { ExecEnv } from './exec-env';
import { checkGuard } from './guard';
import { FsError, fsFor, type HostFs, type OutputWriter } from './files';
import {
  DEFAULT_STALL_MS,
  describeExit,
  exitOk,
  KILL_GRACE_MS,
  spawnArgv,
  Watchdog,
  type Exit,
  type Spawned,
  type StepTimeout,
} from './process';
import { killFarGroup } from './far-kill';
import { inOwnGroup } from './remote-group';
import { initHint, saysNoRepository } from './missing-repo';
import { duplicityFileTarget, listFiles, syncRemoteTarget, syncWritten } from './durable-target';
import { duplicityHint } from './duplicity-hints';
import { repositoryOf, toolLockedMessage } from './tool-lock';
import { LOCAL } from './quote';

export interface StepResult {
  ok: boolean;
  /** Why it failed or was refused; redacted by the caller before it is reported. */
  message?: string;
  detail?: Record<string, unknown>;
  /** Set when the step's watchdog stopped it (its stall or total timeout): the reason. */
  stopped?: string;
}

const PLACEHOLDER = /\{\{[^}]*\}\}/;

/** Why a step cannot run as planned, or undefined. */
export function refusal(step: CommandStep | BuiltinStep): string | undefined {
  if (step.unresolved?.length) {
    // Said of the job, not its kind: the state may have been read and found empty (a send whose
    // source holds no snapshot yet) as well as not be readable for the kind.
    return (
      `job \`${step.job}\` needs ${step.unresolved.join(', ')}, which the live state of its hosts did not give ` +
      '(nothing there yet, or not readable for its kind); step refused'
    );
  }
  const cmds: Command[] = [...(step.type === 'command' ? [step as Command] : []), ...(step.pipe ?? [])];
  for (const c of cmds) {
    const bad = c.argv.find((a) => PLACEHOLDER.test(a));
    if (bad !== undefined) return `argument \`${bad}\` is a placeholder that was never resolved; step refused`;
  }
  return undefined;
}

interface Stage {
  cmd: Command;
  spawned: Spawned;
  header?: Buffer;
  /** A remote command's process group on its host, once its wrapper said it (remote-group.ts). */
  farGroup?: number;
}

/** Spawn every command of a pipeline (stdin of stage i+1 = stdout of stage i). */
async function spawnStages(
  cmds: readonly Command[],
  x: ExecEnv,
  firstHasInput: boolean,
  lastHasSink: boolean,
  onActivity?: (chunk: string) => void,
): Promise<Stage[]> {
  // Resolve every secret before anything starts: a missing one fails the step cleanly.
  const envs: Record<string, string>[] = [];
  for (const c of cmds) envs.push(await resolveEnv(c, x.hosts, x.redactor, x.env));
  for (const c of cmds) await x.hosts.ready(c.host);
  const stages: Stage[] = [];
  cmds.forEach((cmd, i) => {
    const env = envs[i];
    let argv: string[];
    let header: Buffer | undefined;
    let spawnEnv: NodeJS.ProcessEnv | undefined;
    if (x.hosts.isLocal(cmd.host)) {
      argv = [...cmd.argv];
      spawnEnv = Object.keys(env).length ? { ...process.env, ...env } : undefined;
    } else if (Object.keys(env).length) {
      const w = remoteEnvWrapper(env, cmd.argv);
      argv = x.hosts.argv(cmd.host, inOwnGroup(w.argv));
      header = w.header;
    } else {
      argv = x.hosts.argv(cmd.host, inOwnGroup(cmd.argv));
    }
    const hasInput = i > 0 || firstHasInput;
    const remote = !x.hosts.isLocal(cmd.host);
    const stage: Stage = { cmd, spawned: undefined as unknown as Spawned, header };
    stage.spawned = spawnArgv(argv, {
      env: spawnEnv,
      stdin: hasInput || header ? 'pipe' : 'ignore',
      stdout: i < cmds.length - 1 || lastHasSink ? 'pipe' : 'ignore',
      signal: x.signal,
      onActivity,
      ...(remote ? { onRemoteGroup: (pgid: number) => void (stage.farGroup = pgid) } : {}),
    });
    stages.push(stage);
  });
  return stages;
}

/** Feed `from` into a stage's stdin, after its environment header when it has one. */
function feed(from: Readable | undefined, stage: Stage): Promise<void> {
  const stdin = stage.spawned.child.stdin;
  if (!stdin) return Promise.resolve();
  if (stage.header) stdin.write(stage.header);
  if (!from) {
    stdin.end();
    return Promise.resolve();
  }
  return pipeline(from, stdin).catch(() => undefined);
}

function sha256Tap(): { tap: Transform; digest(): string; bytes(): number } {
  const h = createHash('sha256');
  let n = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      h.update(chunk);
      n += chunk.length;
      cb(null, chunk);
    },
  });
  let hex: string | undefined;
  return { tap, digest: () => (hex ??= h.digest('hex')), bytes: () => n };
}

interface PipelineResult {
  ok: boolean;
  message?: string;
  stopped?: string;
  stdout?: Buffer;
  sha256?: string;
  bytes?: number;
}

/**
 * Run `cmds` as one pipeline, with `source` (a builtin's stream) feeding the first stage, or
 * the first command as the source. The last stdout goes to `writer` (hashed on the way), or is
 * collected when `collect` is set.
 */
async function runPipeline(
  source: Readable | undefined,
  cmds: readonly Command[],
  x: ExecEnv,
  sink: { writer?: OutputWriter; collect?: boolean },
  limits: StepTimeout = { stallMs: DEFAULT_STALL_MS },
): Promise<PipelineResult> {
  const wantsOut = Boolean(sink.writer || sink.collect);
  let stages: Stage[];
  // The step's bound: any output or progress resets the stall timer (watchdog below).
  let onStop: (reason: string) => void = () => undefined;
  const dog = new Watchdog(limits, (reason) => onStop(reason));
  const touch = () => dog.touch();
  try {
    stages = await spawnStages(cmds, x, source !== undefined, wantsOut, (chunk) => dog.output(chunk));
  } catch (e) {
    void dog.dispose();
    source?.destroy();
    if (e instanceof EnvError || e instanceof FsError) return { ok: false, message: e.message };
    return { ok: false, message: (e as Error).message };
  }
  // Failures by rank: what went wrong first is not always the cause (a stage that exits makes
  // the stream feeding it fail with "premature close"), so the report picks the most telling:
  // 0 the source's own error (a file that could not be read), 1 a stage that failed by itself,
  // 2 a stream error, 3 a stage we stopped because something else failed.
  const failures: { rank: number; message: string }[] = [];
  let stopping = false;
  // Remote commands are stopped on their host too (remote-group.ts): awaited before the step ends.
  const farKills: Promise<void>[] = [];
  const ended = new Set<Stage>();
  const grace = Math.min(KILL_GRACE_MS, Math.max(1_000, limits.stallMs));
  const fail = (msg: string, rank = 2) => {
    failures.push({ rank, message: msg });
    if (stopping) return;
    stopping = true;
    for (const s of stages) s.spawned.killGroup('SIGTERM');
    for (const s of stages) {
      if (s.farGroup === undefined || ended.has(s)) continue;
      farKills.push(
        killFarGroup(x.hosts, s.cmd.host, s.farGroup, grace).then((problem) => {
          if (problem) failures.push({ rank: 4, message: problem });
        }),
      );
    }
    source?.destroy();
  };
  for (const s of stages) dog.watch(s.spawned);
  const names = cmds.map((c) => `${c.host === 'local' ? '' : `[${c.host}] `}${c.argv[0]}`).join(' | ');
  const farHosts = [...new Set(cmds.filter((c) => !x.hosts.isLocal(c.host)).map((c) => c.host))];
  const where = farHosts.length ? `, here and on ${farHosts.join(', ')}` : '';
  onStop = (reason) =>
    fail(`${names || 'the step'} stopped: ${reason}; SIGTERM, then SIGKILL, to its process group(s)${where}`, -2);
  if (x.signal?.aborted) fail('interrupted (the run was stopped)', -1);
  x.signal?.addEventListener('abort', () => fail('interrupted (the run was stopped)', -1), { once: true });
  const waits: Promise<unknown>[] = [];
  // Source → stage 0 → stage 1 ... → sink.
  let upstream: Readable | undefined = source;
  // A failed write (ENOSPC ...) is passed back up the pipeline to the source as the same error:
  // report it once, as a write.
  let sinkError: unknown;
  sink.writer?.stream.on('error', (e) => (sinkError = e));
  if (source) {
    source.on(
      'error',
      (e) =>
        e !== sinkError &&
        fail(
          e instanceof ArchiveError ? e.message : `reading the source failed: ${e.message}`,
          e instanceof ArchiveError ? 0 : 2,
        ),
    );
  }
  for (const s of stages) {
    if (upstream || s.header) waits.push(feed(upstream, s));
    upstream = s.spawned.child.stdout ?? undefined;
  }
  const exits: Promise<Exit>[] = stages.map((s) =>
    s.spawned.done.then((e) => {
      // Ended by itself: its far side is done too (a stage stopped by us is still stopped there).
      if (exitOk(e)) ended.add(s);
      if (!exitOk(e))
        fail(
          `${s.cmd.host === 'local' ? '' : `[${s.cmd.host}] `}${describeExit(s.cmd.argv[0], e)}`,
          stopping && e.signal === 'SIGTERM' ? 3 : 1,
        );
      return e;
    }),
  );
  let stdout: Buffer | undefined;
  const tap = sha256Tap();
  if (upstream && sink.writer) {
    waits.push(
      pipeline(upstream, tap.tap, sink.writer.stream as Writable).catch((e: Error) =>
        fail(
          e instanceof ArchiveError ? e.message : `writing the output failed: ${e.message}`,
          e instanceof ArchiveError ? 0 : 2,
        ),
      ),
    );
  } else if (upstream && sink.collect) {
    const chunks: Buffer[] = [];
    waits.push(
      new Promise<void>((resolve) => {
        upstream!.on('data', (d: Buffer) => chunks.push(d));
        upstream!.on('end', () => resolve());
        upstream!.on('error', () => resolve());
        upstream!.on('close', () => resolve());
      }).then(() => void (stdout = Buffer.concat(chunks))),
    );
  } else if (upstream) {
    upstream.resume();
  }
  // Data moving through the pipeline is progress (an archive being written, a dump streaming).
  source?.on('data', touch);
  for (const s of stages) s.spawned.child.stdout?.on('data', touch);
  await Promise.all([...exits, ...waits]);
  await dog.dispose();
  await Promise.all(farKills);
  if (dog.stopped)
    return { ok: false, message: failures.sort((a, b) => a.rank - b.rank)[0].message, stopped: dog.stopped };
  if (x.signal?.aborted) return { ok: false, message: 'interrupted (the run was stopped)' };
  if (failures.length) return { ok: false, message: failures.sort((a, b) => a.rank - b.rank)[0].message };
  return {
    ok: true,
    stdout,
    sha256: sink.writer ? tap.digest() : undefined,
    bytes: sink.writer ? tap.bytes() : undefined,
  };
}

/**
 * After a failed pipeline whose only complaint is that the output stream closed early: when the
 * writer itself failed (a full disk on a remote host makes `dd` exit, which the stream sees only
 * as "premature close"), the writer's own reason is the one to report.
 */
async function writerReason(
  writer: OutputWriter | undefined,
  message: string | undefined,
): Promise<string | undefined> {
  if (!writer || !/Premature close|EPIPE/i.test(message ?? '')) return message;
  try {
    await writer.finish();
  } catch (e) {
    const own = (e as Error).message;
    if (!/PREMATURE_CLOSE|Premature close|EPIPE/i.test(own)) return own;
  }
  return message;
}

/** What a tool says when the filesystem it writes to is full (Node, restic, rsync, borg, duplicity). */
const NO_SPACE = /ENOSPC|No space left on device|\[Errno 28\]/i;

/**
 * A failure that says the disk is full without saying which: the step's target (its output, its
 * repository, its url) named after it. borg blames the source file it was reading, duplicity
 * and Node name no path at all.
 */
export function withNoSpaceTarget(step: CommandStep | BuiltinStep, message: string): string {
  if (!NO_SPACE.test(message)) return message;
  const argv = step.type === 'command' ? step.argv : [];
  const target =
    step.output?.partial ?? repositoryOf(argv) ?? argv.find((a) => /^[a-z][a-z0-9+.-]*:\/\//.test(a));
  if (target === undefined || message.includes(target)) return message;
  const host = step.output?.host ?? step.host;
  return `${message} (no space left on the filesystem of ${target}${host !== LOCAL ? ` on ${host}` : ''})`;
}

async function commitOutput(out: StepOutput, fs: HostFs): Promise<void> {
  await fs.commit(out.partial, out.path, out.kind);
}

export async function runCommandStep(step: CommandStep, x: ExecEnv): Promise<StepResult> {
  const refused = refusal(step);
  if (refused) return { ok: false, message: refused };
  let guarded: Record<string, unknown> | undefined;
  if (step.guard) {
    const g = await checkGuard(step, x);
    if (!g.ok)
      return {
        ok: false,
        message: toolLockedMessage(step.argv, g.message ?? '') ?? g.message,
        detail: g.detail,
      };
    guarded = g.detail;
  }
  const cmds: Command[] = [
    { host: step.host, argv: step.argv, ...(step.env ? { env: step.env } : {}) },
    ...(step.pipe ?? []),
  ];
  const out = step.output;
  const fs = out ? fsFor(out.host, x.hosts) : undefined;
  let writer: OutputWriter | undefined;
  try {
    if (out && out.via === 'stdout') writer = await fs!.createWriter(out.partial);
  } catch (e) {
    return { ok: false, message: (e as Error).message };
  }
  // A duplicity backup to a file:// target: what it writes is fsynced once it succeeded (durable-target.ts).
  const durable = duplicityFileTarget(step);
  const before = durable !== undefined && x.hosts.isLocal(step.host) ? listFiles(durable) : undefined;
  const r = await runPipeline(undefined, cmds, x, { writer, collect: Boolean(step.expect) }, step.timeout);
  if (!r.ok) {
    const message = await writerReason(writer, r.message);
    await writer?.abort();
    // Stopped by its watchdog: said as such (the runner records it, exec/tool-stopped.ts).
    if (r.stopped) return { ok: false, message, stopped: r.stopped };
    // A first backup into a repository nobody created: say what to do, not only what restic/borg said.
    if (step.phase === 'backup' && saysNoRepository(message ?? ''))
      return { ok: false, message: `${message} ${initHint(step.job)}` };
    // duplicity that cannot open its sftp:// target: an unknown host key, or no paramiko.
    const dup = duplicityHint(message ?? '');
    if (dup) return { ok: false, message: `${message} ${dup}` };
    // A repository locked by the tool (a killed run's stale lock): say which and what clears it.
    return { ok: false, message: toolLockedMessage(step.argv, message ?? '') ?? withNoSpaceTarget(step, message ?? '') };
  }
  try {
    if (writer) await writer.finish();
    if (step.expect) {
      const got = (r.stdout ?? Buffer.alloc(0)).toString('utf8').trim();
      if (got !== step.expect.stdout)
        return { ok: false, message: `read-back gave \`${got.slice(0, 200)}\`, expected \`${step.expect.stdout}\`` };
    }
    if (out) await commitOutput(out, fs!);
  } catch (e) {
    await writer?.abort();
    return { ok: false, message: (e as Error).message };
  }
  if (guarded) return { ok: true, detail: guarded };
  if (durable !== undefined) {
    const t0 = Date.now();
    let files: number | undefined;
    try {
      if (before) files = syncWritten(durable, before).length;
      else {
        const failed = await syncRemoteTarget(step.host, durable, x);
        if (failed) return { ok: false, message: `the backup's files could not be synced to disk: ${failed}` };
      }
    } catch (e) {
      return { ok: false, message: `the backup's files in ${durable} could not be synced to disk: ${(e as Error).message}` };
    }
    return { ok: true, detail: { synced: { ...(files !== undefined ? { files } : { filesystem: durable }), ms: Date.now() - t0 } } };
  }
  return {
    ok: true,
    detail: out
      ? {
          output: out.path,
          ...(r.bytes !== undefined && out.via === 'stdout' ? { bytes: r.bytes, sha256: r.sha256 } : {}),
        }
      : undefined,
  };
}

export async function runBuiltinStep(step: BuiltinStep, x: ExecEnv): Promise<StepResult> {
  const refused = refusal(step);
  if (refused) return { ok: false, message: refused };
  const b = step.builtin;
  if (b.op !== 'archive')
    return { ok: false, message: `unknown built-in operation \`${String((b as { op: unknown }).op)}\`` };
  const out = step.output;
  if (!out || out.via !== 'stdout' || out.kind !== 'file')
    return { ok: false, message: 'the archive step has no file output' };
  if (!x.hosts.isLocal(step.host))
    return { ok: false, message: 'the built-in archive reads paths on this machine only' };
  if (b.manifest.host !== out.host || dirname(b.manifest.path) !== dirname(out.path))
    return { ok: false, message: 'the archive step must write its manifest beside the archive' };
  const outFs = fsFor(out.host, x.hosts);
  let source;
  try {
    // Never archive the job's own output directory (a path above it would otherwise pull in
    // the archive being written).
    source = createArchive({
      paths: b.paths,
      exclude: b.exclude,
      skip: x.hosts.isLocal(out.host) ? [dirname(out.path)] : [],
    });
  } catch (e) {
    return { ok: false, message: (e as Error).message };
  }
  let writer: OutputWriter;
  try {
    writer = await outFs.createWriter(out.partial);
  } catch (e) {
    source.stream.destroy();
    return { ok: false, message: (e as Error).message };
  }
  const r = await runPipeline(source.stream, step.pipe ?? [], x, { writer }, step.timeout);
  if (!r.ok) {
    const message = await writerReason(writer, r.message);
    await writer.abort();
    return { ok: false, message: message === undefined ? message : withNoSpaceTarget(step, message) };
  }
  try {
    await writer.finish();
    const members = await source.members;
    const name = out.path.slice(out.path.lastIndexOf('/') + 1);
    const text = manifestBytes({ archive: { path: name, sha256: r.sha256!, bytes: r.bytes }, members });
    // The manifest is written and named first, then the archive (HostFs.commitWithManifest):
    // a crash between the two leaves a manifest without archive (ignored), never an archive
    // that looks whole without its manifest. Over ssh that is one round trip.
    await outFs.commitWithManifest(out, b.manifest, text);
    return {
      ok: true,
      detail: {
        output: out.path,
        manifest: b.manifest.path,
        bytes: r.bytes,
        sha256: r.sha256,
        files: source.stats.files,
        directories: source.stats.directories,
        symlinks: source.stats.symlinks,
        ...(source.stats.skipped.length ? { skippedSpecial: source.stats.skipped.length } : {}),
      },
    };
  } catch (e) {
    await writer.abort();
    return { ok: false, message: (e as Error).message };
  }
}
