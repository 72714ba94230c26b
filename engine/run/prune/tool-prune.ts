// `backplan prune --job J` for jobs their own tool prunes (restic, borg): the job's prune steps
// as `run` plans them (the guarded `restic forget --prune` / `borg prune`, then `borg compact`),
// each guarded prune checked first against Backplan's own decision (exec/guard.ts). A dry run
// lists the live snapshots, shows Backplan's decision and the guard's verdict, and changes nothing.
import { checkGuard, type GuardDecision } from '../exec/guard';
import { runCommandStep } from '../exec/execute';
import { Hosts } from '../exec/hosts';
import { Redactor } from '../exec/redact';
import type { JobSession, PruneJobOptions, PruneJobReport } from '../ops/types';
import type { CommandStep, Step } from '../steps/step';
import { toolUnlockStep } from '../exec/tool-lock';

/** What `pruneJob` opens for a prune that changes something (lock, journal, ssh masters). */
export type ToolPruneSession = JobSession & { lock?: { brokeStale?: unknown } };

function repositoryOf(step: CommandStep): string {
  const repo = step.argv.find((a) => a.startsWith('--repo='));
  return repo ? repo.slice('--repo='.length) : step.argv[step.argv.length - 1];
}

function baseReport(opts: PruneJobOptions, guarded: CommandStep, decision: GuardDecision | undefined): PruneJobReport {
  const iso = (t: number) => new Date(t).toISOString();
  return {
    job: opts.job,
    dryRun: Boolean(opts.dryRun),
    engine: guarded.guard!.engine ?? guarded.guard!.parse,
    min: guarded.guard!.min,
    dir: repositoryOf(guarded),
    keep: (decision?.keep ?? []).map((k) => ({
      name: k.snapshot.name,
      time: iso(k.snapshot.time),
      reasons: k.reasons,
    })),
    remove: (decision?.remove ?? []).map((s) => ({ name: s.name, time: iso(s.time) })),
    removed: [],
    failed: [],
    ignored: [],
    partials: [],
  };
}

export async function pruneWithTool(
  opts: PruneJobOptions,
  steps: readonly Step[],
  open: () => ToolPruneSession,
): Promise<PruneJobReport> {
  const t0 = Date.now();
  const pruneSteps = steps.filter((s): s is CommandStep => s.type === 'command' && s.phase === 'prune');
  const guarded = pruneSteps.find((s) => s.guard)!;
  if (opts.dryRun) {
    const hosts = new Hosts(opts.plan, { sshOptions: opts.sshOptions, multiplex: false });
    const redactor = new Redactor();
    try {
      // Each guarded command is checked on the same listing (nothing is removed). duplicity's
      // remove commands, one rule each, each take the oldest chains (or their incrementals), so
      // what they remove in turn is the union of what each would remove alone: the dry run shows it.
      const out = baseReport(opts, guarded, undefined);
      const removed = new Map<string, PruneJobReport['remove'][number]>();
      let last: GuardDecision | undefined;
      for (const step of pruneSteps.filter((x) => x.guard)) {
        const g = await checkGuard(step, { hosts, redactor }, opts.now ?? t0);
        last = g.decision ?? last;
        for (const r of baseReport(opts, step, g.decision).remove) removed.set(r.name, r);
        if (!g.ok) {
          out.failed.push(redactor.text(g.message ?? 'refused'));
          break;
        }
      }
      const kept = baseReport(opts, guarded, last).keep.filter((k) => !removed.has(k.name));
      return { ...out, keep: kept, remove: [...removed.values()] };
    } finally {
      await hosts.close();
    }
  }
  const s = open();
  let status: 'ok' | 'failed' = 'failed';
  let out = baseReport(opts, guarded, undefined);
  try {
    // Backplan's stale lock was broken (no run of the job is alive): the tool's lock left in the
    // repository by that run is cleared first (restic unlock, borg break-lock).
    const unlock = s.lock?.brokeStale ? toolUnlockStep(opts.plan.jobs.get(opts.job)?.kind ?? '', steps) : undefined;
    for (const step of [...(unlock ? [unlock] : []), ...pruneSteps]) {
      const s0 = Date.now();
      s.journal.append({
        type: 'step-start',
        job: opts.job,
        step: step.id,
        phase: step.phase,
        description: step.description,
        display: step.description,
      });
      s.emit({ event: 'step-start', job: opts.job, step: step.id, phase: step.phase, description: step.description });
      const r = await runCommandStep(step, { hosts: s.hosts, redactor: s.redactor });
      const message = r.message !== undefined ? s.redactor.text(r.message) : undefined;
      const st = r.ok ? 'ok' : 'failed';
      s.journal.append({
        type: 'step-end',
        job: opts.job,
        step: step.id,
        status: st,
        ms: Date.now() - s0,
        ...(message ? { message } : {}),
        ...(r.detail ? { detail: r.detail } : {}),
      });
      s.emit({
        event: 'step-end',
        job: opts.job,
        step: step.id,
        status: st,
        ms: Date.now() - s0,
        ...(message ? { message } : {}),
      });
      if (step.guard && r.detail) {
        // Several guarded commands (duplicity's remove commands, in turn): the last one's kept
        // copies, every one's removals.
        const d = r.detail as { kept?: PruneJobReport['keep']; removes?: PruneJobReport['remove'] };
        const removes = d.removes ?? [];
        out = { ...out, keep: d.kept ?? [], remove: step === guarded ? removes : [...out.remove, ...removes] };
        if (r.ok) out.removed = out.remove.map((x) => x.name);
      }
      if (!r.ok) {
        out.failed.push(message ?? `${step.id} failed`);
        break;
      }
    }
    status = out.failed.length ? 'failed' : 'ok';
    out.journal = s.journal.path;
    return out;
  } finally {
    await s.close(status, t0);
  }
}
