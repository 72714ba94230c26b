// Quick fixes: the `fixes` the engine attaches to its findings, offered on the findings whose
// range meets the requested range; `isPreferred` when the engine marks the fix so. Every warning
// or error on a host, storage, policy or job also gets "Accept with a reason…" (SPEC §7), which
// writes `accept: {RULE: "TODO: …"}` into the entry: the placeholder is reported (accept-invalid)
// until a reason replaces it.
import { CodeActionKind, type CodeAction, type CodeActionParams, type Diagnostic } from 'vscode-languageserver/node';
import { sameRange, toRange, toTextEdit, touches } from '../convert';
import { acceptFix, entrySpans } from '../../engine/checks/shared/accept';
import type { Fix } from '../../engine/findings';
import type { Analysis } from '../documents';
import { diagnostics } from './diagnostics';

export function codeActions(a: Analysis, params: CodeActionParams): CodeAction[] {
  const only = params.context.only;
  if (only && !only.some((k) => k === CodeActionKind.QuickFix || CodeActionKind.QuickFix.startsWith(`${k}.`) || k === CodeActionKind.Empty)) {
    return [];
  }
  const diags = diagnostics(a);
  const out: CodeAction[] = [];
  const entries = a.memo('acceptEntries', () => entrySpans(a.parsed.doc));
  a.result.findings.forEach((f, i) => {
    const range = toRange(a.lines, f.range);
    if (!touches(range, params.range)) return;
    const accept = f.severity === 'error' || f.severity === 'warning' ? acceptFix(a.text, entries, f) : undefined;
    const fixes: Fix[] = [...(f.fixes ?? []), ...(accept ? [accept] : [])];
    if (fixes.length === 0) return;
    // the diagnostic the client sent, when it sent it (same rule and range), else ours
    const diagnostic: Diagnostic =
      params.context.diagnostics.find((d) => d.code === f.rule && sameRange(d.range, range)) ?? diags[i];
    for (const fix of fixes) {
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
