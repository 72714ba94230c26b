// The server's readers of positions: the syntax tree (nodeAt) and the indentation (lineContext).
import { parseDocument } from 'yaml';
import { describe, expect, it } from 'vitest';
import { innerRange, lineContext, nodeAt } from '../../server/yaml-path';

/** Text with a `|` marking the cursor, and the cursor's offset. */
function at(marked: string): { text: string; offset: number } {
  const offset = marked.indexOf('|');
  return { text: marked.slice(0, offset) + marked.slice(offset + 1), offset };
}

describe('lineContext', () => {
  const cases: [string, string, ReturnType<typeof lineContext>['at'], (string | number)[], string][] = [
    ['top-level key', 'version: 1\nti|', 'key', [], 'ti'],
    ['job key', 'jobs:\n  web:\n    kind: restic\n    pa|', 'key', ['jobs', 'web'], 'pa'],
    ['job key on an empty line', 'jobs:\n  web:\n    kind: restic\n    |', 'key', ['jobs', 'web'], ''],
    ['value', 'jobs:\n  web:\n    kind: re|', 'value', ['jobs', 'web', 'kind'], 're'],
    ['value after colon', 'jobs:\n  web:\n    kind:|', 'value', ['jobs', 'web', 'kind'], ''],
    ['quoted value', 'jobs:\n  web:\n    host: "sc|', 'value', ['jobs', 'web', 'host'], 'sc'],
    ['tier item key', 'policies:\n  p:\n    tiers:\n      - keep: all\n        until: 15d\n      - ev|', 'key', ['policies', 'p', 'tiers', 1], 'ev'],
    ['tier item second key', 'policies:\n  p:\n    tiers:\n      - keep: all\n        un|', 'key', ['policies', 'p', 'tiers', 0], 'un'],
    ['compact sequence', 'policies:\n  p:\n    tiers:\n    - keep: all\n    - { every: 1d }\n    - ke|', 'key', ['policies', 'p', 'tiers', 2], 'ke'],
    ['flow mapping key', 'policies:\n  p:\n    tiers:\n      - { keep: all, un|', 'key', ['policies', 'p', 'tiers', 0], 'un'],
    ['flow mapping value', 'policies:\n  p:\n    tiers:\n      - { keep: |', 'value', ['policies', 'p', 'tiers', 0, 'keep'], ''],
    ['flow sequence item', 'jobs:\n  a:\n    after: [b, |', 'value', ['jobs', 'a', 'after', 1], ''],
    ['nested flow', 'jobs:\n  a:\n    retention: { keep: { daily: 7, we|', 'key', ['jobs', 'a', 'retention', 'keep'], 'we'],
    ['block sequence value', 'jobs:\n  a:\n    after:\n      - b\n      - |', 'key', ['jobs', 'a', 'after', 1], ''],
    ['comments and blanks', 'jobs:\n  # the web\n\n  web:\n\n    # kind\n    kind: restic\n\n    |', 'key', ['jobs', 'web'], ''],
    ['deeper mapping', 'jobs:\n  a:\n    verify:\n      restore: latest\n      sch|', 'key', ['jobs', 'a', 'verify'], 'sch'],
    ['back to a shallower level', 'jobs:\n  a:\n    verify:\n      restore: latest\n    sch|', 'key', ['jobs', 'a'], 'sch'],
    ['CRLF', 'jobs:\r\n  a:\r\n    kind: |', 'value', ['jobs', 'a', 'kind'], ''],
  ];
  for (const [name, marked, where, path, prefix] of cases) {
    it(name, () => {
      const { text, offset } = at(marked);
      const c = lineContext(text, offset);
      expect({ at: c.at, path: c.path, prefix: c.prefix }).toEqual({ at: where, path, prefix });
      expect(text.slice(c.prefixStart, offset)).toBe(prefix);
    });
  }
});

describe('nodeAt', () => {
  const text = 'jobs:\n  a:\n    from: "b"\n    after: [c, d]\n    retention: { keep: { daily: 7 } }\n';
  const doc = parseDocument(text);
  it('finds keys and values, quotes stripped by innerRange', () => {
    const k = nodeAt(doc, text.indexOf('a:'))!;
    expect([k.part, k.path]).toEqual(['key', ['jobs', 'a']]);
    const v = nodeAt(doc, text.indexOf('"b"') + 2)!;
    expect([v.part, v.path]).toEqual(['value', ['jobs', 'a', 'from']]);
    expect(text.slice(innerRange(text, v.range!).start, innerRange(text, v.range!).end)).toBe('b');
    expect(nodeAt(doc, text.indexOf('d]'))!.path).toEqual(['jobs', 'a', 'after', 1]);
    expect(nodeAt(doc, text.indexOf('7 }'))!.path).toEqual(['jobs', 'a', 'retention', 'keep', 'daily']);
    expect(nodeAt(doc, text.indexOf('daily'))!.part).toBe('key');
  });
  it('the end of a word is still the word', () => {
    expect(nodeAt(doc, text.indexOf('a:') + 1)!.path).toEqual(['jobs', 'a']);
  });
});
