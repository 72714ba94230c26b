// `backplan status --live`: the real copies of each job, listed where they are stored with the
// listing prune uses (read-only; over ssh for a remote storage), compared with what the plan
// projects for now. `extra`: copies present that the job's retention would already have removed
// (its pruning engine's decision at `now`, the `min` newest kept, as `prune --dry-run` decides).
// `missing`: copies the simulation of the job's schedule and retention says should be held now
// (engine/simulate, from the oldest real copy, or the first journalled success, to now) with no
// real copy made near that time (from a minute before the fire to half the schedule's interval
// after it, at most 6 h); a missing copy has no name, so it is given as its expected time.
// The fires of the last tolerance window are not expected yet (a run may be in progress).
// A job whose tool prunes its own repository (restic, borg) or whose storage cannot be listed
// gets `drift: null` and a note. A `pruner: sanoid|btrbk` job is listed by the tool's own names
// and read with the tool's rules (its run step's `prunedBy`), sanoid's expected set by its replay,
// a btrbk pair's (snapshot job and its btrbk send) by the replay of both from the source's first run.
import type { JobModel, PlanModel } from '../../plan/model';
import { fsFor } from '../../run/exec/files';
import { Hosts } from '../../run/exec/hosts';
import { decide, listCopies, namerOf, pruneEngine } from '../../run/prune/copies';
import { stepsFor } from '../../run/ops/session';
import type { CommandStep, PruneSpec, PruneStep } from '../../run/steps/step';
import { replaySanoid } from '../../retention/sanoid';
import { simulateJob } from '../../simulate/simulate-job';
import { simulate } from '../../simulate/simulate';
import { btrbkPair, simulateBtrbkPair } from '../../simulate/btrbk-send';
import { jobScheduleOf } from '../../checks/shared/schedules';
import { statusContext } from './state';

export interface Drift {
  missing: string[];
  extra: string[];
}

export type LiveResult = { drift: Drift; copies: number } | { drift: null; note: string };

const SIX_HOURS = 6 * 3600_000;
const MAX_FIRES = 100_000;

/** The fires of the job's schedule in (from, to], or undefined when it has none (or too many). */
function firesBetween(plan: PlanModel, job: JobModel, from: number, to: number): number[] | undefined {
  const js = jobScheduleOf(statusContext(plan, to), job);
  if (!js) return undefined;
  try {
    return js.schedule.fires(from, to, MAX_FIRES);
  } catch {
    return undefined;
  }
}

/** The job's btrbk pair, or undefined (also when the pair cannot be simulated: drift says why). */
function pairOf(plan: PlanModel, job: JobModel): ReturnType<typeof btrbkPair> {
  try {
    return btrbkPair(plan, job);
  } catch {
    return undefined;
  }
}

/**
 * A btrbk pair (simulate/btrbk-send.ts): each side is what one replay of btrbk's runs leaves, from
 * the pair's first journalled success, so both `extra` and `missing` are the difference with it
 * (btrbk's latest common pair is no extra). Undefined for any other job, or without a start.
 */
function btrbkPairDrift(
  plan: PlanModel,
  job: JobModel,
  copies: readonly { name: string; time: number }[],
  now: number,
  firstSuccess: string | undefined,
): LiveResult | undefined {
  if (job.raw.pruner !== 'btrbk' || !pairOf(plan, job)) return undefined;
  const start = firstSuccess !== undefined ? Date.parse(firstSuccess) : NaN;
  if (!Number.isFinite(start)) return undefined;
  const minute = (t: number) => Math.floor(t / 60_000);
  const held = simulateBtrbkPair(plan, job, start - 60_000, now)!.snapshots;
  const want = new Set(held.map((s) => minute(s.time)));
  const have = new Set(copies.map((c) => minute(c.time)));
  const extra = copies.filter((c) => !want.has(minute(c.time))).map((c) => c.name);
  const missing = held.filter((s) => !have.has(minute(s.time))).map((s) => new Date(s.time).toISOString());
  return { drift: { missing: missing.sort(), extra }, copies: copies.length };
}

/** The drift of one job (no host is changed). `firstSuccess`: ISO time of its first journalled success, if any. */
export async function jobDrift(plan: PlanModel, job: JobModel, now: number, hosts: Hosts, firstSuccess?: string): Promise<LiveResult> {
  let spec: PruneSpec | undefined;
  try {
    const steps = stepsFor(plan, job.name, now);
    // A job whose tool prunes by rules Backplan models (sanoid, btrbk) is read with those rules.
    spec =
      steps.find((s): s is PruneStep => s.type === 'prune')?.prune ??
      steps.find((s): s is CommandStep => s.type === 'command' && s.prunedBy !== undefined)?.prunedBy;
  } catch (e) {
    return { drift: null, note: (e as Error).message };
  }
  if (!spec) {
    return { drift: null, note: 'its copies are not listed by Backplan (no retention, or its own tool prunes them)' };
  }
  try {
    const engine = pruneEngine(job, plan, spec);
    const listed = await listCopies(spec.inventory, namerOf(job, plan, spec), spec.timezone, fsFor(spec.inventory.host, hosts), {
      hosts,
      replica: spec.replicaOf !== undefined,
    });
    const copies = listed.copies;
    const pair = btrbkPairDrift(plan, job, copies, now, firstSuccess);
    if (pair) return pair;
    const extra = copies.length ? decide(copies, spec, engine, now).remove.map((c) => c.name) : [];
    const missing: string[] = [];
    const oldest = copies.length ? copies[copies.length - 1].time : firstSuccess ? Date.parse(firstSuccess) : undefined;
    if (oldest !== undefined && Number.isFinite(oldest)) {
      const fires = firesBetween(plan, job, oldest - 60_000, now);
      if (fires && fires.length) {
        let gap = Infinity;
        for (let i = 1; i < fires.length; i++) gap = Math.min(gap, fires[i] - fires[i - 1]);
        const tol = Math.min(SIX_HOURS, Number.isFinite(gap) ? gap / 2 : SIX_HOURS);
        // sanoid takes only the types due at each run: its own replay, not one copy per fire.
        // A sanoid zfs-send: what its source sends and sanoid leaves on the target (sanoid-send.ts).
        const replica = (): { time: number }[] =>
          simulateJob(plan, job.name, { from: oldest - 60_000, at: now }).snapshots.map((s) => ({
            time: Date.parse(s.time),
          }));
        const held =
          engine.id === 'sanoid' && job.kind === 'zfs-send'
            ? { snapshots: replica() }
            : engine.id === 'sanoid'
            ? { snapshots: replaySanoid(fires, spec.policy, spec.timezone, now).held }
            : simulate({
                fires,
                engine,
                policy: spec.policy,
                timezone: spec.timezone,
                from: oldest - 60_000,
                at: now,
                min: spec.min,
              });
        const times = copies.map((c) => c.time);
        for (const s of held.snapshots) {
          if (s.time > now - tol) continue;
          if (!times.some((t) => t >= s.time - 60_000 && t <= s.time + tol)) missing.push(new Date(s.time).toISOString());
        }
      }
    }
    missing.sort();
    return { drift: { missing, extra }, copies: copies.length };
  } catch (e) {
    return { drift: null, note: `cannot list its copies: ${String((e as Error).message).split('\n')[0]}` };
  }
}

/** The drift of each job (or of `only`), listed one job at a time. */
export async function planDrift(
  plan: PlanModel,
  now: number,
  opts: { only?: string; sshOptions?: string[]; firstSuccess?: ReadonlyMap<string, string> } = {},
): Promise<Map<string, LiveResult>> {
  const out = new Map<string, LiveResult>();
  const hosts = new Hosts(plan, { sshOptions: opts.sshOptions, multiplex: false });
  try {
    for (const job of plan.jobs.values()) {
      if (opts.only !== undefined && job.name !== opts.only) continue;
      if (!job.enabled) continue;
      // Both sides of a btrbk pair replay from the source's first run.
      const pair = job.raw.pruner === 'btrbk' ? pairOf(plan, job) : undefined;
      const first = opts.firstSuccess?.get(pair?.source.name ?? job.name);
      out.set(job.name, await jobDrift(plan, job, now, hosts, first));
    }
  } finally {
    await hosts.close();
  }
  return out;
}
