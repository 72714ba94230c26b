// btrbk 0.32.5 with a target (`pruner: btrbk` on a btrfs-snapshot job and on the btrfs-send job
// that copies it): one btrbk.conf section holds both, and the two jobs run two btrbk commands on
// it (btrbk(1), "Actions"): the snapshot job `btrbk snapshot` (create a snapshot, delete
// snapshots), the send job `btrbk resume` (send missing backups, delete backups, delete
// snapshots). This replays both from btrbk's own source (/usr/bin/btrbk, action "run"):
// - snapshot: the new snapshot (FORCE_PRESERVE "created just now"), then the snapshot delete.
// - resume, step 2: the source snapshots without a backup are the candidates; schedule() runs on
//   them with the backups already there as informative_only entries, by target_preserve*; every
//   candidate it preserves is sent (not only the newest). A received backup is "created just now".
// - Before each delete: the latest common pair, the newest source snapshot (by date) that has a
//   backup, and that backup, are FORCE_PRESERVE'd ("latest common snapshot"/"target"), so btrbk
//   itself keeps the replication base on both sides.
// - step 3 deletes backups by target_preserve*, step 4 snapshots by snapshot_preserve*; both with
//   future dates kept. Names carry the minute (timestamp_format long); two fires in one minute
//   would make btrbk add `_1`, which is not modelled (the plan's check warns about such schedules).
import type { PolicyModel } from '../plan/model';
import { btrbkPreserve, btrbkSchedule, type BtrbkPreserve } from './btrbk';

const MINUTE = 60_000;

export interface BtrbkSendInput {
  /** Fires of the snapshot job (`btrbk snapshot`), epoch ms. */
  snapshotFires: readonly number[];
  /** Fires of the send job (`btrbk resume`), epoch ms. */
  sendFires: readonly number[];
  snapshotPolicy: PolicyModel;
  targetPolicy: PolicyModel;
  timezone: string;
  from: number;
  at: number;
}

export interface BtrbkHeld {
  /** The minute of the snapshot's name. */
  time: number;
  reasons: string[];
}

export interface BtrbkSideReplay {
  /** Held at `at`, newest first. */
  held: BtrbkHeld[];
  created: number;
  removed: number;
  /** Held count after each run that touched this side. */
  counts: number[];
  worstGap: { ms: number; from: number; to: number; live: boolean } | null;
  lastRun: number | null;
}

export interface BtrbkSendReplay {
  source: BtrbkSideReplay;
  target: BtrbkSideReplay;
}

/** The two sides' btrbk terms, or the problems (snapshot_preserve*, then target_preserve*). */
export function btrbkSendTerms(
  snapshotPolicy: PolicyModel,
  targetPolicy: PolicyModel,
): { snap: BtrbkPreserve; target: BtrbkPreserve } | string {
  const s = btrbkPreserve(snapshotPolicy, 'snapshot');
  const t = btrbkPreserve(targetPolicy, 'target');
  if (!s.ok) return `snapshot_preserve: ${s.problems.map((p) => p.message).join('; ')}`;
  if (!t.ok) return `target_preserve: ${t.problems.map((p) => p.message).join('; ')}`;
  return { snap: s.value, target: t.value };
}

class Side {
  held = new Map<number, string[]>();
  created = 0;
  removed = 0;
  counts: number[] = [];
  worst: BtrbkSideReplay['worstGap'] = null;
  lastRun: number | null = null;
  /** The backups received by the current resume (FORCE_PRESERVE "created just now"). */
  sentNow = new Map<string, string>();

  list(): { time: number; id: string }[] {
    return [...this.held.keys()].sort((a, b) => a - b).map((t) => ({ time: t, id: String(t) }));
  }

  /** schedule() as a delete: forced ids kept with their reason, the rest removed. */
  prune(p: BtrbkPreserve, now: number, zone: string, forced: Map<string, string>): void {
    const d = btrbkSchedule(this.list(), p, now, zone, new Set(), { forced, keepFuture: true });
    for (const s of d.remove) this.held.delete(s.time);
    this.removed += d.remove.length;
    for (const k of d.keep) this.held.set(k.snapshot.time, k.reasons);
  }

  settle(now: number, next: number): void {
    this.lastRun = now;
    this.counts.push(this.held.size);
    const times = [...this.held.keys()].sort((a, b) => a - b);
    for (let j = 1; j < times.length; j++) this.gap(times[j] - times[j - 1], times[j - 1], times[j], false);
    const last = times[times.length - 1];
    if (last !== undefined && next > last) this.gap(next - last, last, next, true);
  }

  private gap(ms: number, from: number, to: number, live: boolean): void {
    if (ms > 0 && (this.worst === null || ms > this.worst.ms)) this.worst = { ms, from, to, live };
  }

  result(): BtrbkSideReplay {
    const held = [...this.held.entries()].sort((a, b) => b[0] - a[0]).map(([time, reasons]) => ({ time, reasons }));
    return {
      held,
      created: this.created,
      removed: this.removed,
      counts: this.counts,
      worstGap: this.worst,
      lastRun: this.lastRun,
    };
  }
}

/** The newest source snapshot that has a backup (btrbk's latest common), or undefined. */
function latestCommon(src: Side, dst: Side): number | undefined {
  let best: number | undefined;
  for (const t of src.held.keys()) if (dst.held.has(t) && (best === undefined || t > best)) best = t;
  return best;
}

/** Both jobs' runs from `from` to `at` on empty directories; at one instant the snapshot job runs first. */
export function replayBtrbkSend(input: BtrbkSendInput): BtrbkSendReplay {
  const terms = btrbkSendTerms(input.snapshotPolicy, input.targetPolicy);
  if (typeof terms === 'string') throw new Error(terms);
  const zone = input.timezone;
  const inRange = (t: number) => t >= input.from && t <= input.at;
  type Ev = { t: number; kind: 0 | 1 };
  const events: Ev[] = [
    ...input.snapshotFires.filter(inRange).map((t) => ({ t, kind: 0 as const })),
    ...input.sendFires.filter(inRange).map((t) => ({ t, kind: 1 as const })),
  ].sort((a, b) => a.t - b.t || a.kind - b.kind);
  const src = new Side();
  const dst = new Side();
  const nextOf = (i: number, kind: 0 | 1) => {
    for (let j = i + 1; j < events.length; j++) if (events[j].kind === kind) return events[j].t;
    return input.at;
  };
  events.forEach((ev, i) => {
    const now = ev.t;
    const common = new Map<string, string>();
    if (ev.kind === 0) {
      const name = Math.floor(now / MINUTE) * MINUTE;
      if (!src.held.has(name)) {
        src.held.set(name, []);
        src.created++;
      }
      common.set(String(name), 'preserve forced: created just now');
    } else {
      resume(src, dst, terms.target, now, zone);
      const base = latestCommon(src, dst);
      const fromSend = new Map(dst.sentNow);
      if (base !== undefined) fromSend.set(String(base), 'preserve forced: latest common target');
      dst.prune(terms.target, now, zone, fromSend);
      dst.settle(now, nextOf(i, 1));
    }
    const base = latestCommon(src, dst);
    if (base !== undefined && !common.has(String(base))) {
      common.set(String(base), 'preserve forced: latest common snapshot');
    }
    src.prune(terms.snap, now, zone, common);
    src.settle(now, nextOf(i, 0));
  });
  return { source: src.result(), target: dst.result() };
}

/** Step 2 of `btrbk resume`: the candidates target_preserve* keeps are sent. */
function resume(src: Side, dst: Side, p: BtrbkPreserve, now: number, zone: string): void {
  dst.sentNow = new Map();
  const candidates = src.list().filter((s) => !dst.held.has(s.time));
  if (candidates.length === 0) return;
  const present = dst.list().map((s) => ({ time: s.time, id: `b${s.time}` }));
  const informative = new Set(present.map((s) => s.id));
  const d = btrbkSchedule([...candidates, ...present], p, now, zone, new Set(), { informative, keepFuture: false });
  for (const k of d.keep) {
    dst.held.set(k.snapshot.time, []);
    dst.created++;
    dst.sentNow.set(k.snapshot.id!, 'preserve forced: created just now');
  }
}
