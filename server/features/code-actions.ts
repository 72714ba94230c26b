// Quick fixes: the `fixes` the engine attaches to its findings, offered on the findings whose
// range meets the requested range; `isPreferred` when the engine marks the fix so.
import { CodeActionKind, type CodeAction, type CodeActionParams, type Diagnostic } from 'vscode-languageserver/node';
import { sameRange, toRange, toTextEdit, touches } from '../convert';
import type { Analysis } from '../documents';
import { diagnostics } from './diagnostics';

export function codeActions(a: Analysis, params: CodeActionParams): CodeAction[] {
  const only = params.context.only;
  if (only && !only.some((k) => k === CodeActionKind.QuickFix || CodeActionKind.QuickFix.startsWith(`${k}.`) || k === CodeActionKind.Empty)) {
    return [];
  }
  const diags = diagnostics(a);
  const out: CodeAction[] = [];
  a.result.findings.forEach((f, i) => {
    if (!f.fixes || f.fixes.length === 0) return;
    const range = toRange(a.lines, f.range);
    if (!touches(range, params.range)) return;
    // the diagnostic the client sent, when it sent it (same rule and range), else ours
    const diagnostic: Diagnostic =
      params.context.diagnostics.find((d) => d.code === f.rule && sameRange(d.range, range)) ?? diags[i];
    for (const fix of f.fixes) {
      const action: CodeAction = {
        title: fix.title.replace(/`/g, ''),
        kind: CodeActionKind.QuickFix,
        diagnostics: [diagnostic],
        edit: { changes: { [a.uri]: fix.edits.map((e) => toTextEdit(a.lines, e)) } },
      };
      if (fix.preferred) action.isPreferred = true;
      out.push(action);
    }
  });
  return out;
}
