// "Show 3-2-1 coverage": a quick pick with one row per chain (its root jobs — several when they
// read the same data —, the 3-2-1 line, and where its copies live); picking a row reveals the
// chain's first root job in the plan.
import * as vscode from 'vscode';
import { basename, planTarget, type Ctx } from './context';
import { requestCoverage } from './data';

export async function showCoverage(ctx: Ctx, arg: unknown): Promise<void> {
  const t = planTarget(arg);
  if (!t) return;
  let chains;
  try {
    chains = (await requestCoverage(ctx, t.uri)).chains;
  } catch (e) {
    void vscode.window.showErrorMessage(`Backplan: ${(e as Error).message}`);
    return;
  }
  if (!chains.length) {
    void vscode.window.showInformationMessage(`Backplan: ${basename(t.uri)} has no chain (no job without \`from\`).`);
    return;
  }
  type Item = vscode.QuickPickItem & { range?: vscode.Range };
  const items: Item[] = chains.map((c) => ({
    label: `${c.ok ? '$(pass)' : '$(warning)'} ${c.roots.join(' + ')}`,
    description: `${c.line}${c.enabled ? '' : ' (disabled)'}`,
    detail: c.copies.map((k, i) => `${i + 1}. ${k.label}${k.site ? ` @${k.site}` : ''}${k.media ? ` [${k.media}]` : ''}${k.offsite ? ' offsite' : ''}${k.immutable ? ' immutable' : ''}`).join('  ·  '),
    range: new vscode.Range(c.range.start.line, c.range.start.character, c.range.end.line, c.range.end.character),
  }));
  for (const c of chains) ctx.log(`coverage ${c.roots.join(' + ')}: ${c.line}`);
  const picked = await vscode.window.showQuickPick(items, { title: `3-2-1 coverage of ${basename(t.uri)}`, matchOnDescription: true, matchOnDetail: true });
  if (!picked?.range) return;
  const doc = await vscode.workspace.openTextDocument(t.uri);
  const editor = await vscode.window.showTextDocument(doc);
  editor.selection = new vscode.Selection(picked.range.start, picked.range.end);
  editor.revealRange(picked.range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
}
