// The status view and lens in a real VS Code (code-server + Chromium): a state directory made by
// really running `backplan run` (one job ok, one whose path does not exist, one never run), named
// by `backplan.stateDir` in the workspace's own settings; the "Backplan" view in the Explorer
// lists each job with the state its journal implies, a lens above each job header says it in one
// line, "Open metrics file" opens the plan's monitoring.textfile, and a run started from the
// editor refreshes both. In an untrusted workspace the view runs nothing and says why.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { backplan } from '../helpers/cli';
import { e2eToolsReady, findFiles, launchBrowser, openWorkbench, screenshot, startWorkbench, type Browser, type Page, type Workbench } from './harness';
import { closeAllEditors, codeLenses, dialogButton, editorText, hidePanel, openFile, pickQuickItem, runCommand, textPosition, toasts } from './workbench';

const ready = e2eToolsReady();
const PLAN = 'status.backplan.yaml';

/** The Explorer's "Backplan" pane. */
function statusPane(page: Page) {
  return page.locator('.pane', { has: page.locator('.pane-header .title', { hasText: /^Backplan$/ }) });
}

/** Each job row of the view: its name and its description. */
async function viewRows(page: Page): Promise<Record<string, string>> {
  const rows = statusPane(page).locator('.monaco-list-row[aria-level="1"]');
  const out: Record<string, string> = {};
  for (const r of await rows.all()) {
    const name = ((await r.locator('.label-name').first().textContent()) ?? '').trim();
    out[name] = ((await r.locator('.label-description').first().textContent()) ?? '').replace(/\u00a0/g, ' ').trim();
  }
  return out;
}

/** The lens text drawn right above the line that holds `header`, or undefined. */
async function lensAbove(page: Page, header: string, match: RegExp): Promise<string | undefined> {
  const at = await textPosition(page, header);
  if (!at) return undefined;
  for (const l of await codeLenses(page).all()) {
    const text = (await l.textContent()) ?? '';
    if (!match.test(text)) continue;
    const box = await l.boundingBox();
    // A lens is drawn in its own zone just above its line: less than two line heights above.
    if (box && at.y - (box.y + box.height / 2) > 0 && at.y - (box.y + box.height / 2) < 40) return text;
  }
  return undefined;
}

describe.skipIf(!ready)('the Backplan status view and lens (code-server + Chromium)', () => {
  let wb: Workbench;
  let browser: Browser;
  let page: Page;
  let stateDir: string;

  beforeAll(async () => {
    wb = await startWorkbench({ trusted: true, files: [[join(__dirname, 'fixtures', PLAN), PLAN]] });
    const ws = wb.workspace;
    mkdirSync(join(ws, 'data'), { recursive: true });
    writeFileSync(join(ws, 'data', 'notes.txt'), 'what the archive holds\n');
    mkdirSync(join(ws, 'metrics'), { recursive: true });
    // Not the harness's user-level state directory: the workspace's own setting must win.
    stateDir = join(wb.dir, 'workspace-state');
    mkdirSync(join(ws, '.vscode'), { recursive: true });
    writeFileSync(join(ws, '.vscode', 'settings.json'), JSON.stringify({ 'backplan.stateDir': stateDir }, null, 2));
    const plan = join(ws, PLAN);
    const ok = backplan(['run', plan, '--job', 'docs-ok', '--state-dir', stateDir], { cwd: ws });
    expect(ok.code, ok.stderr).toBe(0);
    const failed = backplan(['run', plan, '--job', 'gone-path', '--state-dir', stateDir], { cwd: ws });
    expect(failed.code).toBe(1);
    expect(failed.stdout + failed.stderr).toMatch(/no-such-folder/);
    browser = await launchBrowser();
    page = await openWorkbench(browser, wb);
  });

  afterAll(async () => {
    await browser?.close();
    await wb?.stop();
  });

  beforeEach(({ task, onTestFailed }) => {
    onTestFailed(async () => {
      const shot = await screenshot(page, `e2e-status-${task.name}`);
      if (shot) console.error(`screenshot: ${shot}`);
    });
  });

  it('lists every job of the open plan with the state its journal implies', async () => {
    await openFile(page, PLAN);
    await runCommand(page, 'Backplan: Show status');
    await statusPane(page).waitFor({ timeout: 30_000 });
    await expect.poll(async () => Object.keys(await viewRows(page)).sort(), { timeout: 45_000 }).toEqual(['docs-ok', 'fresh-never', 'gone-path']);
    const rows = await viewRows(page);
    expect(rows['docs-ok']).toMatch(/^ok · last success just now · 1 copy · no restore test$/);
    expect(rows['gone-path']).toMatch(/^failed \d{4}-\d\d-\d\d \d\d:\d\d · no success yet · no restore test$/);
    expect(rows['fresh-never']).toBe('never · no success yet · no restore test');
    await screenshot(page, 'view-status');
  });

  it('shows the one-line state in a lens above each job header', async () => {
    await expect.poll(() => lensAbove(page, 'docs-ok:', /✓/), { timeout: 30_000 }).toBe('✓ just now · 1 copy');
    expect(await lensAbove(page, 'gone-path:', /failed/)).toMatch(/^failed \d{4}-\d\d-\d\d \d\d:\d\d$/);
    expect(await lensAbove(page, 'fresh-never:', /never/)).toBe('never ran');
    // Beside the server's lenses, which it does not replace.
    expect((await codeLenses(page).allTextContents()).join(' | ')).toMatch(/Run now/);
  });

  it('opens the plan\'s metrics file', async () => {
    await runCommand(page, 'Backplan: Open metrics file');
    await page.locator('.tabs-container .tab.active[data-resource-name="status.prom"]').waitFor({ timeout: 30_000 });
    await expect.poll(() => editorText(page), { timeout: 15_000 }).toMatch(/backplan_job_last_run_timestamp_seconds/);
    await closeAllEditors(page);
  });

  it('refreshes the view and the lens when a run started from the editor ends', async () => {
    await openFile(page, PLAN);
    await runCommand(page, 'Backplan: Run backup now');
    await pickQuickItem(page, 'fresh-never');
    await (await dialogButton(page, 'Run')).click();
    await toasts(page).filter({ hasText: /Backplan: backup succeeded/ }).first().waitFor({ timeout: 60_000 });
    expect(findFiles(join(wb.workspace, 'backups', 'fresh-never'), /\.tar\.gz$/)).toHaveLength(1);
    // Well before the one-minute refresh.
    await expect.poll(async () => (await viewRows(page))['fresh-never'], { timeout: 15_000 }).toMatch(/^ok · last success just now · 1 copy/);
    await hidePanel(page); // the run showed its output below the plan
    await expect.poll(() => lensAbove(page, 'fresh-never:', /✓/), { timeout: 15_000 }).toBe('✓ just now · 1 copy');
  });
});

describe.skipIf(!ready)('the Backplan status view in an untrusted workspace', () => {
  let wb: Workbench;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    wb = await startWorkbench({ trusted: false, files: [[join(__dirname, 'fixtures', PLAN), PLAN]] });
    browser = await launchBrowser();
    page = await openWorkbench(browser, wb);
  });

  afterAll(async () => {
    await browser?.close();
    await wb?.stop();
  });

  it('runs nothing and says why the view is empty', async () => {
    await page.locator('.statusbar-item', { hasText: 'Restricted Mode' }).first().waitFor({ timeout: 30_000 });
    await openFile(page, PLAN);
    await runCommand(page, 'Backplan: Show status');
    const message = statusPane(page).locator('.message');
    await expect.poll(() => message.textContent(), { timeout: 30_000 }).toMatch(/not trusted.*runs nothing here/);
    expect(await statusPane(page).locator('.monaco-list-row').count()).toBe(0);
    expect(await codeLenses(page).filter({ hasText: /never ran|✓|failed/ }).count()).toBe(0);
    expect(findFiles(join(wb.dir, 'state'), /./)).toEqual([]);
  });
});
