// Findings → diagnostics: one per finding, `code` = the rule id, `source: backplan`, the
// finding's range, severity, tags and related information.
import type { Diagnostic } from 'vscode-languageserver/node';
import { toDiagnostic } from '../convert';
import type { Analysis } from '../documents';

export function diagnostics(a: Analysis): Diagnostic[] {
  return a.memo('diagnostics', () => {
    const out = a.result.findings.map((f) => toDiagnostic(a.uri, a.lines, f));
    // A rule that crashed is a Backplan bug: say so once, at the top, instead of hiding it.
    for (const e of a.result.internalErrors) {
      out.push({
        range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
        severity: 4,
        source: 'backplan',
        code: e.rule,
        message: `internal error in rule ${e.rule}: ${e.error.split('\n')[0]} (please report it)`,
      });
    }
    return out;
  });
}

export function countBySeverity(ds: readonly Diagnostic[]): { error: number; warning: number; info: number; hint: number } {
  const c = { error: 0, warning: 0, info: 0, hint: 0 };
  for (const d of ds) {
    if (d.severity === 1) c.error++;
    else if (d.severity === 2) c.warning++;
    else if (d.severity === 3) c.info++;
    else c.hint++;
  }
  return c;
}
