// "Export to native schedulers": `backplan export PLAN --to TARGET` into an untitled document.
// Says so plainly when the installed `backplan` has no `export` yet.
import * as vscode from 'vscode';
import { cliError, execCli, isUnknownCommand } from './cli';
import { planFileOnDisk, planTarget, type Ctx } from './context';

export const EXPORT_TARGETS = ['systemd', 'cron', 'incus', 'sanoid', 'velero', 'borgmatic'] as const;

export async function exportPlan(ctx: Ctx, arg: unknown): Promise<void> {
  const t = planTarget(arg);
  if (!t) return;
  const to = await vscode.window.showQuickPick([...EXPORT_TARGETS], { title: 'Export the plan\'s schedules to', placeHolder: 'systemd timers, crontab, Incus snapshots.schedule, sanoid, Velero Schedules, borgmatic' });
  if (!to) return;
  const file = await planFileOnDisk(t.uri);
  if (!file) return;
  const r = await execCli(ctx.cli(t.uri), ['export', file, '--to', to], file);
  if (isUnknownCommand(r)) {
    void vscode.window.showInformationMessage('Backplan: export to native schedulers is not available yet in this version of backplan.');
    return;
  }
  if (r.code !== 0) {
    void vscode.window.showErrorMessage(`Backplan: export failed: ${cliError(r)}`);
    return;
  }
  const language: Record<string, string> = { velero: 'yaml', borgmatic: 'yaml', systemd: 'ini', sanoid: 'ini', incus: 'shellscript', cron: 'plaintext' };
  const doc = await vscode.workspace.openTextDocument({ content: r.stdout, language: language[to] ?? 'plaintext' });
  await vscode.window.showTextDocument(doc, { preview: false });
}
