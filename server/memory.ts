// Keeping the server's resident memory near what it really holds. With the examples and a 200-job
// plan open (bench/server-memory.mjs) about 25 MB of the JS heap is reachable, yet the RSS was
// 130-160 MB: V8's young generation grown to 2 × 16 MB by the parses, and garbage and half-empty
// pages left in the old generation after a burst of checks and projections, which V8 collects
// only when it next needs room. So, off the keystroke path:
// - the young generation keeps its initial size (the checks cost the same CPU, measured);
// - the old generation may grow by half its live size before a full collection, not up to four
//   times it as V8 allows under a high allocation rate (typing: RSS 142 → 175 MB over 2,500 soak
//   edits before, 113 → 121 MB after, same time);
// - once the server has been idle for a period after some work, one full, compacting collection
//   runs (tens of ms on this heap, when nothing waits).
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Event-loop time (ms) that counts as "some work" since the last collection. */
const WORK_MS = 20;
/** Share of the last period the loop may have been busy and still count as idle. */
const IDLE_SHARE = 0.05;

/** Starts the idle collector (its timer does not keep the process alive). False when V8 refused the flags. */
export function keepMemoryLow(periodMs = 1000): boolean {
  let gc: () => void;
  try {
    setFlagsFromString('--semi-space-growth-factor=1');
    setFlagsFromString('--heap-growing-percent=50');
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
    if (typeof gc !== 'function') return false;
  } catch {
    return false;
  }
  let last = performance.eventLoopUtilization();
  let workSinceGc = 0;
  const timer = setInterval(() => {
    const now = performance.eventLoopUtilization();
    const period = performance.eventLoopUtilization(now, last);
    last = now;
    workSinceGc += period.active;
    if (workSinceGc < WORK_MS || period.utilization > IDLE_SHARE) return;
    workSinceGc = 0;
    // compacting this one collection gives the old generation's half-empty pages back
    setFlagsFromString('--compact-on-every-full-gc');
    try {
      gc();
    } finally {
      setFlagsFromString('--no-compact-on-every-full-gc');
    }
    // the collection itself is not work to collect after
    last = performance.eventLoopUtilization();
  }, periodMs);
  timer.unref();
  return true;
}
