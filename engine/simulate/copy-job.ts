// Retention over time of a copy job: a job with `from` that replicates the snapshots of its source
// job (incus-copy, zfs-send, btrfs-send). A replica holds no snapshots of its own making: what it
// holds follows from what the source holds when the copy runs, so the source's history is
// replayed alongside and the replica's is derived from it, instant by instant. The source is
// replayed by simulate.ts with all its copies at once (each one a SourceWatcher): every copy pins
// its own base on the source, so what one copy finds there depends on the others, and the
// source's own projection holds those bases too.
//
// ## The model (what the drivers in engine/run/drivers do)
// - Source: simulate.ts's model (a snapshot at each of its fires, expiry, pruned after each fire
//   or at its prune_schedule by its engine, policy and min), with the replication base of every
//   copy kept (SPEC §8.4: the newest snapshot that copy holds too). Incus's own expiry (an
//   expiry-only policy) and Velero's keep no base. Incus removes an expired snapshot at its
//   deadline; Backplan's own `expiry` (native) acts only at the source's next prune, so a copy
//   that runs between the deadline and that prune still finds, and copies, the snapshot.
// - `mirror` (incus-copy with refresh, the default): `copy --refresh` makes the standby hold
//   exactly what the source holds at that instant (snapshots the source no longer has are
//   deleted, those the standby pruned are copied back while the source still has them).
// - `send` (zfs-send, btrfs-send): the newest source snapshot is sent when it is newer than the
//   replica's newest (an incremental send carries only that snapshot, not the ones between the
//   base and it); the first send is full (that snapshot only). A replica that shares no snapshot
//   with the source is not sent to (the drivers refuse to overwrite it).
// - Then the replica is pruned (after each copy that sent something — a send run with nothing to
//   send plans no step, so it does not prune — or at the copy's prune_schedule) by the copy's
//   engine with its policy, evaluated in the source host's zone as the drivers do, keeping its
//   min newest and the replication base.
// - At one instant the source's events come first (expiry, creation, prune), then the copies': a
//   copy job runs after the job it copies from (`from` orders them within a run). Copies do not
//   touch each other's replicas, so their order among themselves does not matter.
// Snapshot times on the replica are the SOURCE snapshot times (the names carry them).
//
// Speed: a replica sent to with a native tiers-only policy (no expiry) is pruned with the
// incremental tiers evaluator, as simulate.ts prunes such a source (tiers-incremental.ts), and
// its last prune is checked against the engine on the whole replica; on any difference the whole
// replay is redone with every prune evaluated in full.
//
// Statistics mean what they mean in simulate.ts, for the replica: created = snapshots received
// (a snapshot copied back after the replica pruned it counts again), removed = deleted there (by
// the mirror or the prune), expired = the part of the prune's removals past the policy's expiry
// at that prune (only Backplan prunes a replica, so its expiry always waits for a prune).
import type { PolicyModel } from '../plan/model';
import { hasExpiry } from '../retention/common';
import type { RetentionEngine, SnapshotIn } from '../retention/types';
import { ZoneClock } from './clock';
import { Held, type Rec } from './held';
import { incrementalApplies, TiersIncremental } from './tiers-incremental';
import {
  effectiveMin,
  expiryDeadline,
  minReason,
  PRUNE_DELAY_MS,
  simulate,
  SimulationError,
  type SimulateResult,
  type SimulatedSnapshot,
  type SourceView,
  type SourceWatcher,
  type WorstGap,
} from './simulate';

export type CopyMode = 'mirror' | 'send';

export interface CopySide {
  /** Run instants (epoch ms). */
  fires: readonly number[];
  /** Prune instants; default: right after each fire. */
  pruneAt?: readonly number[];
  engine: RetentionEngine;
  /** Undefined: never pruned (a source, or a copy, without retention). */
  policy?: PolicyModel;
  /** Zone of the prune's calendar. */
  timezone: string;
}

/** One copy of the source: its runs, its prunes (in the source host's zone), how it copies. */
export interface ReplicaSide extends CopySide {
  /** The copy job's name (the source's base reasons name it). */
  name: string;
  mode: CopyMode;
}

export interface ReplicationInput {
  source: CopySide;
  /** The source job's name (for the reasons). */
  sourceName: string;
  /** Every copy of the source that holds snapshots (simulate-job.ts: replicasOf). */
  copies: readonly ReplicaSide[];
  from: number;
  at: number;
  /** Passed to simulate() for the source. */
  strategy?: 'auto' | 'generic';
}

export interface ReplicationResult {
  /** The source, with the bases its copies pin. */
  source: SimulateResult;
  /** One per input copy, in the same order. */
  copies: SimulateResult[];
}

/** Reason of a snapshot that reached the replica after its last prune. */
export function arrivedReason(mode: CopyMode, sourceName: string): string {
  return `${mode === 'mirror' ? 'mirrored' : 'sent'} from ${sourceName}`;
}

/** Reason of the replication base kept by a prune (the runner's words, prune/replication-base.ts). */
export function baseReason(otherJob: string): string {
  return `replication base shared with ${otherJob}: never removed`;
}

function inRange(values: readonly number[] | undefined, from: number, at: number): Set<number> | undefined {
  return values ? new Set(values.filter((t) => Number.isFinite(t) && t >= from && t <= at)) : undefined;
}

/** The newest time of `list` (ascending) that `has` holds, or undefined. */
function newestCommon(list: readonly number[], has: (t: number) => boolean): number | undefined {
  for (let i = list.length - 1; i >= 0; i--) if (has(list[i])) return list[i];
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

/** What `engine` cannot express of `policy`, as an error naming `what`. */
function checkPolicy(side: CopySide, what: string): void {
  if (!side.policy) return;
  const unsupported = side.engine.unsupported(side.policy);
  if (unsupported.length > 0) {
    throw new SimulationError(`${what}: the ${side.engine.id} pruning engine cannot express this policy: ${unsupported.map((u) => u.message).join('; ')}`);
  }
}

/** One copy's replica, replayed at its own instants from what the source holds then. */
class ReplicaReplay implements SourceWatcher {
  readonly instants: number[];
  private readonly fires: Set<number>;
  private readonly prunesAt: Set<number> | undefined;
  private readonly min: number;
  private readonly deadline: ((t: number) => number) | undefined;

  private rep: number[] = [];
  private repSet = new Set<number>();
  /** Reasons of the replica's last prune, for the snapshots it judged. */
  private judged = new Map<number, string[]>();
  /** The incremental tiers evaluator and its copy of the replica (null: every prune in full). */
  private readonly fast: { held: Held; tiers: TiersIncremental; seq: number } | null;
  /** On the incremental path, the last prune: its input and what it kept (judged from it at the end). */
  private lastJudged: {
    list: number[];
    base: number | undefined;
    t: number;
    kept: number[];
    keptLength: number;
  } | null = null;
  /** Incremental path: snapshots received or removed at this step (their gaps are settled after it). */
  private touched: Rec[] = [];
  private created = 0;
  private removed = 0;
  private expired = 0;
  private prunes = 0;
  private lastPrune: number | null = null;
  private started = false;
  private minCount = Infinity;
  private maxCount = 0;
  private lastHeld: number | null = null;
  private gap: WorstGap | null = null;

  constructor(
    private readonly copy: ReplicaSide,
    private readonly sourceName: string,
    from: number,
    at: number,
    incremental: boolean,
  ) {
    this.fires = inRange(copy.fires, from, at)!;
    this.prunesAt = inRange(copy.pruneAt, from, at);
    this.instants = [...new Set([...this.fires, ...(this.prunesAt ?? [])])].sort((a, b) => a - b);
    this.min = copy.policy ? effectiveMin(copy.engine.id, copy.policy) : 0;
    const clock = new ZoneClock(copy.timezone);
    this.deadline = copy.policy ? expiryDeadline(copy.engine.id, copy.policy, clock) : undefined;
    const policy = copy.policy;
    const tiersOnly = policy !== undefined && !hasExpiry(policy) && incrementalApplies(copy.engine, policy);
    if (incremental && copy.mode === 'send' && tiersOnly) {
      const held = new Held();
      this.fast = { held, tiers: new TiersIncremental(policy, clock, held), seq: 0 };
    } else {
      this.fast = null;
    }
  }

  /** Appends a received snapshot to the incremental path's list. */
  private received(time: number): void {
    const f = this.fast;
    if (!f) return;
    const r: Rec = {
      time,
      seq: f.seq++,
      snap: null,
      prev: null,
      next: null,
      alive: true,
      expires: Infinity,
      band: -1,
      group: null,
      stamp: 0,
      keys: null,
    };
    f.held.append(r);
    f.tiers.added(r);
    this.touched.push(r);
  }

  /** A prune on the incremental path: the tiers' removals, minus the min newest and the base. */
  private pruneFast(t: number, base: number | undefined): void {
    const { held, tiers } = this.fast!;
    const list = this.rep;
    const prot = held.newest(this.min);
    if (base !== undefined) {
      let r = held.tail;
      while (r && r.time > base) r = r.prev;
      if (r && r.time === base) prot.push(r);
    }
    for (const r of tiers.decide(t + PRUNE_DELAY_MS, prot)) {
      tiers.removing(r);
      held.unlink(r);
      this.touched.push(r);
      this.removed++;
    }
    const kept: number[] = [];
    for (let r = held.head; r; r = r.next) kept.push(r.time);
    // `repSet` is read by mirrors only, and this path only sends.
    this.rep = kept;
    // `rep` only grows after this (the next sends), so what this prune kept is its first `keptLength`.
    this.lastJudged = { list, base, t, kept, keptLength: kept.length };
  }

  /**
   * The reasons of the last prune, from the engine on the replica it pruned; false when the
   * incremental path kept something else than the engine would have (the replay is then redone).
   */
  settle(): boolean {
    const last = this.lastJudged;
    if (!last) return true;
    this.lastJudged = null;
    const out = pruneList(last.list, this.copy, this.min, last.base, this.sourceName, last.t);
    this.judged = out.reasons;
    return out.kept.length === last.keptLength && out.kept.every((t, i) => t === last.kept[i]);
  }

  private consider(ms: number, gFrom: number, gTo: number, live: boolean): void {
    const g = this.gap;
    if (g === null || ms > g.ms || (ms === g.ms && (gFrom < g.from || (gFrom === g.from && g.live && !live)))) this.gap = { ms, from: gFrom, to: gTo, live };
  }

  /**
   * The gaps that are new at the end of this step (incremental path): next to each snapshot
   * received, where each removed one was. Every other pair was there at the previous step, and
   * considering a pair again changes nothing.
   */
  private settleGaps(): void {
    for (const r of this.touched) {
      let n: Rec | null = r;
      while (n && !n.alive) n = n.next;
      if (n && n.prev) this.consider(n.time - n.prev.time, n.prev.time, n.time, false);
    }
    this.touched.length = 0;
  }

  pin(source: SourceView): { time: number; reason: string } | undefined {
    const time = newestCommon(this.rep, source.has);
    return time === undefined ? undefined : { time, reason: baseReason(this.copy.name) };
  }

  step(t: number, source: SourceView): void {
    const copied = this.fires.has(t);
    let pruneNow = this.prunesAt ? this.prunesAt.has(t) : copied;
    if (!copied && !pruneNow) return;
    const { copy } = this;
    if (this.rep.length > 0) this.consider(t - this.rep[this.rep.length - 1], this.rep[this.rep.length - 1], t, true);
    else if (this.lastHeld !== null) this.consider(t - this.lastHeld, this.lastHeld, t, true);

    if (copied) {
      if (copy.mode === 'mirror') {
        const src = source.times();
        const srcSet = new Set(src);
        for (const s of src) if (!this.repSet.has(s)) this.created++;
        for (const r of this.rep) if (!srcSet.has(r)) this.removed++;
        this.rep = src;
        this.repSet = srcSet;
      } else {
        const newest = source.newest();
        const canSend =
          newest !== undefined && (this.rep.length === 0 || (newest > this.rep[this.rep.length - 1] && newestCommon(this.rep, source.has) !== undefined));
        if (canSend) {
          this.rep.push(newest);
          if (!this.fast) this.repSet.add(newest);
          this.received(newest);
          this.created++;
        } else if (!this.prunesAt) {
          // The send drivers plan no step at all when there is nothing to send (the replica
          // already holds the newest snapshot): that run does not prune either.
          pruneNow = false;
        }
      }
      if (this.rep.length > 0) this.started = true;
    }
    if (pruneNow) {
      this.prunes++;
      this.lastPrune = t;
      if (this.rep.length > 0 && copy.policy && this.fast) {
        this.pruneFast(t, newestCommon(this.rep, source.has));
      } else if (this.rep.length > 0 && copy.policy) {
        const base = newestCommon(this.rep, source.has);
        const out = pruneList(this.rep, copy, this.min, base, this.sourceName, t);
        for (const r of out.removed) {
          this.removed++;
          if (this.deadline && this.deadline(r) <= t + PRUNE_DELAY_MS) this.expired++;
        }
        this.rep = out.kept;
        this.repSet = new Set(this.rep);
        this.judged = out.reasons;
      } else {
        this.judged = new Map();
        this.lastJudged = null;
      }
    }

    if (this.started) {
      const rep = this.rep;
      if (this.fast) this.settleGaps();
      else for (let i = 1; i < rep.length; i++) this.consider(rep[i] - rep[i - 1], rep[i - 1], rep[i], false);
      this.minCount = Math.min(this.minCount, rep.length);
      this.maxCount = Math.max(this.maxCount, rep.length);
      if (rep.length > 0) this.lastHeld = rep[rep.length - 1];
    }
  }

  result(at: number): SimulateResult {
    const { rep } = this;
    if (this.started) {
      if (rep.length > 0) this.consider(at - rep[rep.length - 1], rep[rep.length - 1], at, true);
      else if (this.lastHeld !== null) this.consider(at - this.lastHeld, this.lastHeld, at, true);
    }
    const arrived = arrivedReason(this.copy.mode, this.sourceName);
    const snapshots: SimulatedSnapshot[] = [];
    for (let i = rep.length - 1; i >= 0; i--) snapshots.push({ time: rep[i], reasons: this.judged.get(rep[i]) ?? [arrived] });
    return {
      snapshots,
      stats: {
        created: this.created,
        removed: this.removed,
        expired: this.expired,
        count: rep.length,
        minCount: this.started ? this.minCount : 0,
        maxCount: this.maxCount,
        oldest: rep.length > 0 ? rep[0] : null,
        newest: rep.length > 0 ? rep[rep.length - 1] : null,
        worstGap: this.gap,
        prunes: this.prunes,
      },
      min: this.min,
      lastPrune: this.lastPrune,
      strategy: 'generic',
    };
  }
}

/**
 * The source and all its copies, replayed together: the source's history with the bases its
 * copies pin, and each copy's replica.
 */
export function simulateReplication(input: ReplicationInput, sourceLabel = `the source \`${input.sourceName}\``): ReplicationResult {
  const { source, sourceName, copies, from, at } = input;
  if (!Number.isFinite(from) || !Number.isFinite(at)) throw new SimulationError('the start and target dates must be valid instants');
  if (at < from) throw new SimulationError('the target date is before the start date');
  checkPolicy(source, sourceLabel);
  for (const c of copies) checkPolicy(c, `the copy \`${c.name}\``);

  const replay = (incremental: boolean): ReplicationResult | null => {
    let replays: ReplicaReplay[] = [];
    const src = simulate({
      fires: source.fires,
      engine: source.engine,
      // A source without retention is never pruned: an empty policy that no prune reads.
      policy: source.policy ?? { at: [], raw: {} },
      pruneAt: source.policy ? source.pruneAt : [],
      timezone: source.timezone,
      from,
      at,
      strategy: input.strategy,
      watchers: () => (replays = copies.map((c) => new ReplicaReplay(c, sourceName, from, at, incremental))),
    });
    // Every replica settles (its reasons), even after one that disagreed.
    const settled = replays.map((r) => r.settle());
    if (!settled.every(Boolean)) return null;
    return { source: src, copies: replays.map((r) => r.result(at)) };
  };
  return ((input.strategy ?? 'auto') === 'auto' ? replay(true) : null) ?? replay(false)!;
}
