// server/memory.ts: after some work and an idle period, one full collection runs; none while the
// loop stays busy, none again while nothing happens.
import { PerformanceObserver, constants } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { keepMemoryLow } from '../../server/memory';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('keepMemoryLow', () => {
  it('collects once when idle after work', async () => {
    let majors = 0;
    const obs = new PerformanceObserver((list) => {
      for (const e of list.getEntries())
        if ((e.detail as { kind?: number })?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) majors++;
    });
    obs.observe({ entryTypes: ['gc'] });
    try {
      expect(keepMemoryLow(100)).toBe(true);
      await sleep(350);
      // (what the test runner did before may have been collected meanwhile)
      const before = majors;
      // work: 100 ms of allocation on the loop
      const end = Date.now() + 100;
      let keep: unknown[] = [];
      while (Date.now() < end) keep = [...keep.slice(-1000), { a: 'x'.repeat(100) }];
      expect(keep.length).toBeGreaterThan(0);
      await sleep(450);
      const afterWork = majors;
      await sleep(450);
      expect(afterWork).toBeGreaterThan(before);
      expect(majors).toBe(afterWork);
    } finally {
      obs.disconnect();
    }
  });
});
