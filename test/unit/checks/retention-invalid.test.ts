import { describe, expect, it } from 'vitest';
import { checkText } from '../../../engine/check';
import { rule } from '../../../engine/checks/retention-invalid';
import { rule as schemaRule } from '../../../engine/checks/schema';

const run = (text: string) => checkText(text, { rules: [rule], now: Date.parse('2026-01-15T00:00:00Z') });
const slice = (text: string, r: { start: number; end: number }) => text.slice(r.start, r.end);
const at = (text: string, marker: string, inner: string) => {
  const i = text.indexOf(marker);
  expect(i).toBeGreaterThanOrEqual(0);
  return i + marker.indexOf(inner);
};

describe('retention-invalid', () => {
  it('reports untils that certainly do not increase, and only those', () => {
    const text = `version: 1
policies:
  ambiguous:
    tiers:
      - { keep: all, until: 1mo }
      - { every: 1d, until: 30d }
      - { every: 1w, until: 12mo }
      - { every: 1mo, until: 1y }
  disorder:
    tiers:
      - { keep: all, until: 1mo }
      - { every: 1d, until: 4w }
      - { every: 1w, until: 2d }
jobs: {}
`;
    const f = run(text).findings;
    expect(f.map((x) => [slice(text, x.range), x.range.start])).toEqual([
      ['1y', at(text, 'until: 1y }', '1y')],
      ['4w', at(text, 'until: 4w }', '4w')],
      ['2d', at(text, 'until: 2d }', '2d')],
    ]);
    expect(f[1].message).toBe(
      '`until: 4w` of tier 2 is not longer than `until: 1mo` of tier 1: untils must strictly increase down the list (each tier covers older snapshots than the one above it); reorder the tiers or fix the durations',
    );
    expect(f.every((x) => x.severity === 'error')).toBe(true);
  });

  it('reports `every` wider than its band, when certain', () => {
    const text = `version: 1
policies:
  wide:
    tiers:
      - { keep: all, until: 15d }
      - { every: 1mo, until: 1mo }
      - { every: 2mo, until: 3mo }
      - { every: 3mo, until: 6mo }
      - { every: 1y }
jobs:
  a:
    kind: zfs-snapshot
    retention:
      tiers:
        - { every: 1d, until: 1d }
        - { every: 4d, until: 4d }
`;
    const f = run(text).findings;
    expect(f.map((x) => [slice(text, x.range), x.range.start])).toEqual([
      ['1mo', at(text, 'every: 1mo, until: 1mo', '1mo')],
      ['4d', at(text, 'every: 4d', '4d')],
    ]);
    expect(f[0].message).toBe(
      '`every: 1mo` is wider than the band of tier 2 (from 15d to 1mo: at most 16d wide): `every` must not exceed its band, or the tier never holds a whole period and does not keep one snapshot per 1mo; use a shorter `every` or widen the band',
    );
    expect(f[1].message).toContain('(from 1d to 4d: 3d wide)');
  });

  it('reports a tier without `until` that is not the last', () => {
    const text = 'version: 1\npolicies:\n  p:\n    tiers:\n      - { keep: all }\n      - { every: 1d, until: 1mo }\njobs: {}\n';
    const [f] = run(text).findings;
    expect(f.range.start).toBe(text.indexOf('keep: all'));
    expect(f.message).toBe(
      'tier 1 has no `until` but is not the last tier: only the last tier may omit it (it then keeps forever), so the tiers after it are never reached; add `until` or move this tier last',
    );
  });

  it('reports policies that keep nothing', () => {
    const text = `version: 1
policies:
  zero: { tiers: [{ keep: all, until: 0d }] }
  zero-expiry: { expiry: 0min, keep: { last: 3 } }
  counts-zero: { keep: { last: 0, daily: 0, within: 0d } }
jobs:
  a: { kind: restic, retention: { keep: {} } }
`;
    const f = run(text).findings;
    expect(f.map((x) => [slice(text, x.range), x.message.split(':')[0]])).toEqual([
      ['0d', '`until'],
      ['0min', '`expiry'],
      ['keep', 'every rule of `keep` is 0, so this policy has no rule that keeps anything'],
      ['keep', 'every rule of `keep` is 0, so this policy has no rule that keeps anything'],
    ]);
    expect(f[0].message).toBe('`until: 0d` makes tier 1 cover no age at all: this policy keeps nothing; an `until` is the age where the band ends, so it must be longer than zero');
    expect(f[1].message).toBe(
      '`expiry: 0min` deletes every snapshot as soon as it is taken: this policy keeps nothing; give an expiry longer than the interval between runs, or remove it',
    );
    expect(f[3].range.start).toBe(text.indexOf('keep: {}'));
  });

  it('leaves `min: 0` to the schema rule, which reports it on the same value', () => {
    const text = 'version: 1\npolicies:\n  p: { keep: { last: 3 }, min: 0 }\njobs: {}\n';
    expect(run(text).findings).toEqual([]);
    const schema = checkText(text, { rules: [schemaRule] }).findings;
    expect(schema.map((x) => [slice(text, x.range), x.message])).toEqual([['0', '`min` must be at least 1 (got `0`)']]);
  });

  it('is quiet on sound policies and on values other rules report', () => {
    const text = `version: 1
policies:
  minet:
    tiers:
      - { keep: all, until: 15d }
      - { every: 1d, until: 1mo }
      - { every: 2d, until: 2mo }
      - { every: 1w, until: 6mo }
      - { every: 1mo }
  gfs: { keep: { last: 3, hourly: 24, daily: 7, weekly: 4, monthly: 12, yearly: 3 } }
  mixed: { keep: { last: 0, daily: 7 }, tiers: [{ keep: all, until: 1d }] }
  unreadable: { tiers: [{ keep: all, until: 3m }, { every: 1x, until: 1d }] }
  empty: {}
  expiry: { expiry: 7d }
jobs: {}
`;
    expect(run(text).findings).toEqual([]);
  });
});
