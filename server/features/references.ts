// Find references: every value that names the same host, storage, policy or job (and the
// definition itself when the client asks for it).
import type { Location, Position } from 'vscode-languageserver/node';
import { toRange } from '../convert';
import type { Analysis } from '../documents';
import { nameIndex } from '../names';

export function references(a: Analysis, position: Position, includeDeclaration: boolean): Location[] {
  const names = nameIndex(a);
  const hit = names.at(a.lines.offset(position));
  if (!hit) return [];
  const out: Location[] = [];
  const d = names.definition(hit.section, hit.name);
  if (includeDeclaration && d) out.push({ uri: a.uri, range: toRange(a.lines, d.range) });
  for (const r of names.referencesTo(hit.section, hit.name)) out.push({ uri: a.uri, range: toRange(a.lines, r.range) });
  return out;
}
