// An incremental evaluator of the native `tiers` rules, for long simulations. It gives the same
// decision as nativeEngine.evaluate on the whole held set, at a cost proportional to what changed
// since the previous prune instead of to the number of snapshots held (15-minute snapshots kept
// "all < 15d" are 1,440 snapshots, re-read 35,000 times a year otherwise).
//
// Why it is exact. At prune time T the native rule puts a snapshot s in band i when
// lower(i) < s ≤ lower(i−1) (lower(i) = T − until(i), lower(−1) = T) and, in an `every: D` band,
// keeps the oldest held snapshot of each (band, bucket) group. Right after a prune, each group
// holds exactly one snapshot (the one kept), apart from snapshots that `min` alone saved (marked
// dirty). At the next prune, a group's decision can only differ if its membership changed: a
// snapshot entered or left the band (its comparison with some lower(i) flipped), was created, or
// was removed, or holds a dirty snapshot. So only those groups are re-decided, each in full
// (keep its oldest member, remove the rest). Membership flips are found with one cursor per
// band edge that walks the time-ordered list from where the edge was to where it is now, in
// either direction (an edge can move back: in a non-leap year T − 1mo is Feb 28 for every T from
// Mar 28 to Mar 31, so at each midnight of those days it jumps back almost a day). Every other
// snapshot keeps its band and its group's decision.
//
// The simulator double-checks: at its last prune it also runs the real engine on the whole set
// and falls back to evaluating everything if the two ever differ (tests assert they never do).
import type { PolicyModel } from '../plan/model';
import { isZero, type Duration } from '../time/duration';
import { bucketScheme, type BucketScheme } from '../retention/native';
import { isSet, policyDuration } from '../retention/common';
import { isEmptyResticRules, resticRulesFromKeep } from '../retention/restic';
import type { RetentionEngine } from '../retention/types';
import type { ZoneClock } from './clock';
import type { Group, Held, Rec } from './held';

type BandKind = 'all' | 'every' | 'none';

interface Band {
  kind: BandKind;
  until?: Duration;
  scheme?: BucketScheme;
  /** Bucket key → the held snapshots of this band in that bucket (`every` bands). */
  groups: Map<number, Group>;
}

/** True when `engine` is the native pruner and `policy` uses tiers only (expiry allowed). */
export function incrementalApplies(engine: RetentionEngine, policy: PolicyModel): boolean {
  if (engine.id !== 'native') return false;
  if (!Array.isArray(policy.tiers) || policy.tiers.length === 0) return false;
  try {
    const rules = resticRulesFromKeep(policy, (d) => (isZero(d) ? undefined : { cutoff: 0, label: '' }));
    if (!isEmptyResticRules(rules)) return false;
    policy.tiers.forEach((t, i) => {
      if (t === null || typeof t !== 'object') throw new Error('not a tier');
      if (isSet(t.until)) policyDuration(t.until, ['tiers', i, 'until']);
      if (t.keep !== 'all' && isSet(t.every) && 'error' in bucketScheme(policyDuration(t.every, ['tiers', i, 'every']))) {
        throw new Error('no bucket');
      }
    });
  } catch {
    return false; // let the engine itself report what it cannot read
  }
  return true;
}

export class TiersIncremental {
  private readonly bands: Band[];
  /** Band index of the finite lower edges, in band order. */
  private readonly edges: number[];
  /** Per edge: the oldest held snapshot above where the edge was at the previous prune. */
  private readonly cursor: (Rec | null)[];
  private fresh: Rec[] = [];
  private dirty: Rec[] = [];
  private stampCounter = 0;
  private readonly lowers: number[];

  constructor(
    policy: PolicyModel,
    private readonly clock: ZoneClock,
    private readonly held: Held,
  ) {
    this.bands = (policy.tiers ?? []).map((t, i) => {
      const until = isSet(t.until) ? policyDuration(t.until, ['tiers', i, 'until']) : undefined;
      if (t.keep === 'all') return { kind: 'all', until, groups: new Map() };
      if (isSet(t.every)) {
        const s = bucketScheme(policyDuration(t.every, ['tiers', i, 'every']));
        if ('error' in s) throw new Error(s.error);
        return { kind: 'every', until, scheme: s, groups: new Map() };
      }
      return { kind: 'none', until, groups: new Map() };
    });
    this.edges = [];
    this.bands.forEach((b, i) => {
      if (b.until) this.edges.push(i);
    });
    this.cursor = this.edges.map(() => null);
    this.lowers = this.bands.map(() => -Infinity);
  }

  /** A snapshot was created (appended to the held list). */
  added(r: Rec): void {
    r.band = -1;
    r.group = null;
    this.fresh.push(r);
    for (let e = 0; e < this.cursor.length; e++) if (this.cursor[e] === null) this.cursor[e] = r;
  }

  /** A snapshot is about to be unlinked from the held list (pruned or expired). */
  removing(r: Rec): void {
    this.leaveGroup(r);
    for (let e = 0; e < this.cursor.length; e++) if (this.cursor[e] === r) this.cursor[e] = r.next;
  }

  private leaveGroup(r: Rec): void {
    const g = r.group;
    if (!g) return;
    const m = g.members;
    const i = m.indexOf(r);
    if (i >= 0) m.splice(i, 1);
    if (m.length === 0) this.bands[g.band].groups.delete(g.key);
    r.group = null;
  }

  /**
   * The snapshots the native tiers would remove at prune time `now`, minus those in
   * `protectedRecs` (min), which are remembered as dirty for the next prune.
   */
  decide(now: number, protectedRecs: readonly Rec[]): readonly Rec[] {
    const stamp = ++this.stampCounter;
    const changed: Rec[] = [];
    const mark = (r: Rec): void => {
      if (r.alive && r.stamp !== stamp) {
        r.stamp = stamp;
        changed.push(r);
      }
    };
    for (const r of this.fresh) mark(r);
    for (const r of this.dirty) mark(r);
    this.fresh = [];

    // Band edges at `now`, and the snapshots whose side of an edge flipped.
    const lowers = this.lowers;
    for (let i = 0; i < this.bands.length; i++) {
      const until = this.bands[i].until;
      lowers[i] = until ? this.clock.subtract(now, until) : -Infinity;
    }
    for (let e = 0; e < this.edges.length; e++) {
      const edge = lowers[this.edges[e]];
      let c = this.cursor[e];
      while (c && c.time <= edge) {
        mark(c);
        c = c.next;
      }
      for (let p = c ? c.prev : this.held.tail; p && p.time > edge; p = p.prev) {
        mark(p);
        c = p;
      }
      this.cursor[e] = c;
    }

    // New bands and groups of the changed snapshots.
    const remove: Rec[] = [];
    const affected: Group[] = [];
    for (const r of changed) {
      const band = this.bandOf(r.time, now, lowers);
      if (band !== r.band) {
        this.leaveGroup(r);
        r.band = band;
        const b = this.bands[band];
        if (b && b.kind === 'every') {
          const key = this.clock.bucketKey(r.time, b.scheme!);
          let g = b.groups.get(key);
          if (!g) {
            g = { band, key, members: [], stamp: 0 };
            b.groups.set(key, g);
          }
          g.members.push(r);
          r.group = g;
        }
      }
      const g = r.group;
      if (g) {
        if (g.stamp !== stamp) {
          g.stamp = stamp;
          affected.push(g);
        }
      } else if (band >= this.bands.length || this.bands[band].kind === 'none') {
        remove.push(r);
      }
    }
    for (const g of affected) {
      const m = g.members;
      if (m.length < 2) continue;
      // The oldest is kept; on equal times the engine's stable newest-first order makes the
      // later-created one the "oldest seen".
      let keep = m[0];
      for (const r of m) if (r.time < keep.time || (r.time === keep.time && r.seq > keep.seq)) keep = r;
      for (const r of m) if (r !== keep) remove.push(r);
    }

    const out: Rec[] = [];
    this.dirty = [];
    for (const r of remove) {
      if (protectedRecs.includes(r)) this.dirty.push(r);
      else out.push(r);
    }
    return out;
  }

  /** Band index as native.ts finds it (first band with lower < t ≤ upper); bands.length = beyond the last. */
  private bandOf(t: number, now: number, lowers: number[]): number {
    let upper = now;
    for (let i = 0; i < lowers.length; i++) {
      if (lowers[i] < t && t <= upper) return i;
      upper = lowers[i];
    }
    return lowers.length;
  }
}
