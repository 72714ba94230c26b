// `backplan prune` and `backplan verify` for one job, outside a run.
//
// prune: the job's live inventory, the decision of its pruning engine with `min` and the
// newest copy protected, then (unless `dryRun`) the removals, under the job's lock and
// journalled. A prune outside `run` is an explicit request of the user; it applies the same
// protections, and the run's rule "only after this run's backup succeeded" (SPEC §8.2) is
// replaced by "only copies that are whole" (final names only) and "never the newest".
// A dry run reads the inventory and changes nothing (no state directory, no lock).
//
// verify: restore one copy of a job (the newest, or a random one for `verify.restore: sample`,
// or the one named): an archive into a scratch directory, compared with its manifest
// (restore.ts); a pg-dump or mysql-dump into a scratch database on the job's server, whose row
// counts are compared with the source's (verify-dump.ts). The result is journalled.
import { hostname } from 'node:os';
import type { JobModel, PlanModel } from '../plan/model';
import { Hosts } from './exec/hosts';
import { fsFor, type HostFs } from './exec/files';
import { Redactor } from './exec/redact';
import { Journal } from './journal';
import { acquireLock, LockError, type Lock } from './lock';
import { planSteps } from './plan-steps';
import { decide, listCopies, namerOf, PruneError, pruneEngine, removeCopies, removePartials, type Copy, type Listed, type PruneDecision } from './prune';
import { protectReplicationBases } from './replication-base';
import { isSnapshotInventory, snapshotPath } from './inventory/index';
import { newRunId, removeHooks, type RunEvent } from './run-plan';
import { ensureStateDir } from './state';
import type { BuiltinStep, PruneStep, Step } from './step';
import { ManifestError, parseManifest } from './builtin/manifest';
import { restoreAndCompare, type RestoreResult } from './builtin/restore';
import { verifyIncusCopy } from './verify-incus';
import { verifyReplica } from './verify-replica';
import type { TableCount } from './builtin/db-verify';
import { describeTarget, DUMP_KINDS, dumpTarget, verifyDump } from './verify-dump';
import { pruneWithTool } from './tool-prune';
import { verifyRsyncJob } from './rsync-verify';
import { verifyRepoJob } from './repo-verify';

export class JobOpError extends Error {}

function stepsFor(plan: PlanModel, job: string, now: number): Step[] {
  const j = plan.jobs.get(job);
  if (!j) throw new JobOpError(`no job named \`${job}\` in the plan`);
  // Planned on its own, even when disabled: prune and verify act on what exists.
  const p = planSteps({ ...plan, jobs: new Map([...plan.jobs].map(([n, m]) => [n, n === job ? { ...m, enabled: true } : m])) }, { job, now });
  const errs = p.errors.filter((e) => e.job === job);
  if (errs.length) throw new JobOpError(`job ${job}: ${errs.map((e) => e.message).join('; ')}`);
  return p.steps;
}

interface Session {
  journal: Journal;
  lock: Lock;
  hosts: Hosts;
  redactor: Redactor;
  emit(e: RunEvent): void;
  close(status: 'ok' | 'failed', t0: number): Promise<void>;
}

function openSession(command: 'prune' | 'verify', plan: PlanModel, planPath: string, job: string, stateDir: string, opts: { breakStaleLock?: boolean; onEvent?(e: RunEvent): void; sshOptions?: string[] }): Session {
  const layout = ensureStateDir(stateDir);
  const redactor = new Redactor();
  const run = newRunId(Date.now());
  const journal = Journal.create(layout.runs, run, redactor);
  const emit = (e: RunEvent) => opts.onEvent?.(redactor.value(e));
  journal.append({ type: 'run-start', command, plan: planPath, jobs: [job], pid: process.pid, host: hostname() });
  journal.append({ type: 'job-start', job });
  let lock: Lock;
  try {
    lock = acquireLock(layout.locks, job, {
      run,
      command,
      journal: journal.path,
      breakStale: opts.breakStaleLock,
      onBroken: (info, why) => {
        journal.append({ type: 'lock-broken', job, lock: { ...info } });
        emit({ event: 'notice', job, message: `broke the stale lock of job ${job} (${why})` });
      },
    });
  } catch (e) {
    const msg = (e as Error).message;
    journal.append({ type: 'job-end', job, status: 'failed', message: msg });
    journal.append({ type: 'run-end', status: 'failed', ms: 0 });
    journal.close();
    throw e instanceof LockError ? e : new JobOpError(msg);
  }
  const hosts = new Hosts(plan, { controlDir: layout.ssh, sshOptions: opts.sshOptions });
  return {
    journal,
    lock,
    hosts,
    redactor,
    emit,
    async close(status, t0) {
      await hosts.close();
      lock.release();
      journal.append({ type: 'job-end', job, status });
      journal.append({ type: 'run-end', status, ms: Date.now() - t0 });
      journal.close();
    },
  };
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

export async function pruneJob(opts: PruneJobOptions): Promise<PruneJobReport> {
  const t0 = Date.now();
  const now = opts.now ?? t0;
  const steps = stepsFor(opts.plan, opts.job, now);
  const step = steps.find((s): s is PruneStep => s.type === 'prune');
  if (!step) {
    // restic, borg: the tool prunes, guarded by Backplan's own decision (tool-prune.ts).
    if (steps.some((s) => s.type === 'command' && s.guard)) return pruneWithTool(opts, steps, () => openSession('prune', opts.plan, opts.planPath, opts.job, opts.stateDir, opts));
    const cmd = steps.find((s) => s.phase === 'prune');
    throw new JobOpError(cmd ? `job ${opts.job} is pruned by its own tool (${cmd.type === 'command' ? cmd.argv[0] : 'external'}); \`backplan prune\` for it is not implemented yet` : `job ${opts.job} has no retention policy: nothing to prune`);
  }
  const job = opts.plan.jobs.get(opts.job)!;
  const spec = step.prune;
  const engine = pruneEngine(job, opts.plan, spec);
  const iso = (c: Copy) => new Date(c.time).toISOString();
  const report = (listed: Listed, d: PruneDecision): PruneJobReport => ({
    job: opts.job,
    dryRun: Boolean(opts.dryRun),
    engine: engine.id,
    min: spec.min,
    dir: isSnapshotInventory(spec.inventory) ? snapshotPath(spec.inventory, spec.inventory.match) : 'dir' in spec.inventory ? spec.inventory.dir : '',
    keep: d.keep.map((k) => ({ name: k.copy.name, time: iso(k.copy), reasons: k.reasons })),
    remove: d.remove.map((c) => ({ name: c.name, time: iso(c) })),
    removed: [],
    failed: [],
    ignored: listed.ignored,
    partials: listed.partials.map((p) => p.name),
  });

  if (opts.dryRun) {
    const hosts = new Hosts(opts.plan, { sshOptions: opts.sshOptions, multiplex: false });
    try {
      const listed = await listCopies(spec.inventory, namerOf(job, opts.plan, spec), spec.timezone, fsFor(spec.inventory.host, hosts), { hosts, replica: spec.replicaOf !== undefined });
      const d = decide(listed.copies, spec, engine, now);
      await protectReplicationBases(job, opts.plan, spec, listed, d, { hosts, now });
      return report(listed, d);
    } finally {
      await hosts.close();
    }
  }

  const s = openSession('prune', opts.plan, opts.planPath, opts.job, opts.stateDir, opts);
  let status: 'ok' | 'failed' = 'failed';
  try {
    const fs: HostFs = fsFor(spec.inventory.host, s.hosts);
    s.journal.append({ type: 'step-start', job: opts.job, step: `${opts.job}/prune`, phase: 'prune', description: step.description, display: step.description });
    const listed = await listCopies(spec.inventory, namerOf(job, opts.plan, spec), spec.timezone, fs, { hosts: s.hosts, replica: spec.replicaOf !== undefined });
    const d = decide(listed.copies, spec, engine, now);
    await protectReplicationBases(job, opts.plan, spec, listed, d, { hosts: s.hosts, now });
    const out = report(listed, d);
    const hooks = removeHooks({ journal: s.journal, emit: s.emit }, opts.job);
    const r = await removeCopies(d.remove, listed, fs, hooks);
    out.removed = r.removed;
    out.failed = r.failed;
    out.partials = await removePartials(listed, fs, hooks);
    out.journal = s.journal.path;
    status = r.failed.length ? 'failed' : 'ok';
    s.journal.append({ type: 'step-end', job: opts.job, step: `${opts.job}/prune`, status, ms: Date.now() - t0, detail: { kept: out.keep.map((k) => k.name), removed: out.removed } });
    return out;
  } finally {
    await s.close(status, t0);
  }
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
}

/** What a kind's own restore test returns (incus-copy, zfs-send, btrfs-send). */
interface KindVerifyResult {
  ok: boolean;
  copy: string;
  path: string;
  checked: number;
  problems: string[];
  summary: string;
}

/** Run a kind's own restore test inside a verify session: locked, journalled, one-line errors. */
async function verifyBy(opts: VerifyJobOptions, t0: number, text: { description: string; short: string }, test: (steps: Step[], hosts: Hosts) => Promise<KindVerifyResult>): Promise<VerifyJobReport> {
  const steps = stepsFor(opts.plan, opts.job, t0);
  const s = openSession('verify', opts.plan, opts.planPath, opts.job, opts.stateDir, opts);
  let status: 'ok' | 'failed' = 'failed';
  const stepId = `${opts.job}/verify`;
  try {
    s.journal.append({ type: 'step-start', job: opts.job, step: stepId, phase: 'verify', description: text.description, display: stepId });
    s.emit({ event: 'step-start', job: opts.job, step: stepId, phase: 'verify', description: text.short });
    const r = await test(steps, s.hosts).catch((e: Error) => {
      // The tool's own words (an unreachable remote, a daemon that is not running): one line.
      throw e instanceof JobOpError || e instanceof PruneError ? e : new JobOpError(`job ${opts.job}: ${e.message}`);
    });
    status = r.ok ? 'ok' : 'failed';
    const detail = { copy: r.copy, checked: r.checked, problems: r.problems.slice(0, 20) };
    s.journal.append({ type: 'step-end', job: opts.job, step: stepId, status, ms: Date.now() - t0, detail });
    s.emit({ event: 'step-end', job: opts.job, step: stepId, status, ms: Date.now() - t0, detail });
    return { ok: r.ok, archiveSha256: '', bytes: 0, checked: r.checked, problems: r.problems, job: opts.job, copy: r.copy, path: r.path, journal: s.journal.path, ...(r.ok ? { summary: r.summary } : {}) };
  } finally {
    await s.close(status, t0);
  }
}

type KindVerifier = (opts: VerifyJobOptions, job: JobModel, t0: number) => Promise<VerifyJobReport>;

const verifySession = (opts: VerifyJobOptions) => () => openSession('verify', opts.plan, opts.planPath, opts.job, opts.stateDir, opts);

/** Kinds with a restore test of their own; archive and the dumps are verified below, in verifyJob. */
const KIND_VERIFIERS: Record<string, KindVerifier> = {
  // The standby's snapshot restored into a scratch instance there (verify-incus.ts).
  'incus-copy': (opts, job, t0) =>
    verifyBy(opts, t0, { description: 'restore the standby\'s snapshot into a scratch instance and read back boot.autostart', short: 'restore the standby\'s snapshot into a scratch instance' }, (steps, hosts) =>
      verifyIncusCopy(job, opts.plan, steps, hosts, { now: t0, copy: opts.copy }),
    ),
  // The newest common snapshot compared file by file on both sides (verify-replica.ts).
  ...Object.fromEntries(
    ['zfs-send', 'btrfs-send'].map((kind): [string, KindVerifier] => [
      kind,
      (opts, _job, t0) =>
        verifyBy(opts, t0, { description: 'compare the sha256 of every file of the newest common snapshot on both sides', short: 'compare the replica\'s newest snapshot with the source\'s' }, (steps, hosts) =>
          verifyReplica(opts.job, opts.plan, steps, hosts, { copy: opts.copy }),
        ),
    ]),
  ),
  restic: (opts, _job, t0) => verifyRepoJob(opts, stepsFor(opts.plan, opts.job, t0), verifySession(opts)),
  borg: (opts, _job, t0) => verifyRepoJob(opts, stepsFor(opts.plan, opts.job, t0), verifySession(opts)),
  rsync: (opts, _job, t0) => verifyRsyncJob(opts, stepsFor(opts.plan, opts.job, t0), verifySession(opts)),
};

export async function verifyJob(opts: VerifyJobOptions): Promise<VerifyJobReport> {
  const t0 = Date.now();
  const job = opts.plan.jobs.get(opts.job);
  if (!job) throw new JobOpError(`no job named \`${opts.job}\` in the plan`);
  if (Object.hasOwn(KIND_VERIFIERS, job.kind)) return KIND_VERIFIERS[job.kind](opts, job, t0);
  if (job.kind !== 'archive' && !DUMP_KINDS.has(job.kind)) {
    const kinds = ['archive', ...DUMP_KINDS, ...Object.keys(KIND_VERIFIERS)];
    throw new JobOpError(`verify for kind ${job.kind} is not implemented yet (only ${kinds.slice(0, -1).join(', ')} and ${kinds[kinds.length - 1]})`);
  }
  const steps = stepsFor(opts.plan, opts.job, t0);
  const b = steps.find((x): x is BuiltinStep => x.type === 'builtin');
  const dumpStep = steps.find((x) => x.type === 'command' && x.phase === 'backup' && x.inventory);
  const inv = job.kind === 'archive' ? b?.builtin.inventory : dumpStep?.type === 'command' ? dumpStep.inventory : undefined;
  if (!inv) throw new JobOpError(`job ${opts.job}: no ${job.kind} step to verify`);
  const db = DUMP_KINDS.has(job.kind) ? dumpTarget(job, opts.plan, t0) : undefined;
  if (db && !db.target) throw new JobOpError(`job ${opts.job}: ${db.errors.join('; ')}`);
  const s = openSession('verify', opts.plan, opts.planPath, opts.job, opts.stateDir, opts);
  let status: 'ok' | 'failed' = 'failed';
  const stepId = `${opts.job}/verify`;
  try {
    const fs = fsFor(inv.host, s.hosts);
    const listed = await listCopies(inv, job, opts.plan.timezone, fs);
    const what = job.kind === 'archive' ? 'archive' : 'dump';
    if (listed.copies.length === 0) throw new JobOpError(`job ${opts.job} has no ${what} in ${'dir' in inv ? inv.dir : '?'} to verify`);
    let copy: Copy | undefined;
    if (opts.copy !== undefined) {
      copy = listed.copies.find((c) => c.name === opts.copy);
      if (!copy) throw new JobOpError(`no ${what} named ${opts.copy}; ${what}s: ${listed.copies.map((c) => c.name).join(', ')}`);
    } else if (job.verify?.restore === 'sample') {
      copy = listed.copies[Math.floor(Math.random() * listed.copies.length)];
    } else copy = listed.copies[0];
    if (db?.target) {
      const t = db.target;
      s.journal.append({ type: 'step-start', job: opts.job, step: stepId, phase: 'verify', description: describeTarget(t, copy.path), display: copy.path });
      s.emit({ event: 'step-start', job: opts.job, step: stepId, phase: 'verify', description: `restore ${copy.name}` });
      const r = await verifyDump(t, copy.path, fs, s.hosts, s.redactor);
      status = r.ok ? 'ok' : 'failed';
      const detail = { copy: copy.name, scratch: r.scratch, tables: r.tables.slice(0, 200), bytes: r.bytes, sha256: r.archiveSha256, problems: r.problems.slice(0, 20) };
      s.journal.append({ type: 'step-end', job: opts.job, step: stepId, status, ms: Date.now() - t0, detail });
      s.emit({ event: 'step-end', job: opts.job, step: stepId, status, ms: Date.now() - t0, detail });
      return { ok: r.ok, archiveSha256: r.archiveSha256, bytes: r.bytes, checked: r.checked, problems: r.problems, tables: r.tables, job: opts.job, copy: copy.name, path: copy.path, journal: s.journal.path };
    }
    s.journal.append({ type: 'step-start', job: opts.job, step: stepId, phase: 'verify', description: `restore ${copy.path} and compare with its manifest`, display: copy.path });
    s.emit({ event: 'step-start', job: opts.job, step: stepId, phase: 'verify', description: `restore ${copy.name}` });
    const manifestPath = listed.companions.get(copy.name);
    let result: RestoreResult;
    if (!manifestPath) {
      result = { ok: false, archiveSha256: '', bytes: 0, checked: 0, problems: [`${copy.name} has no manifest (${copy.path}.sha256)`] };
    } else {
      const text = await readAll(fs, manifestPath);
      let manifest;
      try {
        manifest = parseManifest(text);
      } catch (e) {
        if (!(e instanceof ManifestError)) throw e;
        manifest = undefined;
        result = { ok: false, archiveSha256: '', bytes: 0, checked: 0, problems: [`${manifestPath}: ${e.message}`] };
      }
      if (manifest) {
        const gpg = b?.pipe?.[0];
        result = await restoreAndCompare(fs.read(copy.path), manifest, {
          scratchParent: opts.scratchDir,
          ...(copy.name.endsWith('.gpg') ? { decrypt: { argv: [gpg?.argv[0] ?? 'gpg', '--batch', '--no-tty', '--quiet', '--decrypt'] } } : {}),
        });
      }
    }
    result = result!;
    status = result.ok ? 'ok' : 'failed';
    const detail = { copy: copy.name, checked: result.checked, bytes: result.bytes, problems: result.problems.slice(0, 20) };
    s.journal.append({ type: 'step-end', job: opts.job, step: stepId, status, ms: Date.now() - t0, detail });
    s.emit({ event: 'step-end', job: opts.job, step: stepId, status, ms: Date.now() - t0, detail });
    return { ...result, job: opts.job, copy: copy.name, path: copy.path, journal: s.journal.path };
  } finally {
    await s.close(status, t0);
  }
}

async function readAll(fs: HostFs, path: string): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of fs.read(path)) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
