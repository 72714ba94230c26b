// What every command needs: the output channel, the language client (when it is running), the
// extension's folder, the settings, and how to find the plan a command is about.
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { readSettings, SECTION, type BackplanSettings } from './settings';
import type { CliLocation } from './cli';
import { logTime } from './log-time';

export const LANGUAGE_ID = 'backplan';

export class Ctx {
  client: LanguageClient | undefined;

  constructor(
    readonly extension: vscode.ExtensionContext,
    readonly output: vscode.OutputChannel,
  ) {}

  settings(scope?: vscode.Uri): BackplanSettings {
    return readSettings(vscode.workspace.getConfiguration(SECTION, scope));
  }

  cli(scope?: vscode.Uri): CliLocation {
    // `backplan.cli.path` is a restricted setting: VS Code ignores a workspace's value for it
    // while the workspace is untrusted, so a cloned repository cannot point it anywhere.
    return { extensionPath: this.extension.extensionPath, cliPath: this.settings(scope)['cli.path'].trim() };
  }

  log(line: string): void {
    this.output.appendLine(`[${logTime(new Date())}] ${line}`);
  }
}

/** Arguments a command can receive: a code lens's `{uri, job}` / `{uri, policy}`, a Uri (explorer), or nothing (palette). */
export interface PlanTarget {
  uri: vscode.Uri;
  job?: string;
  policy?: string;
}

export function isPlanDocument(doc: vscode.TextDocument | undefined): doc is vscode.TextDocument {
  return !!doc && (doc.languageId === LANGUAGE_ID || /(^|[\\/.])backplan\.ya?ml$/.test(doc.uri.path));
}

/** The plan a command is about, or undefined (after telling the user) when there is none. */
export function planTarget(arg: unknown): PlanTarget | undefined {
  if (arg instanceof vscode.Uri) return { uri: arg };
  if (arg && typeof arg === 'object' && typeof (arg as { uri?: unknown }).uri === 'string') {
    const a = arg as { uri: string; job?: unknown; policy?: unknown };
    return {
      uri: vscode.Uri.parse(a.uri),
      job: typeof a.job === 'string' ? a.job : undefined,
      policy: typeof a.policy === 'string' ? a.policy : undefined,
    };
  }
  const doc = vscode.window.activeTextEditor?.document;
  if (isPlanDocument(doc)) return { uri: doc.uri };
  const visible = vscode.window.visibleTextEditors.map((e) => e.document).find(isPlanDocument);
  if (visible) return { uri: visible.uri };
  void vscode.window.showErrorMessage('Backplan: open a plan (backplan.yaml or *.backplan.yaml) first.');
  return undefined;
}

/** The plan's path on disk, saving unsaved edits first (the command line reads the file). */
export async function planFileOnDisk(uri: vscode.Uri): Promise<string | undefined> {
  if (uri.scheme !== 'file') {
    void vscode.window.showErrorMessage(`Backplan: ${uri.toString()} is not a file on this machine; this command needs one.`);
    return undefined;
  }
  const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
  if (doc?.isDirty && !(await doc.save())) {
    void vscode.window.showErrorMessage('Backplan: save the plan first.');
    return undefined;
  }
  return uri.fsPath;
}

export function basename(uri: vscode.Uri): string {
  return uri.path.slice(uri.path.lastIndexOf('/') + 1);
}
