// The state of each job of the open plan, from the state directory (`backplan.stateDir`, else
// the command's default): the "Backplan" view in the Explorer, a lens above each job header, and
// the commands "Show status" and "Open metrics file". The data comes from
// `backplan status PLAN --format json [--state-dir D]`, run as a child process (argv, no shell) on
// the saved plan, only in a trusted workspace; it is refreshed when a run started from the
// editor ends (run-ended.ts), when the plan is saved, when a setting changes, and every minute.
import { readFileSync } from 'node:fs';
import * as vscode from 'vscode';
import { cliError, execCli } from './cli';
import { basename, isPlanDocument, LANGUAGE_ID, planTarget, type Ctx } from './context';
import { onRunEnded } from './run-ended';
import { detailRows, hasState, jobHeaders, lensText, metricsFile, parseStatus, rowDescription, statusDocument, type JobStatusJson, type StatusJson } from './status-data';

export const STATUS_VIEW_ID = 'backplan.status';
export const STATUS_SCHEME = 'backplan-status';
const REFRESH_MS = 60_000;

export const UNTRUSTED_STATUS = 'This workspace is not trusted, so Backplan runs nothing here, not even `backplan status`: trust the workspace to see the state of its jobs.';

interface Entry {
  report?: StatusJson;
  error?: string;
  running?: Promise<void>;
}

type Node = { kind: 'job'; job: JobStatusJson } | { kind: 'detail'; job: string; label: string; value: string };

const ICONS: Record<JobStatusJson['state'], [string, string | undefined]> = {
  ok: ['pass', 'testing.iconPassed'],
  late: ['warning', 'list.warningForeground'],
  failed: ['error', 'testing.iconFailed'],
  never: ['circle-outline', 'list.errorForeground'],
  disabled: ['circle-slash', 'disabledForeground'],
};

export class StatusService implements vscode.Disposable, vscode.TreeDataProvider<Node>, vscode.CodeLensProvider, vscode.TextDocumentContentProvider {
  private readonly entries = new Map<string, Entry>();
  private readonly subs: vscode.Disposable[] = [];
  private readonly treeChanged = new vscode.EventEmitter<Node | undefined>();
  readonly onDidChangeTreeData = this.treeChanged.event;
  private readonly lensesChanged = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.lensesChanged.event;
  private readonly docChanged = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.docChanged.event;
  /** The plan the view shows: the active plan editor, else the last one that was. */
  private plan: vscode.Uri | undefined;
  readonly view: vscode.TreeView<Node>;

  constructor(private readonly ctx: Ctx) {
    this.view = vscode.window.createTreeView(STATUS_VIEW_ID, { treeDataProvider: this, showCollapseAll: true });
    this.subs.push(
      this.view,
      this.treeChanged,
      this.lensesChanged,
      this.docChanged,
      vscode.languages.registerCodeLensProvider({ language: LANGUAGE_ID, scheme: 'file' }, this),
      vscode.workspace.registerTextDocumentContentProvider(STATUS_SCHEME, this),
      vscode.window.onDidChangeActiveTextEditor(() => this.follow()),
      vscode.workspace.onDidSaveTextDocument((d) => isPlanDocument(d) && void this.refresh(d.uri)),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('backplan.stateDir') || e.affectsConfiguration('backplan.cli.path') || e.affectsConfiguration('backplan.codeLens.enabled')) this.refreshAll();
      }),
      vscode.workspace.onDidGrantWorkspaceTrust(() => this.refreshAll()),
      this.view.onDidChangeVisibility((e) => e.visible && this.plan && void this.refresh(this.plan)),
      onRunEnded((uri) => void this.refresh(uri)),
    );
    const timer = setInterval(() => this.refreshAll(), REFRESH_MS);
    this.subs.push({ dispose: () => clearInterval(timer) });
    this.follow();
  }

  /** Follows the active editor when it shows a plan. */
  private follow(): void {
    const doc = vscode.window.activeTextEditor?.document ?? vscode.window.visibleTextEditors.map((e) => e.document).find(isPlanDocument);
    if (isPlanDocument(doc) && doc.uri.toString() !== this.plan?.toString()) {
      this.plan = doc.uri;
      void this.refresh(doc.uri);
    }
    this.render();
  }

  refreshAll(): void {
    const open = new Set(vscode.workspace.textDocuments.filter(isPlanDocument).map((d) => d.uri.toString()));
    if (this.plan) open.add(this.plan.toString());
    for (const key of [...this.entries.keys()]) if (!open.has(key)) this.entries.delete(key);
    for (const key of open) void this.refresh(vscode.Uri.parse(key));
    this.render();
  }

  /** Runs `backplan status` for one plan (one call at a time per plan). */
  refresh(uri: vscode.Uri): Promise<void> {
    const key = uri.toString();
    const entry = this.entries.get(key) ?? {};
    this.entries.set(key, entry);
    if (entry.running) return entry.running;
    entry.running = this.load(uri, entry).finally(() => {
      entry.running = undefined;
      this.render();
      this.lensesChanged.fire();
      this.docChanged.fire(statusUri(uri));
    });
    return entry.running;
  }

  private async load(uri: vscode.Uri, entry: Entry): Promise<void> {
    if (!vscode.workspace.isTrusted) {
      entry.report = undefined;
      entry.error = UNTRUSTED_STATUS;
      return;
    }
    if (uri.scheme !== 'file') {
      entry.report = undefined;
      entry.error = `${basename(uri)} is not a file on this machine: the state of its jobs needs the plan saved on disk.`;
      return;
    }
    const stateDir = this.ctx.settings(uri).stateDir.trim();
    const args = ['status', uri.fsPath, '--format', 'json', ...(stateDir ? ['--state-dir', stateDir] : [])];
    try {
      const r = await execCli(this.ctx.cli(uri), args, uri.fsPath);
      const report = parseStatus(r.stdout);
      if (report && (r.code === 0 || r.code === 1)) {
        entry.report = report;
        entry.error = undefined;
      } else {
        entry.report = undefined;
        entry.error = `backplan status: ${cliError(r)}`;
        this.ctx.log(`backplan ${args.join(' ')} exited with ${r.code ?? r.signal}: ${r.stderr.trim()}`);
      }
    } catch (e) {
      entry.report = undefined;
      entry.error = `could not run backplan status: ${(e as Error).message}`;
      this.ctx.log(entry.error);
    }
  }

  report(uri: vscode.Uri): StatusJson | undefined {
    return this.entries.get(uri.toString())?.report;
  }

  private render(): void {
    const p = this.plan;
    this.view.description = p ? basename(p) : undefined;
    if (!vscode.workspace.isTrusted) this.view.message = UNTRUSTED_STATUS;
    else if (!p) this.view.message = 'Open a plan (backplan.yaml or *.backplan.yaml) to see the state of its jobs.';
    else {
      const e = this.entries.get(p.toString());
      if (e?.error) this.view.message = e.error;
      else if (!e?.report) this.view.message = 'Reading the state directory…';
      else if (e.report.jobs.length === 0) this.view.message = 'The plan has no jobs.';
      else if (!hasState(e.report)) this.view.message = 'No job of this plan has run yet with this state directory (backplan.stateDir).';
      else this.view.message = undefined;
    }
    this.treeChanged.fire(undefined);
  }

  // --- the tree ---

  getChildren(node?: Node): Node[] {
    if (node?.kind === 'detail') return [];
    if (node?.kind === 'job') return detailRows(node.job, Date.now()).map((d) => ({ kind: 'detail', job: node.job.job, ...d }));
    if (!vscode.workspace.isTrusted || !this.plan) return [];
    return (this.report(this.plan)?.jobs ?? []).map((job) => ({ kind: 'job', job }));
  }

  getTreeItem(node: Node): vscode.TreeItem {
    if (node.kind === 'detail') {
      const item = new vscode.TreeItem(node.label, vscode.TreeItemCollapsibleState.None);
      item.id = `${node.job}/${node.label}`;
      item.description = node.value;
      return item;
    }
    const j = node.job;
    const item = new vscode.TreeItem(j.job, vscode.TreeItemCollapsibleState.Collapsed);
    item.id = j.job;
    item.description = rowDescription(j, Date.now());
    const [icon, colour] = ICONS[j.state];
    item.iconPath = new vscode.ThemeIcon(icon, colour ? new vscode.ThemeColor(colour) : undefined);
    item.tooltip = new vscode.MarkdownString(detailRows(j, Date.now()).map((d) => `**${d.label}:** ${d.value}`).join('  \n'));
    item.contextValue = `backplan.job.${j.state}`;
    if (this.plan) item.command = { command: 'vscode.open', title: 'Show the job', arguments: [this.plan, { selection: this.headerRange(this.plan, j.job) }] };
    return item;
  }

  private headerRange(uri: vscode.Uri, job: string): vscode.Range | undefined {
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
    const at = doc ? jobHeaders(doc.getText()).get(job) : undefined;
    if (!doc || at === undefined) return undefined;
    const pos = doc.positionAt(at);
    return new vscode.Range(pos, pos.translate(0, job.length));
  }

  // --- the lens above each job ---

  provideCodeLenses(doc: vscode.TextDocument): vscode.CodeLens[] {
    if (!vscode.workspace.isTrusted || !this.ctx.settings(doc.uri)['codeLens.enabled']) return [];
    const key = doc.uri.toString();
    const entry = this.entries.get(key);
    if (!entry) {
      void this.refresh(doc.uri);
      return [];
    }
    if (!hasState(entry.report)) return [];
    const byJob = new Map(entry.report.jobs.map((j) => [j.job, j]));
    const now = Date.now();
    const out: vscode.CodeLens[] = [];
    for (const [job, at] of jobHeaders(doc.getText())) {
      const j = byJob.get(job);
      if (!j) continue;
      const pos = doc.positionAt(at);
      out.push(new vscode.CodeLens(new vscode.Range(pos, pos), { title: lensText(j, now), tooltip: rowDescription(j, now), command: 'backplan.showStatus', arguments: [{ uri: key, job }] }));
    }
    return out;
  }

  // --- the text document of "Show status" when the view cannot be shown ---

  provideTextDocumentContent(uri: vscode.Uri): string {
    const plan = new URLSearchParams(uri.query).get('plan');
    if (!plan) return 'Backplan: this status document names no plan.\n';
    const p = vscode.Uri.parse(plan);
    const e = this.entries.get(plan);
    if (e?.error) return `Backplan: ${e.error}\n`;
    if (!e?.report) return `Backplan: reading the state of ${basename(p)}…\n`;
    return statusDocument(basename(p), e.report, Date.now());
  }

  // --- commands ---

  /** "Backplan: Show status": focuses the view on the plan (its text status when asked by `{text: true}`). */
  async show(arg: unknown): Promise<void> {
    const t = planTarget(arg);
    if (!t) return;
    this.plan = t.uri;
    const loading = this.refresh(t.uri);
    this.render();
    if (arg && typeof arg === 'object' && (arg as { text?: unknown }).text === true) {
      await loading;
      const doc = await vscode.workspace.openTextDocument(statusUri(t.uri));
      await vscode.window.showTextDocument(doc, { preview: false, viewColumn: vscode.ViewColumn.Beside });
      return;
    }
    await vscode.commands.executeCommand(`${STATUS_VIEW_ID}.focus`);
    await loading;
    if (t.job) {
      const j = this.report(t.uri)?.jobs.find((x) => x.job === t.job);
      if (j) await this.view.reveal({ kind: 'job', job: j }, { select: true, focus: false, expand: true });
    }
  }

  /** "Backplan: Open metrics file": the plan's `monitoring.textfile`. */
  async openMetrics(arg: unknown): Promise<void> {
    const t = planTarget(arg);
    if (!t) return;
    if (t.uri.scheme !== 'file') {
      void vscode.window.showErrorMessage(`Backplan: ${basename(t.uri)} is not a file on this machine, so its metrics file cannot be found.`);
      return;
    }
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === t.uri.toString());
    let text: string;
    try {
      text = doc ? doc.getText() : readFileSync(t.uri.fsPath, 'utf8');
    } catch (e) {
      void vscode.window.showErrorMessage(`Backplan: cannot read ${basename(t.uri)}: ${(e as Error).message}`);
      return;
    }
    const file = metricsFile(text, t.uri.fsPath);
    if (!file) {
      void vscode.window.showInformationMessage(`Backplan: ${basename(t.uri)} sets no metrics file (monitoring.textfile), so runs write none.`);
      return;
    }
    try {
      const metrics = await vscode.workspace.openTextDocument(vscode.Uri.file(file));
      await vscode.window.showTextDocument(metrics, { preview: false });
    } catch {
      void vscode.window.showInformationMessage(`Backplan: the metrics file ${file} (monitoring.textfile) does not exist yet: a run, prune, verify or restore writes it.`);
    }
  }

  getParent(node: Node): Node | undefined {
    if (node.kind === 'job' || !this.plan) return undefined;
    const job = this.report(this.plan)?.jobs.find((j) => j.job === node.job);
    return job ? { kind: 'job', job } : undefined;
  }

  dispose(): void {
    for (const s of this.subs) s.dispose();
  }
}

export function statusUri(plan: vscode.Uri): vscode.Uri {
  return vscode.Uri.from({ scheme: STATUS_SCHEME, path: `/${basename(plan)} — status.txt`, query: new URLSearchParams({ plan: plan.toString() }).toString() });
}
