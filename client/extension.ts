// The Backplan extension: starts the language server (dist/server.js over stdio), registers the
// commands of commands.ts, the dry-run documents, the output channel and the language status.
// In an untrusted workspace everything that only reads works (diagnostics, hovers, dry runs,
// simulations); running a backup is refused (SPEC §8.9).
import * as vscode from 'vscode';
import { LanguageClient, TransportKind, type LanguageClientOptions, type ServerOptions } from 'vscode-languageclient/node';
import { STATUS_NOTIFICATION, type InitializationOptions, type StatusParams } from '../server/protocol';
import { COMMAND_LIST } from './command-list';
import { declaredCommandIds, registerCommands } from './commands';
import { Ctx, LANGUAGE_ID } from './context';
import { DRY_RUN_SCHEME, DryRunProvider } from './dry-run';
import { SECTION, serverSettings } from './settings';
import { ValidationStatus } from './status';
import { StatusService } from './status-view';

/** The commands that run something: their lenses are hidden in an untrusted workspace. */
const RUNS_SOMETHING = new Set<string>(COMMAND_LIST.filter((c) => c.runsSomething).map((c) => c.id));

let ctx: Ctx | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<{ ctx: Ctx }> {
  const t0 = performance.now();
  const output = vscode.window.createOutputChannel('Backplan');
  ctx = new Ctx(context, output);
  const c = ctx;
  context.subscriptions.push(output);

  const dryRuns = new DryRunProvider(c);
  context.subscriptions.push(vscode.workspace.registerTextDocumentContentProvider(DRY_RUN_SCHEME, dryRuns));
  const jobStatus = new StatusService(c);
  context.subscriptions.push(jobStatus);
  context.subscriptions.push(...registerCommands({ ctx: c, dryRuns, status: jobStatus }));

  const status = new ValidationStatus(() => c.settings()['validation.budgetMs']);
  context.subscriptions.push(status);

  const serverModule = context.asAbsolutePath('dist/server.js');
  const serverOptions: ServerOptions = {
    run: { module: serverModule, transport: TransportKind.stdio },
    debug: { module: serverModule, transport: TransportKind.stdio, options: { execArgv: ['--nolazy', '--inspect=6019'] } },
  };
  const initializationOptions: InitializationOptions = {
    commands: declaredCommandIds(),
    settings: serverSettings(c.settings()),
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { language: LANGUAGE_ID, scheme: 'file' },
      { language: LANGUAGE_ID, scheme: 'untitled' },
      { language: LANGUAGE_ID, scheme: 'vscode-vfs' },
    ],
    outputChannel: output,
    initializationOptions,
    synchronize: { configurationSection: SECTION },
    middleware: {
      provideCodeLenses: async (doc, token, next) => {
        if (!c.settings(doc.uri)['codeLens.enabled']) return [];
        const lenses = await next(doc, token);
        // An untrusted workspace runs nothing (SPEC §8.9): no "Run now" or "Restore" to click there.
        if (vscode.workspace.isTrusted) return lenses;
        return lenses?.filter((l) => !RUNS_SOMETHING.has(l.command?.command ?? ''));
      },
      didChange: (e, next) => {
        status.edited(e.document.uri.toString());
        return next(e);
      },
      handleDiagnostics: (uri, diagnostics, next) => {
        status.diagnosed(uri.toString());
        next(uri, diagnostics);
      },
      workspace: {
        // The server asks for section `backplan`: answer in its shape (server/protocol.ts Settings).
        configuration: async (params, token, next) => {
          const answers = await next(params, token);
          if (!Array.isArray(answers)) return answers;
          return params.items.map((item, i) =>
            item.section === SECTION ? serverSettings(c.settings(item.scopeUri ? vscode.Uri.parse(item.scopeUri) : undefined)) : answers[i],
          );
        },
      },
    },
  };
  const client = new LanguageClient('backplan', 'Backplan Language Server', serverOptions, clientOptions);
  c.client = client;
  context.subscriptions.push(client.onNotification(STATUS_NOTIFICATION, (p: StatusParams) => status.report(p)));
  context.subscriptions.push({ dispose: () => void client.stop() });
  try {
    await client.start();
  } catch (e) {
    c.log(`the language server did not start: ${(e as Error).message}`);
    void vscode.window.showErrorMessage(`Backplan: the language server did not start (${(e as Error).message}). See Backplan: Open output.`);
  }
  c.log(`Backplan ${context.extension.packageJSON.version as string} activated in ${Math.round(performance.now() - t0)} ms${vscode.workspace.isTrusted ? '' : ' (untrusted workspace: runs are disabled)'}`);
  return { ctx: c };
}

export async function deactivate(): Promise<void> {
  await ctx?.client?.stop();
  ctx = undefined;
}
