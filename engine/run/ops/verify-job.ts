// `backplan verify` for one job, outside a run: restore one copy of a job (the newest, or a
// random one for `verify.restore: sample`, or the one named): an archive into a scratch
// directory, compared with its manifest (builtin/restore.ts); a pg-dump or mysql-dump into a
// scratch database on the job's server, whose row counts are compared with the source's
// (verify/dump.ts); the kinds with a restore test of their own through verify/<kind>.ts.
// The result is journalled, with the measured restore time (SPEC §11): the verify step's end
// record carries `durationSeconds` (since the verify started) and `bytes` (what was restored,
// 0 when the kind does not say), and the report compares the duration with the job's `rto`.
import type { JobModel } from '../../plan/model';
import { fsFor, type HostFs } from '../exec/files';
import type { Hosts } from '../exec/hosts';
import { listCopies, PruneError, type Copy } from '../prune/copies';
import type { BuiltinStep, Step } from '../steps/step';
import { ManifestError, parseManifest } from '../builtin/manifest';
import { restoreAndCompare, type RestoreResult } from '../builtin/restore';
import { verifyIncusCopy } from '../verify/incus';
import { verifyReplica } from '../verify/replica';
import { describeTarget, DUMP_KINDS, dumpTarget, verifyDump } from '../verify/dump';
import { verifyRsyncJob } from '../verify/rsync';
import { verifyDuplicityJob } from '../verify/duplicity';
import { verifyRepoJob } from '../verify/repo';
import { rtoOf, secondsSince } from './rto';
import { openSession, stepsFor, type Session } from './session';
import { JobOpError, type VerifyJobOptions, type VerifyJobReport } from './types';

export type { VerifyJobOptions, VerifyJobReport } from './types';
export { JobOpError } from './types';

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
async function verifyBy(
  opts: VerifyJobOptions,
  t0: number,
  text: { description: string; short: string },
  test: (steps: Step[], hosts: Hosts) => Promise<KindVerifyResult>,
): Promise<VerifyJobReport> {
  const steps = stepsFor(opts.plan, opts.job, t0);
  const s = openVerifySession(opts, t0);
  let status: 'ok' | 'failed' = 'failed';
  const stepId = `${opts.job}/verify`;
  try {
    s.journal.append({
      type: 'step-start',
      job: opts.job,
      step: stepId,
      phase: 'verify',
      description: text.description,
      display: stepId,
    });
    s.emit({ event: 'step-start', job: opts.job, step: stepId, phase: 'verify', description: text.short });
    const r = await test(steps, s.hosts).catch((e: Error) => {
      // The tool's own words (an unreachable remote, a daemon that is not running): one line.
      throw e instanceof JobOpError || e instanceof PruneError ? e : new JobOpError(`job ${opts.job}: ${e.message}`);
    });
    status = r.ok ? 'ok' : 'failed';
    const detail = { copy: r.copy, checked: r.checked, problems: r.problems.slice(0, 20) };
    s.journal.append({ type: 'step-end', job: opts.job, step: stepId, status, ms: Date.now() - t0, detail });
    s.emit({ event: 'step-end', job: opts.job, step: stepId, status, ms: Date.now() - t0, detail });
    return {
      ok: r.ok,
      archiveSha256: '',
      bytes: 0,
      checked: r.checked,
      problems: r.problems,
      job: opts.job,
      copy: r.copy,
      path: r.path,
      journal: s.journal.path,
      ...(r.ok ? { summary: r.summary } : {}),
    };
  } finally {
    await s.close(status, t0);
  }
}

type KindVerifier = (opts: VerifyJobOptions, job: JobModel, t0: number) => Promise<VerifyJobReport>;

/** Duration of each verify, by its options: set when its step end is journalled. */
const measuredSeconds = new WeakMap<VerifyJobOptions, number>();

/**
 * A verify session whose journal adds the measured restore time to the verify step's end:
 * `durationSeconds` since `t0` and `bytes` (the kind's own count when it gives one, else 0).
 */
function openVerifySession(opts: VerifyJobOptions, t0: number): Session {
  const s = openSession('verify', opts.plan, opts.planPath, opts.job, opts.stateDir, opts);
  const append = s.journal.append.bind(s.journal);
  const stepId = `${opts.job}/verify`;
  s.journal.append = (record) => {
    if (record.type !== 'step-end' || record.step !== stepId) return append(record);
    const durationSeconds = secondsSince(t0);
    measuredSeconds.set(opts, durationSeconds);
    const bytes = typeof record.detail?.bytes === 'number' ? record.detail.bytes : 0;
    return append({ ...record, detail: { ...record.detail, bytes, durationSeconds } });
  };
  return s;
}

const verifySession = (opts: VerifyJobOptions, t0: number) => () => openVerifySession(opts, t0);

/** Kinds with a restore test of their own; archive and the dumps are verified below, in verifyJob. */
const KIND_VERIFIERS: Record<string, KindVerifier> = {
  // The standby's snapshot restored into a scratch instance there (verify/incus.ts).
  'incus-copy': (opts, job, t0) =>
    verifyBy(
      opts,
      t0,
      {
        description: "restore the standby's snapshot into a scratch instance and read back boot.autostart",
        short: "restore the standby's snapshot into a scratch instance",
      },
      (steps, hosts) => verifyIncusCopy(job, opts.plan, steps, hosts, { now: t0, copy: opts.copy }),
    ),
  // The newest common snapshot compared file by file on both sides (verify/replica.ts).
  ...Object.fromEntries(
    ['zfs-send', 'btrfs-send'].map((kind): [string, KindVerifier] => [
      kind,
      (opts, _job, t0) =>
        verifyBy(
          opts,
          t0,
          {
            description: 'compare the sha256 of every file of the newest common snapshot on both sides',
            short: "compare the replica's newest snapshot with the source's",
          },
          (steps, hosts) => verifyReplica(opts.job, opts.plan, steps, hosts, { copy: opts.copy }),
        ),
    ]),
  ),
  restic: (opts, _job, t0) => verifyRepoJob(opts, stepsFor(opts.plan, opts.job, t0), verifySession(opts, t0)),
  borg: (opts, _job, t0) => verifyRepoJob(opts, stepsFor(opts.plan, opts.job, t0), verifySession(opts, t0)),
  rsync: (opts, _job, t0) => verifyRsyncJob(opts, stepsFor(opts.plan, opts.job, t0), verifySession(opts, t0)),
  duplicity: (opts, _job, t0) => verifyDuplicityJob(opts, stepsFor(opts.plan, opts.job, t0), verifySession(opts, t0)),
};

export async function verifyJob(opts: VerifyJobOptions): Promise<VerifyJobReport> {
  const t0 = Date.now();
  const job = opts.plan.jobs.get(opts.job);
  if (!job) throw new JobOpError(`no job named \`${opts.job}\` in the plan`);
  // A copy of the options: the key of this verify's measured duration.
  const own = { ...opts };
  const r = Object.hasOwn(KIND_VERIFIERS, job.kind) ? await KIND_VERIFIERS[job.kind](own, job, t0) : await verifyOwn(own, job, t0);
  const durationSeconds = measuredSeconds.get(own) ?? secondsSince(t0);
  const rto = r.ok ? rtoOf(job, durationSeconds) : undefined;
  return { ...r, durationSeconds, ...(rto ? { rto } : {}) };
}

/** Archives and dumps: restored here (builtin/restore.ts) or into a scratch database (verify/dump.ts). */
async function verifyOwn(opts: VerifyJobOptions, job: JobModel, t0: number): Promise<VerifyJobReport> {
  if (job.kind !== 'archive' && !DUMP_KINDS.has(job.kind)) {
    const kinds = ['archive', ...DUMP_KINDS, ...Object.keys(KIND_VERIFIERS)];
    throw new JobOpError(
      `verify for kind ${job.kind} is not implemented yet (only ${kinds.slice(0, -1).join(', ')} and ` +
        `${kinds[kinds.length - 1]})`,
    );
  }
  const steps = stepsFor(opts.plan, opts.job, t0);
  const b = steps.find((x): x is BuiltinStep => x.type === 'builtin');
  const dumpStep = steps.find((x) => x.type === 'command' && x.phase === 'backup' && x.inventory);
  const inv =
    job.kind === 'archive' ? b?.builtin.inventory : dumpStep?.type === 'command' ? dumpStep.inventory : undefined;
  if (!inv) throw new JobOpError(`job ${opts.job}: no ${job.kind} step to verify`);
  const db = DUMP_KINDS.has(job.kind) ? dumpTarget(job, opts.plan, t0) : undefined;
  if (db && !db.target) throw new JobOpError(`job ${opts.job}: ${db.errors.join('; ')}`);
  const s = openVerifySession(opts, t0);
  let status: 'ok' | 'failed' = 'failed';
  const stepId = `${opts.job}/verify`;
  try {
    const fs = fsFor(inv.host, s.hosts);
    const listed = await listCopies(inv, job, opts.plan.timezone, fs);
    const what = job.kind === 'archive' ? 'archive' : 'dump';
    if (listed.copies.length === 0)
      throw new JobOpError(`job ${opts.job} has no ${what} in ${'dir' in inv ? inv.dir : '?'} to verify`);
    let copy: Copy | undefined;
    if (opts.copy !== undefined) {
      copy = listed.copies.find((c) => c.name === opts.copy);
      if (!copy)
        throw new JobOpError(`no ${what} named ${opts.copy}; ${what}s: ${listed.copies.map((c) => c.name).join(', ')}`);
    } else if (job.verify?.restore === 'sample') {
      copy = listed.copies[Math.floor(Math.random() * listed.copies.length)];
    } else copy = listed.copies[0];
    if (db?.target) {
      const t = db.target;
      s.journal.append({
        type: 'step-start',
        job: opts.job,
        step: stepId,
        phase: 'verify',
        description: describeTarget(t, copy.path),
        display: copy.path,
      });
      s.emit({
        event: 'step-start',
        job: opts.job,
        step: stepId,
        phase: 'verify',
        description: `restore ${copy.name}`,
      });
      const r = await verifyDump(t, copy.path, fs, s.hosts, s.redactor);
      status = r.ok ? 'ok' : 'failed';
      const detail = {
        copy: copy.name,
        scratch: r.scratch,
        tables: r.tables.slice(0, 200),
        bytes: r.bytes,
        sha256: r.archiveSha256,
        problems: r.problems.slice(0, 20),
      };
      s.journal.append({ type: 'step-end', job: opts.job, step: stepId, status, ms: Date.now() - t0, detail });
      s.emit({ event: 'step-end', job: opts.job, step: stepId, status, ms: Date.now() - t0, detail });
      return {
        ok: r.ok,
        archiveSha256: r.archiveSha256,
        bytes: r.bytes,
        checked: r.checked,
        problems: r.problems,
        tables: r.tables,
        job: opts.job,
        copy: copy.name,
        path: copy.path,
        journal: s.journal.path,
      };
    }
    s.journal.append({
      type: 'step-start',
      job: opts.job,
      step: stepId,
      phase: 'verify',
      description: `restore ${copy.path} and compare with its manifest`,
      display: copy.path,
    });
    s.emit({ event: 'step-start', job: opts.job, step: stepId, phase: 'verify', description: `restore ${copy.name}` });
    const manifestPath = listed.companions.get(copy.name);
    let result: RestoreResult;
    if (!manifestPath) {
      result = {
        ok: false,
        archiveSha256: '',
        bytes: 0,
        checked: 0,
        problems: [`${copy.name} has no manifest (${copy.path}.sha256)`],
      };
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
          ...(copy.name.endsWith('.gpg')
            ? { decrypt: { argv: [gpg?.argv[0] ?? 'gpg', '--batch', '--no-tty', '--quiet', '--decrypt'] } }
            : {}),
        });
      }
    }
    result = result!;
    status = result.ok ? 'ok' : 'failed';
    const detail = {
      copy: copy.name,
      checked: result.checked,
      bytes: result.bytes,
      problems: result.problems.slice(0, 20),
    };
    s.journal.append({ type: 'step-end', job: opts.job, step: stepId, status, ms: Date.now() - t0, detail });
    s.emit({ event: 'step-end', job: opts.job, step: stepId, status, ms: Date.now() - t0, detail });
    return { ...result, job: opts.job, copy: copy.name, path: copy.path, journal: s.journal.path };
  } finally {
    await s.close(status, t0);
  }
}

/** A manifest's bytes (names in it may not be UTF-8). */
async function readAll(fs: HostFs, path: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of fs.read(path)) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}
