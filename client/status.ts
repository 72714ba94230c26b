// The language status item of backplan documents: how long the last validation of the active
// plan took (the server's `backplan/status` notification), amber (Warning) when over the
// budget. Until the server reports, the time from an edit to its diagnostics is shown instead.
import * as vscode from 'vscode';
import type { StatusParams } from '../server/protocol';
import { LANGUAGE_ID } from './context';

export function statusText(ms: number): string {
  return ms < 10 ? `${ms.toFixed(1)} ms` : `${Math.round(ms)} ms`;
}

export class ValidationStatus implements vscode.Disposable {
  readonly item: vscode.LanguageStatusItem;
  private readonly last = new Map<string, StatusParams>();
  private readonly subs: vscode.Disposable[] = [];
  private readonly editedAt = new Map<string, number>();
  private serverReports = false;

  constructor(private readonly budget: () => number) {
    this.item = vscode.languages.createLanguageStatusItem('backplan.validation', { language: LANGUAGE_ID });
    this.item.name = 'Backplan validation';
    this.item.text = 'Backplan';
    this.item.detail = 'waiting for the language server';
    this.item.command = { command: 'backplan.showOutput', title: 'Open output' };
    this.subs.push(vscode.window.onDidChangeActiveTextEditor(() => this.show()));
    this.subs.push(vscode.workspace.onDidCloseTextDocument((d) => this.last.delete(d.uri.toString())));
  }

  /** From the server: one validation of one version. */
  report(p: StatusParams): void {
    this.serverReports = true;
    this.last.set(p.uri, p);
    this.show();
  }

  /** Client-side measure, used while the server sends no status: edit → diagnostics. */
  edited(uri: string): void {
    this.editedAt.set(uri, performance.now());
  }

  diagnosed(uri: string): void {
    const t0 = this.editedAt.get(uri);
    if (t0 === undefined || this.serverReports) return;
    this.editedAt.delete(uri);
    const ms = performance.now() - t0;
    this.last.set(uri, { uri, version: -1, ms, budgetMs: this.budget(), counts: { error: 0, warning: 0, info: 0, hint: 0 } });
    this.show();
  }

  private show(): void {
    const uri = vscode.window.activeTextEditor?.document.uri.toString();
    const p = uri ? this.last.get(uri) : undefined;
    if (!p) return;
    const over = p.ms > p.budgetMs;
    const measured = p.version === -1 ? 'edit → diagnostics' : 'validated';
    this.item.text = `$(${over ? 'warning' : 'check'}) ${measured} in ${statusText(p.ms)}`;
    this.item.detail = over ? `over the ${p.budgetMs} ms budget (backplan.validation.budgetMs)` : `budget ${p.budgetMs} ms`;
    this.item.severity = over ? vscode.LanguageStatusSeverity.Warning : vscode.LanguageStatusSeverity.Information;
  }

  dispose(): void {
    this.item.dispose();
    for (const s of this.subs) s.dispose();
  }
}
