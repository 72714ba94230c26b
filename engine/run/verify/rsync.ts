// `backplan verify` for an rsync job: the job's own rsync command, run again as a dry run with
// `--checksum` from the source to the newest complete directory, lists every file whose content
// differs, is missing from the copy or is only in the copy. Nothing is written: a verify is a
// comparison of checksums of the whole tree, not a restore. Directories whose only difference is
// a time or a permission (the parents of the source paths change all the time) are not problems.
import { runTool } from '../exec/guard';
import type { ExecEnv } from '../exec/exec-env';
import { fsFor } from '../exec/files';
import { JobOpError, type JobSession, type VerifyJobOptions, type VerifyJobReport } from '../ops/types';
import { listCopies } from '../prune/copies';
import type { CommandStep, Step } from '../steps/step';

export interface RsyncVerifyResult {
  ok: boolean;
  /** Regular files compared. */
  checked: number;
  /** Bytes of the files compared (rsync --stats), when rsync said. */
  bytes?: number;
  problems: string[];
}

const MARK = 'BPDIFF ';

/** The backup step's argv turned into a checksum comparison with `copyPath`. */
export function compareArgv(backup: CommandStep, copyPath: string): string[] {
  const out = backup.output!;
  const dest = backup.argv[backup.argv.length - 1];
  if (!dest.endsWith(`${out.partial}/`)) throw new Error(`the rsync step does not write to ${out.partial}`);
  const argv = backup.argv.slice(0, -1).filter((a) => !a.startsWith('--link-dest='));
  const end = argv.indexOf('--');
  const extra = ['--dry-run', '--checksum', '--stats', `--out-format=${MARK}%i %n`];
  return [
    ...argv.slice(0, end),
    ...extra,
    ...argv.slice(end),
    `${dest.slice(0, -`${out.partial}/`.length)}${copyPath}/`,
  ];
}

function problemOf(item: string, name: string): string | undefined {
  if (item.startsWith('*deleting')) return `${name}: only in the copy`;
  if (item.startsWith('.')) return undefined;
  if (item[2] === '+') return `${name}: missing from the copy`;
  if (item[1] === 'd') return undefined;
  return `${name}: differs from the source (${item})`;
}

export async function verifyRsyncCopy(backup: CommandStep, copyPath: string, x: ExecEnv): Promise<RsyncVerifyResult> {
  const r = await runTool(
    { host: backup.host, argv: compareArgv(backup, copyPath), ...(backup.env ? { env: backup.env } : {}) },
    x,
  );
  if (r.error || r.code !== 0) {
    const why = r.error ?? `rsync exited with status ${r.code}: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`;
    return { ok: false, checked: 0, problems: [why] };
  }
  const problems: string[] = [];
  for (const line of r.stdout.split('\n')) {
    if (!line.startsWith(MARK)) continue;
    const rest = line.slice(MARK.length);
    const sp = rest.indexOf(' ');
    const p = problemOf(rest.slice(0, sp), rest.slice(sp + 1).trim());
    if (p) problems.push(p);
  }
  const reg = /Number of files: [\d,.]+ \(reg: ([\d,.]+)/.exec(r.stdout);
  const checked = reg ? Number(reg[1].replace(/[,.]/g, '')) : 0;
  // The bytes read and compared (rsync --stats: the source's regular files).
  const size = /Total file size: ([\d,.]+) bytes/.exec(r.stdout);
  const bytes = size ? Number(size[1].replace(/[,.]/g, '')) : 0;
  return { ok: problems.length === 0, checked, bytes, problems };
}

/** What `verifyJob` opens around a verify (lock, journal, ssh masters). */
export type VerifySession = JobSession;

/** Verify the newest (or the named) complete directory of an rsync job against its source. */
export async function verifyRsyncJob(
  opts: VerifyJobOptions,
  steps: readonly Step[],
  open: () => VerifySession,
): Promise<VerifyJobReport> {
  const t0 = Date.now();
  const job = opts.plan.jobs.get(opts.job)!;
  const backup = steps.find(
    (s): s is CommandStep => s.type === 'command' && s.phase === 'backup' && Boolean(s.inventory && s.output),
  );
  if (!backup) throw new JobOpError(`job ${opts.job}: no rsync step to verify`);
  const inv = backup.inventory!;
  const s = open();
  let status: 'ok' | 'failed' = 'failed';
  const stepId = `${opts.job}/verify`;
  try {
    const zone =
      (job.host !== undefined ? opts.plan.hosts.get(job.host)?.timezone : undefined) || opts.plan.timezone || 'UTC';
    const listed = await listCopies(inv, job, zone, fsFor(inv.host, s.hosts));
    if (listed.copies.length === 0)
      throw new JobOpError(`job ${opts.job} has no complete directory in ${'dir' in inv ? inv.dir : '?'} to verify`);
    const copy = opts.copy !== undefined ? listed.copies.find((c) => c.name === opts.copy) : listed.copies[0];
    if (!copy)
      throw new JobOpError(
        `no directory named ${opts.copy}; directories: ${listed.copies.map((c) => c.name).join(', ')}`,
      );
    const description = `compare ${copy.path} with the source by checksum (rsync --dry-run --checksum)`;
    s.journal.append({
      type: 'step-start',
      job: opts.job,
      step: stepId,
      phase: 'verify',
      description,
      display: copy.path,
    });
    s.emit({
      event: 'step-start',
      job: opts.job,
      step: stepId,
      phase: 'verify',
      description: `compare ${copy.name} with the source`,
    });
    const r = await verifyRsyncCopy(backup, copy.path, { hosts: s.hosts, redactor: s.redactor });
    const problems = r.problems.map((p) => s.redactor.text(p));
    status = r.ok ? 'ok' : 'failed';
    const detail = { copy: copy.name, checked: r.checked, bytes: r.bytes ?? 0, problems: problems.slice(0, 20) };
    s.journal.append({ type: 'step-end', job: opts.job, step: stepId, status, ms: Date.now() - t0, detail });
    s.emit({ event: 'step-end', job: opts.job, step: stepId, status, ms: Date.now() - t0, detail });
    return {
      ok: r.ok,
      archiveSha256: '',
      bytes: r.bytes ?? 0,
      checked: r.checked,
      problems,
      job: opts.job,
      copy: copy.name,
      path: copy.path,
      journal: s.journal.path,
      summary: `${copy.name} compared with the source by checksum: all ${r.checked} files are identical`,
    };
  } finally {
    await s.close(status, t0);
  }
}
