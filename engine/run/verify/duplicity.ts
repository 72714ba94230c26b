// `backplan verify` for duplicity jobs: the newest backup set (or `--copy`, a set's time as
// duplicity writes it, `20260101T030000Z`) is restored with `duplicity restore [--time T]` into a
// scratch directory on the job's host — this machine, or the job's remote host, where its
// duplicity, keys and cache are, exactly as `backplan restore` runs it — duplicity replays the
// set's whole chain, so a broken full or incremental fails here — and every restored file is
// compared with the source: by sha256 here as for restic and borg (verify/repo.ts), byte for byte
// on the remote host (verify/remote-tree.ts). The secrets (PASSPHRASE) go by environment, as for
// runs. The scratch directory is removed afterwards on either side.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { duplicityParts } from '../drivers/duplicity';
import { runTool } from '../exec/guard';
import { clearStaleToolLock } from '../exec/tool-unlock';
import { LOCAL } from '../exec/quote';
import { duplicityHint } from '../exec/duplicity-hints';
import { fsFor } from '../exec/files';
import { parseCollectionStatus, setsOnTarget } from '../inventory/duplicity';
import { compareRemoteTree, remoteScratch, removeRemoteScratch } from './remote-tree';
import { JobOpError, type VerifyJobOptions, type VerifyJobReport } from '../ops/types';
import type { CommandStep, Step } from '../steps/step';
import { endTreeVerify } from './repo';
import type { VerifySession } from './rsync';

/** The paths a duplicity backup step reads: its --include selections. */
export function duplicityPaths(step: CommandStep): string[] {
  return step.argv.filter((a) => a.startsWith('--include=')).map((a) => a.slice('--include='.length));
}

export async function verifyDuplicityJob(
  opts: VerifyJobOptions,
  steps: readonly Step[],
  open: () => VerifySession,
): Promise<VerifyJobReport> {
  const t0 = Date.now();
  const backup = steps.find((s): s is CommandStep => s.type === 'command' && s.phase === 'backup');
  if (!backup) throw new JobOpError(`job ${opts.job}: no duplicity step to verify`);
  const host = backup.host;
  const remote = host !== LOCAL;
  const { bin, common, url } = duplicityParts(backup);
  const paths = duplicityPaths(backup);
  const s = open();
  let status: 'ok' | 'failed' = 'failed';
  const stepId = `${opts.job}/verify`;
  let scratch: string | undefined;
  try {
    scratch = remote
      ? await remoteScratch(s.hosts, host).catch((e: Error) => {
          throw new JobOpError(e.message);
        })
      : await mkdtemp(join(opts.scratchDir ?? tmpdir(), 'bp-verify-'));
    // A stale job lock was broken: the partial set the interrupted command left goes first.
    const cleaned = await clearStaleToolLock(s, opts.job, 'duplicity', steps);
    if (cleaned) throw new JobOpError(cleaned);
    const x = { hosts: s.hosts, redactor: s.redactor };
    const env = backup.env ? { env: backup.env } : {};
    const listed = await runTool({ host, argv: [bin, 'collection-status', '--log-fd=1', ...common, url], ...env }, x);
    if (listed.error || listed.code !== 0) {
      const why = listed.error ?? listed.stderr.trim().split('\n').pop();
      const hint = duplicityHint(listed.stderr);
      throw new JobOpError(
        s.redactor.text(`cannot list the backup sets of ${opts.job}: ${why}${hint ? ` ${hint}` : ''}`),
      );
    }
    const fs = fsFor(host, s.hosts);
    const sets = await setsOnTarget(parseCollectionStatus(listed.stdout), url, (d) => fs.list(d));
    if (sets.length === 0) throw new JobOpError(`job ${opts.job} has no backup set in ${url} to verify`);
    const copy = opts.copy ?? sets[sets.length - 1].stamp;
    if (!sets.some((x) => x.stamp === copy))
      throw new JobOpError(`no backup set ${copy}; sets: ${sets.map((x) => x.stamp).join(', ')}`);
    const tree = `${scratch}/tree`;
    const restore = [bin, 'restore', `--time=${copy}`, ...common, url, tree];
    const description =
      `restore ${copy} of ${opts.job} (its whole chain) into a scratch directory${remote ? ` on ${host}` : ''} ` +
      'and compare every file with the source';
    s.journal.append({
      type: 'step-start',
      job: opts.job,
      step: stepId,
      phase: 'verify',
      description,
      display: restore.join(' '),
    });
    s.emit({ event: 'step-start', job: opts.job, step: stepId, phase: 'verify', description: `restore ${copy}` });
    const r = await runTool({ host, argv: restore, ...env }, x, remote ? undefined : scratch);
    // On the remote host the scratch tree goes as soon as it is compared: one that cannot be
    // removed is a problem of the test (as a scratch zfs clone is, verify/replica.ts).
    const compareThere = async () => {
      const c = await compareRemoteTree(s.hosts, host, tree, paths).catch((e: Error) => ({
        checked: 0,
        bytes: 0,
        problems: [s.redactor.text(e.message)],
      }));
      const left = await removeRemoteScratch(s.hosts, host, scratch!);
      scratch = undefined;
      return left ? { ...c, problems: [...c.problems, left] } : c;
    };
    const compare = remote ? { compare: compareThere, host } : {};
    const done = { copy, tool: 'duplicity', r, root: tree, paths, what: 'backup set', ...compare };
    const report = await endTreeVerify(s, opts, t0, done);
    status = report.ok ? 'ok' : 'failed';
    return report;
  } finally {
    if (scratch !== undefined && remote) await removeRemoteScratch(s.hosts, host, scratch);
    else if (scratch !== undefined) await rm(scratch, { recursive: true, force: true });
    await s.close(status, t0);
  }
}
