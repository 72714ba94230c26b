// The LSP edge: engine offsets ↔ LSP positions (through the engine's LineIndex, built once per
// version) and findings → diagnostics.
import {
  DiagnosticSeverity,
  DiagnosticTag,
  type Diagnostic,
  type DiagnosticRelatedInformation,
  type Range,
  type TextEdit,
} from 'vscode-languageserver/node';
import type { Finding, OffsetRange, Severity, TextEdit as EngineEdit } from '../engine/findings';
import type { LineIndex } from '../engine/text/positions';

export const SOURCE = 'backplan';

export function toRange(lines: LineIndex, r: OffsetRange): Range {
  return { start: lines.position(r.start), end: lines.position(Math.max(r.start, r.end)) };
}

export function toOffsets(lines: LineIndex, r: Range): OffsetRange {
  return { start: lines.offset(r.start), end: lines.offset(r.end) };
}

const SEVERITY: Record<Severity, DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  info: DiagnosticSeverity.Information,
  hint: DiagnosticSeverity.Hint,
};

const TAGS = { unnecessary: DiagnosticTag.Unnecessary, deprecated: DiagnosticTag.Deprecated } as const;

export function toDiagnostic(uri: string, lines: LineIndex, f: Finding): Diagnostic {
  const d: Diagnostic = {
    range: toRange(lines, f.range),
    severity: SEVERITY[f.severity] ?? DiagnosticSeverity.Error,
    code: f.rule,
    source: SOURCE,
    message: plainMessage(f.message),
  };
  if (f.tags && f.tags.length > 0) d.tags = f.tags.map((t) => TAGS[t]).filter((t) => t !== undefined);
  if (f.related && f.related.length > 0) {
    d.relatedInformation = f.related.map(
      (r): DiagnosticRelatedInformation => ({ location: { uri, range: toRange(lines, r.range) }, message: plainMessage(r.message) }),
    );
  }
  return d;
}

/**
 * A finding's message as an editor shows it: diagnostics are plain text (VS Code prints Markdown
 * backticks as they are), so the engine's `name` becomes 'name'. The CLI keeps its own style.
 */
export function plainMessage(message: string): string {
  return message.replace(/`([^`\n]*)`/g, "'$1'");
}

export function toTextEdit(lines: LineIndex, e: EngineEdit): TextEdit {
  return { range: toRange(lines, e.range), newText: e.newText };
}

/** Same start and end. */
export function sameRange(a: Range, b: Range): boolean {
  return (
    a.start.line === b.start.line &&
    a.start.character === b.start.character &&
    a.end.line === b.end.line &&
    a.end.character === b.end.character
  );
}

/** Whether two ranges overlap or touch. */
export function touches(a: Range, b: Range): boolean {
  const before = (p: Range['start'], q: Range['start']) => p.line < q.line || (p.line === q.line && p.character < q.character);
  return !before(a.end, b.start) && !before(b.end, a.start);
}
