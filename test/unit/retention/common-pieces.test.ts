// The pieces every pruning engine shares (engine/retention/common.ts), tested on their own: the
// order of a list, keep counts as users write them, and the policy readers (issue #16's mutation run).
import { describe, expect, it } from 'vitest';
import type { KeepModel, PolicyModel } from '../../../engine/plan/model';
import {
  countOf,
  hasExpiry,
  hasTiers,
  isSet,
  keepHasRules,
  keepOf,
  PolicyValueError,
  policyDuration,
  sortNewestFirst,
  tagListsOf,
  unsupportedKeep,
} from '../../../engine/retention/common';
import type { SnapshotIn } from '../../../engine/retention/types';

const list = (times: number[]): SnapshotIn[] => times.map((time, i) => ({ time, id: `s${i}` }));
const ids = (s: readonly SnapshotIn[]): string[] => s.map((x) => x.id ?? '');
const policy = (p: Partial<PolicyModel>): PolicyModel => ({ at: ['policies', 'p'], raw: {}, ...p });
const YEAR = 365 * 86_400_000;

describe('sortNewestFirst', () => {
  it('returns a new list and leaves its input alone, whatever the input order', () => {
    for (const times of [
      [3000, 2000, 1000], // already newest first
      [1000, 2000, 3000], // oldest first
      [2000, 3000, 1000], // neither: whole seconds
      [2500, 3001, 1999], // neither: milliseconds
    ]) {
      const input = list(times);
      const before = ids(input);
      const out = sortNewestFirst(input);
      expect(out).not.toBe(input);
      expect(ids(input)).toEqual(before);
      expect(out.map((s) => s.time)).toEqual([...times].sort((a, b) => b - a));
    }
  });

  it('keeps the input order of equal times', () => {
    expect(ids(sortNewestFirst(list([1000, 2000, 2000])))).toEqual(['s1', 's2', 's0']);
    expect(ids(sortNewestFirst(list([2000, 2000, 1000])))).toEqual(['s0', 's1', 's2']);
    expect(ids(sortNewestFirst(list([2000, 5000, 1000, 5000, 2000])))).toEqual(['s1', 's3', 's0', 's4', 's2']);
    // milliseconds: the comparator sort, stable too
    expect(ids(sortNewestFirst(list([2001, 5001, 1001, 5001])))).toEqual(['s1', 's3', 's0', 's2']);
  });

  it('sorts a span of centuries exactly (too wide to pack a time and a position in one number)', () => {
    const times = [300 * YEAR, 0, 150 * YEAR, 300 * YEAR, 7 * YEAR, 299 * YEAR];
    expect(ids(sortNewestFirst(list(times)))).toEqual(['s0', 's3', 's5', 's2', 's4', 's1']);
    // the newest last, so a wrong minimum would be the newest time
    const newestLast = [0, 150 * YEAR, 7 * YEAR, 300 * YEAR];
    expect(ids(sortNewestFirst(list(newestLast)))).toEqual(['s3', 's1', 's2', 's0']);
  });
});

describe('countOf', () => {
  it('reads keep counts as users write them', () => {
    expect(countOf('all')).toBe(-1);
    expect(countOf('unlimited')).toBe(-1);
    expect(countOf(7)).toBe(7);
    expect(countOf(-1)).toBe(-1);
    expect(countOf(2.5)).toBe(0);
    expect(countOf('12')).toBe(12);
    expect(countOf(' 7 ')).toBe(7);
    expect(countOf('-1')).toBe(-1);
    expect(countOf('7x')).toBe(0);
    expect(countOf('x7')).toBe(0);
    expect(countOf('-')).toBe(0);
    expect(countOf('')).toBe(0);
    expect(countOf(undefined)).toBe(0);
    expect(countOf(true)).toBe(0);
  });
});

describe('policy readers', () => {
  it('throws PolicyValueError naming the key of a duration it cannot read', () => {
    expect(policyDuration('2d', ['keep', 'within'])).toMatchObject({ d: 2 });
    let e: unknown;
    try {
      policyDuration('soon', ['tiers', 0, 'every']);
    } catch (caught) {
      e = caught;
    }
    expect(e).toBeInstanceOf(PolicyValueError);
    expect((e as PolicyValueError).name).toBe('PolicyValueError');
    expect((e as PolicyValueError).key).toEqual(['tiers', 0, 'every']);
    expect((e as PolicyValueError).message).toMatch(/^tiers\.0\.every: \S/);
  });

  it('returns a copy of a remembered duration', () => {
    const a = policyDuration('3w', ['expiry']);
    a.w = 99;
    expect(policyDuration('3w', ['expiry']).w).toBe(3);
  });

  it('takes keep only when it is a mapping', () => {
    const keep = { last: 2 } as KeepModel;
    expect(keepOf(policy({ keep }))).toBe(keep);
    expect(keepOf(policy({ keep: null as unknown as KeepModel }))).toBeUndefined();
    expect(keepOf(policy({ keep: [] as unknown as KeepModel }))).toBeUndefined();
    expect(keepOf(policy({ keep: 'last' as unknown as KeepModel }))).toBeUndefined();
    expect(keepOf(undefined)).toBeUndefined();
  });

  it('reads tag lists, a single tag as a list of one', () => {
    expect(tagListsOf({ tags: ['a', ['b', 3]] } as unknown as KeepModel)).toEqual([['a'], ['b', '3']]);
    expect(tagListsOf({ tags: 'a' } as unknown as KeepModel)).toEqual([]);
    expect(tagListsOf(undefined)).toEqual([]);
  });

  it('tells set values, tiers and expiry apart from empty ones', () => {
    expect(isSet(null)).toBe(false);
    expect(isSet(undefined)).toBe(false);
    expect(isSet(0)).toBe(true);
    expect(hasTiers(undefined)).toBe(false);
    expect(hasTiers(policy({ tiers: [] }))).toBe(false);
    expect(hasTiers(policy({ tiers: [{ keep: 'all' }] as PolicyModel['tiers'] }))).toBe(true);
    expect(hasExpiry(undefined)).toBe(false);
    expect(hasExpiry(policy({ expiry: '' }))).toBe(false);
    expect(hasExpiry(policy({ expiry: '  ' }))).toBe(false);
    expect(hasExpiry(policy({ expiry: '1d' }))).toBe(true);
  });

  it('finds a rule that keeps something', () => {
    expect(keepHasRules(undefined)).toBe(false);
    expect(keepHasRules({} as KeepModel)).toBe(false);
    expect(keepHasRules({ last: 0, within: ' ', tags: [] } as unknown as KeepModel)).toBe(false);
    expect(keepHasRules({ daily: 3 } as KeepModel)).toBe(true);
    expect(keepHasRules({ full: 2 } as unknown as KeepModel)).toBe(true);
    expect(keepHasRules({ incrementals_of: 'all' } as unknown as KeepModel)).toBe(true);
    expect(keepHasRules({ within_daily: '7d' } as KeepModel)).toBe(true);
    expect(keepHasRules({ tags: [['x']] } as unknown as KeepModel)).toBe(true);
  });

  it('refuses each keep key that is set, naming the engine, the key and the hint', () => {
    const keep = { last: null, daily: 3, within: '2d' } as unknown as KeepModel;
    expect(unsupportedKeep(keep, 'Incus', 'only expiry')).toEqual([
      { key: ['keep', 'daily'], message: 'Incus has no `keep.daily` rule: only expiry' },
      { key: ['keep', 'within'], message: 'Incus has no `keep.within` rule: only expiry' },
    ]);
    expect(unsupportedKeep(undefined, 'Incus', 'only expiry')).toEqual([]);
  });
});
