// Retention over time (SPEC §3 "Simulation over time"): given the instants at which a job creates
// snapshots, replay creation, expiry and pruning exactly as the real system would, and report the
// set held at the target date together with statistics over the whole run. Independent of cron:
// simulate-job.ts turns a plan's job into the inputs.
//
// ## The model
// - The run starts at `from` with nothing held. A snapshot is created at every fire t with
//   from ≤ t ≤ at.
// - Pruning: by default right after each creation; with `pruneAt` (the fires of the job's
//   `prune_schedule`) at each of those instants instead. A prune decision is the engine's
//   evaluate() on every held snapshot with now = the prune instant + PRUNE_DELAY_MS: a prune reads
//   the repository after the backup it follows has finished (restic, for one, ignores snapshots
//   that are not older than now). When a creation and a prune fall on the same instant, the
//   creation comes first.
// - Expiry (policy `expiry`, Velero's default ttl; deadline ≤ now means expired). Who removes an
//   expired snapshot decides when it goes:
//   - `incus` and `velero` delete by themselves: a snapshot disappears at its deadline, between
//     runs too (continuous expiry).
//   - every other engine that has an expiry is Backplan's own (`native`): nothing removes a
//     snapshot between runs, the next prune does (evaluate() at the prune's now drops whatever is
//     past its deadline). So a snapshot stays held from its deadline to the first prune after it.
//   The deadline is the engine's own: native = created + expiry with the plan's calendar
//   arithmetic (addDuration); Incus = Go's AddDate on the wall clock (Jan 31 + 1mo = Mar 3);
//   Velero = a fixed-length ttl.
// - `min` (policy.min, default 1; SPEC §8.3): the N newest held snapshots are never removed by a
//   prune when Backplan is the one removing (native, restic, borg, PBS: the runner enforces it).
//   Incus and Velero delete expired snapshots themselves, whatever their number, so for the
//   engines `incus` and `velero` min does not apply: all snapshots can expire and the set can be
//   empty (minCount 0 says so). A native snapshot that min kept past its deadline goes at the
//   first prune that finds it out of the N newest.
// - States are observed after all the events of one instant (expiry, then creations, then the
//   prune). So the extra snapshot that exists between a creation and the prune that follows it
//   "right after" is not a state of its own; with a separate prune schedule, the build-up between
//   prunes is (expired native snapshots included).
//
// ## Reasons
// The reasons of a snapshot held at `at` are those of the last prune decision at or before `at`
// (the engine's own words, e.g. "daily snapshot", "tier 2: oldest of 1d bucket 2025-03-04"), plus
// `min N: ...` when only min saved it. A snapshot created after the last prune has not been
// judged yet: its reason is "newest".
//
// ## Statistics
// created, removed (every removal: by prunes and by continuous expiry), expired (the part of
// `removed` whose deadline had passed when it was removed: for incus and velero, every removal at
// a deadline; for native, the snapshots a prune removes that are past their deadline at the
// prune's now, whether or not another rule would also have removed them, since the engine drops
// them whatever else keeps them), count (held at `at`), minCount / maxCount (over every state from
// the first creation to `at`), oldest / newest held at `at`, prunes, and worstGap:
//
//   worstGap = the largest G(τ) over every instant τ from the first creation to `at`, where
//   G(τ) is the largest distance between consecutive points of the list (snapshots held at τ,
//   then τ itself). The last term, τ − newest held, is how old the newest restore point is: it
//   grows until the next creation, so it peaks at "newest held → next creation" (or → `at`).
//   When nothing is held at τ, G(τ) = τ − the newest snapshot held at any earlier state.
//   Of several gaps of the same length, the one that starts first is reported (between two
//   snapshots rather than "newest → now" when both describe it).
//
// It is computed exactly without rescanning the set: a gap between two held snapshots can only
// appear at an instant where a snapshot was created (the new one and the one before it) or removed
// (its live neighbours once every event of the instant is applied: a removal in the middle
// followed by the removal of everything older leaves no gap), and the newest-to-now distance
// peaks just before the next event, where it is measured (and at `at`). The gap is reported with
// its two ends (`live` when the later end is "now").
//
// ## Replication bases (SPEC §8.4)
// A source job whose snapshots other jobs copy (zfs-send, btrfs-send, incus-copy with `from`) is
// replayed together with its copies (`watchers`, copy-job.ts): at each of their instants, after
// the source's own events of that instant, each copy takes what it takes from the source. A prune
// of the source then also keeps, for each copy, the newest snapshot that copy holds too (its
// replication base), as the runner does (engine/run/prune/replication-base.ts); a base past its
// expiry stays until the first prune after it is no longer one. Engines that delete by
// themselves (Incus expiry, Velero) know nothing of replication: no base is kept for them.
//
// ## Speed
// Evaluating the whole held set at every prune costs O(held) per prune. For the native engine
// with a tiers-only policy (expiry allowed), tiers-incremental.ts re-decides only what changed
// since the previous prune, and the expiry queue hands the prune the snapshots that reached
// their deadline since; together they give the engine's decisions (the last prune is checked
// against the engine itself; on any difference the run is redone the slow way).
// bench/simulate-10y.mjs measures it. The count rules (restic, borg, native `keep` without tiers
// or expiry) are decided on the held list by counts-fast.ts, the engine asked and compared at
// the last prune only, in the same way.
import type { PolicyModel } from '../plan/model';
import { hasExpiry, policyDuration } from '../retention/common';
import { VELERO_DEFAULT_TTL, veleroExpiresAt } from '../retention/expiry';
import type { EngineId, RetentionEngine, SnapshotIn } from '../retention/types';
import { HOUR, MINUTE } from '../retention/calendar';
import { ZoneClock } from './clock';
import { Held, snapOf, type Rec } from './held';
import { incrementalApplies, TiersIncremental } from './tiers-incremental';
import { CountsFast } from './counts-fast';

/** How long after its instant a prune reads the snapshot list (see the header). */
export const PRUNE_DELAY_MS = 1;
/** The reason of a snapshot created after the last prune. */
export const NEWEST_REASON = 'newest';

export interface SimulateInput {
  /** Snapshot creation times (epoch ms), ascending; those outside [from, at] are ignored. */
  fires: readonly number[];
  engine: RetentionEngine;
  policy: PolicyModel;
  /** IANA zone of the calendar (buckets, months, days). */
  timezone: string;
  /** Prune instants (the prune_schedule's fires); default: right after each creation. */
  pruneAt?: readonly number[];
  /** Never remove the N newest (default policy.min, else 1); ignored for incus and velero. */
  min?: number;
  from: number;
  at: number;
  /** 'auto' (default) uses the incremental tiers path when it applies; 'generic' never does. */
  strategy?: 'auto' | 'generic';
  /**
   * The copies of this source, made afresh for each replay (a replay can be redone, see
   * run()): they follow the replay and make its prunes keep their bases.
   */
  watchers?: () => readonly SourceWatcher[];
}

/** The source's held set as a copy sees it at one instant. */
export interface SourceView {
  has(time: number): boolean;
  /** Held times, oldest first. */
  times(): number[];
  newest(): number | undefined;
}

/** A copy of the source (copy-job.ts), replayed along with it. */
export interface SourceWatcher {
  /** Its own instants (runs and prunes) within [from, at], ascending. */
  readonly instants: readonly number[];
  /** Acts at instant t, after the source's events of t. */
  step(t: number, source: SourceView): void;
  /** The source snapshot a prune of the source must keep for it now (its base), with the reason. */
  pin(source: SourceView): { time: number; reason: string } | undefined;
}

export interface SimulatedSnapshot {
  time: number;
  reasons: string[];
}

export interface WorstGap {
  ms: number;
  /** The older end: a held snapshot. */
  from: number;
  /** The newer end: a held snapshot, or the instant "now" when `live`. */
  to: number;
  /** True when the gap runs from the newest held snapshot to the present (the next creation or `at`). */
  live: boolean;
}

export interface SimulateStats {
  created: number;
  /** Removed by prunes and by expiry. */
  removed: number;
  /** The part of `removed` due to expiry. */
  expired: number;
  /** Held at `at`. */
  count: number;
  minCount: number;
  maxCount: number;
  oldest: number | null;
  newest: number | null;
  worstGap: WorstGap | null;
  prunes: number;
}

export interface SimulateResult {
  /** Held at `at`, newest first. */
  snapshots: SimulatedSnapshot[];
  stats: SimulateStats;
  /** The min that was applied (0 for incus and velero). */
  min: number;
  /** The instant of the last prune (null when none ran). */
  lastPrune: number | null;
  /** How prunes were evaluated. */
  strategy: 'incremental' | 'generic';
}

export class SimulationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SimulationError';
  }
}

/** Engines that delete expired snapshots by themselves, regardless of `min`. */
const SELF_EXPIRING: readonly EngineId[] = ['incus', 'velero'];

export function minReason(n: number): string {
  return n === 1 ? 'min 1: the newest snapshot is never removed' : `min ${n}: one of the ${n} newest snapshots`;
}

/** The effective min: 0 for incus/velero, else `min` ?? policy.min ?? 1 (a non-negative integer). */
export function effectiveMin(engine: EngineId, policy: PolicyModel, min?: number): number {
  if (SELF_EXPIRING.includes(engine)) return 0;
  const raw = min ?? policy.min ?? 1;
  return Number.isFinite(raw) && raw > 0 ? Math.floor(raw) : 0;
}

/** The expiry deadline of a snapshot created at t, as the engine computes it (undefined: none). */
export function expiryDeadline(engine: EngineId, policy: PolicyModel, clock: ZoneClock): ((t: number) => number) | undefined {
  const d = hasExpiry(policy) ? policyDuration(policy.expiry, ['expiry']) : undefined;
  switch (engine) {
    case 'native':
      return d ? (t) => clock.add(t, d) : undefined;
    case 'incus':
      return d ? (t) => clock.goAddDate(t, d.y, d.mo, d.d + 7 * d.w) + d.h * HOUR + d.min * MINUTE : undefined;
    case 'velero': {
      const ttl = d ?? VELERO_DEFAULT_TTL;
      return (t) => veleroExpiresAt(t, ttl);
    }
    default:
      return undefined; // restic, borg, PBS have no expiry (unsupported() reports it)
  }
}

function ascendingUnique(values: readonly number[], from: number, at: number, unique: boolean): number[] {
  const out = values.filter((t) => Number.isFinite(t) && t >= from && t <= at);
  let sorted = true;
  for (let i = 1; i < out.length; i++) {
    if (out[i] < out[i - 1]) {
      sorted = false;
      break;
    }
  }
  if (!sorted) out.sort((a, b) => a - b);
  return unique ? out.filter((t, i) => i === 0 || t !== out[i - 1]) : out;
}

interface Prepared {
  input: SimulateInput;
  fires: number[];
  prunes: number[] | undefined;
  lastPrune: number | null;
  minN: number;
  deadline: ((t: number) => number) | undefined;
  clock: ZoneClock;
  /** No two fires at the same instant (the count rules' fast path needs it). */
  distinct: boolean;
}

export function simulate(input: SimulateInput): SimulateResult {
  if (!Number.isFinite(input.from) || !Number.isFinite(input.at)) throw new SimulationError('the start and target dates must be valid instants');
  if (input.at < input.from) throw new SimulationError('the target date is before the start date');
  const unsupported = input.engine.unsupported(input.policy);
  if (unsupported.length > 0) {
    throw new SimulationError(
      `the ${input.engine.id} pruning engine cannot express this policy: ${unsupported.map((u) => u.message).join('; ')}`,
    );
  }
  const clock = new ZoneClock(input.timezone);
  const fires = ascendingUnique(input.fires, input.from, input.at, false);
  const prunes = input.pruneAt ? ascendingUnique(input.pruneAt, input.from, input.at, true) : undefined;
  const lastPrune = prunes ? (prunes.length > 0 ? prunes[prunes.length - 1] : null) : fires.length > 0 ? fires[fires.length - 1] : null;
  const prepared: Prepared = {
    input,
    fires,
    prunes,
    lastPrune,
    minN: effectiveMin(input.engine.id, input.policy, input.min),
    deadline: expiryDeadline(input.engine.id, input.policy, clock),
    clock,
    distinct: fires.every((t, i) => i === 0 || t !== fires[i - 1]),
  };
  const fast =
    incrementalApplies(input.engine, input.policy) ||
    (prepared.distinct && CountsFast.for(input.engine, input.policy, clock, input.timezone));
  if ((input.strategy ?? 'auto') === 'auto' && fast) {
    const r = run(prepared, true);
    if (r) return r;
  }
  return run(prepared, false)!;
}

/** One replay; null when the incremental path disagreed with the engine at the last prune. */
function run(p: Prepared, incremental: boolean): SimulateResult | null {
  const { input, fires, prunes, lastPrune, minN, deadline } = p;
  const { engine, policy, timezone, at } = input;
  const held = new Held();
  const tiers =
    incremental && incrementalApplies(engine, policy) ? new TiersIncremental(policy, p.clock, held) : undefined;
  // Count rules decided without the engine (counts-fast.ts); its marks reuse Rec.stamp, which
  // only the tiers path reads otherwise.
  const counts = incremental && !tiers && p.distinct ? CountsFast.for(engine, policy, p.clock, timezone) : undefined;
  let countStamp = 0;

  // The copies of this source, and the bases they pin on it (see the header).
  const watchers = input.watchers ? input.watchers() : [];
  const pinsApply = watchers.length > 0 && !SELF_EXPIRING.includes(engine.id);
  const watchAt = ascendingUnique(
    watchers.flatMap((w) => w.instants),
    input.from,
    at,
    true,
  );
  let wi = 0;
  /** How many held snapshots have each time (only kept when there are copies). */
  const heldTimes = new Map<number, number>();
  const view: SourceView = {
    has: (time) => (heldTimes.get(time) ?? 0) > 0,
    times: () => {
      const out: number[] = [];
      for (let r = held.head; r; r = r.next) out.push(r.time);
      return out;
    },
    newest: () => held.tail?.time,
  };
  /** Held snapshots that are a copy's replication base, with the reasons. */
  let pinned = new Map<Rec, string[]>();
  const repin = (): void => {
    pinned = new Map();
    for (const w of watchers) {
      const pin = w.pin(view);
      if (!pin) continue;
      let r = held.tail;
      while (r && r.time > pin.time) r = r.prev;
      if (!r || r.time !== pin.time) continue;
      const reasons = pinned.get(r);
      if (reasons) reasons.push(pin.reason);
      else pinned.set(r, [pin.reason]);
    }
  };

  /** Incus and Velero remove a snapshot at its deadline; Backplan only when it prunes. */
  const continuous = SELF_EXPIRING.includes(engine.id);
  // Expiry queue, ordered by deadline (deadlines almost always arrive in order). Read at every
  // deadline for the engines that expire continuously, at each prune on the incremental path
  // (on the generic path the native engine finds expired snapshots itself).
  const queued = deadline !== undefined && (continuous || tiers !== undefined);
  const queue: Rec[] = [];
  let qHead = 0;
  /** Native snapshots past their deadline that min or a base kept at a prune (incremental path). */
  let lingering: Rec[] = [];

  let seq = 0;
  let created = 0;
  let removed = 0;
  let expired = 0;
  let prunesRun = 0;
  let minCount = Infinity;
  let maxCount = 0;
  let started = false;
  let lastHeld: number | null = null;
  let gap: WorstGap | null = null;
  // On equal lengths the earliest gap wins, and a gap between two snapshots wins over the same
  // gap seen as "newest → now": the result does not depend on the order of removals.
  const consider = (ms: number, from: number, to: number, live: boolean): void => {
    const g = gap as WorstGap | null;
    if (g === null || ms > g.ms || (ms === g.ms && (from < g.from || (from === g.from && g.live && !live)))) gap = { ms, from, to, live };
  };
  let finalReasons: Map<Rec, string[]> | undefined;

  /** Snapshots created or removed at the current instant (their gaps are settled after it). */
  const touched: Rec[] = [];
  const remove = (r: Rec, byExpiry: boolean): void => {
    if (!r.alive) return;
    tiers?.removing(r);
    held.unlink(r);
    if (watchers.length > 0) heldTimes.set(r.time, heldTimes.get(r.time)! - 1);
    touched.push(r);
    removed++;
    if (byExpiry) expired++;
  };
  /** The first live snapshot after a removed one (compressing the path of removed ones). */
  const liveAfter = (r: Rec): Rec | null => {
    let n = r.next;
    while (n && !n.alive) n = n.next;
    for (let x: Rec | null = r; x && x !== n; ) {
      const next: Rec | null = x.next;
      x.next = n;
      x = next;
    }
    return n;
  };
  /**
   * The gaps that exist once all the events of an instant are applied: next to each snapshot
   * created (if it survived) and where each removed one was (between its live neighbours).
   */
  const settleGaps = (): void => {
    for (const r of touched) {
      const n = r.alive ? r : liveAfter(r);
      if (n && n.prev) consider(n.time - n.prev.time, n.prev.time, n.time, false);
    }
    touched.length = 0;
  };
  const noneProtected: Rec[] = [];
  const protectedList = (): Rec[] => (minN > 0 ? held.newest(minN) : noneProtected);

  /**
   * The native engine's removals at `now` on the incremental path: what the tiers remove, and
   * every snapshot past its deadline (evaluate() drops those whatever keeps them), minus `prot`.
   */
  const incrementalVictims = (now: number, prot: readonly Rec[]): readonly Rec[] => {
    const byTiers = tiers!.decide(now, prot);
    if (!queued) return byTiers;
    const due: Rec[] = [];
    const kept: Rec[] = [];
    const sort = (r: Rec): void => {
      if (!r.alive) return;
      if (prot.includes(r)) kept.push(r);
      else due.push(r);
    };
    for (const r of lingering) sort(r);
    while (qHead < queue.length && queue[qHead].expires <= now) sort(queue[qHead++]);
    lingering = kept;
    if (due.length === 0) return byTiers;
    const all = new Set(byTiers);
    for (const r of due) all.add(r);
    return [...all];
  };

  /** The engine's decision on everything held: the kept snapshots and their reasons. */
  const engineKeeps = (now: number): Map<string, string[]> => {
    const list: SnapshotIn[] = [];
    for (let r = held.head; r; r = r.next) list.push(snapOf(r));
    const d = engine.evaluate(list, policy, { now, timezone });
    const keep = new Map<string, string[]>();
    for (const k of d.keep) if (k.snapshot.id !== undefined) keep.set(k.snapshot.id, k.reasons);
    return keep;
  };

  /** The count rules' decision, min and bases applied, without the engine (not the last prune). */
  const pruneCounts = (now: number): void => {
    const stamp = ++countStamp;
    counts!.decide(now, held.head, held.tail, stamp);
    const size = held.size;
    let i = 0;
    for (let r = held.head; r; i++) {
      const next: Rec | null = r.next;
      if (r.stamp !== stamp && i < size - minN && !pinned.has(r)) remove(r, r.expires <= now);
      r = next;
    }
  };

  const prune = (instant: number): boolean => {
    prunesRun++;
    const now = instant + PRUNE_DELAY_MS;
    const isFinal = instant === lastPrune;
    if (counts && !isFinal) {
      pruneCounts(now);
      return true;
    }
    const minProt = protectedList();
    const prot = pinned.size > 0 ? [...minProt, ...pinned.keys()] : minProt;
    let victims: readonly Rec[];
    if (tiers && !isFinal) {
      victims = incrementalVictims(now, prot);
    } else {
      const keep = engineKeeps(now);
      const all: Rec[] = [];
      for (let r = held.head; r; r = r.next) if (!keep.has(snapOf(r).id!) && !prot.includes(r)) all.push(r);
      victims = all;
      if (tiers) {
        // Check the incremental decision against the engine's.
        const fast = incrementalVictims(now, prot);
        if (fast.length !== victims.length) return false;
        const a = new Set(victims);
        if (!fast.every((r) => a.has(r))) return false;
      }
      if (counts) {
        const stamp = ++countStamp;
        counts.decide(now, held.head, held.tail, stamp);
        for (let r = held.head; r; r = r.next) if ((r.stamp === stamp) !== keep.has(snapOf(r).id!)) return false;
      }
      if (isFinal) {
        finalReasons = new Map();
        for (let r = held.head; r; r = r.next) {
          let reasons = keep.get(snapOf(r).id!)?.slice();
          if (reasons === undefined && minProt.includes(r)) reasons = [minReason(minN)];
          const bases = pinned.get(r);
          if (bases) reasons = [...(reasons ?? []), ...bases];
          if (reasons !== undefined) finalReasons.set(r, reasons);
        }
      }
    }
    // Expired: past its deadline at this prune (see the header), whichever rule removed it.
    for (const r of victims) remove(r, r.expires <= now);
    return true;
  };

  let fi = 0;
  let pi = 0;
  for (;;) {
    const tf = fi < fires.length ? fires[fi] : Infinity;
    const tp = prunes && pi < prunes.length ? prunes[pi] : Infinity;
    let te = Infinity;
    if (continuous) {
      while (qHead < queue.length && !queue[qHead].alive) qHead++;
      if (qHead < queue.length) te = queue[qHead].expires;
    }
    const tw = wi < watchAt.length ? watchAt[wi] : Infinity;
    const t = Math.min(tf, tp, te, tw);
    if (!(t <= at)) break;

    // The newest restore point's age just before this instant's events.
    if (held.tail) consider(t - held.tail.time, held.tail.time, t, true);
    else if (lastHeld !== null) consider(t - lastHeld, lastHeld, t, true);

    // Continuous expiry (incus, velero: no min, no bases).
    if (continuous) while (qHead < queue.length && queue[qHead].expires <= t) remove(queue[qHead++], true);

    // Creations.
    let createdNow = false;
    while (fi < fires.length && fires[fi] === t) {
      const time = fires[fi++];
      const r: Rec = {
        time,
        seq,
        snap: null,
        prev: null,
        next: null,
        alive: true,
        expires: deadline ? deadline(time) : Infinity,
        band: -1,
        group: null,
        stamp: 0,
        keys: null,
      };
      seq++;
      held.append(r);
      if (watchers.length > 0) heldTimes.set(time, (heldTimes.get(time) ?? 0) + 1);
      touched.push(r);
      tiers?.added(r);
      created++;
      createdNow = true;
      started = true;
      if (queued && r.expires !== Infinity) {
        if (continuous && r.expires <= t) {
          remove(r, true); // expires at once (zero expiry)
        } else if (queue.length === qHead || queue[queue.length - 1].expires <= r.expires) {
          queue.push(r);
        } else {
          let lo = qHead;
          let hi = queue.length;
          while (lo < hi) {
            const mid = (lo + hi) >> 1;
            if (queue[mid].expires <= r.expires) lo = mid + 1;
            else hi = mid;
          }
          queue.splice(lo, 0, r);
        }
      }
    }

    // Pruning.
    const pruneNow = prunes ? tp === t : createdNow;
    if (pruneNow) {
      if (!prune(t)) return null;
      if (prunes) while (pi < prunes.length && prunes[pi] <= t) pi++;
    }

    // The copies (a copy job runs after the job it copies from), then the bases they now pin.
    if (tw === t) {
      wi++;
      for (const w of watchers) w.step(t, view);
      // A base the copy just moved off stays until the source's next prune.
      if (pinsApply) repin();
    }

    settleGaps();
    if (started) {
      minCount = Math.min(minCount, held.size);
      maxCount = Math.max(maxCount, held.size);
      if (held.tail) lastHeld = held.tail.time;
    }
    // Keep the queue from growing without bound.
    if (qHead > 65_536 && qHead * 2 > queue.length) {
      queue.splice(0, qHead);
      qHead = 0;
    }
  }
  if (started) {
    if (held.tail) consider(at - held.tail.time, held.tail.time, at, true);
    else if (lastHeld !== null) consider(at - lastHeld, lastHeld, at, true);
  }

  const snapshots: SimulatedSnapshot[] = [];
  for (let r = held.tail; r; r = r.prev) {
    snapshots.push({ time: r.time, reasons: finalReasons?.get(r) ?? [NEWEST_REASON] });
  }
  return {
    snapshots,
    stats: {
      created,
      removed,
      expired,
      count: held.size,
      minCount: started ? minCount : 0,
      maxCount,
      oldest: held.head ? held.head.time : null,
      newest: held.tail ? held.tail.time : null,
      worstGap: gap,
      prunes: prunesRun,
    },
    min: minN,
    lastPrune: prunesRun > 0 ? lastPrune : null,
    strategy: incremental ? 'incremental' : 'generic',
  };
}
