import { describe, expect, it } from 'vitest';
import { checkText } from '../../../engine/check';
import { rule } from '../../../engine/checks/duration-invalid';
import type { Fix } from '../../../engine/findings';

const run = (text: string) => checkText(text, { rules: [rule], now: Date.parse('2026-01-15T00:00:00Z') });
const slice = (text: string, r: { start: number; end: number }) => text.slice(r.start, r.end);
const apply = (text: string, fix: Fix) =>
  [...fix.edits].sort((a, b) => b.range.start - a.range.start).reduce((t, e) => t.slice(0, e.range.start) + e.newText + t.slice(e.range.end), text);

describe('duration-invalid', () => {
  it('offers minutes and months for a bare `m`, neither preferred', () => {
    const text = 'version: 1\njobs:\n  a: { kind: restic, rpo: 30m }\n';
    const [f] = run(text).findings;
    expect(slice(text, f.range)).toBe('30m');
    expect(f.message).toBe('`30m` is ambiguous: write `30min` for minutes or `30mo` for months');
    expect(f.severity).toBe('error');
    expect(f.fixes!.map((x) => [x.title, x.preferred ?? false])).toEqual([
      ['Change to `30min` (minutes)', false],
      ['Change to `30mo` (months)', false],
    ]);
    expect(apply(text, f.fixes![0])).toContain('rpo: 30min');
    expect(apply(text, f.fixes![1])).toContain('rpo: 30mo');
    expect(run(apply(text, f.fixes![0])).findings).toEqual([]);
  });

  it('points at the bad part of a combined duration, through quotes and escapes', () => {
    const text = `version: 1
policies:
  p:
    expiry: "1\\x79 2m"
    keep: { within: '1y 2x' }
    tiers:
      - { keep: all, until: 3days }
      - { every: "7", until: 1y }
`;
    const f = run(text).findings;
    expect(f.map((x) => [slice(text, x.range), x.message])).toEqual([
      ['2m', '`2m` is ambiguous: write `2min` for minutes or `2mo` for months'],
      ['x', 'unknown duration unit `x`: use min, h, d, w, mo or y'],
      ['days', 'unknown duration unit `days`: write `3d`'],
      ['7', '`7` has no unit: add one of min, h, d, w, mo, y (e.g. `7d`)'],
    ]);
    // A spelt-out unit has one obvious fix; a missing unit only a guess.
    expect(f[1].fixes).toBeUndefined();
    expect(f[2].fixes!.map((x) => [x.title, x.preferred])).toEqual([['Change to `3d`', true]]);
    expect(f[3].fixes!.map((x) => [x.title, x.preferred ?? false])).toEqual([['Change to `7d`', false]]);
    expect(apply(text, f[3].fixes![0])).toContain('every: "7d"');
  });

  it('checks the durations of `checks:` too', () => {
    const text = 'version: 1\nchecks: { default_rpo: 1 day, horizon: 2yrs }\njobs: {}\n';
    const f = run(text).findings;
    expect(f.map((x) => slice(text, x.range))).toEqual(['day', 'yrs']);
    expect(apply(text, f[1].fixes![0])).toContain('horizon: 2y }');
  });

  it('is quiet on valid durations and leaves non-text values to the schema rule', () => {
    const text = `version: 1
policies:
  p: { expiry: 1y2mo3d, keep: { within: "36h", within_daily: 2w }, tiers: [{ keep: all, until: 15d }, { every: 1d, until: 1mo }, { every: 1mo }] }
jobs:
  a: { kind: restic, rpo: 90min, retention: { expiry: 7 } }
`;
    expect(run(text).findings).toEqual([]);
  });
});
