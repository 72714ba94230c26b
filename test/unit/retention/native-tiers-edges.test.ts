// Backplan's own pruner at its edges (engine/retention/native.ts): bucket sizes it refuses and
// why, tiers written oddly (a null entry, no `until` on the last band, neither `keep: all` nor
// `every`), the keys named when a value cannot be read, and each band's reason (issue #16's
// mutation run).
import { describe, expect, it } from 'vitest';
import type { PolicyModel } from '../../../engine/plan/model';
import { PolicyValueError } from '../../../engine/retention/common';
import { bucketScheme, nativeEngine, tierBands } from '../../../engine/retention/native';
import type { SnapshotIn } from '../../../engine/retention/types';
import { duration } from '../../../engine/time/duration';
import { thrown } from '../../helpers/thrown';

const DAY = 86_400_000;
const NOW = Date.UTC(2025, 5, 15, 12);
const ctx = { now: NOW, timezone: 'UTC' };
const policy = (p: Record<string, unknown>): PolicyModel => ({ at: [], raw: {}, ...p }) as PolicyModel;
const ago = (...days: number[]): SnapshotIn[] => days.map((d) => ({ time: NOW - d * DAY, id: `${d}d` }));
const kept = (p: PolicyModel, list: SnapshotIn[]) =>
  nativeEngine.evaluate(list, p, ctx).keep.map((k) => `${k.snapshot.id} ${k.reasons.join(', ')}`);

describe('bucket sizes', () => {
  it('refuses zero, mixes of calendar and fixed units, and fixed sizes over a day that are not whole days', () => {
    expect(bucketScheme(duration('0d'))).toEqual({ error: 'a bucket size must be longer than zero' });
    for (const mixed of ['1mo1d', '1y2h', '1mo30min', '1y1w']) {
      expect(bucketScheme(duration(mixed))).toEqual({ error: expect.stringMatching(/mixes calendar units/) });
    }
    expect(bucketScheme(duration('1d12h'))).toEqual({
      error:
        '`1d12h` is longer than a day but not a whole number of days, so it has no calendar bucket: ' +
        'use whole days (e.g. `2d`) or at most 24h',
    });
    expect(bucketScheme(duration('24h'))).toEqual({ unit: 'days', size: 1 });
  });
});

describe('tier bands', () => {
  it('has none without tiers and reads a tier that is not a mapping as an empty one', () => {
    expect(tierBands(undefined, NOW, 'UTC')).toEqual([]);
    const bands = tierBands(policy({ tiers: [null, { until: '1d', keep: 'all' }] }), NOW, 'UTC');
    expect(bands.map((b) => [b.tier, b.lower, b.upper])).toEqual([
      [{}, -Infinity, NOW],
      [{ until: '1d', keep: 'all' }, NOW - DAY, -Infinity],
    ]);
  });

  it('names the tier key it cannot read', () => {
    for (const [tier, key] of [
      [{ until: 'soon', keep: 'all' }, ['tiers', 0, 'until']],
      [{ every: 'soon' }, ['tiers', 0, 'every']],
    ] as const) {
      const e = thrown(() => tierBands(policy({ tiers: [tier] }), NOW, 'UTC'));
      expect(e).toBeInstanceOf(PolicyValueError);
      expect((e as PolicyValueError).key).toEqual(key);
    }
    const e = thrown(() => nativeEngine.evaluate(ago(1), policy({ expiry: 'soon' }), ctx));
    expect((e as PolicyValueError).key).toEqual(['expiry']);
  });

  it('says which tier has a bucket size it cannot use, and ignores every under keep: all', () => {
    expect(() => tierBands(policy({ tiers: [{ every: '1d12h' }] }), NOW, 'UTC')).toThrow(
      /^tiers\.0\.every: `1d12h` is longer than a day/,
    );
    expect(tierBands(policy({ tiers: [{ keep: 'all', every: '1d12h' }] }), NOW, 'UTC')[0].scheme).toBeUndefined();
  });
});

describe('tier decisions', () => {
  it('keeps everything in a last band without until, naming each band by its position', () => {
    const p = policy({ tiers: [{ until: '2d', keep: 'all' }, { keep: 'all' }] });
    expect(kept(p, ago(1, 5, 400))).toEqual(['1d tier 1: keep all < 2d', '5d tier 2: keep all', '400d tier 2: keep all']);
  });

  it('keeps nothing in a band with neither keep: all nor every', () => {
    const p = policy({ tiers: [{ until: '2d', keep: 'all' }, { until: '30d' }] });
    expect(kept(p, ago(1, 5))).toEqual(['1d tier 1: keep all < 2d']);
  });
});

describe('native unsupported', () => {
  it('reports only a readable every that has no bucket, outside keep: all', () => {
    const p = policy({
      tiers: [null, 'x', { every: '1d12h' }, { keep: 'all', every: '1d12h' }, { every: 'soon' }, { until: '1d' }],
    });
    expect(nativeEngine.unsupported(p)).toEqual([
      {
        key: ['tiers', 2, 'every'],
        message:
          "Backplan's pruner cannot bucket by `1d12h` is longer than a day but not a whole number of days, " +
          'so it has no calendar bucket: use whole days (e.g. `2d`) or at most 24h',
      },
    ]);
  });
});
