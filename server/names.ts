// Names of hosts, storage, policies and jobs: where each is defined (its key under the section)
// and every place that refers to it (the values the schema marks with `x-backplan-ref`), for
// definition, references, rename, hover and completion. Built once per document version.
import { isMap, isScalar, type Node } from 'yaml';
import type { OffsetRange } from '../engine/findings';
import { locate } from '../engine/plan/locate';
import { annotatedValues, type RefSection } from '../engine/plan/schema';
import type { Analysis } from './documents';
import { innerRange, type Path } from './yaml-path';

export const SECTIONS: readonly RefSection[] = ['hosts', 'storage', 'policies', 'jobs'];

export interface NameDefinition {
  section: RefSection;
  name: string;
  /** The key, without quotes. */
  range: OffsetRange;
  /** The whole entry: key to the end of its value. */
  full: OffsetRange;
}

export interface NameReference {
  section: RefSection;
  name: string;
  path: Path;
  /** The value, without quotes. */
  range: OffsetRange;
}

export interface NameIndex {
  definitions: NameDefinition[];
  references: NameReference[];
  definition(section: RefSection, name: string): NameDefinition | undefined;
  referencesTo(section: RefSection, name: string): NameReference[];
  /** The definition or reference whose range contains `offset` (end included). */
  at(offset: number): { section: RefSection; name: string; range: OffsetRange; isDefinition: boolean } | undefined;
}

const key = (section: string, name: string) => `${section}\u0000${name}`;
const contains = (r: OffsetRange, o: number) => r.start <= o && o <= r.end;

export function nameIndex(a: Analysis): NameIndex {
  return a.memo('names', () => build(a));
}

function build(a: Analysis): NameIndex {
  const text = a.text;
  const doc = a.parsed.doc;
  const definitions: NameDefinition[] = [];
  const root = doc?.contents;
  if (isMap(root)) {
    for (const pair of root.items) {
      const section = isScalar(pair.key) ? String(pair.key.value) : '';
      if (!(SECTIONS as readonly string[]).includes(section) || !isMap(pair.value)) continue;
      for (const entry of pair.value.items) {
        const k = entry.key as Node | null;
        if (!isScalar(k) || !k.range || typeof k.value !== 'string') continue;
        const v = entry.value as Node | null;
        const end = v?.range ? v.range[1] : k.range[1];
        definitions.push({
          section: section as RefSection,
          name: k.value,
          range: innerRange(text, { start: k.range[0], end: k.range[1] }),
          full: { start: k.range[0], end },
        });
      }
    }
  }
  const references: NameReference[] = [];
  const seen = new Set<string>();
  const value = a.parsed.value;
  if (value !== undefined && doc) {
    let annotated: ReturnType<typeof annotatedValues> = [];
    try {
      annotated = annotatedValues(value);
    } catch {
      annotated = [];
    }
    for (const v of annotated) {
      if (!v.ref || typeof v.value !== 'string') continue;
      const r = locate(doc, v.path, 'value');
      // a value brought in by a merge key is located at its anchor: one reference, not one per user
      const id = `${v.ref}:${r.start}:${r.end}`;
      if (seen.has(id)) continue;
      seen.add(id);
      const inner = innerRange(text, r);
      if (text.slice(inner.start, inner.end) !== v.value) continue; // not literally there (alias, escapes)
      references.push({ section: v.ref, name: v.value, path: v.path, range: inner });
    }
  }
  const defs = new Map<string, NameDefinition>();
  for (const d of definitions) if (!defs.has(key(d.section, d.name))) defs.set(key(d.section, d.name), d);
  const refs = new Map<string, NameReference[]>();
  for (const r of references) {
    const list = refs.get(key(r.section, r.name)) ?? [];
    list.push(r);
    refs.set(key(r.section, r.name), list);
  }
  return {
    definitions,
    references,
    definition: (section, name) => defs.get(key(section, name)),
    referencesTo: (section, name) => refs.get(key(section, name)) ?? [],
    at(offset) {
      for (const r of references) if (contains(r.range, offset)) return { section: r.section, name: r.name, range: r.range, isDefinition: false };
      for (const d of definitions) if (contains(d.range, offset)) return { section: d.section, name: d.name, range: d.range, isDefinition: true };
      return undefined;
    },
  };
}
