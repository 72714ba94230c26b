// borg 1.2 prune, worked by hand. The recorded decisions of the real tool are in borg-fixtures.test.ts.
import { describe, expect, it } from 'vitest';
import { borgEngine, borgPruneArgs, borgWithin } from '../../../engine/retention/borg';
import type { KeepModel, PolicyModel } from '../../../engine/plan/model';
import { PolicyValueError } from '../../../engine/retention/common';
import type { RetentionDecision, SnapshotIn } from '../../../engine/retention/types';

const at = (iso: string): number => Date.parse(iso);
const snap = (id: string, iso: string): SnapshotIn => ({ id, time: at(iso) });
const policy = (keep: KeepModel, extra: Partial<PolicyModel> = {}): PolicyModel => ({ at: [], keep, raw: {}, ...extra });
const UTC = { now: at('2024-01-10T12:00:00Z'), timezone: 'UTC' };

function decide(snaps: SnapshotIn[], keep: KeepModel, ctx = UTC): RetentionDecision {
  return borgEngine.evaluate(snaps, policy(keep), ctx);
}
/** Kept ids with borg's reason, newest first, and removed ids. */
function summary(d: RetentionDecision): { keep: string[]; remove: string[] } {
  return { keep: d.keep.map((k) => `${k.snapshot.id} ${k.reasons.join(', ')}`), remove: d.remove.map((s) => s.id ?? '?') };
}

describe('borg engine: sequential rules', () => {
  it('an archive kept by an earlier rule uses up its period in a later rule without counting', () => {
    // Mon 1 Jan 2024 is ISO week 2024-W01; Sun 31 Dec and Sat 30 Dec 2023 are 2023-W52; Sun 24 Dec is W51.
    const snaps = [
      snap('mon01', '2024-01-01T10:00:00Z'),
      snap('sun31', '2023-12-31T10:00:00Z'),
      snap('sat30', '2023-12-30T10:00:00Z'),
      snap('sun24', '2023-12-24T10:00:00Z'),
      snap('sun17', '2023-12-17T10:00:00Z'),
    ];
    expect(summary(decide(snaps, { daily: 1, weekly: 2 }))).toEqual({
      keep: ['mon01 daily #1', 'sun31 weekly #1', 'sun24 weekly #2'],
      remove: ['sat30', 'sun17'],
    });
  });

  it('applies within, then secondly (keep-last), hourly, daily, weekly, monthly, yearly — whatever the key order', () => {
    const snaps = [
      snap('a', '2024-01-10T11:30:00Z'),
      snap('b', '2024-01-10T11:00:00Z'),
      snap('c', '2024-01-10T09:00:00Z'),
      snap('d', '2024-01-09T09:00:00Z'),
      snap('e', '2023-12-09T09:00:00Z'),
      snap('f', '2022-06-01T09:00:00Z'),
    ];
    const keep: KeepModel = { yearly: 1, monthly: 1, daily: 1, hourly: 1, last: 1, within: '1h' };
    expect(summary(decide(snaps, keep))).toEqual({
      // within keeps a (11:30 > 11:00). last: a is kept → its second is used up; b is secondly #1.
      // hourly: hour 11 already used by a; c (09h) is hourly #1. daily: the 10th is used up; d.
      // monthly: Jan used up; e (Dec). yearly: 2024 used up, 2023 used up by e; f (2022).
      keep: ['a within #1', 'b secondly #1', 'c hourly #1', 'd daily #1', 'e monthly #1', 'f yearly #1'],
      remove: [],
    });
  });

  it('archives kept by within do not count for later rules', () => {
    const snaps = [
      snap('today2', '2024-01-10T11:00:00Z'),
      snap('today1', '2024-01-10T06:00:00Z'),
      snap('yday', '2024-01-09T20:00:00Z'),
      snap('old', '2024-01-08T20:00:00Z'),
    ];
    expect(summary(decide(snaps, { within: '2h', daily: 1 }))).toEqual({
      keep: ['today2 within #1', 'yday daily #1'],
      remove: ['today1', 'old'],
    });
  });
});

describe('borg engine: the oldest archive', () => {
  const snaps = [
    snap('d3-late', '2024-01-03T12:00:00Z'),
    snap('d3-early', '2024-01-03T08:00:00Z'),
    snap('d2-late', '2024-01-02T12:00:00Z'),
    snap('d2-early', '2024-01-02T08:00:00Z'),
  ];

  it('a rule that runs out of periods keeps the oldest archive too', () => {
    expect(summary(decide(snaps, { daily: 5 }))).toEqual({
      keep: ['d3-late daily #1', 'd2-late daily #2', 'd2-early daily[oldest] #3'],
      remove: ['d3-early'],
    });
  });

  it('not when the rule reached its count', () => {
    expect(summary(decide(snaps, { daily: 2 })).keep).toEqual(['d3-late daily #1', 'd2-late daily #2']);
  });

  it('not with an unlimited count (-1)', () => {
    expect(summary(decide(snaps, { daily: -1 }))).toEqual({
      keep: ['d3-late daily #1', 'd2-late daily #2'],
      remove: ['d3-early', 'd2-early'],
    });
  });

  it('not when the oldest archive is already kept', () => {
    // Wed 10 Jan 2024 is 2024-W02, Wed 3 Jan 2024 is 2024-W01.
    const two = [snap('new', '2024-01-10T12:00:00Z'), snap('old', '2024-01-03T12:00:00Z')];
    expect(summary(decide(two, { daily: 1, weekly: 4 })).keep).toEqual(['new daily #1', 'old weekly #1']);
    expect(summary(decide(two, { daily: 2, weekly: 4 })).keep).toEqual(['new daily #1', 'old daily #2']);
  });

  it('the oldest archive can be added by a rule that kept nothing', () => {
    // Tue 2 and Wed 3 Jan 2024 are both 2024-W01: daily takes the week's only period.
    const two = [snap('wed', '2024-01-03T12:00:00Z'), snap('tue', '2024-01-02T12:00:00Z')];
    expect(summary(decide(two, { daily: 1, weekly: 4 })).keep).toEqual(['wed daily #1', 'tue weekly[oldest] #1']);
  });
});

describe('borg engine: within', () => {
  const now = at('2024-01-10T12:00:00Z');
  it('is measured from now, strictly after now − N hours', () => {
    const snaps = [
      snap('in', '2024-01-08T12:00:01Z'),
      snap('edge', '2024-01-08T12:00:00Z'),
      snap('out', '2024-01-08T11:59:59Z'),
    ];
    expect(summary(decide(snaps, { within: '2d' }, { now, timezone: 'UTC' }))).toEqual({ keep: ['in within #1'], remove: ['edge', 'out'] });
    expect(summary(decide(snaps, { within: '48h' }, { now, timezone: 'UTC' })).keep).toEqual(['in within #1']);
  });

  it('reads a month as 31 days and a year as 365 days, not calendar lengths', () => {
    const snaps = [snap('m31', '2023-12-10T12:00:01Z'), snap('y365', '2023-01-10T12:00:01Z'), snap('y-leap', '2023-01-10T11:59:59Z')];
    // 10 Dec 2023 → 10 Jan 2024 is 31 days; 10 Jan 2023 → 10 Jan 2024 is 365 days.
    expect(summary(decide(snaps, { within: '1mo' }, { now, timezone: 'UTC' })).keep).toEqual(['m31 within #1']);
    expect(summary(decide(snaps, { within: '1y' }, { now, timezone: 'UTC' })).keep).toEqual(['m31 within #1', 'y365 within #2']);
  });

  it('keeps archives newer than now as well', () => {
    expect(summary(decide([snap('future', '2024-02-01T00:00:00Z')], { within: '1h' }, { now, timezone: 'UTC' })).keep).toEqual([
      'future within #1',
    ]);
  });
});

describe('borg engine: periods in local time', () => {
  it('a day is a day of ctx.timezone', () => {
    const snaps = [
      snap('c', '2024-03-11T00:30:00Z'),
      snap('b', '2024-03-10T23:30:00Z'),
      snap('a', '2024-03-10T21:00:00Z'),
    ];
    expect(summary(decide(snaps, { daily: 2 }, { now: UTC.now, timezone: 'UTC' })).keep).toEqual(['c daily #1', 'b daily #2']);
    // In Paris b and c are both on the 11th (00:30 and 01:30), a is on the 10th (22:00).
    expect(summary(decide(snaps, { daily: 2 }, { now: UTC.now, timezone: 'Europe/Paris' })).keep).toEqual(['c daily #1', 'a daily #2']);
  });

  it('the repeated hour at the end of summer time is one hourly period', () => {
    // 29 Oct 2023 in Paris: 00:15Z is 02:15 CEST, 01:15Z is 02:15 CET.
    const snaps = [snap('cet', '2023-10-29T01:15:00Z'), snap('cest', '2023-10-29T00:15:00Z'), snap('before', '2023-10-28T23:15:00Z')];
    const ctx = { now: UTC.now, timezone: 'Europe/Paris' };
    expect(summary(decide(snaps, { hourly: 2 }, ctx))).toEqual({ keep: ['cet hourly #1', 'before hourly #2'], remove: ['cest'] });
    expect(summary(decide(snaps, { hourly: 2 }, { ...ctx, timezone: 'UTC' })).keep).toEqual(['cet hourly #1', 'cest hourly #2']);
  });

  it('weeks are ISO weeks: late December can belong to the next week-year', () => {
    // Mon 30 Dec 2024 and Wed 1 Jan 2025 are both 2025-W01; Sun 29 Dec 2024 is 2024-W52.
    const snaps = [snap('jan1', '2025-01-01T10:00:00Z'), snap('dec30', '2024-12-30T10:00:00Z'), snap('dec29', '2024-12-29T10:00:00Z')];
    expect(summary(decide(snaps, { weekly: 2 }))).toEqual({ keep: ['jan1 weekly #1', 'dec29 weekly #2'], remove: ['dec30'] });
    expect(summary(decide(snaps, { yearly: 2 }))).toEqual({ keep: ['jan1 yearly #1', 'dec30 yearly #2'], remove: ['dec29'] });
  });
});

describe('borg engine: keep-last is keep-secondly', () => {
  it('archives in the same second count once; ties keep input order (first given = newer)', () => {
    const snaps = [
      snap('x', '2024-01-10T10:00:00.900Z'),
      snap('y', '2024-01-10T10:00:00.200Z'),
      snap('t1', '2024-01-10T09:00:00Z'),
      snap('t2', '2024-01-10T09:00:00Z'),
      snap('old', '2024-01-10T08:00:00Z'),
    ];
    expect(summary(decide(snaps, { last: 3 }))).toEqual({
      keep: ['x secondly #1', 't1 secondly #2', 'old secondly #3'],
      remove: ['y', 't2'],
    });
    const swapped = [snaps[0], snaps[1], snaps[3], snaps[2], snaps[4]];
    expect(summary(decide(swapped, { last: 3 })).keep).toEqual(['x secondly #1', 't2 secondly #2', 'old secondly #3']);
  });
});

describe('borg engine: checkpoints', () => {
  it('leaves checkpoint archives out of the rules and keeps the newest only when it is the newest of all', () => {
    const snaps = [
      snap('n3.checkpoint', '2024-01-10T11:00:00Z'),
      snap('n2', '2024-01-10T10:00:00Z'),
      snap('n1.checkpoint.1', '2024-01-10T09:00:00Z'),
      snap('n1', '2024-01-10T08:00:00Z'),
    ];
    expect(summary(decide(snaps, { last: 1 }))).toEqual({ keep: ['n3.checkpoint checkpoint', 'n2 secondly #1'], remove: ['n1.checkpoint.1', 'n1'] });
    expect(summary(decide(snaps.slice(1), { last: 1 }))).toEqual({ keep: ['n2 secondly #1'], remove: ['n1.checkpoint.1', 'n1'] });
  });
});

describe('borg engine: general', () => {
  it('does not depend on input order (distinct times) and returns newest first', () => {
    const snaps = Array.from({ length: 40 }, (_, i) => snap(`s${i}`, new Date(at('2024-01-01T00:00:00Z') - i * 7_200_000 * 3.7).toISOString()));
    const shuffled = [...snaps].reverse().sort((a, b) => ((a.time / 1000) % 7) - ((b.time / 1000) % 7));
    const keep: KeepModel = { hourly: 3, daily: 4, weekly: 2, within: '10h' };
    expect(summary(decide(shuffled, keep))).toEqual(summary(decide(snaps, keep)));
    const times = decide(shuffled, keep).keep.map((k) => k.snapshot.time);
    expect(times).toEqual([...times].sort((a, b) => b - a));
  });

  it('an empty list gives an empty decision', () => {
    expect(decide([], { daily: 7 })).toEqual({ keep: [], remove: [] });
  });

  it('carries the input objects through', () => {
    const s = { id: 'a', time: at('2024-01-10T00:00:00Z'), tags: ['x'] };
    expect(decide([s], { last: 1 }).keep[0].snapshot).toBe(s);
  });
});

describe('borg engine: what borg cannot express', () => {
  const keys = (p: PolicyModel): string[] => borgEngine.unsupported(p).map((u) => u.key.join('.'));

  it('accepts the forms borg has', () => {
    expect(keys(policy({ last: 3, hourly: 24, daily: 7, weekly: 4, monthly: 12, yearly: -1, within: '2d' }))).toEqual([]);
    expect(keys(policy({ within: '1y' }))).toEqual([]);
  });

  it('rejects tiers, expiry, tags and within_* rules', () => {
    expect(keys(policy({ daily: 7 }, { tiers: [{ keep: 'all', until: '7d' }] }))).toEqual(['tiers']);
    expect(keys(policy({ daily: 7 }, { expiry: '30d' }))).toEqual(['expiry']);
    expect(keys(policy({ daily: 7, tags: [['a']] }))).toEqual(['keep.tags']);
    expect(keys(policy({ daily: 7, within_daily: '7d', within_yearly: '3y' }))).toEqual(['keep.within_daily', 'keep.within_yearly']);
  });

  it('rejects within forms borg cannot write', () => {
    for (const w of ['1y2mo', '1mo2d', '90min', '0d']) expect(keys(policy({ within: w })), w).toEqual(['keep.within']);
    expect(borgEngine.unsupported(policy({ within: '1y2mo' }))[0].message).toMatch(/one number and one unit/);
  });

  it('rejects a policy without any rule (borg refuses to prune)', () => {
    expect(keys(policy({}))).toEqual(['keep']);
    expect(keys(policy({ daily: 0, weekly: 0 }))).toEqual(['keep']);
    expect(keys({ at: [], raw: {} })).toEqual(['']);
  });

  it('evaluate refuses a within it cannot express or read rather than guessing', () => {
    expect(() => decide([], { within: '1y2mo' })).toThrow(PolicyValueError);
    expect(() => decide([], { within: '3x' })).toThrow(PolicyValueError);
    // An unreadable duration is duration-invalid's finding, not an engine limit.
    expect(keys(policy({ within: '3x' }))).toEqual([]);
  });

  it('reads counts as written in the plan (`all` is unlimited)', () => {
    const snaps = [snap('b', '2024-01-03T12:00:00Z'), snap('a', '2024-01-02T12:00:00Z')];
    const all = { daily: 'all' } as unknown as KeepModel;
    expect(summary(decide(snaps, all)).keep).toEqual(['b daily #1', 'a daily #2']);
    expect(borgPruneArgs(policy(all))).toEqual(['--keep-daily', '-1']);
  });
});

describe('borgWithin and borgPruneArgs', () => {
  it('writes durations the way borg reads them', () => {
    const arg = (t: string): string | undefined => {
      const w = borgWithin(t);
      return w.ok ? `${w.arg}=${w.hours}` : undefined;
    };
    expect(arg('36h')).toBe('36H=36');
    expect(arg('2d')).toBe('2d=48');
    expect(arg('2w')).toBe('2w=336');
    expect(arg('1w2d')).toBe('216H=216');
    expect(arg('1d12h')).toBe('36H=36');
    expect(arg('120min')).toBe('2H=2');
    expect(arg('3mo')).toBe('3m=2232');
    expect(arg('1y')).toBe('1y=8760');
    expect(arg('1y2mo')).toBeUndefined();
    expect(arg('m')).toBeUndefined();
  });

  it('lists the prune options in a fixed order, leaving out zero counts', () => {
    expect(borgPruneArgs(policy({ yearly: -1, daily: 7, last: 2, weekly: 0, within: '1w2d' }))).toEqual([
      '--keep-within',
      '216H',
      '--keep-last',
      '2',
      '--keep-daily',
      '7',
      '--keep-yearly',
      '-1',
    ]);
    expect(() => borgPruneArgs(policy({ daily: 7, tags: [['a']] }))).toThrow(/tag/);
  });
});
