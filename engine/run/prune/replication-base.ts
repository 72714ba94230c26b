// SPEC §8.4: the replication base — the newest snapshot that a source and its replica both hold,
// from which the next send is incremental — is never pruned, on either side. A prune of the
// source lists the target of every job that replicates it (`protectBaseOf`); a prune of the
// replica lists the source (`replicaOf`). The newest name present on both sides is kept, with a
// reason that names the other job. When the other side cannot be listed the prune is refused
// as a whole: guessing could delete the only base and force a full send (or break the chain).
import type { JobModel, PlanModel } from '../../plan/model';
import { fsFor } from '../exec/files';
import type { Hosts } from '../exec/hosts';
import { planSteps } from '../steps/plan-steps';
import { listCopies, namerOf, PruneError, type Listed, type PruneDecision } from './copies';
import type { Inventory, PruneSpec } from '../steps/step';

/** Where `jobName` keeps its snapshots (its prune's inventory, else its command's), planned alone. */
export function inventoryOf(plan: PlanModel, jobName: string, now: number): Inventory {
  const job = plan.jobs.get(jobName);
  if (!job) throw new PruneError(`job ${jobName} is not in the plan`);
  const alone: PlanModel = {
    ...plan,
    jobs: new Map([...plan.jobs].map(([n, m]) => [n, n === jobName ? { ...m, enabled: true } : m])),
  };
  const p = planSteps(alone, { job: jobName, now, alone: true });
  const errs = p.errors.filter((e) => e.job === jobName);
  if (errs.length)
    throw new PruneError(
      `cannot tell where job ${jobName} keeps its snapshots: ${errs.map((e) => e.message).join('; ')}`,
    );
  for (const s of p.steps) if (s.type === 'prune') return s.prune.inventory;
  for (const s of p.steps) if (s.type === 'command' && s.inventory) return s.inventory;
  throw new PruneError(`cannot tell where job ${jobName} keeps its snapshots`);
}

export interface OtherSide {
  job: string;
  /** The other side is a replica of this job (this prune is of the source). */
  replica: boolean;
}

export function otherSides(spec: PruneSpec): OtherSide[] {
  return [
    ...(spec.protectBaseOf ?? []).map((job) => ({ job, replica: true })),
    ...(spec.replicaOf !== undefined ? [{ job: spec.replicaOf, replica: false }] : []),
  ];
}

export interface BaseKept {
  name: string;
  other: string;
}

/**
 * Keeps in `decision` the newest copy of `listed` that each other side also holds; returns what
 * it protected. Rejects (PruneError) when another side cannot be listed: the caller removes
 * nothing then.
 */
export async function protectReplicationBases(
  job: JobModel,
  plan: PlanModel,
  spec: PruneSpec,
  listed: Listed,
  decision: PruneDecision,
  access: { hosts: Hosts; signal?: AbortSignal; now: number },
): Promise<BaseKept[]> {
  const kept: BaseKept[] = [];
  const namer = namerOf(job, plan, spec);
  for (const side of otherSides(spec)) {
    let other: Listed;
    try {
      const inv = inventoryOf(plan, side.job, access.now);
      other = await listCopies(inv, namer, spec.timezone, fsFor(inv.host, access.hosts), {
        hosts: access.hosts,
        signal: access.signal,
        replica: side.replica,
      });
    } catch (e) {
      throw new PruneError(
        `cannot list the snapshots of ${side.job} ` +
          `(${side.replica ? 'which replicates this job' : 'which this job replicates'}) to find the replication ` +
            `base: ${(e as Error).message}; prune refused, nothing was removed`,
      );
    }
    const there = new Set(other.copies.map((c) => c.name));
    // listed.copies is newest first: the first one the other side holds is the base.
    const base = listed.copies.find((c) => there.has(c.name));
    if (!base) continue;
    const reason = `replication base shared with ${side.job}: never removed`;
    const i = decision.remove.findIndex((c) => c.name === base.name);
    if (i >= 0) {
      decision.remove.splice(i, 1);
      decision.keep.push({ copy: base, reasons: [reason] });
      decision.keep.sort((a, b) => b.copy.time - a.copy.time);
    } else decision.keep.find((k) => k.copy.name === base.name)?.reasons.push(reason);
    kept.push({ name: base.name, other: side.job });
  }
  return kept;
}
