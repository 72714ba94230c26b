// `backplan prune` for one job, outside a run: the job's live inventory, the decision of its
// pruning engine with `min` and the newest copy protected, then (unless `dryRun`) the removals,
// under the job's lock and journalled. A prune outside `run` is an explicit request of the user;
// it applies the same protections, and the run's rule "only after this run's backup succeeded"
// (SPEC §8.2) is replaced by "only copies that are whole" (final names only) and "never the
// newest". A dry run reads the inventory and changes nothing (no state directory, no lock).
// Jobs their own tool prunes (restic, borg) go through prune/tool-prune.ts; jobs whose tool takes
// and prunes the snapshots (sanoid, btrbk) through prune/own-tool-prune.ts.
import { fsFor, type HostFs } from '../exec/files';
import { Hosts } from '../exec/hosts';
import {
  decide,
  listCopies,
  namerOf,
  pruneEngine,
  removeCopies,
  removePartials,
  type Copy,
  type Listed,
  type PruneDecision,
} from '../prune/copies';
import { protectReplicationBases } from '../prune/replication-base';
import { pruneWithTool } from '../prune/tool-prune';
import { pruneByOwnTool } from '../prune/own-tool-prune';
import { isSnapshotInventory, snapshotPath } from '../inventory/index';
import type { PruneStep } from '../steps/step';
import { removeHooks } from './run-plan';
import { openSession, stepsFor } from './session';
import { JobOpError, type PruneJobOptions, type PruneJobReport } from './types';

export type { PruneJobOptions, PruneJobReport } from './types';
export { JobOpError } from './types';

export async function pruneJob(opts: PruneJobOptions): Promise<PruneJobReport> {
  const t0 = Date.now();
  const now = opts.now ?? t0;
  const steps = stepsFor(opts.plan, opts.job, now);
  const step = steps.find((s): s is PruneStep => s.type === 'prune');
  if (!step) {
    // restic, borg: the tool prunes, guarded by Backplan's own decision (tool-prune.ts).
    if (steps.some((s) => s.type === 'command' && s.guard))
      return pruneWithTool(opts, steps, () =>
        openSession('prune', opts.plan, opts.planPath, opts.job, opts.stateDir, opts),
      );
    // sanoid, btrbk: the tool's own prune, with the job's configuration (own-tool-prune.ts).
    if (steps.some((s) => s.type === 'command' && s.prunedBy !== undefined))
      return pruneByOwnTool(opts, steps, () =>
        openSession('prune', opts.plan, opts.planPath, opts.job, opts.stateDir, opts),
      );
    const cmd = steps.find((s) => s.phase === 'prune');
    throw new JobOpError(
      cmd
        ? `job ${opts.job} is pruned by its own tool (${cmd.type === 'command' ? cmd.argv[0] : 'external'}); ` +
          `\`backplan prune\` for it is not implemented yet`
        : `job ${opts.job} has no retention policy: nothing to prune`,
    );
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
    dir: isSnapshotInventory(spec.inventory)
      ? snapshotPath(spec.inventory, spec.inventory.match)
      : 'dir' in spec.inventory
        ? spec.inventory.dir
        : '',
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
      const listed = await listCopies(
        spec.inventory,
        namerOf(job, opts.plan, spec),
        spec.timezone,
        fsFor(spec.inventory.host, hosts),
        { hosts, replica: spec.replicaOf !== undefined },
      );
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
    s.journal.append({
      type: 'step-start',
      job: opts.job,
      step: `${opts.job}/prune`,
      phase: 'prune',
      description: step.description,
      display: step.description,
    });
    const listed = await listCopies(spec.inventory, namerOf(job, opts.plan, spec), spec.timezone, fs, {
      hosts: s.hosts,
      replica: spec.replicaOf !== undefined,
    });
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
    s.journal.append({
      type: 'step-end',
      job: opts.job,
      step: `${opts.job}/prune`,
      status,
      ms: Date.now() - t0,
      detail: { kept: out.keep.map((k) => k.name), removed: out.removed },
    });
    return out;
  } finally {
    await s.close(status, t0);
  }
}
