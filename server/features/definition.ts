// Go to definition: from a reference (a host, storage, policy or job name used as a value) to the
// key that defines it.
import type { Location, Position } from 'vscode-languageserver/node';
import { toRange } from '../convert';
import type { Analysis } from '../documents';
import { nameIndex } from '../names';

export function definition(a: Analysis, position: Position): Location | null {
  const names = nameIndex(a);
  const hit = names.at(a.lines.offset(position));
  if (!hit) return null;
  const d = names.definition(hit.section, hit.name);
  return d ? { uri: a.uri, range: toRange(a.lines, d.range) } : null;
}
