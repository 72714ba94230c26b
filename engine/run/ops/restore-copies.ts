// `backplan restore PLAN --job J --list`: the copies `backplan restore` can read for a job, on
// the job's own storage, newest first (what the editor's "Restore…" offers to choose from).
// Read-only: it lists as the restore itself lists (the kind's restorer), takes no lock and
// writes no journal.
import type { PlanModel } from '../../plan/model';
import { Hosts } from '../exec/hosts';
import { Redactor } from '../exec/redact';
import { restorerFor, RESTORERS } from '../restore/index';
import type { KindContext } from '../restore/types';
import { stepsFor } from './session';
import { JobOpError } from './types';

export interface ListedCopies {
  job: string;
  kind: string;
  /** What `--to` names for this kind. */
  target: 'files' | 'database' | 'name';
  storage: string;
  why: string;
  copies: { name: string; time: string; storage: string }[];
}

export async function listRestoreCopies(opts: {
  plan: PlanModel;
  job: string;
  sshOptions?: string[];
  now?: number;
}): Promise<ListedCopies> {
  const job = opts.plan.jobs.get(opts.job);
  if (!job) throw new JobOpError(`no job named \`${opts.job}\` in the plan`);
  const restorer = restorerFor(job.kind);
  if (!restorer)
    throw new JobOpError(
      `restore of a ${job.kind} job is not implemented yet (kinds restore can do: ` +
        `${Object.keys(RESTORERS).join(', ')})`,
    );
  const hosts = new Hosts(opts.plan, { multiplex: false, sshOptions: opts.sshOptions });
  const ctx: KindContext = {
    plan: opts.plan,
    job,
    steps: stepsFor(opts.plan, opts.job, opts.now ?? Date.now()),
    x: { hosts, redactor: new Redactor() },
  };
  try {
    const l = await restorer.list(ctx);
    return {
      job: job.name,
      kind: job.kind,
      // A whole zfs copy goes into a new dataset: a name, not a folder.
      target:
        restorer.target === 'files'
          ? restorer.whole?.noun === 'dataset'
            ? 'name'
            : 'files'
          : restorer.target === 'database'
            ? 'database'
            : 'name',
      storage: l.storage,
      why: l.why,
      copies: l.copies.map((c) => ({ name: c.name, time: new Date(c.time).toISOString(), storage: c.storage })),
    };
  } catch (e) {
    if (e instanceof JobOpError) throw e;
    throw new JobOpError(`job ${job.name}: cannot list its copies: ${(e as Error).message}`);
  } finally {
    await hosts.close();
  }
}
