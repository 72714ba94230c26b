// Simulation of a btrbk pair: a `pruner: btrbk` btrfs-snapshot job and the `pruner: btrbk`
// btrfs-send job that is its target (retention/btrbk-send.ts replays `btrbk snapshot` at the
// first's fires and `btrbk resume` at the second's, on one section). Simulating either job replays
// both, as btrbk prunes each side in the other's runs too; both are evaluated in the source
// host's zone (btrbk runs there). Without such a pair this returns undefined and the usual
// simulation applies.
import { btrbkFormatOf, btrbkTargets } from '../export/btrbk';
import { effectiveSchedule } from '../plan/effective-schedule';
import { jobPolicy, jobZone } from '../plan/build-model';
import type { JobModel, PlanModel } from '../plan/model';
import { replayBtrbkSend, type BtrbkSideReplay } from '../retention/btrbk-send';
import { parseSchedule } from '../time/schedule';
import { SimulationError, type SimulateResult } from './simulate';

const isBtrbk = (j: JobModel | undefined, kind: string) => j?.kind === kind && j.raw.pruner === 'btrbk';

/** The source and send job of `job`'s btrbk pair, or undefined when it is in none. */
export function btrbkPair(plan: PlanModel, job: JobModel): { source: JobModel; send: JobModel } | undefined {
  if (isBtrbk(job, 'btrfs-snapshot')) {
    const targets = btrbkTargets(plan, job);
    if (targets.length > 1) {
      throw new SimulationError(`${targets.map((t) => `\`${t.name}\``).join(', ')} all send it with pruner: btrbk; keep one`);
    }
    return targets.length ? { source: job, send: targets[0] } : undefined;
  }
  if (!isBtrbk(job, 'btrfs-send')) return undefined;
  const source = job.from !== undefined ? plan.jobs.get(job.from) : undefined;
  if (!source || !isBtrbk(source, 'btrfs-snapshot')) {
    throw new SimulationError(
      '`pruner: btrbk` on a btrfs-send sends only what btrbk took: its `from` job needs `pruner: btrbk` too',
    );
  }
  return { source, send: job };
}

function fires(plan: PlanModel, job: JobModel, from: number, at: number): number[] {
  const eff = effectiveSchedule(plan, job);
  if (!eff.ok) throw new SimulationError(`\`${job.name}\`: ${eff.reason}`);
  const s = parseSchedule(eff.expr, eff.zone);
  if (!s.ok) throw new SimulationError(`the schedule of \`${job.name}\` cannot be read: ${s.message}`);
  const out: number[] = [];
  s.schedule.forEachFire(from - 1, at, (t) => {
    out.push(t);
  });
  return out;
}

function toResult(r: BtrbkSideReplay): SimulateResult {
  const counts = r.counts;
  return {
    snapshots: r.held.map((h) => ({ time: h.time, reasons: h.reasons })),
    stats: {
      created: r.created,
      removed: r.removed,
      expired: 0,
      count: r.held.length,
      minCount: counts.length ? Math.min(...counts) : 0,
      maxCount: counts.length ? Math.max(...counts) : 0,
      oldest: r.held.length ? r.held[r.held.length - 1].time : null,
      newest: r.held.length ? r.held[0].time : null,
      worstGap: r.worstGap,
      prunes: counts.length,
    },
    min: 0,
    lastPrune: r.lastRun,
    strategy: 'generic',
  };
}

/** `job`'s side of its btrbk pair from `from` to `at`, or undefined when it is in none. */
export function simulateBtrbkPair(plan: PlanModel, job: JobModel, from: number, at: number): SimulateResult | undefined {
  // A lone btrbk snapshot job whose names are not the minute's (short: `_N` within a day;
  // long-iso: seconds) is replayed by btrbk's names too, without a target.
  const lone = isBtrbk(job, 'btrfs-snapshot') && btrbkFormatOf(job) !== 'long' && !btrbkTargets(plan, job).length;
  const pair = lone ? { source: job, send: job } : btrbkPair(plan, job);
  if (!pair) return undefined;
  const snapshotPolicy = jobPolicy(plan, pair.source);
  const targetPolicy = jobPolicy(plan, pair.send);
  if (!snapshotPolicy || !targetPolicy) {
    const which = snapshotPolicy ? pair.send.name : pair.source.name;
    throw new SimulationError(`\`${which}\` needs a retention: btrbk prunes by it`);
  }
  let r;
  try {
    r = replayBtrbkSend({
      snapshotFires: fires(plan, pair.source, from, at),
      sendFires: lone ? [] : fires(plan, pair.send, from, at),
      snapshotPolicy,
      targetPolicy,
      timezone: jobZone(plan, pair.source),
      format: btrbkFormatOf(pair.source),
      from,
      at,
    });
  } catch (e) {
    if (e instanceof SimulationError) throw e;
    throw new SimulationError(`the btrbk engine cannot express this policy: ${(e as Error).message}`);
  }
  return toResult(job === pair.source ? r.source : r.target);
}
