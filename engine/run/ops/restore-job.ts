// `backplan restore` for one job (SPEC §11): choose a copy (by name, the newest at or before a
// time, else the newest), on the job's own storage or, when it is gone there, on a replica (an
// rsync job with `from: J`, or the storage named by --from-storage); restore it through the
// kind's own restore (restore/<kind>.ts, table in restore/index.ts) into `TARGET.partial`, a
// sibling of the target, and rename it to the target when whole. Nothing existing is
// overwritten: `--to` must not exist or be empty; `--in-place` (with --yes) restores each of the
// job's paths (or each --path) into `P.partial`, and only when all are whole moves the current
// `P` aside to `P.before-restore-<UTC stamp>` and renames the restored one to `P`. A database is
// restored into a temporary database renamed when whole (restore/dump.ts). The job's lock is
// held throughout (a prune started meanwhile is refused), every action is journalled, the
// job's `restore.before`/`restore.after` hooks run on its host (`after` also after a failure),
// and --dry-run lists every action with its host and argv and changes nothing.
import { DateTime } from 'luxon';
import { dirname } from 'node:path';
import type { JobModel, PlanModel } from '../../plan/model';
import { fsFor } from '../exec/files';
import { clearStaleToolLock } from '../exec/tool-unlock';
import { Hosts } from '../exec/hosts';
import { displayArgv, LOCAL } from '../exec/quote';
import { Redactor } from '../exec/redact';
import { PruneError } from '../prune/copies';
import { rsyncReplicaListings, rel, treeBytes, onHost, type FilesInventory } from '../restore/common';
import { restorerFor, RESTORERS } from '../restore/index';
import {
  RestoreError,
  type CopyListing,
  type DbRestorer,
  type FileRestorer,
  type InstanceRestorer,
  type KindContext,
  type RestoreAction,
  type RestoreCopy,
} from '../restore/types';
import type { BuiltinStep, CommandStep, Step } from '../steps/step';
import type { RunEvent } from './run-plan';
import { rtoOf, secondsSince, type RtoVerdict } from './rto';
import { findToolCopy, planToolRestore } from './restore-tool';
import { openSession, stepsFor, type Session } from './session';
import { JobOpError } from './types';

export interface RestoreJobOptions {
  plan: PlanModel;
  planPath: string;
  job: string;
  stateDir: string;
  copy?: string;
  /** Epoch ms: the newest copy at or before it. */
  at?: number;
  /** An absolute path on the target host, or a database name (dumps). */
  to?: string;
  inPlace?: boolean;
  yes?: boolean;
  paths?: string[];
  fromStorage?: string;
  dryRun?: boolean;
  breakStaleLock?: boolean;
  sshOptions?: string[];
  onEvent?(e: RunEvent): void;
  /** Aborted (SIGTERM, the editor's Cancel): the tool running is stopped, nothing more runs, what was made is removed. */
  signal?: AbortSignal;
  now?: number;
}

export interface RestoreJobReport {
  job: string;
  copy: string;
  storage: string;
  target: string;
  movedAside: string | null;
  durationSeconds: number;
  bytes: number;
  result: 'ok' | 'failed' | 'dry-run';
  /** Not in the JSON: for the text output. */
  why: string;
  message?: string;
  actions: { description: string; host: string; argv?: string[]; pipe?: { host: string; argv: string[] }[] }[];
  journal?: string;
  rto?: RtoVerdict;
  hookProblems: string[];
}

const CANCELLED = 'cancelled before it finished: what it had made was removed, the target is as it was';

/** `20260101T030405Z`: the stamp of moved-aside names (UTC, to the second). */
export function restoreStamp(now: number): string {
  return DateTime.fromMillis(now, { zone: 'UTC' }).toFormat("yyyyLLdd'T'HHmmss'Z'");
}

function hook(job: JobModel, which: 'before' | 'after'): string[] | undefined {
  const r = job.raw.restore as Record<string, unknown> | undefined;
  const v = r?.[which];
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || v.length === 0 || v.some((w) => typeof w !== 'string'))
    throw new JobOpError(`job ${job.name}: restore.${which} must be an argv list of strings`);
  return v as string[];
}

function choose(listing: CopyListing, opts: RestoreJobOptions): RestoreCopy | undefined {
  if (opts.copy !== undefined) return listing.copies.find((c) => c.name === opts.copy || c.aliases?.includes(opts.copy!));
  if (opts.at !== undefined) return listing.copies.find((c) => c.time <= opts.at!);
  return listing.copies[0];
}

function wanted(opts: RestoreJobOptions): string {
  if (opts.copy !== undefined) return `copy ${opts.copy}`;
  if (opts.at !== undefined) return `a copy at or before ${new Date(opts.at).toISOString()}`;
  return 'a copy';
}

/** The job's copies as files in a directory (archive, dumps), which an rsync replica may hold too. */
function fileInventory(steps: Step[], kind: string): FilesInventory | undefined {
  const inv =
    kind === 'archive'
      ? steps.find((s): s is BuiltinStep => s.type === 'builtin')?.builtin.inventory
      : steps.find((s): s is CommandStep => s.type === 'command' && s.phase === 'backup' && Boolean(s.inventory))?.inventory;
  return inv?.type === 'files' ? inv : undefined;
}

async function findCopy(
  ctx: KindContext,
  restorer: FileRestorer | DbRestorer | InstanceRestorer,
  opts: RestoreJobOptions,
): Promise<{ copy: RestoreCopy; why: string }> {
  // A snapshot job without a storage is named by its host (restore/snapshots.ts storageLabel).
  const byHost = restorer.target !== 'database' && restorer.replicas !== undefined;
  const own = ctx.job.to ?? ctx.job.storage ?? (byHost ? ctx.job.host : undefined);
  const notes: string[] = [];
  const fromOwn = opts.fromStorage === undefined || opts.fromStorage === own;
  if (fromOwn) {
    try {
      const l = await restorer.list(ctx);
      const c = choose(l, opts);
      if (c) return { copy: c, why: `read from storage ${l.storage} (${l.why})` };
      notes.push(
        `storage ${l.storage} holds no ${wanted(opts).replace(/^a copy/, 'copy')}${
          l.copies.length ? ` (copies: ${l.copies.slice(0, 10).map((x) => x.name).join(', ')})` : ''
        }`,
      );
    } catch (e) {
      if (!(e instanceof RestoreError || e instanceof PruneError || e instanceof Error)) throw e;
      notes.push(`storage ${own} cannot be read: ${(e as Error).message}`);
    }
    if (opts.fromStorage !== undefined) throw new JobOpError(`job ${ctx.job.name}: ${notes.join('; ')}`);
  }
  const inv = fileInventory(ctx.steps, ctx.job.kind);
  const needManifest = ctx.job.kind === 'archive';
  const { listings, refused } = inv
    ? await rsyncReplicaListings(ctx, inv, (j) => stepsFor(ctx.plan, j, Date.now()), { needManifest })
    : { listings: [] as CopyListing[], refused: [] as string[] };
  // Snapshot kinds: every other store of the same snapshots (the sends' targets, a send's source).
  if (restorer.target !== 'database' && restorer.replicas) listings.push(...(await restorer.replicas(ctx)));
  const considered = opts.fromStorage === undefined ? listings : listings.filter((l) => l.storage === opts.fromStorage);
  for (const l of considered) {
    const c = choose(l, opts);
    if (c) return { copy: c, why: `${notes.length ? `${notes.join('; ')}; ` : ''}read from storage ${l.storage} (${l.why})` };
    notes.push(`storage ${l.storage} (${l.why}) holds no ${wanted(opts).replace(/^a copy/, 'copy')}`);
  }
  if (opts.fromStorage !== undefined && considered.length === 0) {
    const known = [own, ...listings.map((l) => l.storage)].filter(Boolean);
    throw new JobOpError(
      `storage ${opts.fromStorage} holds no copy of job ${ctx.job.name} that restore can read` +
        `${refused.length ? ` (${refused.join('; ')})` : ''}; copies of ${ctx.job.name} are on: ${known.join(', ')}`,
    );
  }
  throw new JobOpError(`job ${ctx.job.name}: found no ${wanted(opts).replace(/^a copy/, 'copy')} to restore: ${[...notes, ...refused].join('; ')}`);
}

interface Unit {
  /** The empty directory the kind fills (`X.partial`). */
  root: string;
  /** What takes the final name once whole: root itself, or root + the path. */
  take: string;
  final: string;
  aside?: string;
  include: string[];
}

function jobPaths(job: JobModel): string[] {
  const v = job.raw.paths;
  const list = Array.isArray(v) ? v : typeof v === 'string' ? [v] : [];
  return list.filter((p): p is string => typeof p === 'string').map((p) => (p.length > 1 ? p.replace(/\/+$/, '') : p));
}

function checkAbs(p: string, what: string): string {
  if (!p.startsWith('/') || p.includes('\0') || p.split('/').includes('..'))
    throw new JobOpError(`${what} ${JSON.stringify(p)} must be an absolute path without \`..\``);
  return p.length > 1 ? p.replace(/\/+$/, '') : p;
}

const within = (p: string, d: string) => d === '/' || p === d || p.startsWith(`${d}/`);

export async function restoreJob(opts: RestoreJobOptions): Promise<RestoreJobReport> {
  const t0 = Date.now();
  const now = opts.now ?? t0;
  const job = opts.plan.jobs.get(opts.job);
  if (!job) throw new JobOpError(`no job named \`${opts.job}\` in the plan`);
  const restorer = restorerFor(job.kind);
  if (!restorer)
    throw new JobOpError(
      `restore of a ${job.kind} job is not implemented yet (kinds restore can do: ${Object.keys(RESTORERS).join(', ')})`,
    );
  if ((opts.to === undefined) === !opts.inPlace)
    throw new JobOpError('restore needs exactly one of --to TARGET and --in-place');
  if (opts.inPlace && !opts.yes && !opts.dryRun)
    throw new JobOpError(
      `--in-place restores over the job's own ${restorer.target === 'database' ? 'database' : 'paths'} (the current data is moved aside first): add --yes to confirm`,
    );
  const paths = (opts.paths ?? []).map((p) => checkAbs(p, '--path'));
  if (restorer.target !== 'files' && paths.length) throw new JobOpError(`--path is for files; a ${job.kind} copy is restored whole`);
  // Snapshot kinds without --path: the copy becomes a new dataset, subvolume or instance.
  const whole =
    restorer.target === 'instance' || (restorer.target === 'files' && paths.length === 0) ? restorer.whole : undefined;
  const stamp = restoreStamp(now);
  const steps = stepsFor(opts.plan, opts.job, now);

  let session: Session | undefined;
  let hosts: Hosts;
  let redactor: Redactor;
  if (opts.dryRun) {
    hosts = new Hosts(opts.plan, { multiplex: false, sshOptions: opts.sshOptions });
    redactor = new Redactor();
  } else {
    session = openSession('restore', opts.plan, opts.planPath, opts.job, opts.stateDir, opts);
    hosts = session.hosts;
    redactor = session.redactor;
  }
  const x = { hosts, redactor, ...(opts.signal ? { signal: opts.signal } : {}) };
  const ctx: KindContext = { plan: opts.plan, job, steps, x };
  const report: RestoreJobReport = {
    job: opts.job,
    copy: '',
    storage: '',
    target: '',
    movedAside: null,
    durationSeconds: 0,
    bytes: 0,
    result: opts.dryRun ? 'dry-run' : 'failed',
    why: '',
    actions: [],
    hookProblems: [],
    ...(session ? { journal: session.journal.path } : {}),
  };
  const hookHost = steps.find((s) => s.phase === 'backup')?.host ?? LOCAL;
  let n = 0;
  const stepId = `${opts.job}/restore`;
  const journalled = async (a: RestoreAction): Promise<void> => {
    const id = `${stepId}/${++n}`;
    const display = a.argv
      ? [a, ...(a.pipe ?? [])].map((c) => `[${c.host}] ${displayArgv(c.argv!)}`).join(' | ')
      : `[${a.host}] ${a.description}`;
    session?.journal.append({ type: 'step-start', job: opts.job, step: id, phase: 'restore', description: a.description, display });
    session?.emit({ event: 'step-start', job: opts.job, step: id, phase: 'restore', description: a.description });
    const s0 = Date.now();
    try {
      await a.run();
      session?.journal.append({ type: 'step-end', job: opts.job, step: id, status: 'ok', ms: Date.now() - s0 });
      session?.emit({ event: 'step-end', job: opts.job, step: id, status: 'ok', ms: Date.now() - s0 });
    } catch (e) {
      const message = redactor.text((e as Error).message);
      session?.journal.append({ type: 'step-end', job: opts.job, step: id, status: 'failed', ms: Date.now() - s0, message });
      session?.emit({ event: 'step-end', job: opts.job, step: id, status: 'failed', ms: Date.now() - s0, message } as RunEvent);
      throw e instanceof RestoreError ? e : new RestoreError(message);
    }
  };
  const hookAction = (which: 'before' | 'after', argv: string[]): RestoreAction => ({
    description: `restore.${which} hook`,
    host: hookHost,
    argv,
    async run() {
      await onHost(hosts, hookHost, argv, `the restore.${which} hook failed`);
    },
  });

  let cleanup: () => Promise<void> = async () => undefined;
  let mainStarted = false;
  try {
    // A stale job lock was broken: the tool's lock the interrupted command left goes first.
    if (session) {
      const unlocked = await clearStaleToolLock(session, opts.job, String(job.kind), steps);
      if (unlocked) throw new RestoreError(unlocked);
    }
    const before = hook(job, 'before');
    const after = hook(job, 'after');
    const { copy, why } =
      restorer.target === 'tool' ? await findToolCopy(ctx, restorer, opts) : await findCopy(ctx, restorer, opts);
    report.copy = copy.name;
    report.storage = copy.storage;
    report.why = why;

    let actions: RestoreAction[] = [];
    let bytesOf: () => Promise<number> = async () => 0;
    let movedOf: () => string | undefined = () => undefined;
    if (whole) {
      const w = await whole.plan(ctx, copy, { ...(opts.to !== undefined ? { to: opts.to } : {}), stamp });
      report.target = w.target;
      actions = w.actions;
      cleanup = w.cleanup;
      bytesOf = w.bytes;
      movedOf = w.movedAside;
      if (w.notes.length) report.why += `; ${w.notes.join('; ')}`;
    } else if (restorer.target === 'instance') {
      throw new JobOpError(`a ${job.kind} copy is restored whole`);
    } else if (restorer.target === 'tool') {
      const t = await planToolRestore(ctx, restorer, copy, { ...opts, stamp });
      report.target = t.target;
      actions = t.actions;
      if (t.notes.length) report.why += `; ${t.notes.join('; ')}`;
    } else if (restorer.target === 'database') {
      const database = opts.inPlace ? restorer.ownDatabase(ctx) : opts.to!;
      report.target = database;
      await restorer.checkTarget(ctx, database, Boolean(opts.inPlace));
      const aside = opts.inPlace ? `${database}_before_restore_${stamp.toLowerCase()}` : undefined;
      const r = restorer.restore(ctx, copy, { database, stamp, ...(aside ? { aside } : {}) });
      actions = r.actions;
      cleanup = r.cleanup;
      bytesOf = async () => r.bytes();
      movedOf = r.movedAside;
    } else {
      const thost = restorer.targetHost(ctx);
      const fs = fsFor(thost, hosts);
      const units: Unit[] = [];
      if (opts.to !== undefined) {
        const to = checkAbs(opts.to, '--to');
        if (to === '/') throw new JobOpError('--to / is not a new target');
        units.push({ root: `${to}.partial`, take: `${to}.partial`, final: to, include: paths });
      } else {
        const own = restorer.ownPaths ? await restorer.ownPaths(ctx) : jobPaths(job);
        if (own.length === 0) throw new JobOpError(`job ${opts.job} has no paths to restore in place`);
        for (const p of paths)
          if (!own.some((d) => within(p, d)))
            throw new JobOpError(`--path ${p} is not under the job's paths (${own.join(', ')})`);
        for (const u of paths.length ? paths : own) {
          if (u === '/') throw new JobOpError('an in-place restore of / is refused: restore it with --to and move it yourself');
          units.push({ root: `${u}.partial`, take: `${u}.partial/${rel(u)}`, final: u, aside: `${u}.before-restore-${stamp}`, include: [u] });
        }
      }
      report.target = units.map((u) => u.final).join(', ');
      // Nothing existing is overwritten: a target that exists must be an empty directory, and
      // no partial (an interrupted restore's) or aside name may be taken.
      const emptyFinal = new Set<string>();
      for (const u of units) {
        if (await fs.exists(u.root))
          throw new JobOpError(
            `${u.root} exists (left by an interrupted restore?): look at it, remove it, and restore again`,
          );
        if (u.aside !== undefined) {
          if (await fs.exists(u.aside)) throw new JobOpError(`${u.aside} exists already; nothing was changed`);
          continue;
        }
        if (!(await fs.exists(u.final))) continue;
        const entries = await fs.list(u.final).catch(() => undefined);
        if (!entries || entries.length > 0)
          throw new JobOpError(
            `${u.final} exists and is not an empty directory: a restore never overwrites; choose a new --to (or ` +
              `--in-place --yes to move the job's own data aside first)`,
          );
        emptyFinal.add(u.final);
      }
      const moved: string[] = [];
      for (const u of units)
        actions.push({
          description: `create the empty directory ${u.root}`,
          host: thost,
          argv: ['mkdir', '--', u.root],
          async run() {
            await onHost(hosts, thost, ['mkdir', '-p', '--', dirname(u.root)], `cannot create ${dirname(u.root)}`);
            await onHost(hosts, thost, ['mkdir', '--', u.root], `cannot create ${u.root}`);
          },
        });
      for (const u of units) actions.push(...(await restorer.restore(ctx, copy, u.root, u.include)));
      // Each --path given with --to must be in the copy (a tool restores nothing for a path it
      // does not hold, without an error).
      if (opts.to !== undefined)
        for (const p of paths)
          actions.push({
            description: `check that the copy holds ${p}`,
            host: thost,
            argv: ['test', '-e', `${units[0].root}${p}`],
            async run() {
              if (!(await fs.exists(`${units[0].root}${p}`)))
                throw new RestoreError(`${copy.name} holds nothing at ${p}; nothing was changed`);
            },
          });
      for (const u of units)
        if (u.take !== u.root)
          actions.push({
            description: `check that the copy holds ${u.final}`,
            host: thost,
            argv: ['test', '-e', u.take],
            async run() {
              if (!(await fs.exists(u.take))) throw new RestoreError(`${copy.name} holds nothing at ${u.final}; nothing was changed`);
            },
          });
      let measured = 0;
      actions.push({
        description: 'measure what was restored',
        host: thost,
        argv: ['find', ...units.map((u) => u.take), '-type', 'f', '-printf', '%s\\n'],
        async run() {
          measured = 0;
          for (const u of units) measured += await treeBytes(hosts, thost, u.take);
        },
      });
      for (const u of units) {
        if (u.aside !== undefined)
          actions.push({
            description: `move the current ${u.final} aside to ${u.aside}`,
            host: thost,
            argv: ['mv', '-T', '--', u.final, u.aside],
            async run() {
              if (!(await fs.exists(u.final))) return;
              await fs.commit(u.final, u.aside!, 'directory').catch((e: Error) => {
                throw new RestoreError(`cannot move ${u.final} aside: ${e.message}`);
              });
              moved.push(u.aside!);
            },
          });
        actions.push({
          description: `give the restored tree its name ${u.final}`,
          host: thost,
          argv: ['mv', '-T', '--', u.take, u.final],
          async run() {
            if (emptyFinal.has(u.final)) await onHost(hosts, thost, ['rmdir', '--', u.final], `cannot replace the empty ${u.final}`);
            await fs.commit(u.take, u.final, 'directory').catch((e: Error) => {
              throw new RestoreError(`cannot rename ${u.take} to ${u.final}: ${e.message}`);
            });
            if (u.take !== u.root) await fs.remove(u.root, 'directory');
          },
        });
      }
      bytesOf = async () => measured;
      movedOf = () => (moved.length ? moved.join(', ') : undefined);
      cleanup = async () => {
        for (const u of units) await fs.remove(u.root, 'directory').catch(() => undefined);
      };
    }
    const all = [...(before ? [hookAction('before', before)] : []), ...actions];
    const finalActions = after ? [hookAction('after', after)] : [];
    report.actions = [...all, ...finalActions].map((a) => ({
      description: a.description,
      host: a.host,
      ...(a.argv ? { argv: a.argv } : {}),
      ...(a.pipe ? { pipe: a.pipe } : {}),
    }));
    if (opts.dryRun) return report;

    session!.journal.append({
      type: 'step-start',
      job: opts.job,
      step: stepId,
      phase: 'restore',
      description: `restore ${copy.name} from ${copy.storage} to ${report.target}`,
      display: copy.path,
    });
    mainStarted = true;
    let failure: Error | undefined;
    const done: RestoreAction[] = [];
    try {
      for (const a of all) {
        if (opts.signal?.aborted) throw new RestoreError(CANCELLED);
        done.push(a);
        await journalled(a);
      }
    } catch (e) {
      failure = e as Error;
      // What the actions made until the failure (a scratch clone ...) goes first, newest first.
      for (const a of done.reverse()) await a.undo?.().catch(() => undefined);
      await cleanup().catch(() => undefined);
    }
    for (const a of finalActions) {
      try {
        await journalled(a);
      } catch (e) {
        report.hookProblems.push((e as Error).message);
      }
    }
    report.bytes = failure ? 0 : await bytesOf();
    report.movedAside = movedOf() ?? null;
    report.durationSeconds = secondsSince(t0);
    report.result = failure ? 'failed' : 'ok';
    if (failure) report.message = redactor.text(failure.message);
    const rto = rtoOf(job, report.durationSeconds);
    if (rto && !failure) report.rto = rto;
    session!.journal.append({
      type: 'step-end',
      job: opts.job,
      step: stepId,
      status: failure ? 'failed' : 'ok',
      ms: Date.now() - t0,
      ...(failure ? { message: report.message } : {}),
      detail: {
        copy: copy.name,
        storage: copy.storage,
        target: report.target,
        movedAside: report.movedAside,
        bytes: report.bytes,
        durationSeconds: report.durationSeconds,
        ...(report.hookProblems.length ? { hookProblems: report.hookProblems } : {}),
      },
    });
    return report;
  } catch (e) {
    if (mainStarted) throw e;
    if (session) {
      const message = redactor.text((e as Error).message);
      session.journal.append({ type: 'step-start', job: opts.job, step: stepId, phase: 'restore', description: 'restore', display: '' });
      session.journal.append({ type: 'step-end', job: opts.job, step: stepId, status: 'failed', ms: Date.now() - t0, message });
    }
    if (e instanceof RestoreError || e instanceof PruneError) throw new JobOpError(e.message);
    throw e;
  } finally {
    if (session) await session.close(report.result === 'ok' ? 'ok' : 'failed', t0);
    else await hosts.close();
  }
}
