// Re-parsing only the edited entry. Lexing and parsing YAML is most of a check on a large plan
// (about 35 ms of 2,800 lines), so when an edit falls inside one entry of `hosts`, `storage`,
// `policies` or `jobs` in a block-style document, only that entry's lines are parsed and the
// result is spliced into the previous document (later nodes shifted). Whenever the text could
// parse differently in context than alone — anchors, aliases, merge keys, tabs, directives, errors,
// an edit on an entry boundary or outside the four sections — the answer is undefined and the
// caller parses the whole text. test/unit/plan/reparse.test.ts compares with a full parse.
import {
  Document,
  isAlias,
  isCollection,
  isMap,
  isNode,
  isPair,
  isScalar,
  parseDocument,
  visit,
  type Pair,
  type YAMLMap,
} from 'yaml';
import { MAX_ALIAS_COUNT, MAX_DEPTH, MAX_PLAN_BYTES, nestingBeyond, type ParsedPlan } from './parse';

export const ENTRY_SECTIONS = ['hosts', 'storage', 'policies', 'jobs'] as const;
export type EntrySection = (typeof ENTRY_SECTIONS)[number];

/** What changed: the entry whose text was re-parsed, its old and new span, and the length delta. */
export interface Reparse {
  parsed: ParsedPlan;
  section: EntrySection;
  /** The entry's name before and after the edit (a rename changes it). */
  oldName: string;
  name: string;
  /** Old text [start, oldEnd) became new text [start, start + (oldEnd - start) + delta). */
  start: number;
  oldEnd: number;
  delta: number;
}

// Documents known to hold no anchor, alias or merge key (checked once, then carried over splices).
const plain = new WeakSet<Document>();

function isPlainNode(root: unknown): boolean {
  let ok = true;
  visit(root as Document, {
    Alias() {
      ok = false;
      return visit.BREAK;
    },
    Node(_k, n) {
      if (n.anchor) {
        ok = false;
        return visit.BREAK;
      }
      return undefined;
    },
    Pair(_k, p) {
      if (isScalar(p.key) && (typeof p.key.value === 'symbol' || p.key.value === '<<')) {
        ok = false;
        return visit.BREAK;
      }
      return undefined;
    },
  });
  return ok;
}

function defaultDirectives(doc: Document): boolean {
  const d = doc.directives;
  if (!d) return true;
  const tags = Object.keys(d.tags ?? {});
  return d.yaml.version === '1.2' && !d.yaml.explicit && tags.length <= 2 && tags.every((t) => t === '!' || t === '!!');
}

const lineStart = (text: string, at: number) => text.lastIndexOf('\n', at - 1) + 1;

/** The new text's parse made from `prev`'s by re-parsing one entry, or undefined (parse it all). */
export function reparse(prev: ParsedPlan, text: string): Reparse | undefined {
  const doc = prev.doc;
  const old = prev.text;
  if (!doc || prev.value === undefined || prev.findings.length > 0 || doc.errors.length > 0 || doc.warnings.length > 0)
    return undefined;
  if (text.length > MAX_PLAN_BYTES || text === old) return undefined;
  if (!plain.has(doc)) {
    if (!defaultDirectives(doc) || !isPlainNode(doc)) return undefined;
    plain.add(doc);
  }
  const top = doc.contents;
  if (!isMap(top) || top.flow) return undefined;

  // The edited span: common prefix and suffix.
  const min = Math.min(old.length, text.length);
  let p = 0;
  while (p < min && old.charCodeAt(p) === text.charCodeAt(p)) p++;
  let s = 0;
  while (s < min - p && old.charCodeAt(old.length - 1 - s) === text.charCodeAt(text.length - 1 - s)) s++;
  const oldChangeEnd = old.length - s;
  const delta = text.length - old.length;

  // The top-level pair holding the edit.
  const tops = top.items;
  let ti = -1;
  for (let i = 0; i < tops.length; i++) {
    const k = tops[i].key;
    if (!isScalar(k) || !k.range) return undefined;
    if (k.range[0] <= p) ti = i;
    else break;
  }
  if (ti < 0) return undefined;
  const sectionPair = tops[ti];
  const sectionName = (sectionPair.key as { value: unknown }).value;
  if (!(ENTRY_SECTIONS as readonly unknown[]).includes(sectionName)) return undefined;
  const section = sectionPair.value;
  if (!isMap(section) || section.flow || !section.range || section.items.length === 0) return undefined;

  // The entry: its slot runs from its key's line to the next key's line (the next entry's or the
  // next section's), so the comments and blank lines between entries belong to the entry above.
  const items = section.items;
  let ei = -1;
  for (let i = 0; i < items.length; i++) {
    const k = items[i].key;
    if (!isScalar(k) || !k.range || typeof k.value !== 'string' || k.value === '__proto__') return undefined;
    if (lineStart(old, k.range[0]) <= p) ei = i;
  }
  if (ei < 0) return undefined;
  const entryKey = items[ei].key as unknown as { range: number[]; value: string };
  const slotStart = lineStart(old, entryKey.range[0]);
  const indent = entryKey.range[0] - slotStart;
  // The last entry of a section: where the section's own range ends depends on what follows it
  // (comments, the next section), so it is parsed whole.
  if (ei === items.length - 1) return undefined;
  const nextKey = items[ei + 1].key as unknown as { range: number[] };
  const slotEnd = lineStart(old, nextKey.range[0]);
  // Strictly inside the slot: an edit at its very start or end could join it to a neighbour.
  if (p <= slotStart + indent || oldChangeEnd >= slotEnd || slotEnd <= slotStart) return undefined;

  const newSlotEnd = slotEnd + delta;
  const slice = text.slice(slotStart, newSlotEnd);
  if (!slice.endsWith('\n') || /[\t\r\u0000\ufeff]/.test(slice) || !indentedUnder(slice, indent)) return undefined;
  if (nestingBeyond(slice, MAX_DEPTH - 2) >= 0) return undefined;

  let part: Document.Parsed;
  try {
    // the next key's indentation follows the slot in context: where an empty value ends depends on it
    const pad = ' '.repeat(nextKey.range[0] - slotEnd);
    part = parseDocument(slice + pad, { merge: true, prettyErrors: false, uniqueKeys: true, keepSourceTokens: false });
  } catch {
    return undefined;
  }
  if (part.errors.length > 0 || part.warnings.length > 0 || !defaultDirectives(part)) return undefined;
  const pmap = part.contents;
  if (!isMap(pmap) || pmap.flow || pmap.items.length !== 1 || !isPlainNode(part)) return undefined;
  const pair = pmap.items[0];
  const key = pair.key;
  if (
    !isScalar(key) ||
    typeof key.value !== 'string' ||
    key.value === '__proto__' ||
    !key.range ||
    key.range[0] !== indent
  )
    return undefined;
  if (!isNode(pair.value) || !pair.value.range) return undefined;
  const name = key.value;
  if (name !== entryKey.value && items.some((it, i) => i !== ei && (it.key as { value: unknown }).value === name))
    return undefined;
  let entryValue: unknown;
  try {
    entryValue = (part.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) as Record<string, unknown>)[name];
  } catch {
    return undefined;
  }

  // Splice: the new entry moved to its place, what follows it copied and shifted.
  shiftTree(pair, slotStart, 0);
  const shiftAfter = <T>(n: T): T => {
    const c = isPair(n) || isNode(n) ? (n.clone() as T) : n;
    shiftTree(c, delta, slotEnd);
    return c;
  };
  const newItems = items.slice(0, ei) as Pair[];
  newItems.push(pair as Pair);
  for (let i = ei + 1; i < items.length; i++) newItems.push(shiftAfter(items[i]) as Pair);
  const newSection = shallow(section);
  newSection.items = newItems;
  const r = section.range;
  newSection.range = [r[0], r[1] + delta, r[2] + delta];
  const newSectionPair = shallowPair(sectionPair);
  newSectionPair.value = newSection;
  const newTop = shallow(top);
  newTop.items = [...tops.slice(0, ti), newSectionPair, ...tops.slice(ti + 1).map(shiftAfter)] as Pair[];
  newTop.range = top.range ? [top.range[0], top.range[1] + delta, top.range[2] + delta] : top.range;
  const newDoc = Object.create(Object.getPrototypeOf(doc), Object.getOwnPropertyDescriptors(doc)) as Document.Parsed;
  newDoc.contents = newTop as unknown as Document.Parsed['contents'];
  newDoc.errors = [];
  newDoc.warnings = [];
  newDoc.range = [doc.range[0], doc.range[1] + delta, doc.range[2] + delta];
  plain.add(newDoc);

  // The value: the previous one with this entry replaced, keys in the document's order.
  const root = prev.value as Record<string, unknown>;
  const oldSection = root[sectionName as string] as Record<string, unknown>;
  const nextSection: Record<string, unknown> = {};
  for (const it of newItems) {
    const k = (it.key as { value: string }).value;
    nextSection[k] = it === pair ? entryValue : oldSection[k];
  }
  const value: Record<string, unknown> = {};
  for (const k of Object.keys(root)) value[k] = k === sectionName ? nextSection : root[k];

  return {
    parsed: { text, doc: newDoc, value, findings: [] },
    section: sectionName as EntrySection,
    oldName: entryKey.value,
    name,
    start: slotStart,
    oldEnd: slotEnd,
    delta,
  };
}

/** Every line after the first is blank, a comment, or indented deeper than the entry's key. */
function indentedUnder(slice: string, indent: number): boolean {
  const first = slice.charCodeAt(indent);
  // the key line: exactly `indent` spaces, then a key (not a comment, sequence item or `?`)
  for (let i = 0; i < indent; i++) if (slice.charCodeAt(i) !== 32) return false;
  if (first === 32 || first === 35 || first === 45 || first === 63 || first === 10) return false;
  let at = slice.indexOf('\n') + 1;
  while (at < slice.length) {
    let i = at;
    while (slice.charCodeAt(i) === 32) i++;
    const c = slice.charCodeAt(i);
    if (c !== 10 && c !== 35 && i - at <= indent) return false;
    // a less indented comment line: only where the entry's own lines would also end
    if (c === 35 && i - at <= indent && !restIsCommentsOrBlank(slice, at)) return false;
    at = slice.indexOf('\n', at) + 1;
    if (at === 0) break;
  }
  return true;
}

function restIsCommentsOrBlank(slice: string, from: number): boolean {
  for (const line of slice.slice(from).split('\n')) {
    const t = line.trimStart();
    if (t !== '' && !t.startsWith('#')) return false;
  }
  return true;
}

function shallow(m: YAMLMap): YAMLMap {
  return Object.create(Object.getPrototypeOf(m), Object.getOwnPropertyDescriptors(m)) as YAMLMap;
}

function shallowPair(p: Pair): Pair {
  return Object.create(Object.getPrototypeOf(p), Object.getOwnPropertyDescriptors(p)) as Pair;
}

/** Adds `by` to every offset ≥ `from` of the node ranges under `root` (a fresh copy, never shared). */
function shiftTree(root: unknown, by: number, from: number): void {
  if (by === 0) return;
  const shift = (n: unknown) => {
    const r = (n as { range?: number[] } | null)?.range;
    if (!r) return;
    (n as { range: number[] }).range = r.map((x) => (x >= from ? x + by : x));
  };
  const walk = (n: unknown): void => {
    if (isPair(n)) {
      walk(n.key);
      walk(n.value);
      return;
    }
    if (!isNode(n)) return;
    shift(n);
    if (isCollection(n)) for (const it of n.items) walk(it);
    else if (isAlias(n)) return;
  };
  walk(root);
}
