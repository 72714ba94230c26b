// The real-VS-Code scenarios of test/e2e, inside a desktop VS Code downloaded by
// @vscode/test-electron (run.mjs). This module runs in VS Code's extension host: it drives the
// editor through the `vscode` API instead of the mouse. A small runner of its own (no mocha):
// every test runs in order, failures are collected, and run() throws when any failed.
// BACKPLAN_ELECTRON_MODE is `trusted` or `untrusted` (a second VS Code without
// --disable-workspace-trust).
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';

const MODE = process.env.BACKPLAN_ELECTRON_MODE ?? 'trusted';
const CLI = process.env.BACKPLAN_ELECTRON_CLI ?? '';
const EXTENSION_ID = 'backplan.backplan';

type Test = [string, () => Promise<void>];
const tests: Test[] = [];
const test = (name: string, f: () => Promise<void>) => tests.push([name, f]);

function workspaceDir(): string {
  const f = vscode.workspace.workspaceFolders?.[0];
  if (!f) throw new Error('no workspace folder: run.mjs opens one');
  return f.uri.fsPath;
}

async function poll<T>(what: string, f: () => T | undefined | Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function open(name: string): Promise<vscode.TextDocument> {
  const doc = await vscode.workspace.openTextDocument(join(workspaceDir(), name));
  await vscode.window.showTextDocument(doc);
  return doc;
}

function oracle(file: string): string[] {
  let out: string;
  try {
    out = execFileSync(process.execPath, [CLI, 'check', file, '--format', 'json'], { encoding: 'utf8', env: { ...process.env, ELECTRON_RUN_AS_NODE: '1', NO_COLOR: '1' } });
  } catch (e) {
    out = (e as { stdout: string }).stdout;
  }
  const j = JSON.parse(out) as { files: { diagnostics: { rule: string; severity: string }[] }[] };
  return j.files.flatMap((f) => f.diagnostics.map((d) => `${d.rule}:${d.severity}`)).sort();
}

const SEVERITY = ['error', 'warning', 'info', 'hint'];
function shown(uri: vscode.Uri): string[] {
  return vscode.languages
    .getDiagnostics(uri)
    .filter((d) => d.source === 'backplan')
    .map((d) => `${typeof d.code === 'object' ? d.code.value : d.code}:${SEVERITY[d.severity]}`)
    .sort();
}

/** Replaces a `vscode.window` function for the duration of `f` (modal dialogs cannot be clicked here). */
async function withStub<K extends keyof typeof vscode.window>(name: K, stub: (typeof vscode.window)[K], f: () => Promise<void>): Promise<void> {
  const w = vscode.window as unknown as Record<string, unknown>;
  const original = w[name];
  w[name] = stub;
  try {
    await f();
  } finally {
    w[name] = original;
  }
}

function findFiles(dir: string, match: RegExp): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? findFiles(join(dir, e.name), match) : match.test(e.name) ? [join(dir, e.name)] : []));
}

if (MODE === 'trusted') {
  test('activates on a plan and marks it as the backplan language', async () => {
    const doc = await open('local.backplan.yaml');
    assert.equal(doc.languageId, 'backplan');
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext, `extension ${EXTENSION_ID} is not installed`);
    await poll('activation', () => (ext.isActive ? true : undefined));
  });

  for (const name of readdirSync(workspaceDir()).filter((n) => /\.backplan\.ya?ml$/.test(n)).sort()) {
    test(`shows the diagnostics of ${name} with their rule ids`, async () => {
      const doc = await open(name);
      const want = oracle(doc.uri.fsPath);
      await poll(`diagnostics ${JSON.stringify(want)}`, () => (JSON.stringify(shown(doc.uri)) === JSON.stringify(want) ? true : undefined));
      if (want.length === 0) {
        // Clean: make sure the server has seen it (its lenses are there) and still says nothing.
        await poll('code lenses', async () => ((await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', doc.uri))?.length ? true : undefined));
        assert.deepEqual(shown(doc.uri), []);
      }
    });
  }

  test('explains a schedule in words on hover', async () => {
    const doc = await open('local.backplan.yaml');
    const offset = doc.getText().indexOf('0 3 * * *');
    const hovers = await poll('a hover', async () => {
      const h = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, doc.positionAt(offset + 1));
      return h?.length ? h : undefined;
    });
    const text = hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : 'value' in c ? c.value : ''))).join('\n');
    assert.match(text, /03:00|3:00 AM/);
    assert.match(text, /UTC/);
  });

  test('shows "Run now · Dry run · Simulate retention" above the job', async () => {
    const doc = await open('local.backplan.yaml');
    const lenses = await poll('code lenses', async () => {
      const l = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', doc.uri, 10);
      return l?.length ? l : undefined;
    });
    const titles = lenses.map((l) => l.command?.title).join(' · ');
    assert.match(titles, /Run now · Dry run · Simulate retention/);
  });

  test('simulates retention: a webview panel, and a timeline with hover titles', async () => {
    const doc = await open('local.backplan.yaml');
    await vscode.commands.executeCommand('backplan.simulateRetention', { uri: doc.uri.toString(), job: 'docs-archive' });
    const tab = await poll('the retention tab', () =>
      vscode.window.tabGroups.all.flatMap((g) => g.tabs).find((t) => t.input instanceof vscode.TabInputWebview && /Retention: job docs-archive/.test(t.label)),
    );
    assert.ok(tab);
    // The page's picture comes from the server's backplan/simulate: ask it the same question.
    const api = vscode.extensions.getExtension<{ ctx: { client?: { sendRequest(m: string, p: unknown): Promise<unknown> } } }>(EXTENSION_ID)!.exports;
    const r = (await api.ctx.client!.sendRequest('backplan/simulate', { uri: doc.uri.toString(), job: 'docs-archive' })) as { jobs: { svg: string; snapshots: unknown[] }[] };
    assert.match(r.jobs[0].svg, /<svg[\s\S]*<title>/);
    assert.ok(r.jobs[0].snapshots.length > 0);
  });

  test('dry run: a read-only document lists every step', async () => {
    const doc = await open('local.backplan.yaml');
    await vscode.commands.executeCommand('backplan.dryRun', { uri: doc.uri.toString(), job: 'docs-archive' });
    const dry = await poll('the dry-run document', () => vscode.workspace.textDocuments.find((d) => d.uri.scheme === 'backplan-dryrun' && /docs-archive\/2/.test(d.getText())));
    const text = dry.getText();
    assert.match(text, /docs-archive\/2\s+backup\s+on local/);
    assert.match(text, /docs-archive\/3\s+prune\s+on local/);
    assert.match(text, /why: prune \(native rules/);
  });

  test('run backup now: after confirmation the archive appears and a success notification', async () => {
    const doc = await open('local.backplan.yaml');
    const backups = join(workspaceDir(), '..', 'backups');
    const before = findFiles(backups, /\.tar\.gz$/).length;
    const infos: string[] = [];
    let asked = '';
    await withStub('showWarningMessage', (async (message: string) => {
      asked = message;
      return 'Run';
    }) as never, () =>
      withStub('showInformationMessage', (async (message: string) => {
        infos.push(message);
        return undefined;
      }) as never, async () => {
        await vscode.commands.executeCommand('backplan.runNow', { uri: doc.uri.toString(), job: 'docs-archive' });
        await poll('the success notification', () => infos.find((m) => /backup succeeded/.test(m)), 60_000);
      }),
    );
    assert.match(asked, /Run job docs-archive of local\.backplan\.yaml now\?/);
    assert.equal(findFiles(backups, /^docs-archive-.*\.tar\.gz$/).length, before + 1);
  });
} else {
  test('opens untrusted', async () => {
    assert.equal(vscode.workspace.isTrusted, false);
  });

  test('refuses "Run backup now" and runs nothing', async () => {
    const doc = await open('local.backplan.yaml');
    const errors: string[] = [];
    let asked = false;
    await withStub('showWarningMessage', (async () => {
      asked = true;
      return 'Run';
    }) as never, () =>
      withStub('showErrorMessage', (async (m: string) => {
        errors.push(m);
        return undefined;
      }) as never, async () => {
        await vscode.commands.executeCommand('backplan.runNow', { uri: doc.uri.toString(), job: 'docs-archive' });
      }),
    );
    assert.equal(asked, false, 'no confirmation is asked');
    assert.ok(errors.some((m) => /not trusted/.test(m)), `refusal shown: ${JSON.stringify(errors)}`);
    assert.deepEqual(findFiles(join(workspaceDir(), '..', 'backups'), /\.tar\.gz$/), []);
  });
}

export async function run(): Promise<void> {
  const failures: string[] = [];
  for (const [name, f] of tests) {
    const t0 = Date.now();
    try {
      await f();
      console.log(`  ✓ ${name} (${Date.now() - t0} ms)`);
    } catch (e) {
      failures.push(name);
      console.error(`  ✗ ${name}\n    ${(e as Error).stack ?? String(e)}`);
    }
  }
  console.log(`${tests.length - failures.length} passed, ${failures.length} failed`);
  if (failures.length) throw new Error(`${failures.length} test(s) failed: ${failures.join('; ')}`);
}
