// duplicity's remove commands as the engine models them (dup_main.py remove_old,
// dup_collections.py get_chains_older_than / get_nth_last_backup_chain).
import { describe, expect, it } from 'vitest';
import { buildPolicy } from '../../../engine/plan/build-model';
import { duplicityEngine, duplicityInterval } from '../../../engine/retention/duplicity';
import { getEngine } from '../../../engine/retention/index';
import type { SnapshotIn } from '../../../engine/retention/types';
import { duration } from '../../../engine/time/duration';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 1);
const policy = (keep: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  buildPolicy({ keep, ...extra }, ['policy']);

/** `F` full, `i` incremental, one a day from T0. */
function sets(pattern: string): SnapshotIn[] {
  return [...pattern].map((c, d) => ({ time: T0 + d * DAY, id: String(d), type: c === 'F' ? 'full' : 'incremental' }));
}

function kept(pattern: string, keep: Record<string, unknown>, nowDay: number): string {
  const list = sets(pattern);
  const d = duplicityEngine.evaluate(list, policy(keep), { now: T0 + nowDay * DAY, timezone: 'UTC' });
  const ids = new Set(d.keep.map((k) => k.snapshot.id));
  return list.map((s, i) => (ids.has(s.id) ? pattern[i] : '.')).join('');
}

describe('duplicity engine', () => {
  it('remove-older-than removes a chain only when its newest set is older than the cutoff', () => {
    // Chains: days 0-2, 3-5, 6-7. now = day 8, within 3D: cutoff day 5 → only the first chain (ends day 2) goes;
    // the second ends on day 5, not older than the cutoff.
    expect(kept('FiiFiiFi', { within: '3d' }, 8)).toBe('...FiiFi');
    // cutoff day 5 + 1 s later: the second chain ends before it and goes too.
    const list = sets('FiiFiiFi');
    const d = duplicityEngine.evaluate(list, policy({ within: '3d' }), { now: T0 + 8 * DAY + 1000, timezone: 'UTC' });
    expect(d.keep.map((k) => k.snapshot.id)).toEqual(['7', '6']);
  });

  it('never removes the current chain, however old', () => {
    expect(kept('Fii', { within: '1d' }, 100)).toBe('Fii');
    expect(kept('FiFi', { within: '1d' }, 100)).toBe('..Fi');
  });

  it('remove-all-but-n-full keeps the N newest chains', () => {
    expect(kept('FiFiiFFi', { full: 2 }, 8)).toBe('.....FFi');
    expect(kept('FiFiiFFi', { full: 3 }, 8)).toBe('..FiiFFi');
    expect(kept('FiFi', { full: 5 }, 8)).toBe('FiFi');
  });

  it('remove-all-inc-of-but-n-full keeps the fulls of older chains and drops their incrementals', () => {
    expect(kept('FiiFiFi', { incrementals_of: 1 }, 8)).toBe('F..F.Fi');
    expect(kept('FiiFiFi', { incrementals_of: 2 }, 8)).toBe('F..FiFi');
  });

  it('combines the three in the driver order', () => {
    expect(kept('FiFiFiFi', { within: '5d', incrementals_of: 1 }, 8)).toBe('..F.F.Fi');
    expect(kept('FiFiFiFi', { within: '30d', full: 3, incrementals_of: 2 }, 8)).toBe('..F.FiFi');
  });

  it('leaves incrementals before any full alone and gives reasons', () => {
    const list = sets('iiFiF');
    const d = duplicityEngine.evaluate(list, policy({ full: 1 }), { now: T0 + 9 * DAY, timezone: 'UTC' });
    expect(d.keep.map((k) => k.snapshot.id)).toEqual(['4', '1', '0']);
    expect(d.keep[0].reasons).toEqual(['current chain']);
    expect(d.keep[1].reasons[0]).toMatch(/outside any chain/);
  });

  it('reads durations in duplicity units', () => {
    expect(duplicityInterval(duration('1y2mo3w4d5h6min'))).toBe('1Y2M3W4D5h6m');
    // 1mo = 30 days for duplicity: a chain ending 30 days + 1 s before now goes, 30 days exactly stays.
    const list: SnapshotIn[] = [
      { time: T0, id: 'a', type: 'full' },
      { time: T0 + 40 * DAY, id: 'b', type: 'full' },
    ];
    const at = (now: number) => duplicityEngine.evaluate(list, policy({ within: '1mo' }), { now, timezone: 'UTC' });
    expect(at(T0 + 30 * DAY).keep).toHaveLength(2);
    expect(at(T0 + 30 * DAY + 1000).keep).toHaveLength(1);
  });

  it('refuses what duplicity cannot express, and the other engines refuse its chain counts', () => {
    const keys = (p: ReturnType<typeof policy>) => duplicityEngine.unsupported(p).map((u) => u.key.join('.'));
    expect(keys(policy({ daily: 7, within: '7d' }))).toEqual(['keep.daily']);
    expect(keys(buildPolicy({ tiers: [{ keep: 'all', until: '1d' }], expiry: '7d', min: 2 }, ['p']))).toEqual([
      'tiers',
      'expiry',
      'min',
    ]);
    expect(keys(policy({ full: 0 }))).toEqual(['keep.full']);
    expect(keys(policy({ full: 2, incrementals_of: 1, within: '1mo' }))).toEqual([]);
    for (const id of ['restic', 'borg', 'native', 'pbs'] as const) {
      expect(
        getEngine(id)
          .unsupported(policy({ full: 2 }))
          .map((u) => u.key.join('.')),
      ).toContain('keep.full');
    }
  });
});
