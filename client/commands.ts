// Every command's handler, keyed by the ids of command-list.ts (the one table of commands:
// titles, what runs something). The ids of the lens commands are sent to the server
// (initializationOptions.commands) so it emits only lenses this client can run.
import * as vscode from 'vscode';
import { COMMAND_LIST, type CommandId } from './command-list';
import type { Ctx } from './context';
import { showCoverage } from './coverage';
import { dryRun, type DryRunProvider } from './dry-run';
import { exportPlan } from './export';
import { showReference } from './reference';
import { restore } from './restore';
import { openRunbook } from './runbook';
import { runNow, UNTRUSTED_MESSAGE } from './run-now';
import { simulateRetention } from './simulate-view';
import type { StatusService } from './status-view';

export interface Services {
  ctx: Ctx;
  dryRuns: DryRunProvider;
  status: StatusService;
}

type Handler = (s: Services, arg?: unknown) => Promise<void> | void;

const HANDLERS: Record<CommandId, Handler> = {
  'backplan.runNow': (s, a) => runNow(s.ctx, a),
  'backplan.dryRun': (s, a) => dryRun(s.ctx, s.dryRuns, a),
  'backplan.simulateRetention': (s, a) => simulateRetention(s.ctx, a),
  'backplan.showCoverage': (s, a) => showCoverage(s.ctx, a),
  'backplan.restore': (s, a) => restore(s.ctx, a),
  'backplan.openRunbook': (s, a) => openRunbook(s.ctx, a),
  'backplan.export': (s, a) => exportPlan(s.ctx, a),
  'backplan.showStatus': (s, a) => s.status.show(a),
  'backplan.openMetrics': (s, a) => s.status.openMetrics(a),
  'backplan.refreshStatus': (s) => s.status.refreshAll(),
  'backplan.showOutput': (s) => s.ctx.output.show(),
  'backplan.restartServer': async (s) => {
    if (s.ctx.client) await s.ctx.client.restart();
  },
  'backplan.showReference': (s, a) => showReference(s.ctx, a),
};

export function registerCommands(s: Services): vscode.Disposable[] {
  return COMMAND_LIST.map((c) =>
    vscode.commands.registerCommand(c.id, async (arg?: unknown) => {
      try {
        // Anything that runs something refuses in an untrusted workspace; the handler checks again.
        if (c.runsSomething && !vscode.workspace.isTrusted) {
          
          s.ctx.log(`${c.id} refused: the workspace is not trusted`);
          void vscode.window.showErrorMessage(UNTRUSTED_MESSAGE);
          return;
        }
        await HANDLERS[c.id](s, arg);
      } catch (e) {
        s.ctx.log(`${c.id} failed: ${(e as Error).stack ?? String(e)}`);
        void vscode.window.showErrorMessage(`Backplan: ${c.title} failed: ${(e as Error).message}`);
      }
    }),
  );
}

/** The command ids this client implements, for the server's code lenses. */
export function declaredCommandIds(): string[] {
  return COMMAND_LIST.map((c) => c.id);
}
