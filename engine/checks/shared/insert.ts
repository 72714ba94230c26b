// Text edits that add to a plan without rewriting it: a `key: value` at the end of a mapping, an
// entry at the end of a top-level section (the section created when it is missing). Only the
// inserted text is new: the comments, indentation and quoting of everything else stay as written.
// Block and flow mappings are both handled; a shape this does not understand (a mapping that is
// an item of a sequence written on the dash's line, a multi-line flow mapping) gives no edit.
import { isMap, isScalar, isSeq, type Document, type Node, type Pair, type YAMLMap } from 'yaml';
import type { TextEdit } from '../../findings';
import { isMergeKey } from '../../plan/locate';
import type { YamlPath } from '../../plan/model';

/** One field of an inserted mapping: its value is one line of YAML (a scalar or a flow collection). */
export type Field = [key: string, value: string];

const rangeOf = (n: unknown): [number, number, number] | undefined =>
  (n as Node | null | undefined)?.range as [number, number, number] | undefined;
const lineStart = (text: string, at: number): number => text.lastIndexOf('\n', at - 1) + 1;
const eolOf = (text: string): string => (text.includes('\r\n') ? '\r\n' : '\n');

function ownPair(map: YAMLMap, key: string | number): Pair | undefined {
  return map.items.find((p) => !isMergeKey(p.key) && isScalar(p.key) && String(p.key.value) === String(key)) as
    Pair | undefined;
}

/** The mapping written at `path` (own keys only, not through merge keys). */
export function mapAt(doc: Document | undefined, path: YamlPath): YAMLMap | undefined {
  let node: unknown = doc?.contents;
  for (const seg of path) {
    if (!isMap(node)) return undefined;
    node = ownPair(node, seg)?.value;
  }
  return isMap(node) ? node : undefined;
}

/** Where the written text of a node ends: its last character, not the blank or comment lines after it. */
function endOf(text: string, node: unknown): number | undefined {
  if ((isMap(node) || isSeq(node)) && !node.flow) {
    const last = node.items[node.items.length - 1] as unknown;
    if (last === undefined) return undefined;
    if (isMap(node)) {
      const p = last as Pair;
      return endOf(text, p.value) ?? endOf(text, p.key);
    }
    return endOf(text, last);
  }
  let end = rangeOf(node)?.[1];
  if (end === undefined) return undefined;
  while (end > 0 && /\s/.test(text[end - 1])) end--;
  return end;
}

/** The indentation of the key at `at` when it starts its line (undefined otherwise). */
function indentAt(text: string, at: number): string | undefined {
  const s = text.slice(lineStart(text, at), at);
  return /^ *$/.test(s) ? s : undefined;
}

/** The indentation of a block mapping's keys. */
function keyIndent(text: string, map: YAMLMap): string | undefined {
  const k = rangeOf((map.items[0] as Pair | undefined)?.key);
  return k ? indentAt(text, k[0]) : undefined;
}

/** One indentation step of the document: how far the entries of its first block section are indented. */
export function indentStep(text: string, doc: Document | undefined): string {
  const root = doc?.contents;
  if (isMap(root)) {
    for (const p of root.items) {
      const v = p.value;
      if (isMap(v) && !v.flow) {
        const i = keyIndent(text, v);
        if (i) return i;
      }
    }
  }
  return '  ';
}

/** The end of the line holding `at` (before its newline). */
function lineEnd(text: string, at: number): number {
  const nl = text.indexOf('\n', at);
  return nl < 0 ? text.length : nl > 0 && text[nl - 1] === '\r' ? nl - 1 : nl;
}

/** One item to add to a mapping: its key and a one-line value, or fields of a nested mapping. */
type Item = [key: string, value: string | Field[]];

const flowOf = (value: string | Field[]) =>
  typeof value === 'string' ? value : `{ ${value.map(([k, v]) => `${k}: ${v}`).join(', ')} }`;

/** The block lines of `items` at `indent` (nested fields one `step` deeper, or on one line when `oneLine`). */
function blockLines(items: Item[], indent: string, step: string, oneLine = false): string[] {
  return items.flatMap(([key, value]) =>
    typeof value === 'string' || oneLine
      ? [`${indent}${key}: ${flowOf(value)}`]
      : [`${indent}${key}:`, ...value.map(([k, v]) => `${indent}${step}${k}: ${v}`)],
  );
}

/** An edit that adds `items` at the end of mapping `map`. */
function appendTo(text: string, map: YAMLMap, items: Item[], step: string): TextEdit | undefined {
  const eol = eolOf(text);
  const r = rangeOf(map);
  if (!r) return undefined;
  if (map.flow) {
    const close = text.lastIndexOf('}', r[1] - 1);
    if (close < r[0] || /[\r\n]/.test(text.slice(r[0], close))) return undefined;
    const flow = items.map(([k, v]) => `${k}: ${flowOf(v)}`).join(', ');
    const inner = text.slice(r[0] + 1, close).trim();
    if (inner === '') return { range: { start: r[0], end: close + 1 }, newText: `{ ${flow} }` };
    const at = r[0] + 1 + text.slice(r[0] + 1, close).trimEnd().length;
    return { range: { start: at, end: at }, newText: `, ${flow}` };
  }
  const indent = keyIndent(text, map);
  const end = endOf(text, map);
  if (indent === undefined || end === undefined) return undefined;
  // entries written as one-line flow mappings (`nas: { host: web }`) get new ones alike
  const last = rangeOf((map.items[map.items.length - 1] as Pair | undefined)?.value);
  const lastValue = (map.items[map.items.length - 1] as Pair | undefined)?.value;
  const oneLine =
    isMap(lastValue) && lastValue.flow && last !== undefined && !/[\r\n]/.test(text.slice(last[0], last[1]));
  const at = lineEnd(text, end);
  return { range: { start: at, end: at }, newText: eol + blockLines(items, indent, step, oneLine).join(eol) };
}

/**
 * An edit that adds `key: value` to the mapping at `path` (a job, a host ...), or undefined when
 * that mapping is not written there, already has `key`, or has a shape this cannot extend.
 */
export function insertPair(
  text: string,
  doc: Document | undefined,
  path: YamlPath,
  key: string,
  value: string,
): TextEdit | undefined {
  const map = mapAt(doc, path);
  if (!map || ownPair(map, key)) return undefined;
  return appendTo(text, map, [[key, value]], indentStep(text, doc));
}

/**
 * An edit that adds `entries` (a name and its fields each) at the end of top-level section
 * `section` (`hosts`, `storage`, `policies`, `jobs`): block style in a block section, flow
 * mappings where the section's entries are written so. A missing or empty section is written
 * before `jobs:` (after the document when there is no `jobs`). Undefined when a name is taken.
 */
export function insertEntries(
  text: string,
  doc: Document | undefined,
  section: string,
  entries: [name: string, fields: Field[]][],
): TextEdit | undefined {
  const root = doc?.contents;
  if (!isMap(root) || entries.length === 0) return undefined;
  const eol = eolOf(text);
  const step = indentStep(text, doc);
  const pair = ownPair(root, section);
  const block = blockLines(entries, step, step);
  if (pair && isMap(pair.value) && pair.value.items.length > 0) {
    const names = new Set(pair.value.items.map((p) => (isScalar(p.key) ? String(p.key.value) : '')));
    if (entries.some(([name]) => names.has(name))) return undefined;
    return appendTo(text, pair.value, entries, step);
  }
  if (pair) {
    // `hosts:` with nothing, or `hosts: {}`: the entries go below the key
    const k = rangeOf(pair.key);
    if (!k || indentAt(text, k[0]) !== '') return undefined;
    const v = pair.value;
    const below = eol + block.join(eol);
    if (v === null || v === undefined || (isScalar(v) && v.value === null)) {
      return { range: { start: lineEnd(text, k[1]), end: lineEnd(text, k[1]) }, newText: below };
    }
    const r = rangeOf(v);
    if (!isMap(v) || !r || !v.flow) return undefined;
    const colon = text.indexOf(':', k[1]);
    return colon < 0 || colon > r[0] ? undefined : { range: { start: colon + 1, end: r[1] }, newText: below };
  }
  const jobs = ownPair(root, 'jobs');
  const jk = rangeOf(jobs?.key);
  const lines = [`${section}:`, ...block];
  if (section !== 'jobs' && jk && indentAt(text, jk[0]) === '') {
    // before `jobs:` and the comment lines right above it
    let at = lineStart(text, jk[0]);
    for (;;) {
      const prev = at > 0 ? lineStart(text, at - 1) : at;
      if (prev === at || !/^\s*#/.test(text.slice(prev, at))) break;
      at = prev;
    }
    return { range: { start: at, end: at }, newText: lines.join(eol) + eol };
  }
  const end = text.length;
  const sep = end === 0 || text.endsWith('\n') ? '' : eol;
  return { range: { start: end, end }, newText: sep + lines.join(eol) + eol };
}

/** insertEntries with one entry. */
export function insertEntry(
  text: string,
  doc: Document | undefined,
  section: string,
  name: string,
  fields: Field[],
): TextEdit | undefined {
  return insertEntries(text, doc, section, [[name, fields]]);
}

/** `name` as an environment variable name: upper snake case (`web-files` → `WEB_FILES`). */
export function envNameOf(...parts: string[]): string {
  return parts
    .join('_')
    .toUpperCase()
    .replace(/[^A-Z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
}
