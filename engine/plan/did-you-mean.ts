// "Did you mean ...?" for unknown keys, enum values and names: the candidate closest to what
// was written, by edit distance with transpositions, or nothing when no candidate is close
// enough to be a plausible typo.

/**
 * Optimal string alignment distance (Damerau–Levenshtein restricted to one edit per
 * substring): insertions, deletions, substitutions and swaps of two adjacent characters all
 * cost 1, so `retnetion` is 1 away from `retention`.
 */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  if (a.length === 0) return b.length;
  if (b.length === 0) return a.length;
  const width = b.length + 1;
  // three rows (i-2, i-1, i), reused between calls: closest() calls this in loops
  if (scratch.length < 3 * width) scratch = new Int32Array(3 * width * 2);
  let before = scratch.subarray(0, width);
  let prev = scratch.subarray(width, 2 * width);
  let row = scratch.subarray(2 * width, 3 * width);
  for (let j = 0; j < width; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, before[j - 2] + 1);
      row[j] = d;
    }
    [before, prev, row] = [prev, row, before];
  }
  return prev[b.length];
}

let scratch = new Int32Array(192);

/** Case, and `-` versus `_`, are not worth an edit: `Prune-Schedule` is `prune_schedule`. */
function normalise(s: string): string {
  return s.toLowerCase().replace(/-/g, '_');
}

/** How many edits a word of this length may be away from a suggestion. */
function allowedEdits(length: number): number {
  if (length <= 2) return 0;
  if (length <= 4) return 1;
  if (length <= 8) return 2;
  return 3;
}

export interface ClosestOptions {
  /** Largest edit distance accepted; default grows with the word's length (1 up to 4 letters, 2 up to 8, then 3). */
  maxDistance?: number;
}

/**
 * The candidate closest to `word`, or undefined when none is plausibly what was meant.
 * Exact matches are not suggestions (undefined is returned when `word` itself is a candidate).
 * A candidate that extends the word (`passphrase` → `passphrase_env`) is offered when nothing
 * is closer. Ties keep the candidates' order.
 */
export function closest(word: string, candidates: Iterable<string>, options: ClosestOptions = {}): string | undefined {
  const w = normalise(word);
  if (w === '') return undefined;
  const max = options.maxDistance ?? allowedEdits(word.length);
  let best: string | undefined;
  let bestScore = Infinity;
  for (const candidate of candidates) {
    if (candidate === word) return undefined;
    const c = normalise(candidate);
    let score: number;
    if (c === w) {
      score = 0;
    } else {
      // the length difference alone is a lower bound of the distance
      const d = Math.abs(w.length - c.length) > max ? Infinity : editDistance(w, c);
      if (d <= max && d < Math.max(w.length, c.length)) score = d;
      else if (w.length >= 4 && c.startsWith(w)) score = max + 0.5;
      else continue;
    }
    if (score < bestScore) {
      best = candidate;
      bestScore = score;
    }
  }
  return best;
}
