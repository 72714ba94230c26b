// "Dry run": a read-only virtual document (scheme backplan-dryrun) listing every step of the
// plan, or of one job. The document's URI carries the plan and the job; reopening it re-plans.
import * as vscode from 'vscode';
import { basename, planTarget, type Ctx } from './context';
import { requestPlan } from './data';
import { dryRunText } from './dry-run-text';

export const DRY_RUN_SCHEME = 'backplan-dryrun';

export class DryRunProvider implements vscode.TextDocumentContentProvider {
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;

  constructor(private readonly ctx: Ctx) {}

  static uriFor(plan: vscode.Uri, job?: string): vscode.Uri {
    const query = new URLSearchParams({ plan: plan.toString(), ...(job ? { job } : {}) }).toString();
    return vscode.Uri.from({ scheme: DRY_RUN_SCHEME, path: `/${basename(plan)}${job ? ` (${job})` : ''} — dry run.txt`, query });
  }

  refresh(uri: vscode.Uri): void {
    this.changed.fire(uri);
  }

  async provideTextDocumentContent(uri: vscode.Uri, token: vscode.CancellationToken): Promise<string> {
    const q = new URLSearchParams(uri.query);
    const plan = q.get('plan');
    if (!plan) return 'Backplan: this dry-run document names no plan.\n';
    const job = q.get('job') ?? undefined;
    try {
      const r = await requestPlan(this.ctx, { uri: plan, job }, token);
      return dryRunText(r, { plan: basename(vscode.Uri.parse(plan)), job, generated: new Date() });
    } catch (e) {
      this.ctx.log(`dry run failed: ${(e as Error).message}`);
      return `Backplan could not plan ${plan}: ${(e as Error).message}\n`;
    }
  }
}

export async function dryRun(ctx: Ctx, provider: DryRunProvider, arg: unknown): Promise<void> {
  const t = planTarget(arg);
  if (!t) return;
  const uri = DryRunProvider.uriFor(t.uri, t.job);
  const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
  if (open) provider.refresh(uri);
  const doc = await vscode.workspace.openTextDocument(uri);
  await vscode.window.showTextDocument(doc, { preview: false, viewColumn: vscode.ViewColumn.Beside });
}
