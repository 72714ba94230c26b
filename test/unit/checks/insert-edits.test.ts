// The text edits of engine/checks/shared/insert.ts: what they add, in the style the plan is
// written in (block or flow, its indentation, CRLF), and nothing when the shape is not understood.
import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import type { TextEdit } from '../../../engine/findings';
import { envNameOf, insertEntries, insertEntry, insertPair } from '../../../engine/checks/shared/insert';

const apply = (text: string, e: TextEdit | undefined) => {
  expect(e).toBeDefined();
  return text.slice(0, e!.range.start) + e!.newText + text.slice(e!.range.end);
};
const doc = (text: string) => parseDocument(text);

describe('insertPair', () => {
  it('adds a line at the end of a block mapping, after its nested values and comment', () => {
    const text =
      'jobs:\n    a:\n        kind: restic\n        paths:\n            - /srv   # www\n    # next\n    b: {}\n';
    expect(apply(text, insertPair(text, doc(text), ['jobs', 'a'], 'verify', '{ restore: sample }'))).toBe(
      'jobs:\n    a:\n        kind: restic\n        paths:\n            - /srv   # www\n' +
        '        verify: { restore: sample }\n    # next\n    b: {}\n',
    );
  });

  it('adds to a flow mapping, empty or not, and keeps CRLF', () => {
    const text = 'jobs:\r\n  a: { kind: restic }  # x\r\n  b: {}\r\n';
    expect(apply(text, insertPair(text, doc(text), ['jobs', 'a'], 'k', 'v'))).toBe(
      'jobs:\r\n  a: { kind: restic, k: v }  # x\r\n  b: {}\r\n',
    );
    expect(apply(text, insertPair(text, doc(text), ['jobs', 'b'], 'k', 'v'))).toBe(
      'jobs:\r\n  a: { kind: restic }  # x\r\n  b: { k: v }\r\n',
    );
    const block = 'jobs:\r\n  a:\r\n    kind: restic\r\n';
    expect(apply(block, insertPair(block, doc(block), ['jobs', 'a'], 'k', 'v'))).toBe(
      'jobs:\r\n  a:\r\n    kind: restic\r\n    k: v\r\n',
    );
  });

  it('gives nothing when the key is there, the mapping is missing or spans lines in flow style', () => {
    const text = 'jobs:\n  a: { kind: restic, k: 1 }\n  b: {\n    kind: x }\n';
    expect(insertPair(text, doc(text), ['jobs', 'a'], 'k', 'v')).toBeUndefined();
    expect(insertPair(text, doc(text), ['jobs', 'c'], 'k', 'v')).toBeUndefined();
    expect(insertPair(text, doc(text), ['jobs', 'b'], 'k', 'v')).toBeUndefined();
  });
});

describe('insertEntry', () => {
  it('follows the style of the section: one-line flow entries, block entries', () => {
    const flowy = 'storage:\n  nas: { host: web }\njobs: {}\n';
    expect(
      apply(
        flowy,
        insertEntry(flowy, doc(flowy), 'storage', 'far', [
          ['host', 'h'],
          ['media', 'tape'],
        ]),
      ),
    ).toBe('storage:\n  nas: { host: web }\n  far: { host: h, media: tape }\njobs: {}\n');
    const blocky = 'storage:\n  nas:\n    host: web\njobs: {}\n';
    expect(apply(blocky, insertEntry(blocky, doc(blocky), 'storage', 'far', [['host', 'h']]))).toBe(
      'storage:\n  nas:\n    host: web\n  far:\n    host: h\njobs: {}\n',
    );
  });

  it('fills an empty section, creates a missing one before `jobs:` and its comments', () => {
    const empty = 'hosts:\nstorage: {}\njobs: {}\n';
    expect(apply(empty, insertEntry(empty, doc(empty), 'hosts', 'h', [['address', 'h']]))).toBe(
      'hosts:\n  h:\n    address: h\nstorage: {}\njobs: {}\n',
    );
    expect(apply(empty, insertEntry(empty, doc(empty), 'storage', 's', [['media', 'hdd']]))).toBe(
      'hosts:\nstorage:\n  s:\n    media: hdd\njobs: {}\n',
    );
    const none = 'version: 1\n\n# the jobs\n# all of them\njobs:\n  a: { kind: restic }\n';
    expect(apply(none, insertEntry(none, doc(none), 'policies', 'p', [['keep', '{ daily: 7 }']]))).toBe(
      'version: 1\n\npolicies:\n  p:\n    keep: { daily: 7 }\n' +
        '# the jobs\n# all of them\njobs:\n  a: { kind: restic }\n',
    );
  });

  it('writes several entries in one edit, and none when a name is taken', () => {
    const text = 'jobs:\n  a:\n    kind: restic\n';
    expect(
      apply(
        text,
        insertEntries(text, doc(text), 'jobs', [
          ['b', [['kind', 'x']]],
          ['c', [['kind', 'y']]],
        ]),
      ),
    ).toBe('jobs:\n  a:\n    kind: restic\n  b:\n    kind: x\n  c:\n    kind: y\n');
    expect(insertEntry(text, doc(text), 'jobs', 'a', [['kind', 'x']])).toBeUndefined();
  });
});

it('envNameOf: upper snake case', () => {
  expect(envNameOf('web-files.v2')).toBe('WEB_FILES_V2');
});
