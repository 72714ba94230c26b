// A `pruner: sanoid` zfs-snapshot job and a `pruner: sanoid` zfs-send job that copies it (the
// MiNET setup: sanoid snapshots on the primary, sent to a `_back` dataset, sanoid prunes there
// with `autosnap = no`), replayed together as the drivers run them:
// - At the source's fires, sanoid takes the types due and prunes the list read before taking
//   (retention/sanoid.ts). sanoid keeps no replication base: nothing on either side is pinned.
// - At the send's fires (after the source's run at the same instant: `from` orders a run), the
//   newest source snapshot (creation order: the smallest type taken last) is sent. The first send
//   is the oldest source snapshot in full, then `zfs send -I OLDEST NEWEST` (as syncoid does): the
//   target starts with everything the source holds. Later ones are `zfs send -I BASE NEWEST`: every snapshot the
//   source holds after BASE arrives, so the target's counts see every type. BASE is the newest
//   source snapshot the target also holds (drivers: live/replication.ts); the receive needs it
//   to be the target's newest, so a send fails (nothing received, nothing pruned) when the
//   target's newest is gone from the source — sanoid's age rule made that computable, and
//   `replication-base-at-risk` reports it. Nothing to send: no step, no prune.
// - After each send that received, sanoid prunes the target by the send's counts at that instant,
//   the snapshots timed by their source creation (zfs receive keeps the creation time).
import type { PolicyModel } from '../plan/model';
import { GapTracker, SanoidDataset, sanoidPrune, type SanoidReplay, type SanoidSnapshot } from '../retention/sanoid';

export interface SanoidSendInput {
  /** The source's run instants (ms, ascending). */
  sourceRuns: readonly number[];
  /** The send's run instants (ms, ascending). */
  sendRuns: readonly number[];
  source: PolicyModel;
  target: PolicyModel;
  /** The source host's zone (sanoid names its snapshots in local time). */
  zone: string;
  at: number;
}

/** A send that found no base: the target's newest, sent at `sent`, was pruned on the source at `pruned`. */
export interface LostBase {
  base: SanoidSnapshot;
  sent: number;
  pruned: number;
  next: number;
}

export interface SanoidSendReplay {
  source: SanoidSnapshot[];
  /** Held on the target at `at`, oldest first. */
  target: SanoidSnapshot[];
  stats: SanoidReplay & { prunes: number; failed: number };
  /** The first send that had no base, if any. */
  lost: LostBase | null;
}

const S = 1000;

export function replaySanoidSend(input: SanoidSendInput): SanoidSendReplay {
  const { zone, at } = input;
  const src = new SanoidDataset(input.source, zone);
  const sourceAt = new Set(input.sourceRuns);
  const sendAt = new Set(input.sendRuns);
  const instants = [...new Set([...input.sourceRuns, ...input.sendRuns])].filter((t) => t <= at).sort((a, b) => a - b);
  let target: SanoidSnapshot[] = [];
  let started = false;
  let created = 0;
  let removed = 0;
  let prunes = 0;
  let failed = 0;
  const counts: number[] = [];
  const gaps = new GapTracker();
  let lastSent: { snap: SanoidSnapshot; at: number; pruned?: number } | undefined;
  let lost: LostBase | null = null;
  const sends = input.sendRuns.filter((t) => t <= at);
  let k = 0;
  for (const t of instants) {
    if (sourceAt.has(t)) {
      const r = src.run(t);
      if (lastSent && lastSent.pruned === undefined && r.removed.some((x) => x.name === lastSent!.snap.name)) {
        lastSent.pruned = t;
      }
    }
    if (!sendAt.has(t)) continue;
    k++;
    const now = Math.floor(t / S) * S;
    const held = src.held;
    const newest = held[held.length - 1];
    if (newest === undefined) continue;
    let received: SanoidSnapshot[];
    if (!started) {
      // The oldest in full, then `-I` to the newest: every snapshot the source holds.
      received = held.slice();
    } else {
      const there = new Set(target.map((x) => x.name));
      let b = held.length - 1;
      while (b >= 0 && !there.has(held[b].name)) b--;
      const tip = target[target.length - 1];
      if (b === held.length - 1) continue; // the target holds the newest: nothing to send
      if (b < 0 || tip === undefined || held[b].name !== tip.name) {
        failed++;
        if (!lost && lastSent) {
          lost = { base: lastSent.snap, sent: lastSent.at, pruned: lastSent.pruned ?? t, next: t };
        }
        continue;
      }
      received = held.slice(b + 1);
    }
    started = true;
    target = target.concat(received);
    created += received.length;
    lastSent = { snap: received[received.length - 1], at: t };
    const gone = sanoidPrune(target, input.target, zone, now);
    prunes++;
    removed += gone.size;
    target = target.filter((x) => !gone.has(x.name));
    counts.push(target.length);
    gaps.seen(target, k < sends.length ? sends[k] : at);
  }
  return {
    source: src.held,
    target,
    stats: { held: target, created, removed, counts, worstGap: gaps.worst, prunes, failed },
    lost,
  };
}
