// "Open runbook": `backplan runbook PLAN [--state-dir D]` through the command line (it reads the
// plan and the journals, contacts no host), written into the extension's storage folder as
// `<plan>.runbook.md` and opened in a Markdown preview beside the plan.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { cliError, execCli } from './cli';
import { basename, planFileOnDisk, planTarget, type Ctx } from './context';

export async function openRunbook(ctx: Ctx, arg: unknown): Promise<void> {
  const t = planTarget(arg);
  if (!t) return;
  const file = await planFileOnDisk(t.uri);
  if (!file) return;
  // The state directory is a restricted setting: an untrusted workspace's value is not read.
  const stateDir = vscode.workspace.isTrusted ? ctx.settings(t.uri).stateDir.trim() : '';
  const args = ['runbook', file, '--format', 'markdown', ...(stateDir ? ['--state-dir', stateDir] : [])];
  ctx.log(`runbook: backplan ${args.join(' ')}`);
  const r = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Window, title: 'Backplan: writing the runbook' },
    () => execCli(ctx.cli(t.uri), args, file),
  );
  if (r.code !== 0) {
    ctx.log(`runbook failed: ${r.stderr.trim()}`);
    void vscode.window.showErrorMessage(`Backplan: cannot write the runbook of ${basename(t.uri)}: ${cliError(r)}`);
    return;
  }
  const dir = join(ctx.extension.globalStorageUri.fsPath, 'runbooks');
  mkdirSync(dir, { recursive: true });
  const out = join(dir, `${basename(t.uri).replace(/\.ya?ml$/, '')}.runbook.md`);
  writeFileSync(out, r.stdout);
  await vscode.commands.executeCommand('markdown.showPreviewToSide', vscode.Uri.file(out));
}
