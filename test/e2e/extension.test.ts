// The extension in a real VS Code (code-server 4.100.3 = VS Code 1.100.3, driven in Chromium):
// what a person sees and does with a plan open. The workspace holds copies of every example
// plan and a broken plan; the expected Problems rows come from `backplan check --format json`
// on the same files (the engine is the oracle; this checks the editor shows what it found).
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ensureBuilt, CLI } from '../helpers/cli';
import { e2eToolsReady, findFiles, launchBrowser, openWorkbench, ROOT, screenshot, startWorkbench, type Browser, type Page, type Workbench } from './harness';
import {
  closeAllEditors,
  codeLenses,
  dialogButton,
  editorText,
  hidePanel,
  hoverText,
  maximizePanel,
  openFile,
  problemRows,
  pickQuickItem,
  runCommand,
  toasts,
  readWebview,
} from './workbench';

const ready = e2eToolsReady();
const EXAMPLES = readdirSync(join(ROOT, 'examples')).filter((n) => /\.backplan\.ya?ml$/.test(n)).sort();
const BROKEN = 'broken.backplan.yaml';

interface Expected {
  rule: string;
  severity: string;
  line: number;
}

function expectedDiagnostics(file: string): Expected[] {
  ensureBuilt();
  let stdout: string;
  try {
    stdout = execFileSync(process.execPath, [CLI, 'check', file, '--format', 'json'], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  } catch (e) {
    stdout = (e as { stdout: string }).stdout; // exit 1: the plan has errors
  }
  const j = JSON.parse(stdout) as { files: { diagnostics: { rule: string; severity: string; range: { start: { line: number } } }[] }[] };
  return j.files.flatMap((f) => f.diagnostics.map((d) => ({ rule: d.rule, severity: d.severity, line: d.range.start.line })));
}

describe.skipIf(!ready)('Backplan in VS Code (code-server + Chromium)', () => {
  let wb: Workbench;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    wb = await startWorkbench({
      trusted: true,
      files: [
        ...EXAMPLES.map((n) => [join(ROOT, 'examples', n), n] as [string, string]),
        [join(__dirname, 'fixtures', BROKEN), BROKEN],
        [join(__dirname, 'fixtures', 'slow.backplan.yaml'), 'slow.backplan.yaml'],
      ],
    });
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

  it('opens a plan as the backplan language', async () => {
    await openFile(page, 'local.backplan.yaml');
    await expect.poll(() => page.locator('[id="status.editor.mode"]').textContent(), { timeout: 30_000 }).toContain('Backplan');
  });

  for (const name of [...EXAMPLES, BROKEN]) {
    it(`shows the squiggles and Problems rows of ${name}`, async () => {
      const expected = expectedDiagnostics(join(wb.workspace, name));
      await closeAllEditors(page);
      await openFile(page, name);
      // The server has seen the document once its code lenses are there.
      await codeLenses(page).first().waitFor({ timeout: 45_000 });
      await maximizePanel(page).catch(() => undefined);
      const want = expected.map((d) => `${d.rule}:${d.severity}`).sort();
      await expect
        .poll(async () => (await problemRows(page)).filter((r) => r.file === name).map((r) => `${r.rule}:${r.severity}`).sort(), { timeout: 30_000 })
        .toEqual(want);
      await hidePanel(page);
      if (expected.some((d) => d.severity === 'error')) await page.locator('.monaco-editor .squiggly-error').first().waitFor({ timeout: 15_000 });
      if (expected.some((d) => d.severity === 'warning')) await page.locator('.monaco-editor .squiggly-warning').first().waitFor({ timeout: 15_000 });
      if (expected.length === 0) expect(await page.locator('.monaco-editor .squiggly-error, .monaco-editor .squiggly-warning').count()).toBe(0);
    });
  }

  it('explains a schedule in words on hover', async () => {
    await closeAllEditors(page);
    await openFile(page, 'local.backplan.yaml');
    const text = await hoverText(page, '0 3 * * *', /03:00|3:00/);
    expect(text).toMatch(/03:00|3:00 AM/);
    expect(text).toMatch(/UTC/);
  });

  it('lists the 3-2-1 line of every chain', async () => {
    await closeAllEditors(page);
    await openFile(page, 'zfs-proxmox.backplan.yaml');
    await codeLenses(page).first().waitFor({ timeout: 30_000 });
    await runCommand(page, 'Backplan: Show 3-2-1 coverage');
    const rows = page.locator('.quick-input-widget .quick-input-list .monaco-list-row');
    await rows.first().waitFor({ timeout: 30_000 });
    const text = (await rows.allTextContents()).join('\n');
    expect(text).toMatch(/vm-snapshots.*\d+ copies · \d+ media · \d+ offsite/);
    await page.keyboard.press('Escape');
  });

  it('exports the schedules to systemd timers in a new document', async () => {
    await closeAllEditors(page);
    await openFile(page, 'local.backplan.yaml');
    await codeLenses(page).first().waitFor({ timeout: 30_000 });
    await runCommand(page, 'Backplan: Export to native schedulers');
    await pickQuickItem(page, 'systemd');
    await expect.poll(() => editorText(page), { timeout: 30_000 }).toContain('OnCalendar=*-*-* 03:00:00 UTC');
    const text = await editorText(page);
    expect(text).toMatch(/ExecStart=backplan run \S*local\.backplan\.yaml --job docs-archive/);
    await screenshot(page, 'view-export-systemd');
    // The export is an unsaved document: revert it, or closing asks whether to save.
    await runCommand(page, 'View: Revert and Close Editor');
    await closeAllEditors(page);
  });

  it('shows the validation time in the language status', async () => {
    await openFile(page, 'zfs-proxmox.backplan.yaml');
    const status = page.locator('[id="status.languageStatus"]');
    await status.waitFor({ timeout: 15_000 });
    await status.hover();
    const hover = page.locator('.monaco-hover, .context-view').filter({ hasText: /validated in [\d.]+ ms|edit → diagnostics in/ }).first();
    await hover.waitFor({ timeout: 15_000 });
    expect(await hover.textContent()).toMatch(/budget \d+ ms|over the \d+ ms budget/);
    await page.mouse.move(5, 5);
  });

  it('shows "Run now · Dry run · Simulate retention" above a job', async () => {
    await openFile(page, 'local.backplan.yaml');
    await expect.poll(async () => (await codeLenses(page).allTextContents()).join(' · '), { timeout: 30_000 }).toMatch(/Run now.*Dry run.*Simulate retention/);
  });

  it('draws the retention timeline in a webview', async () => {
    await openFile(page, 'local.backplan.yaml');
    await codeLenses(page).filter({ hasText: 'Simulate retention' }).first().click();
    const first = await readWebview(page, async (f) => {
      if ((await f.locator('svg title').count()) === 0) return undefined;
      return {
        titles: await f.locator('svg title').count(),
        rows: await f.locator('table.held tbody tr').count(),
        job: await f.locator('h2').first().textContent(),
        stats: await f.locator('.stats').first().textContent(),
      };
    });
    expect(first.titles).toBeGreaterThan(1); // the marks' hover texts
    expect(first.rows).toBeGreaterThan(0);
    expect(first.job).toContain('docs-archive');
    // "As of" re-requests the simulation for another date.
    await readWebview(page, async (f) => {
      if ((await f.locator('svg').count()) === 0) return undefined;
      await f.locator('input#at').fill('2031-06-30');
      await f.locator('form#asof button[type="submit"]').click();
      return true;
    });
    const later = await readWebview(page, async (f) => {
      const stats = await f.locator('.stats').first().textContent({ timeout: 500 }).catch(() => undefined);
      return stats?.includes('2031-06-30') && (await f.locator('svg title').count()) > 0 ? stats : undefined;
    });
    expect(later).not.toEqual(first.stats);
    await screenshot(page, 'view-simulate-retention'); // for people reviewing the suite
    await closeAllEditors(page);
  });

  it('lists every step of a dry run in a read-only document', async () => {
    await openFile(page, 'local.backplan.yaml');
    await codeLenses(page).filter({ hasText: 'Dry run' }).first().click();
    await page.locator(".tabs-container .tab.active[aria-label*=\"dry run\"]").first().waitFor({ timeout: 30_000 });
    await expect.poll(() => editorText(page), { timeout: 30_000 }).toMatch(/docs-archive\/2\s+backup\s+on local/);
    const text = await editorText(page);
    expect(text).toContain('Dry run of local.backplan.yaml');
    expect(text).toMatch(/docs-archive\/3\s+prune\s+on local/);
    expect(text).toMatch(/why: prune \(native rules/);
    await screenshot(page, 'view-dry-run');
    // Read-only: typing changes nothing.
    await page.keyboard.type('xyz');
    expect(await editorText(page)).not.toContain('xyz');
    await closeAllEditors(page);
  });

  it('runs a backup for real after confirmation: the archive appears and a success notification', async () => {
    const backups = join(wb.dir, 'backups'); // local.backplan.yaml writes to ../backups
    expect(findFiles(backups, /\.tar\.gz$/)).toEqual([]);
    await openFile(page, 'local.backplan.yaml');
    await codeLenses(page).filter({ hasText: 'Run now' }).first().click();
    const run = await dialogButton(page, 'Run');
    await run.click();
    const done = toasts(page).filter({ hasText: /Backplan: backup succeeded/ });
    await done.first().waitFor({ timeout: 60_000 });
    const archives = findFiles(backups, /^docs-archive-.*\.tar\.gz$/);
    expect(archives).toHaveLength(1);
    expect(existsSync(`${archives[0]}.sha256`)).toBe(true);
    expect(await done.first().textContent()).toMatch(/1 ok/);
    // The log went to the "Backplan" output channel.
    await expect.poll(async () => (await page.locator('.part.panel .monaco-editor .view-line').allTextContents()).join('\n').replace(/\u00a0/g, ' '), { timeout: 15_000 }).toMatch(/docs-archive\/2 ok/);
  });

  it('cancels a running backup from its progress notification: nothing that looks whole is left', async () => {
    // 256 MB that gzip cannot shrink (a 1 MB random block, repeated: farther apart than its window).
    mkdirSync(join(wb.workspace, 'big'), { recursive: true });
    const block = randomBytes(1 << 20);
    const fd = openSync(join(wb.workspace, 'big', 'blob'), 'w');
    for (let i = 0; i < 256; i++) writeSync(fd, block);
    closeSync(fd);
    await closeAllEditors(page);
    await openFile(page, 'slow.backplan.yaml');
    await codeLenses(page).filter({ hasText: 'Run now' }).first().click({ timeout: 30_000 });
    await (await dialogButton(page, 'Run')).click();
    const progress = page.locator('.notifications-toasts .notification-list-item', { hasText: 'Backplan: running job slow' });
    await progress.locator('.monaco-button', { hasText: 'Cancel' }).click({ timeout: 30_000 });
    const cancelled = toasts(page).filter({ hasText: /Backplan: run cancelled/ });
    await cancelled.first().waitFor({ timeout: 60_000 });
    expect(findFiles(join(wb.dir, 'slow-backups'), /\.tar\.gz$/)).toEqual([]);
    expect(findFiles(join(wb.dir, 'slow-backups'), /\.partial$/)).toEqual([]);
  });
});
