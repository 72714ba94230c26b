// Retention over time of a copy job: a job with `from` that replicates the snapshots of its source
// job (incus-copy, zfs-send, btrfs-send). A replica holds no snapshots of its own making: what it
// holds follows from what the source holds when the copy runs, so the source's history is
// replayed alongside and the replica's is derived from it, instant by instant.
//
// ## The model (what the drivers in engine/run/drivers do)
// - Source: a snapshot at each of its fires, pruned after each fire (or at its prune_schedule)
//   by its engine with its policy, its min, and the replication base kept (SPEC §8.4: the newest
//   snapshot the replica holds too). Incus's own expiry (an expiry-only policy) is applied at
//   every instant of the replay, whatever the number left; Backplan applies `expiry` when it
//   prunes.
// - `mirror` (incus-copy with refresh, the default): `copy --refresh` makes the standby hold
//   exactly what the source holds at that instant (snapshots the source no longer has are
//   deleted, those the standby pruned are copied back while the source still has them).
// - `send` (zfs-send, btrfs-send): the newest source snapshot is sent when it is newer than the
//   replica's newest (an incremental send carries only that snapshot, not the ones between the
//   base and it); the first send is full (that snapshot only). A replica that shares no snapshot
//   with the source is not sent to (the drivers refuse to overwrite it).
// - Then the replica is pruned (after each copy, or at the copy's prune_schedule) by the copy's
//   engine with its policy, evaluated in the source host's zone as the drivers do, keeping its
//   min newest and the replication base.
// - At one instant the source's events come first (creation, prune), then the copy's: a copy
//   job runs after the job it copies from (`from` orders them within a run).
// Snapshot times on the replica are the SOURCE snapshot times (the names carry them).
//
// Statistics mean what they mean in simulate.ts, for the replica: created = snapshots received
// (a snapshot copied back after the replica pruned it counts again), removed = deleted there (by
// the mirror or the prune), expired = the part of the prune's removals past the policy's expiry.
import type { PolicyModel } from '../plan/model';
import type { RetentionEngine, SnapshotIn } from '../retention/types';
import { ZoneClock } from './clock';
import {
  effectiveMin,
  expiryDeadline,
  minReason,
  PRUNE_DELAY_MS,
  SimulationError,
  type SimulateResult,
  type SimulatedSnapshot,
  type WorstGap,
} from './simulate';

export type CopyMode = 'mirror' | 'send';

export interface CopySide {
  /** Run instants (epoch ms). */
  fires: readonly number[];
  /** Prune instants; default: right after each fire. */
  pruneAt?: readonly number[];
  engine: RetentionEngine;
  /** Undefined: never pruned (a source without retention). */
  policy?: PolicyModel;
  /** Zone of the prune's calendar. */
  timezone: string;
}

export interface CopySimulateInput {
  source: CopySide;
  /** The replica; its fires are the copy job's runs. */
  copy: CopySide & { policy: PolicyModel };
  mode: CopyMode;
  /** The source job's name (for the reasons). */
  sourceName: string;
  from: number;
  at: number;
}

/** Reason of a snapshot that reached the replica after its last prune. */
export function arrivedReason(mode: CopyMode, sourceName: string): string {
  return `${mode === 'mirror' ? 'mirrored' : 'sent'} from ${sourceName}`;
}

/** Reason of the replication base kept by a prune (the runner's words, replication-base.ts). */
export function baseReason(otherJob: string): string {
  return `replication base shared with ${otherJob}: never removed`;
}

function inRange(values: readonly number[] | undefined, from: number, at: number): Set<number> | undefined {
  return values ? new Set(values.filter((t) => Number.isFinite(t) && t >= from && t <= at)) : undefined;
}

/** The newest time of `list` (ascending) that `other` holds, or undefined. */
function newestCommon(list: readonly number[], other: ReadonlySet<number>): number | undefined {
  for (let i = list.length - 1; i >= 0; i--) if (other.has(list[i])) return list[i];
  return undefined;
}

interface PruneOutcome {
  kept: number[];
  removed: number[];
  reasons: Map<number, string[]>;
}

/** One prune of an ascending list: the engine's decision, the min newest, and the base kept. */
function pruneList(
  list: readonly number[],
  side: CopySide,
  minN: number,
  base: number | undefined,
  baseOf: string,
  instant: number,
): PruneOutcome {
  const snaps: SnapshotIn[] = list.map((t) => ({ time: t, id: String(t) }));
  const d = side.engine.evaluate(snaps, side.policy!, { now: instant + PRUNE_DELAY_MS, timezone: side.timezone });
  const reasons = new Map<number, string[]>();
  for (const k of d.keep) reasons.set(k.snapshot.time, k.reasons.slice());
  const kept: number[] = [];
  const removed: number[] = [];
  list.forEach((t, i) => {
    const isMin = i >= list.length - minN;
    const isBase = t === base;
    let r = reasons.get(t);
    if (r === undefined && !isMin && !isBase) {
      removed.push(t);
      return;
    }
    if (r === undefined) {
      r = [];
      if (isMin) r.push(minReason(minN));
      reasons.set(t, r);
    }
    if (isBase) r.push(baseReason(baseOf));
    kept.push(t);
  });
  return { kept, removed, reasons };
}

export function simulateCopy(input: CopySimulateInput): SimulateResult {
  const { source, copy, mode, sourceName, from, at } = input;
  if (!Number.isFinite(from) || !Number.isFinite(at)) throw new SimulationError('the start and target dates must be valid instants');
  if (at < from) throw new SimulationError('the target date is before the start date');
  for (const [side, what] of [
    [source, `the source \`${sourceName}\``],
    [copy, 'the copy'],
  ] as const) {
    if (!side.policy) continue;
    const unsupported = side.engine.unsupported(side.policy);
    if (unsupported.length > 0) {
      throw new SimulationError(`${what}: the ${side.engine.id} pruning engine cannot express this policy: ${unsupported.map((u) => u.message).join('; ')}`);
    }
  }

  const srcFires = inRange(source.fires, from, at)!;
  const srcPrunes = inRange(source.pruneAt, from, at);
  const cpFires = inRange(copy.fires, from, at)!;
  const cpPrunes = inRange(copy.pruneAt, from, at);
  const instants = [...new Set([...srcFires, ...(srcPrunes ?? []), ...cpFires, ...(cpPrunes ?? [])])].sort((a, b) => a - b);

  const srcMin = source.policy ? effectiveMin(source.engine.id, source.policy) : 0;
  // Engines that expire by themselves (Incus) remove at the deadline, regardless of min and of
  // any base; Backplan's own expiry is applied by its prunes (the engine's evaluate), base kept.
  const srcSelfExpiring = source.engine.id === 'incus' || source.engine.id === 'velero';
  const srcDeadline = source.policy && srcSelfExpiring ? expiryDeadline(source.engine.id, source.policy, new ZoneClock(source.timezone)) : undefined;
  const cpMin = effectiveMin(copy.engine.id, copy.policy);
  const cpDeadline = expiryDeadline(copy.engine.id, copy.policy, new ZoneClock(copy.timezone));

  let src: number[] = [];
  let rep: number[] = [];
  let repSet = new Set<number>();
  /** Reasons of the replica's last prune, for the snapshots it judged. */
  let judged = new Map<number, string[]>();

  let created = 0;
  let removed = 0;
  let expired = 0;
  let prunes = 0;
  let lastPrune: number | null = null;
  let started = false;
  let minCount = Infinity;
  let maxCount = 0;
  let lastHeld: number | null = null;
  let gap: WorstGap | null = null;
  const consider = (ms: number, gFrom: number, gTo: number, live: boolean): void => {
    const g = gap as WorstGap | null;
    if (g === null || ms > g.ms || (ms === g.ms && (gFrom < g.from || (gFrom === g.from && g.live && !live)))) gap = { ms, from: gFrom, to: gTo, live };
  };

  for (const t of instants) {
    if (rep.length > 0) consider(t - rep[rep.length - 1], rep[rep.length - 1], t, true);
    else if (lastHeld !== null) consider(t - lastHeld, lastHeld, t, true);

    // Source: expiry, creation, prune.
    if (srcDeadline) {
      const keepFrom = src.length - srcMin;
      src = src.filter((s, i) => i >= keepFrom || srcDeadline(s) > t);
    }
    const srcFired = srcFires.has(t);
    if (srcFired) src.push(t);
    if (source.policy && (srcPrunes ? srcPrunes.has(t) : srcFired) && src.length > 0) {
      const base = srcSelfExpiring ? undefined : newestCommon(src, repSet);
      src = pruneList(src, source, srcMin, base, 'the copy', t).kept;
    }

    // Copy: transfer, prune.
    const copied = cpFires.has(t);
    if (copied) {
      if (mode === 'mirror') {
        const srcSet = new Set(src);
        for (const s of src) if (!repSet.has(s)) created++;
        for (const r of rep) if (!srcSet.has(r)) removed++;
        rep = src.slice();
        repSet = srcSet;
      } else if (src.length > 0) {
        const newest = src[src.length - 1];
        const srcSet = new Set(src);
        const canSend = rep.length === 0 || (newest > rep[rep.length - 1] && newestCommon(rep, srcSet) !== undefined);
        if (canSend) {
          rep.push(newest);
          repSet.add(newest);
          created++;
        }
      }
      if (rep.length > 0) started = true;
    }
    if ((cpPrunes ? cpPrunes.has(t) : copied) && rep.length > 0) {
      prunes++;
      lastPrune = t;
      const base = newestCommon(rep, new Set(src));
      const out = pruneList(rep, copy, cpMin, base, sourceName, t);
      for (const r of out.removed) {
        removed++;
        if (cpDeadline && cpDeadline(r) <= t + PRUNE_DELAY_MS) expired++;
      }
      rep = out.kept;
      repSet = new Set(rep);
      judged = out.reasons;
    } else if (cpPrunes ? cpPrunes.has(t) : copied) {
      prunes++;
      lastPrune = t;
      judged = new Map();
    }

    if (started) {
      for (let i = 1; i < rep.length; i++) consider(rep[i] - rep[i - 1], rep[i - 1], rep[i], false);
      minCount = Math.min(minCount, rep.length);
      maxCount = Math.max(maxCount, rep.length);
      if (rep.length > 0) lastHeld = rep[rep.length - 1];
    }
  }
  if (started) {
    if (rep.length > 0) consider(at - rep[rep.length - 1], rep[rep.length - 1], at, true);
    else if (lastHeld !== null) consider(at - lastHeld, lastHeld, at, true);
  }

  const arrived = arrivedReason(mode, sourceName);
  const snapshots: SimulatedSnapshot[] = [];
  for (let i = rep.length - 1; i >= 0; i--) snapshots.push({ time: rep[i], reasons: judged.get(rep[i]) ?? [arrived] });
  return {
    snapshots,
    stats: {
      created,
      removed,
      expired,
      count: rep.length,
      minCount: started ? minCount : 0,
      maxCount,
      oldest: rep.length > 0 ? rep[0] : null,
      newest: rep.length > 0 ? rep[rep.length - 1] : null,
      worstGap: gap,
      prunes,
    },
    min: cpMin,
    lastPrune,
    strategy: 'generic',
  };
}
