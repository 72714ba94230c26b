// Document and range formatting: the engine's formatter (engine/plan/format.ts, the `yaml`
// library's Document API) on the document's text, its offset edits converted to LSP ranges. A
// document that does not parse gets no edits. Indentation: the client's tabSize when it is 2 or
// 4 (spaces only: YAML cannot indent with tabs), else 2.
import type { FormattingOptions, Range, TextEdit } from 'vscode-languageserver/node';
import { formatPlan, formatPlanRange, type FormatOptions, type FormatResult } from '../../engine/plan/format';
import type { Analysis } from '../documents';

export function formatOptions(options: FormattingOptions | undefined): FormatOptions {
  return { indent: options?.tabSize === 4 ? 4 : 2 };
}

function toEdits(a: Analysis, r: FormatResult): TextEdit[] {
  if (!r.ok) return [];
  return r.edits.map((e) => ({ range: { start: a.lines.position(e.range.start), end: a.lines.position(e.range.end) }, newText: e.newText }));
}

export function formatDocument(a: Analysis, options: FormattingOptions | undefined): TextEdit[] {
  return toEdits(a, formatPlan(a.text, formatOptions(options)));
}

export function formatRange(a: Analysis, range: Range, options: FormattingOptions | undefined): TextEdit[] {
  const start = a.lines.offset(range.start);
  const end = a.lines.offset(range.end);
  return toEdits(a, formatPlanRange(a.text, { start, end }, formatOptions(options)));
}
