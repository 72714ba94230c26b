// Rename a host, storage, policy or job: its key and every reference to it. prepareRename says
// what would be renamed (or why nothing can be); the new name must be a valid plan name and must
// not already be taken in the same section.
import { ResponseError, ErrorCodes, type Position, type Range, type WorkspaceEdit, type TextEdit } from 'vscode-languageserver/node';
import { toRange } from '../convert';
import type { Analysis } from '../documents';
import { nameIndex } from '../names';

export const NAME_PATTERN = /^[a-z0-9][a-z0-9._-]*$/;

const SECTION_WORD = { hosts: 'host', storage: 'storage', policies: 'policy', jobs: 'job' } as const;

export function prepareRename(a: Analysis, position: Position): { range: Range; placeholder: string } | null {
  const names = nameIndex(a);
  const hit = names.at(a.lines.offset(position));
  if (!hit) return null;
  return { range: toRange(a.lines, hit.range), placeholder: hit.name };
}

export function rename(a: Analysis, position: Position, newName: string): WorkspaceEdit | ResponseError<void> | null {
  const names = nameIndex(a);
  const hit = names.at(a.lines.offset(position));
  if (!hit) return null;
  if (!NAME_PATTERN.test(newName)) {
    return new ResponseError(ErrorCodes.InvalidParams, `\`${newName}\` is not a valid name: use lowercase letters, digits, \`.\`, \`_\` and \`-\`, starting with a letter or a digit`);
  }
  if (newName !== hit.name && names.definition(hit.section, newName)) {
    return new ResponseError(ErrorCodes.InvalidParams, `there is already a ${SECTION_WORD[hit.section]} named \`${newName}\``);
  }
  const edits: TextEdit[] = [];
  const d = names.definition(hit.section, hit.name);
  if (d) edits.push({ range: toRange(a.lines, d.range), newText: newName });
  for (const r of names.referencesTo(hit.section, hit.name)) edits.push({ range: toRange(a.lines, r.range), newText: newName });
  return { changes: { [a.uri]: edits } };
}
