// The simulator's set of held snapshots: a doubly linked list in creation order (ascending
// time), so a removal anywhere is O(1) and its neighbours are at hand (worstGap needs them).
import type { SnapshotIn } from '../retention/types';

/** Snapshots of one tier band that fall in one calendar bucket (tiers-incremental.ts). */
export interface Group {
  band: number;
  key: number;
  members: Rec[];
  stamp: number;
}

export interface Rec {
  time: number;
  /** Creation order, 0-based; also the snapshot id given to the engines (as a string). */
  seq: number;
  /** What the engine is given; made on first use. */
  snap: SnapshotIn | null;
  prev: Rec | null;
  next: Rec | null;
  alive: boolean;
  /** Its expiry deadline (Infinity: none); when it goes depends on the engine (simulate.ts). */
  expires: number;
  // Bookkeeping of the incremental tiers path (tiers-incremental.ts).
  band: number;
  group: Group | null;
  stamp: number;
  /** Its calendar buckets for the count rules, once computed (counts-fast.ts). */
  keys: number[] | null;
}

export function snapOf(r: Rec): SnapshotIn {
  if (r.snap === null) r.snap = { time: r.time, id: String(r.seq) };
  return r.snap;
}

export class Held {
  head: Rec | null = null;
  tail: Rec | null = null;
  size = 0;

  append(r: Rec): void {
    r.prev = this.tail;
    r.next = null;
    if (this.tail) this.tail.next = r;
    else this.head = r;
    this.tail = r;
    this.size++;
  }

  /** Unlinks r; r keeps its own prev/next pointers (cursors may still step from it). */
  unlink(r: Rec): void {
    if (r.prev) r.prev.next = r.next;
    else this.head = r.next;
    if (r.next) r.next.prev = r.prev;
    else this.tail = r.prev;
    this.size--;
    r.alive = false;
  }

  /** Oldest first. */
  toArray(): Rec[] {
    const out: Rec[] = [];
    for (let r = this.head; r; r = r.next) out.push(r);
    return out;
  }

  /** The n newest, newest first. */
  newest(n: number): Rec[] {
    const out: Rec[] = [];
    for (let r = this.tail; r && out.length < n; r = r.prev) out.push(r);
    return out;
  }
}
