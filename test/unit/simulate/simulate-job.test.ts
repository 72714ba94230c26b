// simulateJob / simulatePlan: a plan's job wired to its schedule, zone, prune schedule, engine
// and policy; the SPEC §7 JSON entry; defaults for from/at.
import { describe, expect, it } from 'vitest';
import { buildModel } from '../../../engine/plan/build-model';
import { defaultHorizon, simulateJob, simulatePlan } from '../../../engine/simulate/simulate-job';
import { SimulationError } from '../../../engine/simulate/simulate';
import { addDuration, duration } from '../../../engine/time/duration';

const H = 3_600_000;
const D = 24 * H;
const from = Date.UTC(2025, 2, 1);

const plan = buildModel({
  version: 1,
  timezone: 'Europe/Paris',
  hosts: {
    scylla: { address: '192.0.2.1' },
    nyc: { address: '192.0.2.2', timezone: 'America/New_York' },
  },
  policies: {
    minet: {
      tiers: [{ keep: 'all', until: '15d' }, { every: '1d', until: '1mo' }, { every: '2d', until: '2mo' }, { every: '1w', until: '6mo' }, { every: '1mo' }],
    },
    day: { keep: { last: 24 } },
    week: { expiry: '7d' },
  },
  jobs: {
    'vm-snapshots': { kind: 'zfs-snapshot', host: 'scylla', schedule: '0 */6 * * *', retention: 'minet' },
    'ny-dump': { kind: 'pg-dump', host: 'nyc', schedule: '0 0 * * *', retention: { keep: { last: 3 } } },
    'pruned-nightly': { kind: 'rsync', schedule: '0 * * * *', prune_schedule: '30 23 * * *', retention: 'day' },
    'incus-native': { kind: 'incus-snapshot', schedule: '0 0 * * *', retention: 'week' },
    'incus-backplan': { kind: 'incus-snapshot', schedule: '0 0 * * *', retention: { expiry: '7d', keep: { last: 2 } } },
    repo: { kind: 'restic', schedule: '0 * * * *', retention: 'day' },
    vz: { kind: 'vzdump', schedule: '0 1 * * *', retention: 'day' },
    off: { kind: 'rsync', schedule: '0 * * * *', retention: 'day', enabled: false },
    manual: { kind: 'rsync', retention: 'day' },
    keepall: { kind: 'rsync', schedule: '0 * * * *' },
    broken: { kind: 'rsync', schedule: '0 25 * * *', retention: 'day' },
    ghost: { kind: 'rsync', schedule: '0 * * * *', retention: 'nope' },
  },
});

describe('simulateJob', () => {
  it('returns the SPEC §7 entry with local ISO times', () => {
    const at = Date.UTC(2025, 5, 1);
    const r = simulateJob(plan, 'vm-snapshots', { from, at });
    expect(Object.keys(r)).toEqual(expect.arrayContaining(['job', 'engine', 'from', 'at', 'snapshots', 'stats']));
    expect(Object.keys(r.stats)).toEqual(expect.arrayContaining(['created', 'removed', 'count', 'minCount', 'maxCount', 'oldest', 'worstGap']));
    expect(r.job).toBe('vm-snapshots');
    expect(r.engine).toBe('native');
    expect(r.from).toBe('2025-03-01T01:00:00+01:00');
    expect(r.at).toBe('2025-06-01T02:00:00+02:00');
    expect(r.snapshots[0]).toEqual({ time: '2025-06-01T00:00:00+02:00', reasons: ['tier 1: keep all < 15d'] });
    expect(r.snapshots.length).toBe(r.stats.count);
    expect(r.stats.worstGap).toMatchObject({ human: expect.any(String), ms: expect.any(Number), live: expect.any(Boolean) });
    expect(r.rules.map((x) => x.label)).toEqual(['keep all < 15d', '1/day < 1mo', '1/2d < 2mo', '1/week < 6mo', '1/month']);
    expect(r.rules.reduce((n, x) => n + x.count, 0)).toBe(r.stats.count);
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
  });

  it("uses the host's timezone for the schedule and the times", () => {
    const r = simulateJob(plan, 'ny-dump', { from, at: from + 10 * D });
    expect(r.timezone).toBe('America/New_York');
    expect(r.snapshots.map((s) => s.time)).toEqual(['2025-03-10T00:00:00-04:00', '2025-03-09T00:00:00-05:00', '2025-03-08T00:00:00-05:00']);
  });

  it('prunes at the prune_schedule, not after each run', () => {
    // Hourly runs from Mar 9 00:00 Paris, keep.last 24, pruned at 23:30: the Mar 9 prune keeps
    // all 24; by the Mar 10 prune 48 are held (the peak) and Mar 10 00:00 … 23:00 stay; then
    // Mar 11 00:00 … 10:00 (11) arrive unpruned: 35 at 10:30.
    const r = simulateJob(plan, 'pruned-nightly', { from: Date.UTC(2025, 2, 8, 23), at: Date.UTC(2025, 2, 11, 9, 30) });
    expect(r.pruneSchedule).toBe('30 23 * * *');
    expect(r.stats.prunes).toBe(2);
    expect(r.stats.count).toBe(35);
    expect(r.snapshots.filter((s) => s.reasons[0] === 'newest').length).toBe(11);
    expect(r.stats.maxCount).toBe(48);
    expect(r.stats.removed).toBe(24);
  });

  it('picks the engine from the kind (and Incus expiry only for expiry-only policies)', () => {
    const at = from + 20 * D;
    const native = simulateJob(plan, 'incus-native', { from, at });
    expect(native.engine).toBe('incus');
    expect(native.min).toBe(0);
    expect(native.stats.count).toBe(7);
    expect(simulateJob(plan, 'incus-backplan', { from, at }).engine).toBe('native');
    expect(simulateJob(plan, 'repo', { from, at }).engine).toBe('restic');
    expect(simulateJob(plan, 'vz', { from, at }).engine).toBe('pbs');
  });

  it('defaults: from = now, at = from + the longest age kept + 10% (a year when something is kept forever)', () => {
    const now = Date.UTC(2025, 0, 10, 12);
    const day = simulateJob(plan, 'pruned-nightly', { now });
    expect(Date.parse(day.from)).toBe(now);
    expect(Date.parse(day.at) - now).toBe(Math.ceil(24 * H * 1.1)); // last 24 × 1 h
    const week = simulateJob(plan, 'incus-native', { now });
    expect(Date.parse(week.at) - now).toBe(Math.ceil(7 * D * 1.1));
    const minet = simulateJob(plan, 'vm-snapshots', { now });
    expect(Date.parse(minet.at) - now).toBe(365 * D);
    expect(defaultHorizon('native', plan.policies.get('minet')!, 6 * H)).toBe(365 * D);
  });

  it('takes a horizon as a plan duration', () => {
    const r = simulateJob(plan, 'ny-dump', { from, horizon: '2mo' });
    expect(Date.parse(r.at)).toBe(addDuration(from, duration('2mo'), 'America/New_York'));
  });

  it('explains what it cannot simulate', () => {
    expect(() => simulateJob(plan, 'nope')).toThrow(SimulationError);
    expect(() => simulateJob(plan, 'manual', { from, at: from + D })).toThrow(/no schedule/);
    expect(() => simulateJob(plan, 'keepall', { from, at: from + D })).toThrow(/no retention/);
    expect(() => simulateJob(plan, 'ghost', { from, at: from + D })).toThrow(/unknown policy `nope`/);
    expect(() => simulateJob(plan, 'broken', { from, at: from + D })).toThrow(/schedule `0 25 \* \* \*` cannot be read/);
    expect(() => simulateJob(plan, 'ny-dump', { from, at: from - 1 })).toThrow(/before the start/);
  });
});

describe('simulatePlan', () => {
  it('simulates every enabled job with a schedule and a retention, and says why others are left out', () => {
    const r = simulatePlan(plan, { from, at: from + 3 * D });
    expect(r.jobs.map((j) => j.job)).toEqual(['vm-snapshots', 'ny-dump', 'pruned-nightly', 'incus-native', 'incus-backplan', 'repo', 'vz']);
    const why = Object.fromEntries(r.skipped.map((s) => [s.job, s.reason]));
    expect(why).toMatchObject({ off: 'disabled', manual: 'no schedule: runs only when started by hand', keepall: 'no retention', ghost: 'unknown policy `nope`' });
    expect(why.broken).toMatch(/^job `broken`: the schedule `0 25 \* \* \*` cannot be read: /);
    // The same instants for every job, written in each job's zone.
    expect(new Set(r.jobs.map((j) => Date.parse(j.at)))).toEqual(new Set([from + 3 * D]));
    expect(r.jobs.find((j) => j.job === 'ny-dump')!.at).toBe('2025-03-03T19:00:00-05:00');
  });

  it('simulates one job on request', () => {
    const r = simulatePlan(plan, { job: 'repo', from, horizon: '2d' });
    expect(r.jobs.map((j) => j.job)).toEqual(['repo']);
    expect(r.jobs[0].stats.count).toBe(24);
  });
});

describe('jobs that follow another (from, no schedule of their own)', () => {
  const chain = buildModel({
    version: 1,
    timezone: 'Europe/Paris',
    hosts: { scylla: { address: '192.0.2.1' }, nyc: { address: '192.0.2.2', timezone: 'America/New_York' } },
    jobs: {
      dump: { kind: 'pg-dump', host: 'nyc', schedule: '0 0 * * *', retention: { keep: { last: 3 } } },
      // A restic copy of the dump directory, and a copy of that copy: both run after `dump`.
      offsite: { kind: 'restic', host: 'scylla', from: 'dump', retention: { keep: { daily: 7 } } },
      tape: { kind: 'restic', host: 'scylla', from: 'offsite', retention: { keep: { last: 2 } } },
      snap: { kind: 'zfs-snapshot', host: 'scylla', schedule: '0 */6 * * *', retention: { keep: { last: 4 } } },
      rep: { kind: 'zfs-send', host: 'scylla', from: 'snap', retention: { keep: { last: 10 } } },
      off: { kind: 'rsync', schedule: '0 * * * *', retention: { keep: { last: 2 } }, enabled: false },
      orphan: { kind: 'rsync', from: 'off', retention: { keep: { last: 2 } } },
      root: { kind: 'rsync', retention: { keep: { last: 2 } } },
    },
  });

  it('fire with the job they follow, at the same instants (in its zone), transitively', () => {
    const at = from + 10 * D;
    const dump = simulateJob(chain, 'dump', { from, at });
    const tape = simulateJob(chain, 'tape', { from, at });
    expect(tape.schedule).toBe('0 0 * * *');
    expect(tape.scheduleOf).toBe('dump');
    expect(dump.scheduleOf).toBeUndefined();
    // New York midnights, written in the follower's own zone (Paris).
    expect(tape.snapshots.map((x) => x.time)).toEqual(['2025-03-10T05:00:00+01:00', '2025-03-09T06:00:00+01:00']);
    expect(tape.stats.created).toBe(dump.stats.created);
    const offsite = simulateJob(chain, 'offsite', { from, at });
    expect(offsite.stats.created).toBe(10);
    expect(offsite.snapshots[0].time).toBe(tape.snapshots[0].time);
  });

  it('a send that follows its snapshot job receives each snapshot at the instant it is taken', () => {
    const at = from + 3 * D;
    const rep = simulateJob(chain, 'rep', { from, at });
    expect(rep.scheduleOf).toBe('snap');
    // Every 6 hours from Mar 1 06:00 Paris through Mar 4 00:00: 12 snapshots sent, the newest
    // one the very snapshot the source took at that instant.
    expect(rep.stats.created).toBe(12);
    expect(rep.stats.count).toBe(10);
    const snap = simulateJob(chain, 'snap', { from, at });
    expect(rep.snapshots[0].time).toBe('2025-03-04T00:00:00+01:00');
    expect(snap.snapshots[0].time).toBe(rep.snapshots[0].time);
  });

  it('simulatePlan includes them, and says why a job is left out when nothing schedules it', () => {
    const r = simulatePlan(chain, { from, at: from + 3 * D });
    expect(r.jobs.map((j) => j.job)).toEqual(['dump', 'offsite', 'tape', 'snap', 'rep']);
    expect(Object.fromEntries(r.skipped.map((x) => [x.job, x.reason]))).toEqual({
      off: 'disabled',
      orphan: 'no schedule: it follows `off`, which is disabled',
      root: 'no schedule: runs only when started by hand',
    });
  });
});
