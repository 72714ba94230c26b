import { describe, expect, it } from 'vitest';
import { closest, editDistance } from '../../../engine/plan/did-you-mean';

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
