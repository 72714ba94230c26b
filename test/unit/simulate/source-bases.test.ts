// A source job with copies (zfs-send, btrfs-send, incus-copy with `from`) keeps the replication
// base of each copy (SPEC §8.4, engine/run/prune/replication-base.ts): simulating the source replays
// its copies with it (engine/simulate/copy-job.ts, simulate.ts's watchers).
import { describe, expect, it } from 'vitest';
import { buildModel } from '../../../engine/plan/build-model';
import { simulateJob, simulatePlan } from '../../../engine/simulate/simulate-job';

const H = 3_600_000;
const D = 24 * H;
const from = Date.UTC(2025, 2, 3); // a Monday, 00:00 UTC
const utc = (h: number, m = 0): string => new Date(from + h * H + m * 60_000).toISOString().replace('.000Z', '+00:00');
const times = (r: { snapshots: { time: string }[] }): string[] => r.snapshots.map((s) => s.time);

function plan(jobs: Record<string, unknown>) {
  return buildModel({
    version: 1,
    timezone: 'UTC',
    hosts: { primary: { address: '192.0.2.1' }, standby: { address: '192.0.2.2' }, offsite: { address: '192.0.2.3' } },
    storage: {
      spare: { type: 'local', host: 'standby', path: '/srv/spare' },
      far: { type: 'local', host: 'offsite', path: '/srv/far' },
    },
    jobs,
  });
}

const hourlyLast3 = {
  kind: 'btrfs-snapshot',
  host: 'primary',
  subvolume: '/data',
  snapshot_dir: '/snaps',
  schedule: '0 * * * *',
  retention: { keep: { last: 3 } },
};
const send = (schedule: string, extra: Record<string, unknown> = {}) => ({
  kind: 'btrfs-send',
  from: 'src',
  to: 'spare',
  schedule,
  retention: { keep: { last: 5 } },
  ...extra,
});
const BASE = (copy: string) => `replication base shared with ${copy}: never removed`;

describe('a source with a daily send keeps the snapshot last sent', () => {
  const p = plan({ src: hourlyLast3, copy: send('30 2 * * *') });

  it('holds its 3 newest plus the base: 4 whenever the base is older than the 3 newest', () => {
    // Copies at 02:30 each day send the 02:00 snapshot. From 05:00 on, 02:00 is no longer one of
    // the 3 newest: the prune keeps it anyway until the next day's send replaces it.
    for (let h = 3; h <= 3 * 24; h++) {
      const at = from + h * H;
      const src = simulateJob(p, 'src', { from, at });
      const copy = simulateJob(p, 'copy', { from, at });
      // The base is the newest snapshot the copy received (the one it holds that the source has).
      const base = copy.snapshots[0].time;
      expect(base).toBe(utc(Math.floor((h - 3) / 24) * 24 + 2));
      const newest3 = [utc(h), utc(h - 1), utc(h - 2)];
      const expected = newest3.includes(base) ? newest3 : [...newest3, base];
      expect(times(src), `at ${utc(h)}`).toEqual(expected);
      expect(src.snapshots.find((s) => s.time === base)!.reasons).toContain(BASE('copy'));
    }
  });

  it('says so in its statistics and rules', () => {
    const r = simulateJob(p, 'src', { from, at: from + 2 * D + 12 * H });
    expect(r.stats.count).toBe(4);
    expect(r.stats.maxCount).toBe(4);
    expect(r.stats.minCount).toBe(1);
    // 61 created, 4 held: every other one was removed, none of them by expiry.
    expect(r.stats.created).toBe(61);
    expect(r.stats.removed).toBe(57);
    expect(r.snapshots[3]).toEqual({ time: utc(50), reasons: [BASE('copy')] });
    expect(r.rules.map((x) => [x.id, x.count])).toEqual([
      ['last', 3],
      ['base', 1],
    ]);
  });

  it('without the copy, the same source holds 3', () => {
    const alone = plan({ src: hourlyLast3 });
    expect(simulateJob(alone, 'src', { from, at: from + 2 * D + 12 * H }).stats.count).toBe(3);
  });

  it('a disabled copy pins nothing: the source simulates as if it had no copy', () => {
    const off = plan({ src: hourlyLast3, copy: send('30 2 * * *', { enabled: false }) });
    const alone = plan({ src: hourlyLast3 });
    const opts = { from, at: from + 2 * D + 12 * H };
    expect(simulateJob(off, 'src', opts)).toEqual(simulateJob(alone, 'src', opts));
    // ... while the copy asked for on its own still projects what it would hold if it ran.
    expect(simulateJob(off, 'copy', opts).stats.count).toBe(3);
  });

  it('the default horizon is long enough to see the base kept and replaced', () => {
    const now = from + 10 * 60_000;
    const r = simulateJob(p, 'src', { now });
    // last 3 alone: 3.3 h; with a daily copy: 1.1 × (1 day + 1 hour), to 03:40 the next day:
    // the 02:00 base was kept from 05:00 on (4 held), then replaced by the next day's 02:00.
    expect(Date.parse(r.at) - now).toBe(Math.ceil(25 * H * 1.1));
    expect(r.stats.maxCount).toBe(4);
    expect(times(r)).toEqual([utc(27), utc(26), utc(25)]);
  });

  it('simulatePlan gives the source with its base, and the copy unchanged', () => {
    const r = simulatePlan(p, { from, at: from + 2 * D + 12 * H });
    expect(r.jobs.map((j) => [j.job, j.stats.count])).toEqual([
      ['src', 4],
      ['copy', 3],
    ]);
  });
});

describe('a source with two copies keeps the base of each', () => {
  const p = plan({
    src: hourlyLast3,
    standby: send('30 2 * * *'),
    offsite: send('30 14 * * *', { to: 'far' }),
  });

  it('at 20:00 on the second day: 3 newest, 14:00 for offsite, 02:00 for standby', () => {
    const r = simulateJob(p, 'src', { from, at: from + D + 20 * H });
    expect(times(r)).toEqual([utc(44), utc(43), utc(42), utc(38), utc(26)]);
    expect(r.snapshots[3].reasons).toEqual([BASE('offsite')]);
    expect(r.snapshots[4].reasons).toEqual([BASE('standby')]);
    expect(r.stats.maxCount).toBe(5);
  });

  it('a base two copies share is kept once, for both', () => {
    const q = plan({ src: hourlyLast3, standby: send('30 2 * * *'), offsite: send('45 2 * * *', { to: 'far' }) });
    const r = simulateJob(q, 'src', { from, at: from + D + 20 * H });
    expect(times(r)).toEqual([utc(44), utc(43), utc(42), utc(26)]);
    expect(r.snapshots[3].reasons).toEqual([BASE('standby'), BASE('offsite')]);
  });

  it("each copy's replay sees the source keeping the other copy's base (mirrors copy it)", () => {
    const mirrors = (offsiteEnabled: boolean) =>
      plan({
        src: {
          kind: 'incus-snapshot',
          host: 'primary',
          instance: 'web',
          schedule: '0 * * * *',
          retention: { keep: { last: 3 } },
        },
        standby: {
          kind: 'incus-copy',
          from: 'src',
          remote: 'standby',
          schedule: '30 2 * * *',
          retention: { keep: { last: 10 } },
        },
        offsite: {
          kind: 'incus-copy',
          from: 'src',
          remote: 'offsite',
          schedule: '30 14 * * *',
          retention: { keep: { last: 10 } },
          enabled: offsiteEnabled,
        },
      });
    const at = from + 2 * D + 3 * H;
    // The standby's copy at 02:30 on day 3 mirrors 02:00, 01:00, 00:00, its own base (day 2,
    // 02:00), and the 14:00 the source keeps for offsite.
    expect(times(simulateJob(mirrors(true), 'standby', { from, at }))).toEqual([
      utc(50),
      utc(49),
      utc(48),
      utc(38),
      utc(26),
    ]);
    expect(times(simulateJob(mirrors(false), 'standby', { from, at }))).toEqual([utc(50), utc(49), utc(48), utc(26)]);
  });
});

describe('incus-copy mirrors pin the primary too', () => {
  // The primary's prune (incus-snapshot with keep/tiers, pruned by Backplan) lists its
  // incus-copy consumers (protectBaseOf) and keeps the newest snapshot the standby shares.
  const incusSrc = (retention: Record<string, unknown>) => ({
    kind: 'incus-snapshot',
    host: 'primary',
    instance: 'web',
    schedule: '0 * * * *',
    retention,
  });
  const mirror = (extra: Record<string, unknown> = {}) => ({
    kind: 'incus-copy',
    from: 'src',
    remote: 'standby',
    schedule: '30 2 * * *',
    retention: { keep: { last: 10 } },
    ...extra,
  });

  it('a native policy on the primary keeps the base the standby shares', () => {
    const r = simulateJob(plan({ src: incusSrc({ keep: { last: 3 } }), copy: mirror() }), 'src', {
      from,
      at: from + D + 20 * H,
    });
    expect(times(r)).toEqual([utc(44), utc(43), utc(42), utc(26)]);
    expect(r.snapshots[3].reasons).toEqual([BASE('copy')]);
  });

  it("Incus's own expiry keeps no base (Incus knows nothing of the copy)", () => {
    const expiring = incusSrc({ expiry: '3h' });
    const opts = { from, at: from + D + 20 * H };
    expect(simulateJob(plan({ src: expiring, copy: mirror() }), 'src', opts)).toEqual(
      simulateJob(plan({ src: expiring }), 'src', opts),
    );
  });

  it('refresh: false pins nothing (its standby instance has no snapshots), and the source still simulates', () => {
    const opts = { from, at: from + D + 20 * H };
    const r = simulateJob(
      plan({ src: incusSrc({ keep: { last: 3 } }), copy: mirror({ refresh: false }) }),
      'src',
      opts,
    );
    expect(r).toEqual(simulateJob(plan({ src: incusSrc({ keep: { last: 3 } }) }), 'src', opts));
  });
});

describe('the replay with copies is the plain replay when no base needs keeping', () => {
  it('a send right after each source run: same snapshots and statistics as without the copy (tiers, incremental ' +
    'path)', () => {
    const tiers = { tiers: [{ keep: 'all', until: '2d' }, { every: '1d', until: '2w' }, { every: '1w' }] };
    const src = {
      kind: 'zfs-snapshot',
      host: 'primary',
      dataset: 'tank/data',
      schedule: '0 */6 * * *',
      retention: tiers,
    };
    const withCopy = plan({
      src,
      copy: {
        kind: 'zfs-send',
        from: 'src',
        to: 'spare',
        dataset: 'backup/data',
        schedule: '30 */6 * * *',
        retention: { keep: { last: 3 } },
      },
    });
    const opts = { from, at: from + 60 * D + 7 * H };
    const a = simulateJob(withCopy, 'src', opts);
    const b = simulateJob(plan({ src }), 'src', opts);
    expect(times(a)).toEqual(times(b));
    expect(a.stats).toEqual(b.stats);
  });

  it('the incremental tiers path and the engine on every prune agree when bases are kept', () => {
    const src = {
      kind: 'zfs-snapshot',
      host: 'primary',
      dataset: 'tank/data',
      schedule: '*/15 * * * *',
      retention: {
        tiers: [
          { keep: 'all', until: '2h' },
          { every: '1d', until: '3d' },
        ],
      },
    };
    const p = plan({
      src,
      a: {
        kind: 'zfs-send',
        from: 'src',
        to: 'spare',
        dataset: 'backup/a',
        schedule: '10 */5 * * *',
        retention: { keep: { last: 3 } },
      },
      b: {
        kind: 'zfs-send',
        from: 'src',
        to: 'far',
        dataset: 'backup/b',
        schedule: '50 3 * * *',
        retention: { keep: { last: 3 } },
      },
    });
    const opts = { from, at: from + 9 * D + 5 * H + 20 * 60_000 };
    const fast = simulateJob(p, 'src', { ...opts, strategy: 'auto' });
    const slow = simulateJob(p, 'src', { ...opts, strategy: 'generic' });
    expect(fast).toEqual(slow);
    expect(fast.snapshots.some((s) => s.reasons.includes(BASE('a')))).toBe(true);
    expect(fast.snapshots.some((s) => s.reasons.includes(BASE('b')))).toBe(true);
  });
});

describe('a copy that cannot be read', () => {
  it("makes its source's simulation fail with its name, not guess", () => {
    const p = plan({ src: hourlyLast3, copy: send('0 25 * * *') });
    expect(() => simulateJob(p, 'src', { from, at: from + D })).toThrow(
      /job `src`: its copy `copy`: the schedule `0 25 \* \* \*` cannot be read/,
    );
  });
});

describe("the editor's projection of a source with copies", () => {
  it('keeps the bases, follows the copies in its cache key, and stays bounded', async () => {
    const { project, projectionKey } = await import('../../../server/projections');
    const mk = (copySchedule: string) =>
      plan({
        src: {
          kind: 'zfs-snapshot',
          host: 'primary',
          dataset: 'tank/data',
          schedule: '* * * * *',
          retention: { keep: { last: 60, daily: 30 } },
        },
        copy: {
          kind: 'zfs-send',
          from: 'src',
          to: 'spare',
          dataset: 'backup/data',
          schedule: copySchedule,
          retention: { keep: { last: 30 } },
        },
      });
    expect(projectionKey(mk('0 0 * * *'), 'src', from, 1500)).not.toBe(
      projectionKey(mk('0 12 * * *'), 'src', from, 1500),
    );
    const t0 = performance.now();
    const p = project(mk('30 12 * * *'), 'src', from, 1500);
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(p.error).toBeUndefined();
    expect(p.capped).toMatchObject({ fires: 1500 });
    // 1500 minutely runs from 00:00 to 00:59 the next day: the 60 newest, 23:59 and 00:00 (daily
    // 30), and 12:30, the snapshot the 12:30 send received.
    expect(p.result!.stats.count).toBe(63);
    expect(p.result!.snapshots.find((s) => s.time === utc(12, 30))!.reasons).toEqual([BASE('copy')]);
  });
});
