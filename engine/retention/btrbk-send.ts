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
//   future dates kept. Names are btrbk's in the section's timestamp_format (long by default: the
//   minute; short: the day; long-iso: the second), with the `_N` btrbk adds when the name is
//   already taken in the snapshot directory or the target (two fires in one day with short), and
//   every decision reads the date from the name as btrbk does (btrbk.ts parseBtrbkName).
import type { PolicyModel } from '../plan/model';
import {
  btrbkName,
  btrbkPreserve,
  btrbkSchedule,
  dateOf,
  type BtrbkPreserve,
  type BtrbkTimestampFormat,
} from './btrbk';

/** The subvolume's name in the replay's names: btrbk's dates do not depend on it. */
const BASE = 'subvolume';

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
  /** The section's timestamp_format (default long). */
  format?: BtrbkTimestampFormat;
}

export interface BtrbkHeld {
  /** The date btrbk reads from the snapshot's name (long: its minute; short: its day's 00:00). */
  time: number;
  /** The name's timestamp and `_N` (`subvolume.20261207T1200_1`, the subvolume's name left generic). */
  name: string;
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
  /** By name: its date's instant and its reasons. */
  held = new Map<string, { time: number; reasons: string[] }>();
  created = 0;
  removed = 0;
  counts: number[] = [];
  worst: BtrbkSideReplay['worstGap'] = null;
  lastRun: number | null = null;
  /** The backups received by the current resume (FORCE_PRESERVE "created just now"). */
  sentNow = new Map<string, string>();
  constructor(private zone: string) {}

  add(name: string): void {
    if (this.held.has(name)) return;
    this.held.set(name, { time: dateOf({ time: 0, name }, this.zone).time, reasons: [] });
    this.created++;
  }

  list(): { time: number; id: string; name: string }[] {
    return [...this.held.entries()].map(([name, h]) => ({ time: h.time, id: name, name }));
  }

  /** schedule() as a delete: forced ids kept with their reason, the rest removed. */
  prune(p: BtrbkPreserve, now: number, forced: Map<string, string>): void {
    const d = btrbkSchedule(this.list(), p, now, this.zone, new Set(), { forced, keepFuture: true });
    for (const s of d.remove) this.held.delete(s.name!);
    this.removed += d.remove.length;
    for (const k of d.keep) this.held.get(k.snapshot.name!)!.reasons = k.reasons;
  }

  settle(now: number, next: number): void {
    this.lastRun = now;
    this.counts.push(this.held.size);
    const times = [...this.held.values()].map((h) => h.time).sort((a, b) => a - b);
    for (let j = 1; j < times.length; j++) this.gap(times[j] - times[j - 1], times[j - 1], times[j], false);
    const last = times[times.length - 1];
    if (last !== undefined && next > last) this.gap(next - last, last, next, true);
  }

  private gap(ms: number, from: number, to: number, live: boolean): void {
    if (ms > 0 && (this.worst === null || ms > this.worst.ms)) this.worst = { ms, from, to, live };
  }

  result(): BtrbkSideReplay {
    const zone = this.zone;
    const held = [...this.held.entries()]
      .map(([name, h]) => ({ name, time: h.time, reasons: h.reasons, nn: dateOf({ time: 0, name }, zone).nn }))
      .sort((a, b) => b.time - a.time || b.nn - a.nn)
      .map(({ name, time, reasons }) => ({ time, name, reasons }));
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

/** The newest source snapshot (by btrbk's date) that has a backup (btrbk's latest common), or undefined. */
function latestCommon(src: Side, dst: Side, zone: string): string | undefined {
  let best: { name: string; time: number; nn: number } | undefined;
  for (const [name, h] of src.held) {
    if (!dst.held.has(name)) continue;
    const nn = dateOf({ time: 0, name }, zone).nn;
    if (best === undefined || h.time > best.time || (h.time === best.time && nn > best.nn)) best = { name, ...h, nn };
  }
  return best?.name;
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
  const src = new Side(zone);
  const dst = new Side(zone);
  const nextOf = (i: number, kind: 0 | 1) => {
    for (let j = i + 1; j < events.length; j++) if (events[j].kind === kind) return events[j].t;
    return input.at;
  };
  events.forEach((ev, i) => {
    const now = ev.t;
    const common = new Map<string, string>();
    if (ev.kind === 0) {
      // btrbk's unique name: `_N` past the names taken in the snapshot directory and the target.
      const name = btrbkName(BASE, now, zone, input.format ?? 'long', [...src.held.keys(), ...dst.held.keys()]);
      src.add(name);
      common.set(name, 'preserve forced: created just now');
    } else {
      resume(src, dst, terms.target, now, zone);
      const base = latestCommon(src, dst, zone);
      const fromSend = new Map(dst.sentNow);
      if (base !== undefined) fromSend.set(base, 'preserve forced: latest common target');
      dst.prune(terms.target, now, fromSend);
      dst.settle(now, nextOf(i, 1));
    }
    const base = latestCommon(src, dst, zone);
    if (base !== undefined && !common.has(base)) common.set(base, 'preserve forced: latest common snapshot');
    src.prune(terms.snap, now, common);
    src.settle(now, nextOf(i, 0));
  });
  return { source: src.result(), target: dst.result() };
}

/** Step 2 of `btrbk resume`: the candidates target_preserve* keeps are sent. */
function resume(src: Side, dst: Side, p: BtrbkPreserve, now: number, zone: string): void {
  dst.sentNow = new Map();
  const candidates = src.list().filter((s) => !dst.held.has(s.name));
  if (candidates.length === 0) return;
  const present = dst.list().map((s) => ({ ...s, id: `b${s.name}` }));
  const informative = new Set(present.map((s) => s.id));
  const d = btrbkSchedule([...candidates, ...present], p, now, zone, new Set(), { informative, keepFuture: false });
  for (const k of d.keep) {
    dst.add(k.snapshot.name!);
    dst.sentNow.set(k.snapshot.name!, 'preserve forced: created just now');
  }
}
