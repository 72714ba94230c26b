// From a YAML path to the offsets of its key or value in the text. Paths that reach into
// merged maps (`<<: *base`) resolve to the anchored node they come from; a path that does not
// exist resolves to the deepest node that does, so a finding never covers the whole file.
import { Alias, Document, isAlias, isMap, isPair, isScalar, isSeq, type Node, type Pair, type YAMLMap } from 'yaml';
import type { OffsetRange } from '../findings';
import type { YamlPath } from './model';

export type Part = 'key' | 'value';

function deref(doc: Document, node: unknown): unknown {
  let n = node;
  for (let i = 0; i < 16 && isAlias(n); i++) n = (n as Alias).resolve(doc);
  return n;
}

/** With `merge: true`, yaml gives `<<` keys a symbol value; the source text stays `<<`. */
export function isMergeKey(key: unknown): boolean {
  return isScalar(key) && (typeof key.value === 'symbol' || key.value === '<<') && (key.source === '<<' || key.value === '<<');
}

// Checks locate hundreds of paths in the same maps (200 jobs): each map is indexed once.
const pairIndex = new WeakMap<object, Map<string, Pair>>();

function ownPair(map: YAMLMap, key: string | number): Pair | undefined {
  let index = pairIndex.get(map);
  if (index === undefined) {
    index = new Map();
    for (const item of map.items) {
      if (isMergeKey(item.key)) continue;
      const k = String(isScalar(item.key) ? item.key.value : item.key);
      if (!index.has(k)) index.set(k, item);
    }
    pairIndex.set(map, index);
  }
  return index.get(String(key));
}

function findPair(doc: Document, map: unknown, key: string | number, depth = 0): Pair | undefined {
  if (!isMap(map) || depth > 8) return undefined;
  const own = ownPair(map, key);
  if (own) return own;
  // Keys brought in by merge keys: later merges are weaker, as YAML specifies.
  for (const item of map.items) {
    if (!isMergeKey(item.key)) continue;
    const sources = isSeq(item.value) ? item.value.items : [item.value];
    for (const s of sources) {
      const found = findPair(doc, deref(doc, s), key, depth + 1);
      if (found) return found;
    }
  }
  return undefined;
}

function rangeOf(node: unknown): OffsetRange | undefined {
  const r = (node as Node | undefined)?.range;
  if (!r) return undefined;
  // For a scalar [start, valueEnd, nodeEnd]: the value itself, without trailing comments.
  return { start: r[0], end: r[1] };
}

/** The range of the key (part 'key') or of the value (part 'value') at `path`. */
export function locate(doc: Document | undefined, path: YamlPath, part: Part = 'value'): OffsetRange {
  if (!doc) return { start: 0, end: 0 };
  let node: unknown = doc.contents;
  let keyRange: OffsetRange | undefined;
  let best: OffsetRange | undefined = firstLine(node);
  for (const seg of path) {
    const current = deref(doc, node);
    if (isMap(current)) {
      const pair = findPair(doc, current, seg);
      if (!pair) return best ?? { start: 0, end: 0 };
      keyRange = rangeOf(pair.key);
      best = keyRange ?? best;
      node = pair.value;
    } else if (isSeq(current) && typeof seg === 'number' && seg < current.items.length) {
      node = current.items[seg];
      keyRange = undefined;
      best = rangeOf(deref(doc, node)) ? firstLine(deref(doc, node)) : best;
    } else {
      return best ?? { start: 0, end: 0 };
    }
  }
  if (part === 'key' && keyRange) return keyRange;
  const value = deref(doc, node);
  if (isScalar(value)) return rangeOf(value) ?? keyRange ?? best ?? { start: 0, end: 0 };
  // Collections: pointing at the whole block is too much; use the key (or the first line).
  return keyRange ?? firstLine(value) ?? best ?? { start: 0, end: 0 };
}

/** A collection's first item line, for sequence items and the document root. */
function firstLine(node: unknown): OffsetRange | undefined {
  if (isPair(node)) return rangeOf(node.key);
  if (isMap(node) && node.items.length > 0) return rangeOf(node.items[0].key) ?? rangeOf(node);
  if (isSeq(node) && node.items.length > 0) return firstLine(node.items[0]) ?? rangeOf(node.items[0]);
  return rangeOf(node);
}

/** Whether the path exists literally in the text (not only through a merge). */
export function keyExists(doc: Document | undefined, path: YamlPath): boolean {
  if (!doc) return false;
  let node: unknown = doc.contents;
  for (const seg of path) {
    const current = deref(doc, node);
    if (isMap(current)) {
      const pair = findPair(doc, current, seg);
      if (!pair) return false;
      node = pair.value;
    } else if (isSeq(current) && typeof seg === 'number') {
      node = current.items[seg];
      if (node === undefined) return false;
    } else return false;
  }
  return true;
}
