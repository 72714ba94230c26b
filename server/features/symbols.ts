// The outline: top-level keys, and under hosts/storage/policies/jobs their entries (a job shows
// its kind). At most MAX_SYMBOLS symbols.
import { isMap, isScalar, type Node } from 'yaml';
import { SymbolKind, type DocumentSymbol } from 'vscode-languageserver/node';
import { toRange } from '../convert';
import type { Analysis } from '../documents';

export const MAX_SYMBOLS = 5000;

const SECTION_KIND: Record<string, SymbolKind> = {
  hosts: SymbolKind.Namespace,
  storage: SymbolKind.Namespace,
  policies: SymbolKind.Namespace,
  jobs: SymbolKind.Namespace,
  checks: SymbolKind.Namespace,
};
const ENTRY_KIND: Record<string, SymbolKind> = {
  hosts: SymbolKind.Object,
  storage: SymbolKind.Struct,
  policies: SymbolKind.Class,
  jobs: SymbolKind.Function,
  checks: SymbolKind.Property,
};

export function documentSymbols(a: Analysis): DocumentSymbol[] {
  const root = a.parsed.doc?.contents;
  const out: DocumentSymbol[] = [];
  if (!isMap(root)) return out;
  let count = 0;
  for (const pair of root.items) {
    if (count >= MAX_SYMBOLS) break;
    const k = pair.key as Node | null;
    if (!isScalar(k) || !k.range) continue;
    const name = String(k.value);
    const v = pair.value as Node | null;
    const end = v?.range ? v.range[1] : k.range[1];
    const sym: DocumentSymbol = {
      name: name === '' ? '(empty)' : name,
      kind: SECTION_KIND[name] ?? SymbolKind.Property,
      range: toRange(a.lines, { start: k.range[0], end }),
      selectionRange: toRange(a.lines, { start: k.range[0], end: k.range[1] }),
    };
    count++;
    if (isScalar(v)) sym.detail = String(v.value ?? '');
    if (isMap(v) && name in ENTRY_KIND) {
      sym.children = [];
      for (const entry of v.items) {
        if (count >= MAX_SYMBOLS) break;
        const ek = entry.key as Node | null;
        if (!isScalar(ek) || !ek.range) continue;
        const ev = entry.value as Node | null;
        const child: DocumentSymbol = {
          name: String(ek.value) || '(empty)',
          kind: ENTRY_KIND[name],
          range: toRange(a.lines, { start: ek.range[0], end: ev?.range ? ev.range[1] : ek.range[1] }),
          selectionRange: toRange(a.lines, { start: ek.range[0], end: ek.range[1] }),
        };
        if (name === 'jobs') {
          const kind = a.model.jobs.get(String(ek.value))?.kind;
          if (kind) child.detail = kind;
        } else if (name === 'checks' && isScalar(ev)) child.detail = String(ev.value ?? '');
        sym.children.push(child);
        count++;
      }
    }
    out.push(sym);
  }
  return out;
}
