// The text edits that move a misplaced key where it belongs (engine/plan/misplaced.ts decides
// where): `expiry: 7d` beside `schedule` becomes `retention:\n  expiry: 7d` in place, or joins
// the `retention` mapping the job already has; `snapshots: { schedule, expiry }` is split into
// `schedule` and `retention.expiry`. The moved lines keep their comments and the values keep
// their text (an Incus duration is translated). Block and flow mappings are both handled; any
// shape this does not understand (a key inherited through `<<`, a multi-line flow value, a key
// that does not start its line) gives no edit rather than a broken one.
import { isMap, isScalar, type Document, type Node, type Pair, type YAMLMap } from 'yaml';
import type { TextEdit } from '../../findings';
import { isMergeKey } from '../../plan/locate';
import { fromIncusDuration, type KeyMove, type PlanPath } from '../../plan/misplaced';

type Range3 = [number, number, number];

const rangeOf = (n: unknown): Range3 | undefined => (n as Node | null | undefined)?.range as Range3 | undefined;

function ownPair(map: YAMLMap, key: string | number): Pair | undefined {
  return map.items.find((p) => !isMergeKey(p.key) && isScalar(p.key) && String(p.key.value) === String(key)) as Pair | undefined;
}

/** The mapping written at `path` (own keys only: not through merge keys or aliases). */
function ownMapAt(doc: Document, path: PlanPath): YAMLMap | undefined {
  let node: unknown = doc.contents;
  for (const seg of path) {
    if (!isMap(node)) return undefined;
    node = ownPair(node, seg)?.value;
  }
  return isMap(node) ? node : undefined;
}

const lineStart = (text: string, at: number): number => text.lastIndexOf('\n', at - 1) + 1;

/** The end of the line holding `at` (before its newline). */
function lineEnd(text: string, at: number): number {
  const nl = text.indexOf('\n', at);
  return nl < 0 ? text.length : nl;
}

/** The end of a pair's written value: the last character of it, not the blank or comment lines after. */
function valueEnd(text: string, pair: Pair): number | undefined {
  let end = rangeOf(pair.value)?.[1] ?? rangeOf(pair.key)?.[1];
  if (end === undefined) return undefined;
  while (end > 0 && /\s/.test(text[end - 1])) end--;
  return end;
}

/** The indentation of the block-style key at `keyStart`, or undefined when the key does not start its line. */
function indentOf(text: string, keyStart: number): string | undefined {
  const indent = text.slice(lineStart(text, keyStart), keyStart);
  return /^ *$/.test(indent) ? indent : undefined;
}

/** One value to write somewhere else: its key's new name and its text. */
interface Leaf {
  key: string;
  /** Block style: the pair's lines, the first one starting at the key (`key: 7d  # note`), the others as written. */
  lines: string[];
  /** The indentation of the pair's key where it was written (the other lines are re-indented from it). */
  indent: string;
  /** One-line text of the value, for flow mappings (undefined when it spans lines). */
  flow?: string;
}

function leafOf(text: string, pair: Pair, key: string, incus: boolean): Leaf | undefined {
  const k = rangeOf(pair.key);
  const end = valueEnd(text, pair);
  if (!k || end === undefined) return undefined;
  const v = rangeOf(pair.value);
  let valueText = v ? text.slice(v[0], v[1]) : '';
  const translated = incus && isScalar(pair.value) && typeof pair.value.value === 'string' ? fromIncusDuration(pair.value.value) : undefined;
  if (translated !== undefined) valueText = translated;
  const flow = /[\r\n]/.test(valueText) ? undefined : valueText;
  const indent = indentOf(text, k[0]) ?? '';
  // the pair's lines, from its key to the end of the line of its last character
  let chunk = text.slice(k[0], lineEnd(text, end));
  if (translated !== undefined && v) chunk = text.slice(k[0], v[0]) + translated + text.slice(v[1], lineEnd(text, end));
  chunk = key + chunk.slice(k[1] - k[0]);
  return { key, lines: chunk.split(/\r?\n/), indent, ...(flow !== undefined ? { flow } : {}) };
}

/** A tree of keys to write into one mapping: nested mappings to create, and leaves. */
type Tree = Map<string, Tree | Leaf>;

const isLeaf = (t: Tree | Leaf): t is Leaf => !(t instanceof Map);

function renderBlock(tree: Tree, indent: string, step: string): string[] {
  const out: string[] = [];
  for (const [key, t] of tree) {
    if (isLeaf(t)) {
      const [first, ...rest] = t.lines;
      out.push(indent + first);
      for (const line of rest) {
        // re-indent the value's lines by as much as the key moved
        out.push(line.startsWith(t.indent) ? indent + line.slice(t.indent.length) : line);
      }
    } else {
      out.push(`${indent}${key}:`);
      out.push(...renderBlock(t, indent + step, step));
    }
  }
  return out;
}

function renderFlow(tree: Tree): string | undefined {
  const parts: string[] = [];
  for (const [key, t] of tree) {
    if (isLeaf(t)) {
      if (t.flow === undefined) return undefined;
      parts.push(`${key}: ${t.flow}`);
    } else {
      const inner = renderFlow(t);
      if (inner === undefined) return undefined;
      parts.push(`${key}: { ${inner} }`);
    }
  }
  return parts.join(', ');
}

/** The indentation of a block mapping's keys. */
function mapIndent(text: string, map: YAMLMap): string | undefined {
  const first = map.items[0] as Pair | undefined;
  const k = rangeOf(first?.key);
  return k ? indentOf(text, k[0]) : undefined;
}

/**
 * The same edits, those that touch joined into one (an insertion at the start of a removal
 * would otherwise depend on the order the editor applies them); none when two overlap.
 */
function joinTouching(text: string, edits: TextEdit[]): TextEdit[] {
  const sorted = [...edits].sort((a, b) => a.range.start - b.range.start || a.range.end - b.range.end);
  const out: TextEdit[] = [];
  for (const e of sorted) {
    const last = out[out.length - 1];
    if (last && e.range.start <= last.range.end) {
      if (e.range.start < last.range.end && e.range.end > e.range.start) return []; // overlapping replacements: give up
      last.newText += text.slice(last.range.end, e.range.start) + e.newText;
      last.range = { start: last.range.start, end: Math.max(last.range.end, e.range.end) };
    } else out.push({ range: { ...e.range }, newText: e.newText });
  }
  return out;
}

/** The edits that make `move`, or undefined when the text's shape does not allow a clean one. */
export function moveKeyEdits(text: string, doc: Document | undefined, move: KeyMove): TextEdit[] | undefined {
  if (!doc) return undefined;
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const parentPath = move.from.slice(0, -1);
  const parent = ownMapAt(doc, parentPath);
  if (!parent) return undefined;
  const pair = ownPair(parent, move.from[move.from.length - 1]);
  const keyRange = rangeOf(pair?.key);
  if (!pair || !keyRange) return undefined;

  // group the pieces by the mapping they go into (the deepest one that exists)
  const groups = new Map<YAMLMap, Tree>();
  for (const piece of move.pieces) {
    const rel = piece.to.slice(parentPath.length).map(String);
    if (piece.to.slice(0, parentPath.length).some((s, i) => s !== parentPath[i]) || rel.length === 0) return undefined;
    let target = parent;
    while (rel.length > 1) {
      const child = ownPair(target, rel[0]);
      if (!child) break;
      if (!isMap(child.value)) return undefined; // a policy name, a scalar: nothing to merge into
      target = child.value;
      rel.shift();
    }
    if (rel.length === 1 && ownPair(target, rel[0])) return undefined; // already set
    let sourcePair: Pair | undefined = pair;
    if (piece.source.length > move.from.length) {
      if (!isMap(pair.value)) return undefined;
      sourcePair = ownPair(pair.value, piece.source[piece.source.length - 1]);
    }
    if (!sourcePair) return undefined;
    const leaf = leafOf(text, sourcePair, rel[rel.length - 1], piece.incusDuration === true);
    if (!leaf) return undefined;
    let tree = groups.get(target);
    if (!tree) groups.set(target, (tree = new Map()));
    let node = tree;
    for (const seg of rel.slice(0, -1)) {
      let next = node.get(seg);
      if (next === undefined) node.set(seg, (next = new Map()));
      if (isLeaf(next)) return undefined;
      node = next;
    }
    node.set(rel[rel.length - 1], leaf);
  }

  // one indentation step: how much deeper the parent's keys are than the parent's own key
  const parentIndent = parent.flow ? undefined : mapIndent(text, parent);
  const step = (() => {
    const grand = ownMapAt(doc, parentPath.slice(0, -1));
    const own = grand ? rangeOf(ownPair(grand, parentPath[parentPath.length - 1])?.key) : undefined;
    const outer = own && !grand?.flow ? indentOf(text, own[0]) : undefined;
    const d = parentIndent !== undefined && outer !== undefined ? parentIndent.length - outer.length : 0;
    return ' '.repeat(d > 0 ? d : 2);
  })();

  const edits: TextEdit[] = [];
  // what goes into the parent itself takes the place of the moved pair
  const inPlace = groups.get(parent);
  const end = valueEnd(text, pair);
  if (end === undefined) return undefined;
  if (parent.flow) {
    if (/[\r\n]/.test(text.slice(keyRange[0], end))) return undefined;
    if (inPlace) {
      const flow = renderFlow(inPlace);
      if (flow === undefined) return undefined;
      edits.push({ range: { start: keyRange[0], end }, newText: flow });
    } else {
      const i = parent.items.indexOf(pair);
      const prev = parent.items[i - 1] as Pair | undefined;
      const next = parent.items[i + 1] as Pair | undefined;
      const prevEnd = prev ? valueEnd(text, prev) : undefined;
      const nextStart = rangeOf(next?.key)?.[0];
      if (prevEnd !== undefined) edits.push({ range: { start: prevEnd, end }, newText: '' });
      else if (nextStart !== undefined) edits.push({ range: { start: keyRange[0], end: nextStart }, newText: '' });
      else edits.push({ range: { start: keyRange[0], end }, newText: '' });
    }
  } else {
    const indent = indentOf(text, keyRange[0]);
    if (indent === undefined) return undefined;
    const start = lineStart(text, keyRange[0]);
    const stop = lineEnd(text, end);
    const removeTo = stop < text.length ? stop + 1 : stop;
    const lines = inPlace ? renderBlock(inPlace, indent, step) : [];
    const newText = lines.length === 0 ? '' : lines.join(eol) + (stop < text.length ? eol : '');
    edits.push({ range: { start, end: removeTo }, newText });
  }

  // what goes into another mapping (the job's existing `retention`, its `keep`) joins it at its end
  for (const [map, tree] of groups) {
    if (map === parent) continue;
    const last = map.items[map.items.length - 1] as Pair | undefined;
    if (map.flow) {
      const flow = renderFlow(tree);
      if (flow === undefined) return undefined;
      if (!last) {
        const r = rangeOf(map);
        if (!r) return undefined;
        let close = r[1] - 1;
        while (close > r[0] && text[close] !== '}') close--;
        if (text[close] !== '}') return undefined;
        edits.push({ range: { start: close, end: close }, newText: ` ${flow} ` });
      } else {
        const lastEnd = valueEnd(text, last);
        if (lastEnd === undefined) return undefined;
        edits.push({ range: { start: lastEnd, end: lastEnd }, newText: `, ${flow}` });
      }
      continue;
    }
    const indent = mapIndent(text, map);
    const lastEnd = last ? valueEnd(text, last) : undefined;
    if (indent === undefined || lastEnd === undefined) return undefined;
    const stop = lineEnd(text, lastEnd);
    const lines = renderBlock(tree, indent, step);
    if (stop < text.length) edits.push({ range: { start: stop + 1, end: stop + 1 }, newText: lines.join(eol) + eol });
    else edits.push({ range: { start: stop, end: stop }, newText: eol + lines.join(eol) });
  }
  const joined = joinTouching(text, edits);
  return joined.length > 0 ? joined : undefined;
}
