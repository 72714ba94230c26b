// Where in the plan is an offset? Two readers:
// - nodeAt: the YAML syntax tree (what hover, definition, references and rename use): the path
//   of the key or value under the cursor, and its node;
// - lineContext: the text itself, by indentation (what completion uses): while a line is being
//   typed the tree is often broken, but the indentation above the cursor still tells the path.
import { isAlias, isMap, isPair, isScalar, isSeq, type Document, type Node, type Scalar } from 'yaml';
import type { OffsetRange } from '../engine/findings';
import { isMergeKey } from '../engine/plan/locate';

export type Path = (string | number)[];

export interface NodeAt {
  /** Path of the key's entry (part 'key') or of the value (part 'value'). */
  path: Path;
  part: 'key' | 'value';
  /** The scalar under the cursor, when there is one. */
  scalar?: Scalar;
  /** Range of the scalar (or alias) under the cursor, quotes included. */
  range?: OffsetRange;
  /** The innermost collection containing the cursor when no scalar is under it. */
  collection?: Node;
}

const MAX_DEPTH = 200;

function keyText(key: unknown): string | undefined {
  if (isScalar(key)) return key.value === null || key.value === undefined ? '' : String(key.value);
  return undefined;
}

const within = (r: readonly number[] | null | undefined, offset: number): boolean =>
  r !== undefined && r !== null && r[0] <= offset && offset <= r[1];

/** The key or value at `offset` (end of a word included), or undefined outside the document's nodes. */
export function nodeAt(doc: Document | undefined, offset: number): NodeAt | undefined {
  if (!doc) return undefined;
  let node: unknown = doc.contents;
  const path: Path = [];
  for (let depth = 0; depth < MAX_DEPTH; depth++) {
    if (isMap(node)) {
      let next: unknown;
      for (const pair of node.items) {
        const k = pair.key as Node | null;
        if (k && within(k.range, offset) && !isMergeKey(k)) {
          const name = keyText(k);
          if (name === undefined) return { path, part: 'value', collection: node };
          return { path: [...path, name], part: 'key', scalar: isScalar(k) ? k : undefined, range: { start: k.range![0], end: k.range![1] } };
        }
        const v = pair.value as Node | null;
        if (v && within(v.range, offset)) {
          const name = isMergeKey(k) ? '<<' : keyText(k);
          if (name === undefined) return { path, part: 'value', collection: node };
          path.push(name);
          next = v;
          break;
        }
      }
      if (next === undefined) return { path, part: 'value', collection: node };
      node = next;
    } else if (isSeq(node)) {
      let next: unknown;
      node.items.forEach((item, i) => {
        if (next === undefined && within((item as Node | null)?.range, offset)) {
          path.push(i);
          next = item;
        }
      });
      if (next === undefined) return { path, part: 'value', collection: node };
      node = next;
    } else if (isScalar(node)) {
      return { path, part: 'value', scalar: node, range: { start: node.range![0], end: node.range![1] } };
    } else if (isAlias(node)) {
      return { path, part: 'value', range: { start: node.range![0], end: node.range![1] } };
    } else if (isPair(node)) {
      return { path, part: 'value' };
    } else {
      return undefined;
    }
  }
  return undefined;
}

/** A scalar's range without its quotes (`"vm-snapshots"` → `vm-snapshots`). */
export function innerRange(text: string, r: OffsetRange): OffsetRange {
  const first = text[r.start];
  if ((first === '"' || first === "'") && r.end - r.start >= 2 && text[r.end - 1] === first) {
    return { start: r.start + 1, end: r.end - 1 };
  }
  return r;
}

// ---------------------------------------------------------------------------------------------
// Completion's reading of the text

/** One line of block YAML: its `- ` markers, then a key or a scalar. */
interface LineInfo {
  /** Columns of the `-` markers before the content. */
  dashes: number[];
  /** Column of the first character after the indentation and the markers. */
  content: number;
  /** A `key:` at `content`. */
  key?: string;
  /** Text after `key:` (trimmed, comment removed); '' for a key that opens a block. */
  rest?: string;
  blank: boolean;
}

const KEY_LINE = /^("[^"]*"|'[^']*'|[^\s#'"{[\]},:-][^#:]*?|-[^\s#:][^#:]*?)\s*:(?:\s+(.*)|$)/;

function unquote(s: string): string {
  const t = s.trim();
  return /^(["']).*\1$/.test(t) ? t.slice(1, -1) : t;
}

export function lineInfo(line: string): LineInfo {
  let i = 0;
  const dashes: number[] = [];
  for (;;) {
    while (i < line.length && line[i] === ' ') i++;
    if (line[i] === '-' && (i + 1 === line.length || line[i + 1] === ' ')) {
      dashes.push(i);
      i++;
      continue;
    }
    break;
  }
  const body = line.slice(i);
  const blank = dashes.length === 0 && (body.trim() === '' || body.startsWith('#'));
  if (blank) return { dashes, content: i, blank: true };
  const m = KEY_LINE.exec(body);
  if (!m) return { dashes, content: i, blank: false };
  const rest = (m[2] ?? '').replace(/(^|\s+)#.*$/, '').trim();
  return { dashes, content: i, key: unquote(m[1]), rest, blank: false };
}

/** The first column a line occupies (its first `-`, else its content). */
const firstColumn = (li: LineInfo): number => (li.dashes.length > 0 ? li.dashes[0] : li.content);

/**
 * Index of the sequence item whose `-` is at column `dash` on line `at`: the items at that column
 * above it, up to the line that owns the sequence.
 */
function itemIndex(lines: readonly LineInfo[], at: number, dash: number): number {
  let n = 0;
  for (let i = at - 1; i >= 0; i--) {
    const li = lines[i];
    if (li.blank) continue;
    const first = firstColumn(li);
    if (first < dash) break;
    if (first === dash) {
      if (li.dashes.length === 0) break; // a key at the dash's column owns the sequence (compact style)
      n++;
    }
  }
  return n;
}

/**
 * The path of the block node that a line starting at `column` (after the `- ` markers `dashes`
 * of its own) belongs to, read upwards by indentation.
 */
function blockPath(lines: readonly LineInfo[], at: number, column: number, dashes: readonly number[]): Path {
  const path: Path = [];
  // The cursor line's own markers: each opens an item (the first one counted among its siblings).
  dashes.forEach((d, k) => path.push(k === 0 ? itemIndex(lines, at, d) : 0));
  let target = dashes.length > 0 ? dashes[0] : column;
  let fromDash = dashes.length > 0;
  for (let i = at - 1; i >= 0 && (target > 0 || fromDash); i--) {
    const li = lines[i];
    if (li.blank) continue;
    const anchors: { column: number; seg?: string | number; dash: boolean }[] = [];
    li.dashes.forEach((d, k) => anchors.push({ column: d, seg: k === 0 ? -1 : 0, dash: true }));
    anchors.push({ column: li.content, seg: li.key, dash: false });
    const parents = anchors.filter((a) =>
      a.column < target || (fromDash && !a.dash && a.column === target && a.seg !== undefined && li.rest === ''),
    );
    if (parents.length === 0) continue;
    for (let k = parents.length - 1; k >= 0; k--) {
      const a = parents[k];
      if (a.dash) path.unshift(a.seg === -1 ? itemIndex(lines, i, a.column) : 0);
      else if (a.seg !== undefined) path.unshift(a.seg);
      target = a.column;
      fromDash = a.dash;
    }
    if (target === 0 && !fromDash) break;
  }
  return path;
}

export interface LineContext {
  /** 'key': where a key of the mapping at `path` goes; 'value': the value at `path`. */
  at: 'key' | 'value';
  path: Path;
  /** The word typed so far, and its offset (what a completion replaces). */
  prefix: string;
  prefixStart: number;
  /** Column of the keys of the mapping being completed (block style), for inserted lines. */
  indent: number;
  /** Inside a flow collection (`{ ... }`, `[ ... ]`) on the cursor's line. */
  flow: boolean;
}

/**
 * The completion context at `offset`, read from the text by indentation: block mappings and
 * sequences (compact or indented), and flow collections opened on the cursor's line
 * (`{ keep: all, | }`, `after: [a, |]`).
 */
export function lineContext(text: string, offset: number): LineContext {
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  const before = text.slice(lineStart, offset).replace(/\r$/, '');
  const lines = text.slice(0, lineStart).split(/\r?\n/);
  lines.pop();
  const infos = lines.map(lineInfo);
  const at = infos.length;

  const flowStart = outermostOpen(before);
  if (flowStart >= 0) {
    const owner = lineInfo(before.slice(0, flowStart) + 'x');
    const path = blockPath(infos, at, owner.content, owner.dashes);
    if (owner.key !== undefined) path.push(owner.key);
    return flowContext(before.slice(flowStart), path, offset, owner.content);
  }

  const info = lineInfo(before);
  if (info.key !== undefined && (before.endsWith(':') || /:\s/.test(before.slice(info.content)))) {
    const path = blockPath(infos, at, info.content, info.dashes);
    path.push(info.key);
    const colon = before.indexOf(':', info.content + (before.slice(info.content).startsWith('"') || before.slice(info.content).startsWith("'") ? info.key.length + 2 : 0));
    const word = before.slice(colon + 1).replace(/^\s+/, '').replace(/^["']/, '');
    return { at: 'value', path, prefix: word, prefixStart: offset - word.length, indent: info.content, flow: false };
  }
  const word = before.slice(info.content);
  const path = blockPath(infos, at, info.content, info.dashes);
  if (/[\s:#]/.test(word)) return { at: 'key', path, prefix: '', prefixStart: offset, indent: info.content, flow: false };
  // `- word` in a sequence of scalars reads as a value of the item; as a key otherwise
  return { at: 'key', path, prefix: word, prefixStart: offset - word.length, indent: info.content, flow: false };
}

/** Offset in `s` of the outermost flow collection still open at its end, or -1. */
function outermostOpen(s: string): number {
  let depth = 0;
  let start = -1;
  let quote = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (quote) {
      if (c === quote) quote = '';
      continue;
    }
    if ((c === '"' || c === "'") && (i === 0 || /[\s,[{:]/.test(s[i - 1]))) quote = c;
    else if (c === '#' && (i === 0 || s[i - 1] === ' ')) break;
    else if (c === '{' || c === '[') {
      if (depth === 0) start = i;
      depth++;
    } else if ((c === '}' || c === ']') && depth > 0) {
      depth--;
      if (depth === 0) start = -1;
    }
  }
  return depth > 0 ? start : -1;
}

/** Inside flow text `s` (starting at its `{` or `[`), the context at its end. */
function flowContext(s: string, base: Path, offset: number, indent: number): LineContext {
  interface Frame {
    kind: '{' | '[';
    key?: string;
    index: number;
    segStart: number;
  }
  const stack: Frame[] = [];
  const path: Path = [...base];
  let quote = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (quote) {
      if (c === quote) quote = '';
      continue;
    }
    const top = stack[stack.length - 1];
    if ((c === '"' || c === "'") && (i === 0 || /[\s,[{:]/.test(s[i - 1]))) quote = c;
    else if (c === '{' || c === '[') {
      if (top) path.push(top.kind === '{' ? (top.key ?? '') : top.index);
      stack.push({ kind: c, index: 0, segStart: i + 1 });
    } else if (c === '}' || c === ']') {
      stack.pop();
      if (stack.length > 0) path.pop();
    } else if (c === ',' && top) {
      if (top.kind === '{') top.key = undefined;
      else top.index++;
      top.segStart = i + 1;
    } else if (c === ':' && top && top.kind === '{' && top.key === undefined && (i + 1 === s.length || /\s/.test(s[i + 1]))) {
      top.key = unquote(s.slice(top.segStart, i));
      top.segStart = i + 1;
    }
  }
  const top = stack[stack.length - 1];
  const word = /[^\s,[\]{}"']*$/.exec(s.slice(top.segStart))![0];
  const prefixStart = offset - word.length;
  if (top.kind === '[') return { at: 'value', path: [...path, top.index], prefix: word, prefixStart, indent, flow: true };
  if (top.key !== undefined) return { at: 'value', path: [...path, top.key], prefix: word, prefixStart, indent, flow: true };
  return { at: 'key', path, prefix: word, prefixStart, indent, flow: true };
}
