// Typing a plan in a real VS Code (code-server + Chromium), key by key, with the editor's own
// indentation: Enter after a key that opens a block indents one level (two spaces), Enter after a
// value keeps the level, Shift+Tab goes back one level, brackets and quotes close themselves and
// are typed over. The buffer must then read exactly as the plan was meant (no double indents).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { e2eToolsReady, launchBrowser, openWorkbench, screenshot, startWorkbench, type Browser, type Page, type Workbench } from './harness';
import { editorText, openFile } from './workbench';

const ready = e2eToolsReady();
const FILE = 'typed.backplan.yaml';

/** What is typed: text, then the keys pressed after it. Indentation comes from the editor only. */
const STEPS: [string, ...string[]][] = [
  ['version: 1', 'Enter'],
  ['jobs:', 'Enter'],
  ['docs:', 'Enter'],
  ['kind: restic', 'Enter'],
  ['host: local', 'Enter'],
  ['paths:', 'Enter'],
  ['- /srv/docs', 'Enter'],
  ['- /etc', 'Enter', 'Shift+Tab'],
  ['to: nas', 'Enter'],
  ['retention:', 'Enter'],
  ['keep: { daily: 7, weekly: 4 }', 'Enter', 'Shift+Tab'],
  ['schedule: "0 3 * * *"', 'Enter'],
  ['verify:', 'Enter'],
  ['schedule: "@weekly"', 'Enter', 'Shift+Tab', 'Shift+Tab', 'Shift+Tab'],
  ['hosts:', 'Enter'],
  ['local: {}', 'Enter', 'Shift+Tab'],
  ['storage:', 'Enter'],
  ['nas: { media: hdd }'],
];

const EXPECTED = [
  'version: 1',
  'jobs:',
  '  docs:',
  '    kind: restic',
  '    host: local',
  '    paths:',
  '      - /srv/docs',
  '      - /etc',
  '    to: nas',
  '    retention:',
  '      keep: { daily: 7, weekly: 4 }',
  '    schedule: "0 3 * * *"',
  '    verify:',
  '      schedule: "@weekly"',
  'hosts:',
  '  local: {}',
  'storage:',
  '  nas: { media: hdd }',
].join('\n');

describe.skipIf(!ready)('Typing a plan in VS Code (code-server + Chromium)', () => {
  let wb: Workbench;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    const src = join(mkdtempSync(join(tmpdir(), 'backplan-typed-')), FILE);
    writeFileSync(src, '');
    wb = await startWorkbench({
      trusted: true,
      files: [[src, FILE]],
      settings: {
        // Nothing but the indentation rules may change what is typed: no suggestion accepted by
        // Enter, no inlay hint or whitespace glyph drawn inside the lines that are read back.
        'editor.quickSuggestions': { other: false, comments: false, strings: false },
        'editor.suggestOnTriggerCharacters': false,
        'editor.acceptSuggestionOnEnter': 'off',
        'editor.inlayHints.enabled': 'off',
        'editor.renderWhitespace': 'none',
        // No code lens either: lenses come and go above the lines being typed (a half-typed key
        // reads as a job for a moment) and are not what this test is about.
        'editor.codeLens': false,
      },
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
      const shot = await screenshot(page, `e2e-typing-${task.name}`);
      if (shot) console.error(`screenshot: ${shot}`);
    });
  });

  // Retried: on a loaded machine the job body was seen outdented by one level now and then, with
  // the previous VSIX too (cause not found; see the closing note); a broken rule fails all three.
  it('indents one level after a key that opens a block, and never twice', { retry: 2 }, async () => {
    await openFile(page, FILE);
    await expect.poll(() => page.locator('[id="status.editor.mode"]').textContent(), { timeout: 30_000 }).toContain('Backplan');
    await page.locator('.editor-instance .monaco-editor textarea').first().focus();
    // A retry starts from an empty buffer again.
    await page.keyboard.press('Control+A');
    await page.keyboard.press('Delete');
    await expect.poll(() => editorText(page), { timeout: 10_000 }).toBe('');
    // Each key waits for the editor to have taken the one before: keys sent ahead of a busy
    // editor were seen applied to a moving selection (the whole job body outdented).
    for (const [text, ...keys] of STEPS) {
      await page.keyboard.type(text, { delay: 10 });
      await expect.poll(async () => (await editorText(page)).endsWith(text), { timeout: 10_000 }).toBe(true);
      for (const k of keys) {
        const before = await editorText(page);
        await page.keyboard.press(k);
        await expect.poll(() => editorText(page), { timeout: 10_000 }).not.toBe(before);
      }
      if (process.env.DEBUG_TYPING) console.log(JSON.stringify(await editorText(page)));
    }
    await expect.poll(() => editorText(page), { timeout: 10_000 }).toBe(EXPECTED);
  });
});
