// The same extension in a workspace that is NOT trusted (code-server started without
// --disable-workspace-trust; the workspace opens in Restricted Mode): the plan is still checked,
// but "Run backup now" is refused before anything runs, with no confirmation asked, and the
// "Run now" code lens is not shown.
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { e2eToolsReady, findFiles, launchBrowser, openWorkbench, ROOT, screenshot, startWorkbench, type Browser, type Page, type Workbench } from './harness';
import { codeLenses, openFile, runCommand, toasts } from './workbench';

const ready = e2eToolsReady();

describe.skipIf(!ready)('Backplan in an untrusted workspace', () => {
  let wb: Workbench;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    wb = await startWorkbench({ trusted: false, files: [[join(ROOT, 'examples', 'local.backplan.yaml'), 'local.backplan.yaml']] });
    browser = await launchBrowser();
    page = await openWorkbench(browser, wb);
  });

  afterAll(async () => {
    await browser?.close();
    await wb?.stop();
  });

  beforeEach(({ task, onTestFailed }) => {
    onTestFailed(async () => {
      const shot = await screenshot(page, `e2e-untrusted-${task.name}`);
      if (shot) console.error(`screenshot: ${shot}`);
    });
  });

  it('opens in Restricted Mode', async () => {
    await page.locator('.statusbar-item', { hasText: 'Restricted Mode' }).first().waitFor({ timeout: 30_000 });
  });

  it('shows no "Run now" lens: only what runs nothing (Dry run, Simulate retention)', async () => {
    await openFile(page, 'local.backplan.yaml');
    await expect.poll(async () => (await codeLenses(page).allTextContents()).join(' · '), { timeout: 45_000 }).toMatch(/Dry run.*Simulate retention/);
    expect((await codeLenses(page).allTextContents()).join(' · ')).not.toMatch(/Run now/);
  });

  it('refuses "Run backup now" and runs nothing', async () => {
    await openFile(page, 'local.backplan.yaml');
    await expect.poll(() => page.locator('[id="status.editor.mode"]').textContent(), { timeout: 30_000 }).toContain('Backplan');
    await runCommand(page, 'Backplan: Run backup now');
    const refused = toasts(page).filter({ hasText: /not trusted/ });
    await refused.first().waitFor({ timeout: 30_000 });
    expect(await refused.first().textContent()).toMatch(/runs nothing here/);
    expect(await page.locator('.monaco-dialog-box').count()).toBe(0); // no confirmation asked
    expect(findFiles(join(wb.dir, 'backups'), /\.tar\.gz/)).toEqual([]);
    expect(findFiles(join(wb.dir, 'state'), /./)).toEqual([]); // not even a journal
  });
});
