// What every feature may read besides the document's analysis: the server's settings, the
// commands the client declared, and the projection cache. Features are plain functions of
// (analysis, params, env): no connection, so tests can call them directly.
import { isCollection, isScalar, isMap, isSeq, isAlias, type Document, type Node } from 'yaml';
import type { OffsetRange } from '../../engine/findings';
import { isMergeKey } from '../../engine/plan/locate';
import type { Analysis } from '../documents';
import type { Settings } from '../protocol';
import type { Projector } from '../projections';
import type { Path } from '../yaml-path';

export interface FeatureEnv {
  settings: Settings;
  /** Client commands the client declared (initializationOptions.commands). */
  commands: ReadonlySet<string>;
  projector: Projector;
  /** Cancellation: features that loop over many items check it between items. */
  cancelled?: () => boolean;
}

/** The node at `path` (from `start`, default the root) following aliases and merge keys. */
export function nodeByPath(doc: Document | undefined, path: Path, start?: unknown): Node | undefined {
  if (!doc) return undefined;
  let node: unknown = start ?? doc.contents;
  for (const seg of path) {
    node = deref(doc, node);
    if (isMap(node)) {
      const found = findIn(doc, node, String(seg), 0);
      if (!found) return undefined;
      node = found.value;
    } else if (isSeq(node) && typeof seg === 'number') {
      node = node.items[seg];
    } else return undefined;
  }
  const n = deref(doc, node);
  return isScalar(n) || isCollection(n) ? (n as Node) : undefined;
}

/** The key node of the entry at `path` (the last segment a string), from `start`. */
export function keyNodeByPath(doc: Document | undefined, path: Path, start?: unknown): Node | undefined {
  if (!doc || path.length === 0) return undefined;
  const parent = nodeByPath(doc, path.slice(0, -1), start);
  if (!isMap(parent)) return undefined;
  return (findIn(doc, parent, String(path[path.length - 1]), 0)?.key ?? undefined) as Node | undefined;
}

function deref(doc: Document, n: unknown): unknown {
  let x = n;
  for (let i = 0; i < 16 && isAlias(x); i++) x = x.resolve(doc);
  return x;
}

function findIn(doc: Document, map: unknown, key: string, depth: number): { key: unknown; value: unknown } | undefined {
  if (!isMap(map) || depth > 8) return undefined;
  for (const item of map.items) {
    if (isMergeKey(item.key)) continue;
    const k = isScalar(item.key) ? item.key.value : item.key;
    if (String(k) === key) return item;
  }
  for (const item of map.items) {
    if (!isMergeKey(item.key)) continue;
    const sources = isSeq(item.value) ? item.value.items : [item.value];
    for (const s of sources) {
      const f = findIn(doc, deref(doc, s), key, depth + 1);
      if (f) return f;
    }
  }
  return undefined;
}

export function rangeOfNode(n: Node | undefined): OffsetRange | undefined {
  return n?.range ? { start: n.range[0], end: n.range[1] } : undefined;
}

/** `['jobs', 'web', ...]` → `'web'`. */
export function jobOfPath(path: Path): string | undefined {
  return path[0] === 'jobs' && typeof path[1] === 'string' ? path[1] : undefined;
}

/** A value for inline code in markdown (backticks inside are replaced). */
export function code(s: unknown): string {
  const t = String(s).replace(/`/g, 'ʹ').replace(/\s+/g, ' ');
  return `\`${t.length > 80 ? `${t.slice(0, 79)}…` : t}\``;
}

export interface EntryNodes {
  key: Node;
  value: Node;
  /** Lines of the entry, key to the end of its value. */
  firstLine: number;
  lastLine: number;
}

/** The entries of a top-level section (`jobs`, `policies` ...) by name, indexed once per version. */
export function sectionEntries(a: Analysis, section: string): Map<string, EntryNodes> {
  return a.memo(`entries:${section}`, () => {
    const out = new Map<string, EntryNodes>();
    const doc = a.parsed.doc;
    const map = nodeByPath(doc, [section]);
    if (!isMap(map)) return out;
    for (const pair of map.items) {
      const k = pair.key as Node | null;
      const v = pair.value as Node | null;
      if (!isScalar(k) || !k.range || !v?.range || out.has(String(k.value))) continue;
      let end = v.range[1];
      while (end > k.range[0] && /\s/.test(a.text[end - 1] ?? '')) end--;
      out.set(String(k.value), { key: k, value: v, firstLine: a.lines.position(k.range[0]).line, lastLine: a.lines.position(end).line });
    }
    return out;
  });
}
