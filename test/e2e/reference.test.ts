// The reference pages in a real VS Code (code-server + Chromium): a diagnostic's code in the
// Problems view is a link (codeDescription.href) that opens its rule's page, shipped in the VSIX,
// in a Markdown preview; "Backplan: Open reference" opens the index.
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  e2eToolsReady,
  launchBrowser,
  openWorkbench,
  screenshot,
  startWorkbench,
  type Browser,
  type Page,
  type Workbench,
} from './harness';
import { closeAllEditors, hidePanel, openFile, problemRows, readWebview, runCommand } from './workbench';

const ready = e2eToolsReady();
const PLAN = 'timeline.backplan.yaml';

describe.skipIf(!ready)('the reference pages (code-server + Chromium)', () => {
  let wb: Workbench;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    wb = await startWorkbench({ trusted: true, files: [[join(__dirname, 'fixtures', PLAN), PLAN]] });
    browser = await launchBrowser();
    page = await openWorkbench(browser, wb);
  });

  afterAll(async () => {
    await browser?.close();
    await wb?.stop();
  });

  beforeEach(({ task, onTestFailed }) => {
    onTestFailed(async () => {
      const shot = await screenshot(page, `e2e-${task.name}`);
      if (shot) console.error(`screenshot: ${shot}`);
    });
  });

  /** The text of the first h1 of a rendered Markdown preview that matches. */
  const previewHeading = (match: RegExp) =>
    readWebview(page, async (f) => {
      const h = await f
        .locator('h1')
        .first()
        .textContent({ timeout: 500 })
        .catch(() => undefined);
      return h && match.test(h) ? h : undefined;
    });

  it("opens a diagnostic's rule page from its code in the Problems view", async () => {
    await openFile(page, PLAN);
    await expect.poll(async () => (await problemRows(page)).length, { timeout: 30_000 }).toBeGreaterThan(0);
    const rule = (await problemRows(page))[0].rule.replace(/[()]/g, '').trim();
    expect(rule).toMatch(/^[a-z0-9-]+$/);
    const link = page.locator('.markers-panel .monaco-list-row a.monaco-link', { hasText: rule }).first();
    expect(await link.getAttribute('href')).toMatch(/^command:backplan\.showReference\?/);
    await link.click();
    expect(await previewHeading(new RegExp(`^${rule}$`))).toBe(rule);
    await page
      .locator('.tabs-container .tab', { hasText: `${rule}.md` })
      .first()
      .waitFor();
    await screenshot(page, 'reference-rule-page');
    await hidePanel(page);
    await closeAllEditors(page);
  });

  it('opens the index with Backplan: Open reference', async () => {
    await runCommand(page, 'Backplan: Open reference');
    expect(await previewHeading(/^Backplan reference$/)).toBe('Backplan reference');
    await closeAllEditors(page);
  });
});
