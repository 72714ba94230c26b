// `backplan init`: create what the selected jobs write into, before their first run — a restic
// repository (`restic init`), a borg repository (`borg init --encryption=repokey-blake2`), the
// parent dataset of a zfs-send target (`zfs create -p`; never the target itself: the first full
// send must receive into a dataset that does not exist yet), the receive directory of a
// btrfs-send, the snapshot directory of a btrfs-snapshot, the storage directory of the kinds
// that write files (`mkdir -p`; their runs create it too). Other kinds have nothing to create.
//
// Every target is read off the job's own planned steps (steps/plan-steps.ts): the same `--repo`,
// password file, sftp command, BORG_RSH and secret references as its backup step, on the same
// host, so `init` can never create something else than what `run` writes into. Each target is
// checked first (`restic cat config`, `borg info`, `zfs list`, `test -d`): one that exists is
// reported and left alone (idempotent, never re-initialised); only a check that says "missing"
// leads to the create step, any other failure (wrong password, host unreachable) is reported.
// A real init journals every target before and after (state/journal.ts) and holds each job's
// lock while it works on it (state/lock.ts), so it cannot race a run. A dry run reads nothing,
// connects nowhere and writes nothing: it lists the checks and the creations with host and argv.
// Commands are argv arrays run through the run's machinery (exec/hosts.ts, exec/execute.ts):
// ssh quoting, secrets by environment only (SPEC §8.1, §8.8).
import { hostname } from 'node:os';
import type { JobModel, PlanModel } from '../../plan/model';
import { EnvError, remoteEnvWrapper, resolveEnv } from '../exec/env';
import type { ExecEnv } from '../exec/exec-env';
import { runCommandStep } from '../exec/execute';
import { Hosts } from '../exec/hosts';
import { saysNoRepository } from '../exec/missing-repo';
import { capture, describeExit, exitOk, type Exit } from '../exec/process';
import { Redactor } from '../exec/redact';
import { ensureStateDir } from '../state/dir';
import { Journal } from '../state/journal';
import { acquireLock, LockError, type Lock } from '../state/lock';
import { planSteps } from '../steps/plan-steps';
import { formatStep, type Command, type CommandStep, type EnvValue, type Inventory, type Step } from '../steps/step';
import { newRunId, type RunEvent } from './run-plan';

export interface InitOptions {
  plan: PlanModel;
  /** The plan file (absolute), for the journal. */
  planPath: string;
  /** Only this job (and the jobs `backplan run --job J` runs with it). */
  job?: string;
  stateDir: string;
  dryRun?: boolean;
  breakStaleLock?: boolean;
  sshOptions?: string[];
  /** Where `*_env` secrets are read (default process.env). */
  env?: NodeJS.ProcessEnv;
  now?: number;
  onEvent?(e: RunEvent): void;
}

/** `planned`: a dry run's target; `exists`: found, left alone; `created`: made now. */
export type InitTargetStatus = 'planned' | 'exists' | 'created' | 'failed';

export interface InitTargetReport {
  id: string;
  description: string;
  host: string;
  /** The check (exit 0: it exists), as `backplan plan` prints a step. */
  check: string;
  /** What creates it when the check says it is missing. */
  create: string;
  status: InitTargetStatus;
  message?: string;
}

export interface InitJobReport {
  job: string;
  kind: string;
  /** `nothing`: the kind has nothing to create (information, not an error). */
  status: 'ok' | 'failed' | 'skipped' | 'nothing';
  message?: string;
  notes: string[];
  targets: InitTargetReport[];
}

export interface InitReport {
  dryRun: boolean;
  ok: boolean;
  /** A real init's journal. */
  journal?: string;
  jobs: InitJobReport[];
}

// ---------------------------------------------------------------------------------------------
// What each kind creates (the per-kind init table)

/** One thing a job writes into, its check and how to create it. */
interface Target {
  description: string;
  host: string;
  env?: Record<string, EnvValue>;
  /** Exit 0: it exists. */
  check: string[];
  /** The check failed because the thing is missing (any other failure is an error, not a reason to create). */
  missing(e: Exit): boolean;
  create: string[];
  /** Run after `create` succeeded (same host and environment), e.g. a setting of what it created. */
  then?: string[][];
}

type Initialiser = (job: JobModel, steps: readonly Step[]) => { targets: Target[]; notes?: string[] } | { nothing: string } | { error: string };

const backupStep = (steps: readonly Step[]): CommandStep | undefined =>
  steps.find((s): s is CommandStep => s.type === 'command' && s.phase === 'backup');

function inventoryOf(step: Step): Inventory | undefined {
  if (step.type === 'command') return step.inventory;
  if (step.type === 'builtin') return step.builtin.inventory;
  return undefined;
}

/** The directory a backup/copy step of the job writes its copies into, with its host. */
function outputDir(steps: readonly Step[]): { host: string; dir: string } | undefined {
  for (const s of steps) {
    if (s.phase !== 'backup' && s.phase !== 'copy') continue;
    const i = inventoryOf(s);
    if (i && (i.type === 'files' || i.type === 'directories' || i.type === 'btrfs-snapshots')) return { host: i.host, dir: i.dir };
  }
  return undefined;
}

const notFound = (e: Exit) => !e.spawnError && e.code === 1 && e.signal === null;

function directory(what: string, note?: string): Initialiser {
  return (job, steps) => {
    const out = outputDir(steps);
    if (!out) return { error: `cannot tell from the steps of ${job.name} where it writes` };
    return {
      targets: [
        {
          description: `${what} ${out.dir}`,
          host: out.host,
          check: ['test', '-d', out.dir],
          missing: notFound,
          create: ['mkdir', '-p', '--', out.dir],
        },
      ],
      ...(note ? { notes: [note] } : {}),
    };
  };
}

const restic: Initialiser = (job, steps) => {
  const b = backupStep(steps);
  const at = b ? b.argv.indexOf('backup', 1) : -1;
  if (!b || at < 0) return { error: `cannot tell from the steps of ${job.name} which repository it writes to` };
  // The options before `backup` are the repository, password file and sftp command of every restic call of the job.
  const global = b.argv.slice(0, at);
  const repo = global.find((a) => a.startsWith('--repo='))?.slice('--repo='.length) ?? '?';
  return {
    targets: [
      {
        description: `restic repository ${repo}`,
        host: b.host,
        ...(b.env ? { env: b.env } : {}),
        check: [...global, 'cat', 'config'],
        missing: (e) => !exitOk(e) && saysNoRepository(e.stderr),
        create: [...global, 'init'],
      },
    ],
  };
};

/** borg's `additional_free_space` in repositories `backplan init` creates (borg's own advice: 2G). */
export const BORG_FREE_SPACE = '2G';

const borg: Initialiser = (job, steps) => {
  const b = backupStep(steps);
  const dashes = b ? b.argv.indexOf('--') : -1;
  const arg = b && dashes >= 0 ? b.argv[dashes + 1] : undefined;
  if (!b || arg === undefined || !arg.includes('::'))
    return { error: `cannot tell from the steps of ${job.name} which repository it writes to` };
  const bin = b.argv[0];
  // A repository url cannot hold '::' (the driver refuses it): what comes before is the repository.
  const repo = arg.slice(0, arg.indexOf('::'));
  if (!b.env?.BORG_PASSPHRASE)
    return {
      error:
        `borg init --encryption=repokey-blake2 needs the repository passphrase: set \`passphrase_env\` or ` +
        `\`passphrase_file\` on ${job.name} or its storage (or create ${repo} yourself with the encryption you want)`,
    };
  return {
    targets: [
      {
        description: `borg repository ${repo}`,
        host: b.host,
        env: b.env,
        check: [bin, 'info', '--', repo],
        missing: (e) => !exitOk(e) && saysNoRepository(e.stderr),
        create: [bin, 'init', '--encryption=repokey-blake2', '--make-parent-dirs', '--', repo],
        // A full disk in the middle of `borg create` damages a borg 1.2 repository (the archive is
        // committed with segments cut short); with free space kept, borg refuses the commit and
        // rolls back cleanly instead.
        then: [[bin, 'config', '--', repo, 'additional_free_space', BORG_FREE_SPACE]],
      },
    ],
    notes: [
      'repokey: the key is stored in the repository, protected by the passphrase; export it and keep it apart ' +
        `(\`borg key export ${repo} FILE\`): a damaged repository without a copy of its key cannot be read`,
      `a repository created here keeps ${BORG_FREE_SPACE} free (\`borg config ${repo} additional_free_space ` +
        `${BORG_FREE_SPACE}\`): a backup on a full disk then fails cleanly instead of damaging the repository`,
    ],
  };
};

const zfsSend: Initialiser = (job, steps) => {
  const copy = steps.find(
    (s): s is CommandStep => s.type === 'command' && s.phase === 'copy' && s.inventory?.type === 'zfs-snapshots',
  );
  const inv = copy?.inventory;
  if (!copy || inv?.type !== 'zfs-snapshots') return { error: `cannot tell from the steps of ${job.name} which dataset it receives into` };
  const cut = inv.dataset.lastIndexOf('/');
  if (cut < 0) return { nothing: `${inv.dataset} is a pool: zfs receive needs no parent to be created` };
  const parent = inv.dataset.slice(0, cut);
  const zfs = copy.pipe?.[copy.pipe.length - 1]?.argv[0] ?? 'zfs';
  return {
    targets: [
      {
        description: `parent dataset ${parent} of ${inv.dataset}`,
        host: inv.host,
        check: [zfs, 'list', '-H', '-o', 'name', parent],
        missing: (e) => !exitOk(e) && /does not exist/.test(e.stderr),
        create: [zfs, 'create', '-p', parent],
      },
    ],
    notes: [`${inv.dataset} itself is not created: the first send is full and receives into a new dataset`],
  };
};

const RUN_MAKES_IT = 'a run creates this directory too: init makes it early, so that a permission problem shows before the first run';

const INITIALISERS: Record<string, Initialiser> = {
  restic,
  borg,
  'zfs-send': zfsSend,
  'btrfs-send': directory('receive directory'),
  'btrfs-snapshot': directory('snapshot directory'),
  archive: directory('storage directory', RUN_MAKES_IT),
  rsync: directory('storage directory', RUN_MAKES_IT),
  'pg-dump': directory('storage directory', RUN_MAKES_IT),
  'mysql-dump': directory('storage directory', RUN_MAKES_IT),
};

function nothingFor(job: JobModel): string {
  if (job.kind === 'zfs-snapshot') return 'nothing to initialise: it snapshots a dataset that must already exist';
  return `nothing to initialise for kind ${String(job.kind)}`;
}

// ---------------------------------------------------------------------------------------------
// Running the checks and the creations

function stepOf(job: string, id: string, t: Target, argv: string[], description: string): CommandStep {
  return {
    type: 'command',
    id,
    job,
    phase: 'setup',
    description,
    host: t.host,
    after: [],
    argv,
    ...(t.env ? { env: t.env } : {}),
  };
}

/** Run a check on its host, its secrets by environment; a failure to start or connect throws. */
async function probe(cmd: Command, x: ExecEnv): Promise<Exit> {
  const env = await resolveEnv(cmd, x.hosts, x.redactor, x.env);
  if (x.hosts.isLocal(cmd.host))
    return capture(cmd.argv, { env: Object.keys(env).length ? { ...process.env, ...env } : undefined, signal: x.signal });
  await x.hosts.ready(cmd.host);
  if (!Object.keys(env).length) return capture(x.hosts.argv(cmd.host, cmd.argv), { signal: x.signal });
  const w = remoteEnvWrapper(env, cmd.argv);
  return capture(x.hosts.argv(cmd.host, w.argv), { input: w.header, signal: x.signal });
}

interface Planned {
  job: JobModel;
  targets: Target[];
  notes: string[];
  report: InitJobReport;
}

export async function initJobs(opts: InitOptions): Promise<InitReport> {
  const t0 = Date.now();
  const now = opts.now ?? t0;
  // The jobs `backplan run [--job J]` would run, planned as it plans them (no live state).
  const p = planSteps(opts.plan, { job: opts.job, now });
  const errors = new Map<string, string[]>();
  for (const e of p.errors) errors.set(e.job, [...(errors.get(e.job) ?? []), e.message]);
  const names = [...p.order, ...[...errors.keys()].filter((n) => !p.order.includes(n))];
  const planned: Planned[] = [];
  const jobs: InitJobReport[] = [];
  for (const name of names) {
    const job = opts.plan.jobs.get(name);
    const kind = String(job?.kind ?? '');
    const report: InitJobReport = { job: name, kind, status: 'ok', notes: [], targets: [] };
    jobs.push(report);
    if (!job || errors.has(name)) {
      report.status = 'failed';
      report.message = `cannot plan: ${(errors.get(name) ?? ['not a job of this plan']).join('; ')}`;
      continue;
    }
    const init = INITIALISERS[kind];
    const r = init ? init(job, p.steps.filter((s) => s.job === name)) : { nothing: nothingFor(job) };
    if ('nothing' in r) {
      report.status = 'nothing';
      report.message = r.nothing;
    } else if ('error' in r) {
      report.status = 'failed';
      report.message = r.error;
    } else {
      report.notes = r.notes ?? [];
      report.targets = r.targets.map((t, i) => ({
        id: `${name}/init-${i + 1}`,
        description: t.description,
        host: t.host,
        check: formatStep(stepOf(name, '', t, t.check, '')),
        create: [t.create, ...(t.then ?? [])].map((argv) => formatStep(stepOf(name, '', t, argv, ''))).join('; then '),
        status: 'planned',
      }));
      planned.push({ job, targets: r.targets, notes: report.notes, report });
    }
  }
  for (const s of p.skipped) jobs.push({ job: s.job, kind: String(opts.plan.jobs.get(s.job)?.kind ?? ''), status: 'skipped', message: s.reason, notes: [], targets: [] });

  const ok = () => jobs.every((j) => j.status !== 'failed');
  // SPEC §8.7: a dry run reads nothing, connects nowhere, writes nothing (no state directory).
  if (opts.dryRun) return { dryRun: true, ok: ok(), jobs };

  const layout = ensureStateDir(opts.stateDir);
  const redactor = new Redactor();
  const runId = newRunId(now);
  const journal = Journal.create(layout.runs, runId, redactor);
  const emit = (e: RunEvent) => opts.onEvent?.(redactor.value(e));
  const hosts = new Hosts(opts.plan, { controlDir: layout.ssh, sshOptions: opts.sshOptions });
  const x: ExecEnv = { hosts, redactor, env: opts.env };
  journal.append({ type: 'run-start', command: 'init', plan: opts.planPath, jobs: names, pid: process.pid, host: hostname() });
  emit({ event: 'run-start', run: runId, journal: journal.path, jobs: names });
  try {
    for (const { job, targets, report } of planned) {
      journal.append({ type: 'job-start', job: job.name });
      emit({ event: 'job-start', job: job.name });
      let lock: Lock | undefined;
      try {
        lock = acquireLock(layout.locks, job.name, {
          run: runId,
          command: 'init',
          journal: journal.path,
          breakStale: opts.breakStaleLock,
          onBroken: (info, why) => {
            journal.append({ type: 'lock-broken', job: job.name, lock: { ...info } });
            emit({ event: 'notice', job: job.name, message: `broke the stale lock of job ${job.name} (${why})` });
          },
        });
      } catch (e) {
        if (!(e instanceof LockError)) throw e;
        report.status = 'failed';
        report.message = e.message;
        for (const t of report.targets) t.status = 'failed';
      }
      try {
        for (let i = 0; lock && i < targets.length; i++) {
          const t = targets[i];
          const tr = report.targets[i];
          const create = stepOf(job.name, tr.id, t, t.create, `create ${t.description}`);
          const s0 = Date.now();
          journal.append({ type: 'step-start', job: job.name, step: tr.id, phase: 'setup', description: create.description, display: tr.create });
          emit({ event: 'step-start', job: job.name, step: tr.id, phase: 'setup', description: create.description });
          let message: string | undefined;
          try {
            const e = await probe({ host: t.host, argv: t.check, ...(t.env ? { env: t.env } : {}) }, x);
            if (exitOk(e)) tr.status = 'exists';
            else if (!t.missing(e)) {
              tr.status = 'failed';
              message = `cannot tell whether ${t.description} exists: ${describeExit(t.check[0], e)}`;
            } else {
              let r = await runCommandStep(create, x);
              for (const argv of r.ok ? (t.then ?? []) : []) {
                r = await runCommandStep(stepOf(job.name, tr.id, t, argv, `set up ${t.description}`), x);
                if (!r.ok) break;
              }
              tr.status = r.ok ? 'created' : 'failed';
              if (!r.ok) message = r.message ?? 'failed';
            }
          } catch (e) {
            tr.status = 'failed';
            // A secret that cannot be read (EnvError), a host that cannot be reached.
            message = e instanceof EnvError || e instanceof Error ? e.message : String(e);
          }
          if (message !== undefined) tr.message = redactor.text(message);
          const status = tr.status === 'failed' ? 'failed' : 'ok';
          const detail = { result: tr.status };
          journal.append({ type: 'step-end', job: job.name, step: tr.id, status, ms: Date.now() - s0, ...(tr.message ? { message: tr.message } : {}), detail });
          emit({ event: 'step-end', job: job.name, step: tr.id, status, ms: Date.now() - s0, ...(tr.message ? { message: tr.message } : {}), detail });
          if (tr.status === 'failed') {
            report.status = 'failed';
            report.message = `${tr.id}: ${tr.message}`;
            break;
          }
        }
      } finally {
        lock?.release();
      }
      const status = report.status === 'failed' ? 'failed' : 'ok';
      journal.append({ type: 'job-end', job: job.name, status, ...(report.message ? { message: report.message } : {}) });
      emit({ event: 'job-end', job: job.name, status, ...(report.message ? { message: report.message } : {}) });
    }
  } finally {
    await hosts.close();
  }
  const allOk = ok();
  journal.append({ type: 'run-end', status: allOk ? 'ok' : 'failed', ms: Date.now() - t0 });
  journal.close();
  emit({ event: 'run-end', ok: allOk, ms: Date.now() - t0 });
  return { dryRun: false, ok: allOk, journal: journal.path, jobs };
}
