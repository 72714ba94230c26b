// editDistance against a plain recursive definition of the optimal string alignment distance,
// on short random words and on words longer than the reused scratch buffer; and the corners of
// closest() that the schema tests do not reach (found by mutation testing).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { closest, editDistance } from '../../../engine/plan/did-you-mean';

/** OSA distance by its definition (memoised recursion), independent of the three-row version. */
function reference(a: string, b: string): number {
  const memo = new Map<string, number>();
  const d = (i: number, j: number): number => {
    if (i === 0) return j;
    if (j === 0) return i;
    const key = `${i},${j}`;
    const hit = memo.get(key);
    if (hit !== undefined) return hit;
    let best = Math.min(d(i - 1, j) + 1, d(i, j - 1) + 1, d(i - 1, j - 1) + (a[i - 1] === b[j - 1] ? 0 : 1));
    if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d(i - 2, j - 2) + 1);
    memo.set(key, best);
    return best;
  };
  return d(a.length, b.length);
}

describe('editDistance', () => {
  it('equals the definition on random words of a small alphabet (swaps and repeats are frequent)', () => {
    const word = fc.string({ unit: fc.constantFrom('a', 'b', 'c'), maxLength: 7 });
    fc.assert(fc.property(word, word, (a, b) => editDistance(a, b) === reference(a, b)), { numRuns: 400 });
  });

  it('swaps cost one edit at the start, the middle and the end of a word', () => {
    expect(editDistance('bacd', 'abcd')).toBe(1);
    expect(editDistance('acbd', 'abcd')).toBe(1);
    expect(editDistance('abdc', 'abcd')).toBe(1);
    expect(editDistance('ab', 'ba')).toBe(1);
    // not a swap: the pair differs in one letter only
    expect(editDistance('ab', 'bb')).toBe(1);
    expect(editDistance('abc', 'bca')).toBe(2);
  });

  it('stays right for words longer than its preallocated rows (the buffer grows)', () => {
    const long = 'x'.repeat(150);
    expect(editDistance(long, `${long}y`)).toBe(1);
    expect(editDistance(`${long}ab`, `${long}ba`)).toBe(1);
    expect(editDistance('q'.repeat(70), 'r'.repeat(70))).toBe(70);
    // and short words after long ones reuse the buffer without leftovers
    expect(editDistance('kitten', 'sitting')).toBe(3);
  });
});

describe('closest', () => {
  it('an exact match after normalising `-` to `_` beats a candidate one edit away that comes first', () => {
    expect(closest('a-b', ['axb', 'a_b'])).toBe('a_b');
    expect(closest('KEEP-LAST', ['keep_lost', 'keep_last'])).toBe('keep_last');
  });

  it('with maxDistance, a candidate is offered only when some letter of it survives', () => {
    expect(closest('ab', ['abcd'], { maxDistance: 2 })).toBe('abcd');
    // every letter replaced: not a typo of it, whatever the allowed distance
    expect(closest('ab', ['cd'], { maxDistance: 5 })).toBeUndefined();
    expect(closest('abc', ['abxyz'], { maxDistance: 1 })).toBeUndefined();
  });

  it('the closest candidate wins over an earlier farther one; ties keep the first', () => {
    expect(closest('schedul', ['schedules', 'schedule'])).toBe('schedule');
    expect(closest('hots', ['host', 'hot'])).toBe('host');
  });

  it('an empty word gets no suggestion', () => {
    expect(closest('', ['a', 'ab'])).toBeUndefined();
    expect(closest('', ['a'], { maxDistance: 3 })).toBeUndefined();
  });
});
