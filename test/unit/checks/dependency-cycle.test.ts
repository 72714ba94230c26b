import { describe, expect, it } from 'vitest';
import { checkText } from '../../../engine/check';
import { rule } from '../../../engine/checks/dependency-cycle';

const run = (text: string) => checkText(text, { rules: [rule] });
const slice = (text: string, r: { start: number; end: number }) => text.slice(r.start, r.end);

describe('dependency-cycle', () => {
  it('reports a two-job cycle once, on each link, spelling the cycle from the job holding it', () => {
    const text = `version: 1
jobs:
  a:
    kind: restic
    from: b
  b:
    kind: rsync
    after: [x, a]
  x: { kind: restic }
`;
    const f = run(text).findings;
    expect(f.map((x) => [slice(text, x.range), x.range.start])).toEqual([
      ['b', text.indexOf('from: b') + 6],
      ['a', text.indexOf('x, a]') + 3],
    ]);
    expect(f[0].message).toBe(
      'dependency cycle a → b → a: none of these jobs can ever run: remove or change one of the `from`/`after` links in the cycle',
    );
    expect(f[1].message).toMatch(/^dependency cycle b → a → b:/);
    expect(f[0].related).toEqual([{ message: '`b` runs after `a`', range: f[1].range }]);
    expect(f.every((x) => x.severity === 'error')).toBe(true);
  });

  it('spells a longer cycle and reports a self-reference', () => {
    const text = `version: 1
jobs:
  a: { kind: restic, after: c }
  b: { kind: restic, after: a }
  c: { kind: restic, after: b }
  s: { kind: restic, from: s }
`;
    const f = run(text).findings;
    expect(f.map((x) => x.message.split(':')[0])).toEqual([
      'dependency cycle a → c → b → a',
      'dependency cycle b → a → c → b',
      'dependency cycle c → b → a → c',
      'dependency cycle s → s',
    ]);
    expect(f[3].message).toBe('dependency cycle s → s: `s` cannot run after itself: remove this `from`');
    expect(slice(text, f[3].range)).toBe('s');
    expect(f[3].range.start).toBe(text.indexOf('from: s') + 6);
  });

  it('does not report links that merely lead into a cycle', () => {
    const text = `version: 1
jobs:
  a: { kind: restic, after: b }
  b: { kind: restic, after: a }
  c: { kind: restic, after: a }
`;
    const f = run(text).findings;
    expect(f).toHaveLength(2);
    expect(f.every((x) => x.range.start < text.indexOf('  c:'))).toBe(true);
  });

  it('is quiet on a DAG, on unknown targets and on a diamond', () => {
    const text = `version: 1
jobs:
  snap: { kind: zfs-snapshot }
  send: { kind: zfs-send, from: snap }
  dump: { kind: pg-dump }
  files: { kind: restic, after: [dump, send, ghost] }
  last: { kind: restic, after: [files, dump], from: snap }
`;
    expect(run(text).findings).toEqual([]);
  });
});
