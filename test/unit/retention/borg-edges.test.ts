// borg 1.2 prune at its edges: what borgWithin answers for each way a `within` can be wrong, the
// messages, period keys that never merge two periods, equal times, archives without a name, and
// the oldest-archive rule not relabelling a kept one (issue #16's mutation run).
import { describe, expect, it } from 'vitest';
import type { KeepModel, PolicyModel } from '../../../engine/plan/model';
import { borgEngine, borgPruneArgs, borgWithin, periodKey, type PeriodRule } from '../../../engine/retention/borg';
import { localParts } from '../../../engine/retention/calendar';
import { PolicyValueError } from '../../../engine/retention/common';
import type { SnapshotIn } from '../../../engine/retention/types';
import { thrown } from '../../helpers/thrown';

const at = (iso: string): number => Date.parse(iso);
const policy = (keep: KeepModel | undefined, extra: Partial<PolicyModel> = {}): PolicyModel => ({
  at: [],
  ...(keep ? { keep } : {}),
  raw: {},
  ...extra,
});
const UTC = { now: at('2024-01-10T12:00:00Z'), timezone: 'UTC' };

describe('borgWithin', () => {
  it('refuses with a message each duration borg cannot take', () => {
    expect(borgWithin('soon')).toEqual({ ok: false, message: expect.stringContaining('soon') });
    expect(borgWithin('0d')).toEqual({ ok: false, message: "borg's --keep-within needs a duration greater than 0, not `0d`" });
    expect(borgWithin('90min')).toEqual({
      ok: false,
      message: "borg's --keep-within counts whole hours at the finest; `90min` has 30 minutes left over",
    });
    expect(borgWithin('1y2d')).toEqual({
      ok: false,
      message:
        "borg's --keep-within takes one number and one unit; `1y2d` mixes y + d, and borg's " +
        'month (31 days) and year (365 days) cannot be combined with other units. Write it with a single unit ' +
        '(e.g. `14mo`, `400d`)',
    });
    expect(borgWithin('2mo1w').ok).toBe(false);
  });
});

describe('borg unsupported and prune arguments', () => {
  it('names each form borg has no option for', () => {
    const u = borgEngine.unsupported(
      policy({ last: 2, tags: [['x']] } as unknown as KeepModel, {
        tiers: [{ keep: 'all' }] as PolicyModel['tiers'],
        expiry: '1d',
      }),
    );
    expect(u).toEqual([
      { key: ['tiers'], message: 'borg prune has no age tiers; express the policy with `keep` counts and `within`' },
      { key: ['expiry'], message: 'borg prune has no per-archive expiry; use `keep: {within: ...}`' },
      {
        key: ['keep', 'tags'],
        message: 'borg prune cannot keep archives by tag (borg archives have no tags; it can only select archives by name)',
      },
    ]);
  });

  it('asks for a rule only when nothing else is wrong, and takes a blank within as none', () => {
    expect(borgEngine.unsupported(policy(undefined, { expiry: '1d' })).map((x) => x.key)).toEqual([['expiry']]);
    expect(borgEngine.unsupported(policy({ within: ' ' } as KeepModel)).map((x) => x.key)).toEqual([['keep']]);
    expect(borgEngine.unsupported(policy({ last: 1, tags: [] } as unknown as KeepModel))).toEqual([]);
    expect(borgEngine.unsupported(policy({ within: '' } as KeepModel)).map((x) => x.key)).toEqual([['keep']]);
  });

  it('joins every refusal into the error of borgPruneArgs', () => {
    expect(() => borgPruneArgs(policy({ last: 1 }, { tiers: [{ keep: 'all' }] as PolicyModel['tiers'], expiry: '1d' }))).toThrow(
      'borg prune has no age tiers; express the policy with `keep` counts and `within`; ' +
        'borg prune has no per-archive expiry; use `keep: {within: ...}`',
    );
  });

  it('names keep.within when borgPruneArgs cannot read it', () => {
    const e = thrown(() => borgPruneArgs(policy({ within: 'soon', last: 2 } as KeepModel)));
    expect(e).toBeInstanceOf(PolicyValueError);
    expect((e as PolicyValueError).key).toEqual(['keep', 'within']);
    expect((e as PolicyValueError).message).toMatch(/^keep\.within: /);
  });

  it('evaluate names keep.within for an unreadable or an inexpressible within', () => {
    for (const within of ['soon', '1y2d']) {
      const e = thrown(() => borgEngine.evaluate([], policy({ within } as KeepModel), UTC));
      expect(e).toBeInstanceOf(PolicyValueError);
      expect((e as PolicyValueError).key).toEqual(['keep', 'within']);
    }
    const e = thrown(() => borgEngine.evaluate([], policy({ within: '1y2d' } as KeepModel), UTC));
    expect((e as Error).message).toMatch(/^borg cannot evaluate keep\.within: borg's --keep-within takes one number/);
  });

  it('refuses an unknown time zone', () => {
    expect(() => borgEngine.evaluate([], policy({ last: 1 }), { now: 0, timezone: 'Mars/Olympus' })).toThrow(
      'unknown timezone `Mars/Olympus`',
    );
  });
});

describe('borg periods', () => {
  // Two instants share a period exactly when their local fields down to the rule's unit agree.
  const fields: Record<PeriodRule, (iso: string) => string> = {
    secondly: (iso) => iso.slice(0, 19),
    hourly: (iso) => iso.slice(0, 13),
    daily: (iso) => iso.slice(0, 10),
    weekly: (iso) => {
      const p = localParts(at(iso), 'UTC');
      return `${p.isoYear}-W${p.isoWeek}`;
    },
    monthly: (iso) => iso.slice(0, 7),
    yearly: (iso) => iso.slice(0, 4),
  };
  const samples: [PeriodRule, number, number][] = [
    ['secondly', 7_000, 6_000], // 7 s steps over almost 12 hours
    ['secondly', 690_000, 3_100], // 690 s steps over 24 days: 3,000 steps are 24 days less an hour
    ['hourly', 37 * 60_000, 3_000],
    ['daily', 5 * 3_600_000, 3_000],
    ['weekly', 7 * 86_400_000, 6_000], // over a century: week keys must not repeat 100 years apart
    ['monthly', 7 * 86_400_000, 3_000],
    ['yearly', 17 * 86_400_000, 3_000],
  ];

  for (const [rule, step, count] of samples) {
    it(`gives one ${rule} key per ${rule} period (steps of ${step / 1000} s)`, () => {
      const keyOf = new Map<string, number>();
      const periodOf = new Map<number, string>();
      for (let i = 0; i < count; i++) {
        const t = Date.UTC(1999, 11, 30, 23, 58, 1) + i * step;
        const iso = new Date(t).toISOString();
        const period = fields[rule](iso);
        const key = periodKey(localParts(t, 'UTC'), rule);
        expect(keyOf.get(period) ?? key).toBe(key);
        expect(periodOf.get(key) ?? period).toBe(period);
        keyOf.set(period, key);
        periodOf.set(key, period);
      }
    });
  }
});

describe('borg decisions', () => {
  it('treats the first given of equal times as the newer', () => {
    const t = at('2024-01-05T00:00:00Z');
    const snaps: SnapshotIn[] = ['a', 'b', 'c'].map((id) => ({ id, time: t }));
    // one second is one period: the first is kept, the last given as the oldest
    const d = borgEngine.evaluate(snaps, policy({ last: 2 }), UTC);
    expect(d.keep.map((k) => `${k.snapshot.id} ${k.reasons.join()}`)).toEqual(['a secondly #1', 'c secondly[oldest] #2']);
    expect(d.remove.map((s) => s.id)).toEqual(['b']);
  });

  it('prunes archives listed without a name', () => {
    const snaps: SnapshotIn[] = [{ time: at('2024-01-05T00:00:00Z') }, { time: at('2024-01-04T00:00:00Z') }];
    const d = borgEngine.evaluate(snaps, policy({ last: 1 }), UTC);
    expect(d.keep.map((k) => k.reasons)).toEqual([['secondly #1']]);
    expect(d.remove).toHaveLength(1);
  });

  it('keeps nothing but the newest checkpoint without a rule', () => {
    const snaps: SnapshotIn[] = [
      { id: 'x.checkpoint', time: at('2024-01-05T00:00:00Z') },
      { id: 'y', time: at('2024-01-04T00:00:00Z') },
    ];
    const d = borgEngine.evaluate(snaps, policy(undefined), UTC);
    expect(d.keep.map((k) => `${k.snapshot.id} ${k.reasons.join()}`)).toEqual(['x.checkpoint checkpoint']);
  });

  it('does not relabel the oldest archive when a rule already kept it', () => {
    const snaps: SnapshotIn[] = [
      { id: 'n', time: at('2024-01-05T00:00:00Z') },
      { id: 'o', time: at('2024-01-04T00:00:00Z') },
    ];
    const d = borgEngine.evaluate(snaps, policy({ last: 5 }), UTC);
    expect(d.keep.map((k) => `${k.snapshot.id} ${k.reasons.join()}`)).toEqual(['n secondly #1', 'o secondly #2']);
    const daily = borgEngine.evaluate(snaps, policy({ last: 1, daily: 1 }), UTC);
    expect(daily.keep.map((k) => `${k.snapshot.id} ${k.reasons.join()}`)).toEqual(['n secondly #1', 'o daily #1']);
  });
});
