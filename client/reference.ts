// "Backplan: Open reference": the pages of docs/reference shipped in the extension, in a Markdown
// preview. A diagnostic's code links here with its rule id (server/reference.ts); from the palette,
// without an argument, the index opens.
import { existsSync } from 'node:fs';
import * as vscode from 'vscode';
import type { Ctx } from './context';

const DIR = 'docs/reference';

/** The page for an argument: a rule id (`expiry-gap`), a page name (`jobs`), else the index. */
export function referencePage(arg: unknown, exists: (rel: string) => boolean): string {
  if (typeof arg === 'string' && /^[a-z0-9][a-z0-9-]*$/.test(arg)) {
    for (const rel of [`${DIR}/rules/${arg}.md`, `${DIR}/${arg}.md`]) if (exists(rel)) return rel;
  }
  return `${DIR}/README.md`;
}

export async function showReference(ctx: Ctx, arg?: unknown): Promise<void> {
  const rel = referencePage(arg, (r) => existsSync(ctx.extension.asAbsolutePath(r)));
  const uri = vscode.Uri.file(ctx.extension.asAbsolutePath(rel));
  ctx.log(`reference: ${rel}`);
  await vscode.commands.executeCommand('markdown.showPreview', uri);
}
