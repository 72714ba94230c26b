// duplicity's chain rules at their edges: units, unreadable or empty keys, the order of a list
// given unsorted or with equal times, and the reasons each kept set is given (issue #16's
// mutation run). The rules are dup_main.py remove_old and dup_collections.py
// get_chains_older_than (a chain goes when its end_time < the cutoff, the active chain never)
// and get_nth_last_full_backup_time (0 when there are fewer than n chains).
import { describe, expect, it } from 'vitest';
import { buildPolicy } from '../../../engine/plan/build-model';
import { PolicyValueError } from '../../../engine/retention/common';
import {
  chainsOf,
  duplicityEngine,
  duplicityInterval,
  duplicityMs,
  duplicityRules,
  setType,
} from '../../../engine/retention/duplicity';
import type { RetentionDecision, SnapshotIn } from '../../../engine/retention/types';
import { duration } from '../../../engine/time/duration';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 1);
const policy = (keep: Record<string, unknown> | undefined, extra: Record<string, unknown> = {}) =>
  buildPolicy(keep === undefined ? extra : { keep, ...extra }, ['policy']);
const at = (day: number) => ({ now: T0 + day * DAY, timezone: 'UTC' });

/** `F` full, `i` incremental, one a day from T0. */
function sets(pattern: string): SnapshotIn[] {
  return [...pattern].map((c, d) => ({ time: T0 + d * DAY, id: String(d), type: c === 'F' ? 'full' : 'incremental' }));
}
const reasons = (d: RetentionDecision) => d.keep.map((k) => [k.snapshot.id, ...k.reasons]);

describe('duplicity units and rules', () => {
  it('writes a zero duration as 0s and leaves out zero units', () => {
    expect(duplicityInterval(duration('0d'))).toBe('0s');
    expect(duplicityInterval(duration('2d'))).toBe('2D');
    expect(duplicityInterval(duration('1h30min'))).toBe('1h30m');
  });

  it('gives every unit its fixed duplicity length', () => {
    const s = 365 * 86_400 + 2 * 30 * 86_400 + 3 * 7 * 86_400 + 4 * 86_400 + 5 * 3600 + 6 * 60;
    expect(duplicityMs(duration('1y2mo3w4d5h6min'))).toBe(s * 1000);
    expect(duplicityMs(duration('7min'))).toBe(7 * 60_000);
  });

  it('reads only counts of at least 1 and a non-blank within', () => {
    expect(duplicityRules(policy({ full: 2, incrementals_of: 3, within: '1w' }))).toEqual({
      full: 2,
      incrementalsOf: 3,
      within: duration('1w'),
    });
    expect(duplicityRules(policy({ full: 0, incrementals_of: 0, within: '' }))).toEqual({});
    expect(duplicityRules(policy({ full: 'all', incrementals_of: -1, within: '  ' }))).toEqual({});
    expect(duplicityRules(policy(undefined, { expiry: '1d' }))).toEqual({});
  });

  it('names keep.within when it cannot be read', () => {
    let e: unknown;
    try {
      duplicityRules(policy({ within: 'soon' }));
    } catch (caught) {
      e = caught;
    }
    expect(e).toBeInstanceOf(PolicyValueError);
    expect((e as PolicyValueError).key).toEqual(['keep', 'within']);
  });
});

describe('duplicity unsupported', () => {
  it('explains each refusal', () => {
    const hint = 'duplicity prunes whole chains only: use `keep: {within: D}`, `{full: N}` or `{incrementals_of: N}`';
    const p = buildPolicy(
      {
        keep: { daily: 3, within_daily: '2d', tags: [['x']], full: 0, incrementals_of: 'all' },
        tiers: [{ keep: 'all', until: '1d' }],
        expiry: '7d',
        min: 2,
      },
      ['p'],
    );
    expect(duplicityEngine.unsupported(p)).toEqual([
      { key: ['keep', 'daily'], message: `duplicity has no \`keep.daily\` rule: ${hint}` },
      { key: ['keep', 'within_daily'], message: `duplicity has no \`keep.within_daily\` rule: ${hint}` },
      { key: ['keep', 'tags'], message: `duplicity has no \`keep.tags\` rule: ${hint}` },
      {
        key: ['keep', 'full'],
        message: '`keep.full` must be a count of at least 1 (duplicity refuses 0 and has no unlimited count)',
      },
      {
        key: ['keep', 'incrementals_of'],
        message: '`keep.incrementals_of` must be a count of at least 1 (duplicity refuses 0 and has no unlimited count)',
      },
      { key: ['tiers'], message: `duplicity has no tiers: ${hint}` },
      { key: ['expiry'], message: `duplicity has no per-backup expiry: ${hint}` },
      {
        key: ['min'],
        message:
          'duplicity cannot spare single backup sets: `min` above 1 cannot be kept ' +
          '(its current chain is never removed, which is min 1)',
      },
    ]);
  });

  it('accepts min 1, which the current chain always meets', () => {
    expect(duplicityEngine.unsupported(policy({ full: 1 }, { min: 1 }))).toEqual([]);
    expect(duplicityEngine.unsupported(policy({ full: 1 }))).toEqual([]);
  });
});

describe('duplicity sets and chains', () => {
  it('takes the set type from `type` first, then a tag, else full', () => {
    expect(setType({ time: 0, type: 'full', tags: ['incremental'] })).toBe('full');
    expect(setType({ time: 0, type: 'incremental' })).toBe('incremental');
    expect(setType({ time: 0, tags: ['incremental'] })).toBe('incremental');
    expect(setType({ time: 0, tags: ['full'] })).toBe('full');
    expect(setType({ time: 0 })).toBe('full');
  });

  it('starts with no orphans', () => {
    expect(chainsOf(sets('Fi'))).toEqual({ chains: [{ sets: [0, 1], start: T0, end: T0 + DAY }], orphans: [] });
    expect(chainsOf(sets('iF')).orphans).toEqual([0]);
  });

  it('decides the same on a list given newest first', () => {
    const d = duplicityEngine.evaluate(sets('FiFi').reverse(), policy({ within: '1d' }), at(100));
    expect(d.keep.map((k) => k.snapshot.id)).toEqual(['3', '2']);
    expect(d.remove.map((s) => s.id)).toEqual(['1', '0']);
  });

  it('orders sets of the same second as listed', () => {
    // an incremental listed before a full of the same time precedes it: it is outside any chain
    const list: SnapshotIn[] = [
      { time: T0, id: 'x', type: 'incremental' },
      { time: T0, id: 'y', type: 'full' },
      { time: T0 + DAY, id: 'z', type: 'incremental' },
    ];
    const d = duplicityEngine.evaluate(list, policy({ full: 1 }), at(2));
    expect(reasons(d)).toEqual([
      ['z', 'current chain'],
      ['y', 'current chain'],
      ['x', 'incremental outside any chain (duplicity never removes it)'],
    ]);
  });

  it('keeps the incrementals of a chain ending at the very second the nth newest chain starts', () => {
    const list: SnapshotIn[] = [
      { time: T0, id: 'a', type: 'full' },
      { time: T0 + DAY, id: 'b', type: 'incremental' },
      { time: T0 + DAY, id: 'c', type: 'full' },
      { time: T0 + 2 * DAY, id: 'd', type: 'incremental' },
    ];
    const d = duplicityEngine.evaluate(list, policy({ incrementals_of: 1 }), at(3));
    expect(d.keep.map((k) => k.snapshot.id)).toEqual(['d', 'c', 'b', 'a']);
  });
});

describe('duplicity reasons', () => {
  it('says which rule kept each set', () => {
    const d = duplicityEngine.evaluate(sets('FiFiFi'), policy({ within: '30d', full: 3, incrementals_of: 2 }), at(6));
    const by = 'ends within 30D, one of the 3 newest chains';
    expect(reasons(d)).toEqual([
      ['5', 'current chain'],
      ['4', 'current chain'],
      ['3', `incremental of a chain kept (${by})`],
      ['2', `full of a chain kept (${by})`],
      ['0', 'full of an older chain (incrementals kept only in the 2 newest)'],
    ]);
  });

  it('names only the rules given', () => {
    const within = duplicityEngine.evaluate(sets('FiF'), policy({ within: '30d' }), at(3));
    expect(reasons(within).slice(1)).toEqual([
      ['1', 'incremental of a chain kept (ends within 30D)'],
      ['0', 'full of a chain kept (ends within 30D)'],
    ]);
    const full = duplicityEngine.evaluate(sets('FF'), policy({ full: 2 }), at(3));
    expect(reasons(full)).toEqual([
      ['1', 'current chain'],
      ['0', 'full of a chain kept (one of the 2 newest chains)'],
    ]);
    // a chain without incrementals is left alone by incrementals_of
    const inc = duplicityEngine.evaluate(sets('FFi'), policy({ incrementals_of: 1 }), at(3));
    expect(reasons(inc)).toEqual([
      ['2', 'current chain'],
      ['1', 'current chain'],
      ['0', 'full of a chain kept (no rule removes it)'],
    ]);
  });
});
