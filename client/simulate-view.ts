// "Simulate retention": a webview panel per plan and subject (a job, a policy, or every job).
// Picking an "as of" date re-requests the simulation; the page is re-rendered from the answer.
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { basename, planTarget, type Ctx, type PlanTarget } from './context';
import { requestSimulate } from './data';
import { simulateHtml } from './simulate-html';

export const SIMULATE_VIEW_TYPE = 'backplan.simulation';

/** The picked day at noon UTC: the same calendar day in every zone from UTC-11 to UTC+11. */
export function isoOfDate(date: string): string | undefined {
  return /^\d{4}-\d{2}-\d{2}$/.test(date) ? `${date}T12:00:00Z` : undefined;
}

class SimulationPanel {
  private at = '';
  private seq = 0;
  readonly title: string;

  constructor(
    private readonly ctx: Ctx,
    private readonly target: PlanTarget,
    readonly panel: vscode.WebviewPanel,
  ) {
    const subject = target.job ? `job ${target.job}` : target.policy ? `policy ${target.policy}` : 'every job';
    this.title = `Retention: ${subject} — ${basename(target.uri)}`;
    panel.title = this.title;
    panel.webview.onDidReceiveMessage((m: unknown) => {
      const msg = m as { type?: string; at?: unknown } | undefined;
      if (msg?.type === 'asOf' && typeof msg.at === 'string' && (msg.at === '' || isoOfDate(msg.at))) {
        this.at = msg.at;
        void this.render();
      }
    });
  }

  private page() {
    return { title: this.title, at: this.at, nonce: randomBytes(16).toString('base64'), cspSource: this.panel.webview.cspSource };
  }

  async render(): Promise<void> {
    const mine = ++this.seq;
    this.panel.webview.html = simulateHtml(this.page());
    const t = this.target;
    const params = { uri: t.uri.toString(), job: t.job, policy: t.policy, at: isoOfDate(this.at) };
    try {
      const result = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Window, title: 'Backplan: simulating retention' },
        () => requestSimulate(this.ctx, params),
      );
      if (mine === this.seq) this.panel.webview.html = simulateHtml({ ...this.page(), result });
    } catch (e) {
      this.ctx.log(`simulation failed: ${(e as Error).message}`);
      if (mine === this.seq) this.panel.webview.html = simulateHtml({ ...this.page(), error: `Backplan could not simulate: ${(e as Error).message}` });
    }
  }
}

const panels = new Map<string, SimulationPanel>();

export async function simulateRetention(ctx: Ctx, arg: unknown): Promise<void> {
  const t = planTarget(arg);
  if (!t) return;
  const key = `${t.uri.toString()}#${t.job ?? ''}#${t.policy ?? ''}`;
  let view = panels.get(key);
  if (view) view.panel.reveal(undefined, false);
  else {
    const panel = vscode.window.createWebviewPanel(SIMULATE_VIEW_TYPE, 'Retention', vscode.ViewColumn.Beside, {
      enableScripts: true,
      enableCommandUris: false,
      enableForms: true,
      localResourceRoots: [],
    });
    view = new SimulationPanel(ctx, t, panel);
    panels.set(key, view);
    panel.onDidDispose(() => panels.delete(key));
  }
  await view.render();
}
