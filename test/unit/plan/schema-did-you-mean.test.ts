import { parseDocument } from 'yaml';
import { describe, expect, it } from 'vitest';
import { closest, editDistance } from '../../../engine/plan/did-you-mean';
import { validateSchema } from '../../../engine/plan/schema';

describe('editDistance', () => {
  it('counts insertions, deletions, substitutions and adjacent swaps as one edit each', () => {
    expect(editDistance('retention', 'retention')).toBe(0);
    expect(editDistance('retension', 'retention')).toBe(1); // substitution
    expect(editDistance('retntion', 'retention')).toBe(1); // deletion
    expect(editDistance('retentionn', 'retention')).toBe(1); // insertion
    expect(editDistance('retnetion', 'retention')).toBe(1); // swap
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('abc', '')).toBe(3);
    expect(editDistance('ca', 'abc')).toBe(3); // optimal string alignment: no edit of a swapped pair
  });
});

describe('closest', () => {
  const keys = ['kind', 'host', 'from', 'to', 'storage', 'schedule', 'retention', 'prune_schedule', 'rpo', 'after'];

  it('suggests the nearest candidate within a distance that grows with the word', () => {
    expect(closest('retension', keys)).toBe('retention');
    expect(closest('knid', keys)).toBe('kind');
    expect(closest('shedule', keys)).toBe('schedule');
    expect(closest('hots', keys)).toBe('host');
    expect(closest('banana', keys)).toBeUndefined();
    expect(closest('xy', keys)).toBeUndefined(); // two letters: no guessing
  });

  it('treats case and - versus _ as free', () => {
    expect(closest('Prune-Schedule', keys)).toBe('prune_schedule');
    expect(closest('RETENTION', keys)).toBe('retention');
  });

  it('offers a longer candidate that extends the word when nothing is closer', () => {
    expect(closest('passphrase', ['passphrase_env', 'passphrase_file'])).toBe('passphrase_env');
    expect(closest('pru', ['prune_schedule'])).toBeUndefined(); // too short to extend
  });

  it('returns nothing for an exact match, and keeps the first of equals', () => {
    expect(closest('host', keys)).toBeUndefined();
    expect(closest('bat', ['cat', 'hat'])).toBe('cat');
  });

  it('honours an explicit maximum distance', () => {
    expect(closest('Europe/Pais', ['Europe/Paris'], { maxDistance: 0 })).toBeUndefined();
    expect(closest('Europe/Pais', ['Europe/Paris'], { maxDistance: 1 })).toBe('Europe/Paris');
  });
});

// The distance a typo may be from its suggestion grows with the word's length: 0 edits up to 2
// letters, 1 up to 4, 2 up to 8, then 3. Each band is pinned on both sides: the most edits it
// allows are suggested, one more is not. Short words matter most: with 2 edits, `tp` would
// become `to` and almost any four letters would become some key.
describe('closest: how far a typo may be, by the length of the word', () => {
  const keys = ['kind', 'host', 'from', 'to', 'storage', 'schedule', 'retention', 'prune_schedule', 'rpo', 'after'];

  it('up to 2 letters: only case and - versus _ (no edit)', () => {
    expect(closest('tp', keys)).toBeUndefined();
    expect(closest('ot', keys)).toBeUndefined(); // a swap is still an edit
    expect(closest('t', keys)).toBeUndefined();
    expect(closest('TO', ['to', 'tp'])).toBe('to');
    expect(closest('a-b', ['a_b'])).toBe('a_b'); // 3 letters, but no edit either
  });

  it('3 and 4 letters: one edit, never two', () => {
    expect(closest('rpp', keys)).toBe('rpo');
    expect(closest('rop', keys)).toBe('rpo'); // swap
    expect(closest('hots', keys)).toBe('host');
    expect(closest('kidn', keys)).toBe('kind');
    expect(closest('frm', keys)).toBe('from'); // deletion
    expect(closest('rxx', keys)).toBeUndefined();
    expect(closest('kdni', keys)).toBeUndefined();
    expect(closest('fmor', keys)).toBeUndefined();
    expect(closest('hxsx', keys)).toBeUndefined();
  });

  it('5 to 8 letters: two edits, never three', () => {
    expect(closest('aftxx', keys)).toBe('after');
    expect(closest('axtxr', keys)).toBe('after');
    expect(closest('axxxr', keys)).toBeUndefined();
    expect(closest('schedxxe', keys)).toBe('schedule');
    expect(closest('sxhedxxe', keys)).toBeUndefined();
    expect(closest('stoxxge', keys)).toBe('storage');
    expect(closest('sxoxxge', keys)).toBeUndefined();
  });

  it('9 letters and more: three edits, never four', () => {
    expect(closest('retexxxon', keys)).toBe('retention');
    expect(closest('rexxxxion', keys)).toBeUndefined();
    expect(closest('prune_xxxxdule', keys)).toBeUndefined();
    expect(closest('prune_xxxedule', keys)).toBe('prune_schedule');
  });

  it('counts the length of what was written, not of the candidate', () => {
    // `tox` (3 letters, 1 edit) reaches `to`; `to` itself never reaches `tox`'s neighbours
    expect(closest('tox', ['to'])).toBe('to');
    expect(closest('to', ['tox'])).toBeUndefined();
    expect(closest('to', ['tp'])).toBeUndefined();
  });

  it('never suggests a candidate that every letter would have to change to reach', () => {
    // distance equal to the longer length means nothing in common
    expect(closest('abc', ['xyz'], { maxDistance: 3 })).toBeUndefined();
    expect(closest('abc', ['xbz'], { maxDistance: 3 })).toBe('xbz');
  });

  it('extends a word of 4 letters or more to a longer candidate, after any real typo', () => {
    expect(closest('prun', ['prune_schedule'])).toBe('prune_schedule');
    expect(closest('pru', ['prune_schedule'])).toBeUndefined();
    expect(closest('sched', ['scheduler_setting'])).toBe('scheduler_setting');
    // a candidate within the allowed edits, even the most allowed, wins over one that merely
    // starts with the word, wherever it is listed
    expect(closest('passphrase', ['passphrase_env', 'pasxphrxsx'])).toBe('pasxphrxsx');
    expect(closest('passphrase', ['passphrase_env', 'pxsxphrxsx'])).toBe('passphrase_env');
  });
});

describe('suggestions in the plan check keep to the same thresholds', () => {
  // a zfs-send job: `from`, `to` and `kind` are all keys it accepts
  const job = (key: string) => `version: 1
hosts:
  a: { address: 192.0.2.1 }
  b: { address: 192.0.2.2 }
storage:
  a-pool: { host: a }
  b-pool: { host: b }
jobs:
  snaps:
    kind: zfs-snapshot
    host: a
    dataset: tank/data
    storage: a-pool
    schedule: "0 * * * *"
    retention: { keep: { hourly: 24 } }
  send:
    kind: zfs-send
    from: snaps
    to: b-pool
    dataset: tank/copy
    schedule: "30 * * * *"
    retention: { keep: { hourly: 24 } }
    ${key}: x
`;
  const unknownKeyIssue = (key: string) =>
    validateSchema(parseDocument(job(key)).toJS()).find((i) => i.path.at(-1) === key);

  it('offers `host` for `hots`, nothing for `fmor`, `kdni` or `tp`', () => {
    expect(unknownKeyIssue('hots')?.suggestion).toBe('host');
    for (const typo of ['fmor', 'kdni', 'tp']) {
      const issue = unknownKeyIssue(typo);
      expect(issue, typo).toBeDefined();
      expect(issue!.suggestion, typo).toBeUndefined();
      expect(issue!.message, typo).not.toMatch(/did you mean/);
    }
  });
});
