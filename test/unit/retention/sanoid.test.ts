// sanoid 2.1's pruning and taking (engine/retention/sanoid.ts), on cases worked out by hand from
// its prune_snapshots and take_snapshots (the reasoning is in each case).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { PolicyModel } from '../../../engine/plan/model';
import { engineIdFor, getEngine } from '../../../engine/retention/index';
import {
  preferredTime,
  replaySanoid,
  sanoidDue,
  sanoidEngine,
  sanoidName,
  sanoidType,
} from '../../../engine/retention/sanoid';
import { engineDocMarkdown } from '../../../server/retention-docs';
import { backplan, ensureBuilt } from '../../helpers/cli';

const H = 3_600_000;
const D = 24 * H;
const T = Date.UTC(2026, 0, 10, 12); // a Saturday
const policy = (keep: Record<string, unknown>, more: Record<string, unknown> = {}): PolicyModel =>
  ({ at: [], keep, ...more, raw: { keep, ...more } }) as unknown as PolicyModel;
const snap = (time: number, type: string) => ({ time, id: sanoidName(time, type as 'hourly', 'UTC') });
const kept = (snaps: { time: number; id: string }[], p: PolicyModel, now = T) =>
  sanoidEngine
    .evaluate(snaps, p, { now, timezone: 'UTC' })
    .keep.map((k) => k.snapshot.id)
    .sort();

describe('sanoid names', () => {
  it('reads the type as sanoid does: autosnap… ending in `ly`, the word after the last `_`', () => {
    expect(sanoidName(Date.UTC(2026, 0, 5, 23, 59, 7), 'daily', 'UTC')).toBe('autosnap_2026-01-05_23:59:07_daily');
    expect(sanoidName(Date.UTC(2026, 6, 1), 'hourly', 'Europe/Paris')).toBe('autosnap_2026-07-01_02:00:00_hourly');
    expect(sanoidType('autosnap_2026-01-05_23:59:07_daily')).toBe('daily');
    expect(sanoidType('autosnap_2026-01-05_23:59:07_hourly')).toBe('hourly');
    expect(sanoidType('backplan-20260105T2359Z')).toBeUndefined();
    expect(sanoidType('autosnap_2026-01-05_23:59:07_daily-keep')).toBeUndefined(); // not ending in ly
    expect(sanoidType('manual_2026_daily')).toBeUndefined(); // not autosnap
  });
});

describe('sanoid prune_snapshots', () => {
  it('hourly 3 of five hourly ones: the two older than now − 3 h go, the one exactly 3 h old stays', () => {
    const s = [5, 4, 3, 2, 1].map((h) => snap(T - h * H, 'hourly'));
    expect(kept(s, policy({ hourly: 3 }))).toEqual([s[2].id, s[3].id, s[4].id].sort());
  });

  it('the count condition: 3 dailies, each 30 days old, under daily 7 all stay', () => {
    const s = [32, 31, 30].map((d) => snap(T - d * D, 'daily'));
    expect(kept(s, policy({ daily: 7 }))).toHaveLength(3);
  });

  it('age: 6 hourlies of the last 90 min under hourly 2 all stay (more than 2, none older than 2 h)', () => {
    const s = [90, 75, 60, 45, 30, 15].map((m) => snap(T - m * 60_000, 'hourly'));
    expect(kept(s, policy({ hourly: 2 }))).toHaveLength(6);
  });

  it('a month is 31 days: monthly 1 drops the one 40 days old, keeps those 30 d and 31 d old to the second', () => {
    const s = [snap(T - 40 * D, 'monthly'), snap(T - 31 * D, 'monthly'), snap(T - 30 * D, 'monthly')];
    expect(kept(s, policy({ monthly: 1 }))).toEqual([s[1].id, s[2].id].sort());
    expect(kept(s, policy({ monthly: 1 }), T + 1000)).toEqual([s[2].id]);
  });

  it('types are counted apart; a type the policy leaves out (0) loses all; other names are never pruned', () => {
    const s = [snap(T - 3 * H, 'hourly'), snap(T - 3 * H, 'daily'), snap(T - 2 * H, 'weekly')];
    s.push({ time: T - 9 * D, id: 'before-upgrade' });
    const d = sanoidEngine.evaluate(s, policy({ hourly: 1, daily: 1 }), { now: T, timezone: 'UTC' });
    expect(d.remove.map((x) => x.id)).toEqual([s[2].id]);
    expect(d.keep.find((k) => k.snapshot.id === 'before-upgrade')?.reasons[0]).toContain('never prunes');
  });

  it('refuses what sanoid cannot say', () => {
    const u = (p: PolicyModel) => sanoidEngine.unsupported(p).map((x) => x.key.join('.'));
    expect(u(policy({ hourly: 24, daily: 7 }))).toEqual([]);
    expect(u(policy({ last: 3, daily: 7, within: '2d' }))).toEqual(['keep.last', 'keep.within']);
    expect(u(policy({ daily: -1 }))).toEqual(['keep.daily', 'keep']);
    expect(u(policy({}, { tiers: [{ keep: 'all' }] }))).toContain('tiers');
    expect(u(policy({ daily: 7 }, { min: 2 }))).toEqual(['min']);
  });

  it('is the engine of zfs jobs that say pruner: sanoid, and of no other kind', () => {
    expect(engineIdFor('zfs-snapshot', undefined, 'sanoid')).toBe('sanoid');
    // On a zfs-send: sanoid prunes the received snapshots (simulate/sanoid-send.ts).
    expect(engineIdFor('zfs-send', undefined, 'sanoid')).toBe('sanoid');
    expect(engineIdFor('btrfs-snapshot', undefined, 'sanoid')).toBe('native');
    expect(engineIdFor('zfs-snapshot', undefined, 'backplan')).toBe('native');
    expect(engineIdFor('restic', undefined, 'sanoid')).toBe('restic');
    expect(getEngine('sanoid').release).toBe('sanoid 2.1.0');
  });
});

describe('sanoid take_snapshots', () => {
  it('preferred times: this hour at :00, today 23:59 else yesterday, Monday 23:30, the 1st 00:00', () => {
    const now = Date.UTC(2026, 0, 6, 10, 20); // Tuesday 10:20
    expect(preferredTime(now, 'hourly', 'UTC')).toBe(Date.UTC(2026, 0, 6, 10));
    expect(preferredTime(now, 'daily', 'UTC')).toBe(Date.UTC(2026, 0, 5, 23, 59));
    expect(preferredTime(now, 'weekly', 'UTC')).toBe(Date.UTC(2026, 0, 5, 23, 30));
    expect(preferredTime(Date.UTC(2026, 0, 5, 23, 0), 'weekly', 'UTC')).toBe(Date.UTC(2025, 11, 29, 23, 30));
    expect(preferredTime(now, 'monthly', 'UTC')).toBe(Date.UTC(2026, 0, 1));
    expect(preferredTime(now, 'frequently', 'UTC')).toBe(Date.UTC(2026, 0, 6, 10, 15));
  });

  it('a type is due when its newest is older than its preferred time (or it has none)', () => {
    const counts = { frequently: 0, hourly: 24, daily: 7, weekly: 4, monthly: 0, yearly: 0 };
    const mon0000 = Date.UTC(2026, 0, 5);
    // Monday 00:00: yesterday's 23:59 passed since the daily of Sunday 00:00; the week's Monday 23:30 not yet.
    const before = { hourly: mon0000 - H, daily: mon0000 - D, weekly: mon0000 - 6 * D };
    expect(sanoidDue(mon0000, counts, before, 'UTC')).toEqual(['daily', 'hourly']);
    // 23:58 the same day: the week's 23:30 has passed (weekly due), today's 23:59 is still ahead.
    const late = mon0000 + 23 * H + 58 * 60_000;
    const newest = { hourly: mon0000 + 22 * H, daily: mon0000, weekly: mon0000 - 6 * D };
    expect(sanoidDue(late, counts, newest, 'UTC')).toEqual(['weekly', 'hourly']);
    expect(sanoidDue(late, counts, { ...newest, weekly: mon0000 + 23 * H + 31 * 60_000 }, 'UTC')).toEqual(['hourly']);
    expect(sanoidDue(mon0000, counts, {}, 'UTC')).toEqual(['weekly', 'daily', 'hourly']);
  });

  it('a run prunes the list read before it took: hourly 3, run hourly, holds 4 (as sanoid on zfs-fuse did)', () => {
    const runs = [0, 1, 2, 3, 4, 5, 6].map((h) => Date.UTC(2026, 0, 1, h));
    const r = replaySanoid(runs, policy({ hourly: 3, daily: 2, monthly: 1 }), 'UTC', runs[6]);
    expect(r.held.map((h) => h.name)).toEqual([
      'autosnap_2026-01-01_00:00:00_monthly',
      'autosnap_2026-01-01_00:00:00_daily',
      'autosnap_2026-01-01_03:00:00_hourly',
      'autosnap_2026-01-01_04:00:00_hourly',
      'autosnap_2026-01-01_05:00:00_hourly',
      'autosnap_2026-01-01_06:00:00_hourly',
    ]);
    expect(r.created).toBe(9);
    expect(r.removed).toBe(3);
  });
});

describe('the retention hover of a pruner: sanoid job', () => {
  it('says in two lines how sanoid differs: per-type counts and the age condition', () => {
    const md = engineDocMarkdown('sanoid', sanoidEngine.release, policy({ hourly: 24, daily: 7 }));
    const bullets = md.split('\n').filter((l) => l.startsWith('- '));
    expect(bullets).toHaveLength(2);
    expect(bullets[0]).toContain('**per snapshot type**');
    expect(bullets[1]).toContain('older than N × period');
  });
});

describe('backplan retain --engine sanoid|btrbk', () => {
  it('takes {time, name} entries, answers with the names; btrbk terms only for btrbk', () => {
    ensureBuilt();
    const dir = mkdtempSync(join(tmpdir(), 'bp-retain-sanoid-'));
    const file = join(dir, 's.json');
    const at = (h: number) => new Date(Date.UTC(2026, 0, 10, h)).toISOString().replace('.000', '');
    const list = [7, 8, 9].map((h) => ({ time: at(h), name: sanoidName(Date.UTC(2026, 0, 10, h), 'hourly', 'UTC') }));
    writeFileSync(file, JSON.stringify(list));
    const r = backplan(['retain', '--engine', 'sanoid', '--policy', '{keep: {hourly: 1}}', '--snapshots', file,
      '--now', at(10), '--format', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { keep: { name: string }[]; remove: { name: string }[] };
    expect(out.keep.map((k) => k.name)).toEqual(['autosnap_2026-01-10_09:00:00_hourly']);
    expect(out.remove.map((k) => k.name)).toEqual([list[1].name, list[0].name]);
    const terms = '{preserve: "2h", preserve_min: latest}';
    const args = ['--snapshots', file, '--now', at(10), '-f', 'json'];
    const b = backplan(['retain', '--engine', 'btrbk', '--policy', terms, ...args]);
    expect(b.code, b.stderr).toBe(0);
    expect((JSON.parse(b.stdout) as typeof out).remove.map((k) => k.name)).toEqual([list[0].name]);
    const foreign = backplan(['retain', '--engine', 'restic', '--policy', '{preserve: "2h"}', '--snapshots', file]);
    expect(foreign.code).toBe(2);
    expect(foreign.stderr).toContain("btrbk's own terms");
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('sanoid frequently and frequent_period', () => {
  const M = 60_000;
  it('takes at each multiple of frequent_period within the hour (int(min / fp) × fp, 0 s)', () => {
    const now = Date.UTC(2026, 0, 6, 10, 23, 40);
    expect(preferredTime(now, 'frequently', 'UTC', 5)).toBe(Date.UTC(2026, 0, 6, 10, 20));
    expect(preferredTime(now, 'frequently', 'UTC', 45)).toBe(Date.UTC(2026, 0, 6, 10, 0));
    // 90 minutes: the slice is always 0, so one a clock hour is due at most.
    expect(preferredTime(now, 'frequently', 'UTC', 90)).toBe(Date.UTC(2026, 0, 6, 10, 0));
    const counts = { frequently: 4, hourly: 0, daily: 0, weekly: 0, monthly: 0, yearly: 0 };
    expect(sanoidDue(now, counts, { frequently: Date.UTC(2026, 0, 6, 10, 20) }, 'UTC', 5)).toEqual([]);
    expect(sanoidDue(now, counts, { frequently: Date.UTC(2026, 0, 6, 10, 19, 59) }, 'UTC', 5)).toEqual(['frequently']);
  });

  it('prunes frequently snapshots older than count × frequent_period while the type has more than its count', () => {
    const p = policy({ frequently: 2 }, { frequent_period: 5 });
    const snaps = [0, 5, 10, 15].map((m) => snap(T - m * M, 'frequently'));
    // maxage = now − 2 × 5 min: only the 15-minute-old one is strictly older, and the type has 4 > 2.
    expect(kept(snaps, p)).toEqual([snaps[0].id, snaps[1].id, snaps[2].id].sort());
    // The default period (15 min): 2 × 15 = 30 min keeps all four.
    expect(kept(snaps, policy({ frequently: 2 }))).toHaveLength(4);
  });

  it('a frequent_period that is not a whole number of minutes from 1 is unsupported; other engines refuse both', () => {
    const bad = sanoidEngine.unsupported(policy({ frequently: 2 }, { frequent_period: 0 }));
    expect(bad.map((u) => u.key)).toEqual([['frequent_period']]);
    const restic = getEngine('restic').unsupported(policy({ frequently: 2, daily: 3 }, { frequent_period: 5 }));
    expect(restic.map((u) => u.key)).toEqual([['keep', 'frequently'], ['frequent_period']]);
  });

  it('a run replays frequently snapshots named _frequently, the prune reading the list before the take', () => {
    const p = policy({ frequently: 3 }, { frequent_period: 10 });
    const runs = Array.from({ length: 12 }, (_, i) => T + i * 10 * M);
    const r = replaySanoid(runs, p, 'UTC', runs[11]);
    expect(r.held.every((h) => h.name.endsWith('_frequently'))).toBe(true);
    expect(r.held).toHaveLength(4); // 3 and the one taken after the prune
  });
});
