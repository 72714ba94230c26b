// `backplan verify` for restic and borg jobs: the newest snapshot of the job is restored
// (`restic restore latest --tag backplan:JOB`, `borg extract REPO::NEWEST`) into a scratch
// directory on this machine, and every restored file is compared by sha256 with the same file
// of the source. Files added to the source since (or excluded from the backup) are not problems;
// a restored file that differs from the source or is gone from it is. The scratch directory is
// removed afterwards. Jobs that read on another host are not verified yet.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expandPattern } from '../steps/driver-kit';
import { runTool } from '../exec/guard';
import { clearStaleToolLock } from '../exec/tool-unlock';
import { readWithoutLockIfReadOnly } from '../exec/read-only-repo';
import { repositoryOf } from '../exec/tool-lock';

/** What runTool answers. */
type ToolRun = Awaited<ReturnType<typeof runTool>>;
import { JobOpError, type VerifyJobOptions, type VerifyJobReport } from '../ops/types';
import type { VerifySession } from './rsync';
import { LOCAL } from '../exec/quote';
import type { CommandStep, Step } from '../steps/step';
import { displayName, joinBytes, nameBytes } from '../builtin/names';

async function sha256(path: Buffer): Promise<string> {
  const h = createHash('sha256');
  for await (const c of createReadStream(path)) h.update(c as Buffer);
  return h.digest('hex');
}

const why = (e: unknown): string => (e as NodeJS.ErrnoException).code ?? (e as Error).message;

/**
 * Compare every regular file under `restored` with the same path under `source`. Names are read
 * as bytes (a name that is not UTF-8 is a name like any other), and a file that cannot be read
 * is a problem of the copy or the source, never a crash.
 */
export async function compareTree(
  restored: string | Buffer,
  source: string | Buffer,
  problems: string[],
  size: { bytes: number },
): Promise<number> {
  const r0 = typeof restored === 'string' ? nameBytes(restored) : restored;
  const s0 = typeof source === 'string' ? nameBytes(source) : source;
  let checked = 0;
  let names: Buffer[];
  try {
    names = await readdir(r0, { encoding: 'buffer' });
  } catch {
    problems.push(`${displayName(s0)}: not in the restored snapshot`);
    return 0;
  }
  for (const name of names.sort(Buffer.compare)) {
    const r = joinBytes(r0, name);
    const s = joinBytes(s0, name);
    let st;
    try {
      st = await lstat(r);
    } catch (e) {
      problems.push(`${displayName(s)}: cannot read what the snapshot restored (${why(e)})`);
      continue;
    }
    if (st.isDirectory()) checked += await compareTree(r, s, problems, size);
    else if (st.isFile()) {
      checked++;
      size.bytes += st.size;
      const src = await lstat(s).catch(() => undefined);
      if (!src?.isFile()) {
        problems.push(`${displayName(s)}: in the snapshot but no longer a file in the source`);
        continue;
      }
      try {
        if ((await sha256(r)) !== (await sha256(s))) problems.push(`${displayName(s)}: differs from the source`);
      } catch (e) {
        problems.push(`${displayName(s)}: cannot be compared (${why(e)})`);
      }
    }
  }
  return checked;
}

export async function verifyRepoJob(
  opts: VerifyJobOptions,
  steps: readonly Step[],
  open: () => VerifySession,
): Promise<VerifyJobReport> {
  const t0 = Date.now();
  const job = opts.plan.jobs.get(opts.job)!;
  const backup = steps.find((s): s is CommandStep => s.type === 'command' && s.phase === 'backup');
  if (!backup) throw new JobOpError(`job ${opts.job}: no ${job.kind} step to verify`);
  if (backup.host !== LOCAL)
    throw new JobOpError(
      `verify of a ${job.kind} job on a remote host (${backup.host}) is not implemented yet: it restores on this ` +
        `machine only`,
    );
  const end = backup.argv.indexOf('--');
  const paths = backup.argv.slice(end + 1);
  const s = open();
  let status: 'ok' | 'failed' = 'failed';
  const stepId = `${opts.job}/verify`;
  const scratch = await mkdtemp(join(opts.scratchDir ?? tmpdir(), 'bp-verify-'));
  try {
    // A stale job lock was broken: the tool's lock the interrupted command left goes first.
    const unlocked = await clearStaleToolLock(s, opts.job, job.kind, steps);
    if (unlocked) throw new JobOpError(unlocked);
    const x = { hosts: s.hosts, redactor: s.redactor };
    const env = backup.env ? { env: backup.env } : {};
    let copy: string;
    let restore: string[];
    const repoPath = repositoryOf(backup.argv) ?? '';
    if (job.kind === 'restic') {
      const global = backup.argv.slice(0, backup.argv.indexOf('backup'));
      copy = opts.copy ?? 'latest';
      restore = [...global, 'restore', copy, `--tag=backplan:${opts.job}`, `--target=${scratch}`];
    } else {
      // borg: `REPO::NAME` is the first argument after `--`; list this job's archives by name.
      const [repo, name] = backup.argv[end + 1].split('::');
      paths.shift();
      const pattern = job.raw.pattern;
      const named = typeof pattern === 'string' ? expandPattern(pattern, t0, opts.plan.timezone || 'UTC') : undefined;
      const glob = named?.ok ? named.match : name.startsWith(`${opts.job}-`) ? `${opts.job}-*` : name;
      const list = [backup.argv[0], 'list', '--short', `--glob-archives=${glob}`, '--sort-by=timestamp', '--', repo];
      const listCmd = await readWithoutLockIfReadOnly('borg', { host: LOCAL, argv: list, ...env }, repo, x);
      const listed = await runTool(listCmd, x);
      if (listed.error || listed.code !== 0)
        throw new JobOpError(
          `cannot list the archives of ${opts.job}: ${listed.error ?? listed.stderr.trim().split('\n').pop()}`,
        );
      const names = listed.stdout.split('\n').filter(Boolean);
      if (names.length === 0) throw new JobOpError(`job ${opts.job} has no archive in ${repo} to verify`);
      copy = opts.copy ?? names[names.length - 1];
      if (!names.includes(copy)) throw new JobOpError(`no archive named ${copy}; archives: ${names.join(', ')}`);
      restore = [backup.argv[0], 'extract', '--', `${repo}::${copy}`];
    }
    const description = `restore ${copy} of ${opts.job} into a scratch directory and compare every file with the ` +
      `source`;
    s.journal.append({
      type: 'step-start',
      job: opts.job,
      step: stepId,
      phase: 'verify',
      description,
      display: restore.join(' '),
    });
    s.emit({ event: 'step-start', job: opts.job, step: stepId, phase: 'verify', description: `restore ${copy}` });
    // A read-only repository is read without the tool's lock (exec/read-only-repo.ts).
    const tool = job.kind === 'restic' ? 'restic' : 'borg';
    const reading = await readWithoutLockIfReadOnly(tool, { host: LOCAL, argv: restore, ...env }, repoPath, x);
    const r = await runTool(reading, x, scratch);
    const done = { copy, tool: restore[0], r, root: scratch, paths, what: 'snapshot' };
    const report = await endTreeVerify(s, opts, t0, done);
    status = report.ok ? 'ok' : 'failed';
    return report;
  } finally {
    await rm(scratch, { recursive: true, force: true });
    await s.close(status, t0);
  }
}

/**
 * The end of a restore test that restored a copy into a scratch tree (restic, borg, duplicity):
 * the tool's failure, or every file under `root` + each source path compared with the source;
 * the verify step's end journalled with what was checked and the bytes restored.
 */
export async function endTreeVerify(
  s: VerifySession,
  opts: VerifyJobOptions,
  t0: number,
  o: {
    copy: string;
    tool: string;
    r: ToolRun;
    root: string;
    paths: readonly string[];
    what: string;
    /** The comparison where the copy was restored on another host (verify/remote-tree.ts). */
    compare?: () => Promise<{ checked: number; bytes: number; problems: string[] }>;
    /** That host, for the summary. */
    host?: string;
  },
): Promise<VerifyJobReport> {
  const { copy, r } = o;
  const stepId = `${opts.job}/verify`;
  const problems: string[] = [];
  let checked = 0;
  const size = { bytes: 0 };
  if (r.error || r.code !== 0) {
    const last = r.stderr.trim().split('\n').slice(-3).join(' | ');
    problems.push(s.redactor.text(r.error ?? `${o.tool} exited with status ${r.code}: ${last}`));
  } else if (o.compare) {
    const c = await o.compare();
    checked = c.checked;
    size.bytes = c.bytes;
    problems.push(...c.problems);
  } else for (const p of o.paths) checked += await compareTree(join(o.root, p), p, problems, size);
  if (checked === 0 && problems.length === 0) problems.push(`the ${o.what} holds no file of the source paths`);
  const status = problems.length ? 'failed' : 'ok';
  const detail = { copy, checked, bytes: size.bytes, problems: problems.slice(0, 20) };
  s.journal.append({ type: 'step-end', job: opts.job, step: stepId, status, ms: Date.now() - t0, detail });
  s.emit({ event: 'step-end', job: opts.job, step: stepId, status, ms: Date.now() - t0, detail });
  return {
    ok: problems.length === 0,
    archiveSha256: '',
    bytes: size.bytes,
    checked,
    problems,
    job: opts.job,
    copy,
    path: copy,
    journal: s.journal.path,
    summary:
      `${copy} restored into a scratch directory${o.host ? ` on ${o.host}` : ''}; ` +
      `all ${checked} files are identical to the source`,
  };
}
