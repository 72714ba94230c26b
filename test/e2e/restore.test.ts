// Restoring from a real VS Code (code-server + Chromium): a copy made by really running `backplan
// run` before the workbench opens; "Backplan: Restore…" asks for the job, the copy (with its age)
// and a new folder, shows the dry run in a modal before anything is written (the folder does not
// exist yet), and once confirmed the files appear there and a notification says so. "Open
// runbook" opens the plan's runbook in a Markdown preview beside it. In an untrusted workspace
// there is no Restore lens and the command refuses before asking anything.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { backplan } from '../helpers/cli';
import {
  e2eToolsReady,
  findFiles,
  launchBrowser,
  openWorkbench,
  screenshot,
  startWorkbench,
  type Browser,
  type Page,
  type Workbench,
} from './harness';
import { codeLenses, dialogButton, openFile, runCommand, toasts } from './workbench';

const ready = e2eToolsReady();
const PLAN = 'restore.backplan.yaml';
const FIXTURE = join(__dirname, 'fixtures', PLAN);

/** A workspace with the plan and data, and (trusted only) one real copy of `docs`. */
async function workbenchWithCopy(trusted: boolean): Promise<Workbench> {
  const wb = await startWorkbench({ trusted, files: [[FIXTURE, PLAN]] });
  mkdirSync(join(wb.workspace, 'data', 'sub'), { recursive: true });
  writeFileSync(join(wb.workspace, 'data', 'notes.txt'), 'what the archive holds\n');
  writeFileSync(join(wb.workspace, 'data', 'sub', 'deep.txt'), 'deeper\n');
  if (trusted) {
    const r = backplan(['run', join(wb.workspace, PLAN), '--job', 'docs', '--state-dir', join(wb.dir, 'state')]);
    if (r.code !== 0) throw new Error(`the backup before the test failed: ${r.stdout}${r.stderr}`);
  }
  return wb;
}

async function quickInput(page: Page): Promise<ReturnType<Page['locator']>> {
  const input = page.locator('.quick-input-widget input');
  await input.waitFor();
  return input;
}

/**
 * Picks the quick-pick row holding `text` with the keyboard: filter, wait until that row is the
 * focused one, Enter (a click can land on a row being redrawn under a hover).
 */
async function choose(page: Page, text: string): Promise<void> {
  const input = await quickInput(page);
  await input.fill(text);
  await page.locator('.quick-input-list .monaco-list-row.focused', { hasText: text }).waitFor({ timeout: 30_000 });
  await input.press('Enter');
}

describe.skipIf(!ready)('Restore in VS Code (code-server + Chromium)', () => {
  let wb: Workbench;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    wb = await workbenchWithCopy(true);
    browser = await launchBrowser();
    page = await openWorkbench(browser, wb);
  });

  afterAll(async () => {
    await browser?.close();
    await wb?.stop();
  });

  beforeEach(({ task, onTestFailed }) => {
    onTestFailed(async () => {
      const shot = await screenshot(page, `e2e-restore-${task.name}`);
      if (shot) console.error(`screenshot: ${shot}`);
    });
  });

  it('shows a "Restore" lens above each job', async () => {
    await openFile(page, PLAN);
    await expect
      .poll(async () => (await codeLenses(page).allTextContents()).join(' · '), { timeout: 45_000 })
      .toMatch(/Run now · Dry run · Restore/);
  });

  it('restores a copy into a new folder through the quick picks, the dry run shown and confirmed first', async () => {
    const target = join(wb.workspace, 'restored');
    const [archive] = findFiles(join(wb.workspace, 'backups'), /^docs-.*\.tar\.gz$/);
    expect(archive).toBeDefined();
    const copy = archive.slice(archive.lastIndexOf('/') + 1);
    await openFile(page, PLAN);
    await runCommand(page, 'Backplan: Restore…');
    await choose(page, 'docs');
    // The copy, with its age.
    const row = page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: copy }).first();
    await row.waitFor({ timeout: 30_000 });
    expect(await row.textContent()).toMatch(/\d+ (s|min) ago · newest/);
    await choose(page, copy);
    await choose(page, 'To a new folder');
    const input = await quickInput(page);
    await input.fill(target);
    await input.press('Enter');
    // The dry run, in the modal that asks before anything is written.
    const dialog = page.locator('.monaco-dialog-box');
    await dialog.waitFor({ timeout: 30_000 });
    const shown = (await dialog.textContent()) ?? '';
    expect(shown).toContain(`Restore ${copy} of docs to ${target}?`);
    expect(shown).toMatch(/The dry run \(nothing was changed yet\)/);
    expect(shown).toMatch(/extract .*docs-.*\.tar\.gz/);
    expect(existsSync(target)).toBe(false);
    await screenshot(page, 'view-restore-dry-run');
    await (await dialogButton(page, 'Restore')).click();
    const done = toasts(page).filter({ hasText: /Backplan: restored/ });
    await done.first().waitFor({ timeout: 60_000 });
    expect(await done.first().textContent()).toContain(`to ${target}`);
    // Each path at the target + its absolute path, byte for byte.
    const restored = join(target, wb.workspace, 'data');
    expect(readFileSync(join(restored, 'notes.txt'), 'utf8')).toBe('what the archive holds\n');
    expect(readFileSync(join(restored, 'sub', 'deep.txt'), 'utf8')).toBe('deeper\n');
    expect(existsSync(`${target}.partial`)).toBe(false);
  });

  it('opens the runbook in a Markdown preview beside the plan', async () => {
    await openFile(page, PLAN);
    await runCommand(page, 'Backplan: Open runbook');
    await page
      .locator('.tabs-container .tab', { hasText: /Preview restore\.backplan\.runbook\.md/ })
      .first()
      .waitFor({ timeout: 45_000 });
    // The plan stays open beside it.
    expect(await page.locator(`.tabs-container .tab[data-resource-name="${PLAN}"]`).count()).toBeGreaterThan(0);
  });
});

describe.skipIf(!ready)('Restore in an untrusted workspace', () => {
  let wb: Workbench;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    wb = await workbenchWithCopy(false);
    browser = await launchBrowser();
    page = await openWorkbench(browser, wb);
  });

  afterAll(async () => {
    await browser?.close();
    await wb?.stop();
  });

  beforeEach(({ task, onTestFailed }) => {
    onTestFailed(async () => {
      const shot = await screenshot(page, `e2e-restore-untrusted-${task.name}`);
      if (shot) console.error(`screenshot: ${shot}`);
    });
  });

  it('shows no "Restore" lens, and the command refuses before asking anything', async () => {
    await openFile(page, PLAN);
    await expect
      .poll(async () => (await codeLenses(page).allTextContents()).join(' · '), { timeout: 45_000 })
      .toMatch(/Dry run/);
    expect((await codeLenses(page).allTextContents()).join(' · ')).not.toMatch(/Restore|Run now/);
    await runCommand(page, 'Backplan: Restore…');
    const refused = toasts(page).filter({ hasText: /not trusted/ });
    await refused.first().waitFor({ timeout: 30_000 });
    expect(await refused.first().textContent()).toMatch(/runs nothing here/);
    expect(
      await page.locator('.quick-input-widget .quick-input-list .monaco-list-row').filter({ hasText: 'docs' }).count(),
    ).toBe(0);
    expect(await page.locator('.monaco-dialog-box').count()).toBe(0);
    expect(findFiles(join(wb.dir, 'state'), /./)).toEqual([]);
  });
});
