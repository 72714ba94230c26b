// What a person does in the VS Code workbench, as Playwright steps: open a file, run a palette
// command, read the Problems view, hover, click a code lens, look inside a webview. Every step
// waits for what it needs to see (no sleeps).
import type { Frame, Locator, Page } from 'playwright-core';

// The functions passed to evaluate() run in the browser. The project compiles without the DOM
// library, so the little of the DOM they use is declared here, for this module only.
interface DomNode {
  textContent: string | null;
}
interface DomElement extends DomNode {
  getAttribute(name: string): string | null;
  querySelector(selector: string): DomElement | null;
  querySelectorAll(selector: string): ArrayLike<DomElement>;
  style: { top: string };
}
interface DomRect {
  left: number;
  top: number;
  width: number;
  height: number;
}
declare const document: {
  createTreeWalker(root: DomElement, what: number): { nextNode(): DomNode | null };
  createRange(): { setStart(n: DomNode, o: number): void; setEnd(n: DomNode, o: number): void; getBoundingClientRect(): DomRect };
};
declare const NodeFilter: { SHOW_TEXT: number };

export async function openFile(page: Page, name: string): Promise<void> {
  await page.keyboard.press('Control+P');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor();
  await input.fill(name);
  // Enter picks the focused row: wait until the filter has put the file there (before it does,
  // the list still shows recently opened files).
  await page.locator('.quick-input-list .monaco-list-row.focused', { has: page.locator('.label-name', { hasText: new RegExp(`^${escapeRe(name)}$`) }) }).waitFor();
  await input.press('Enter');
  await page.locator(`.tabs-container .tab.active[data-resource-name="${name}"]`).first().waitFor();
  await page.locator('.editor-instance .monaco-editor .view-lines').first().waitFor();
}

export async function closeAllEditors(page: Page): Promise<void> {
  await runCommand(page, 'View: Close All Editors');
}

/** Runs a palette command by its title (e.g. "Backplan: Dry run"). */
export async function runCommand(page: Page, title: string): Promise<void> {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor();
  await input.fill(`>${title}`);
  const row = page.locator('.quick-input-list .monaco-list-row', { has: page.locator('.label-name', { hasText: new RegExp(`^${escapeRe(title)}$`) }) }).first();
  await row.waitFor({ timeout: 15_000 });
  await row.click();
}

export function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Picks a row of an open quick pick. */
export async function pickQuickItem(page: Page, label: string | RegExp): Promise<void> {
  const row = page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: label }).first();
  await row.waitFor();
  await row.click();
}

export interface ProblemRow {
  file: string;
  rule: string;
  severity: string;
  text: string;
}

/** Shows the Problems view maximized (so that every row is rendered) and reads its rows. */
export async function problemRows(page: Page): Promise<ProblemRow[]> {
  const panel = page.locator('.markers-panel');
  if (!(await panel.isVisible())) {
    await runCommand(page, 'View: Focus Problems (Errors, Warnings, Infos)');
    await panel.waitFor();
  }
  const rows = await panel.locator('.monaco-list-row').evaluateAll((els: DomElement[]) =>
    els.map((el) => ({
      index: Number(el.getAttribute('data-index') ?? '0'),
      level: Number(el.getAttribute('aria-level') ?? '0'),
      file: el.querySelector('.label-name')?.textContent ?? '',
      source: el.querySelector('.marker-source')?.textContent ?? '',
      code: el.querySelector('.marker-code')?.textContent ?? '',
      text: el.querySelector('.marker-message')?.textContent ?? '',
      severity: el.querySelector('.codicon-error') ? 'error' : el.querySelector('.codicon-warning') ? 'warning' : el.querySelector('.codicon-info') ? 'info' : '',
    })),
  );
  rows.sort((a, b) => a.index - b.index);
  const out: ProblemRow[] = [];
  let file = '';
  for (const r of rows) {
    if (r.level === 1) file = r.file;
    else if (r.level === 2 && r.source === 'backplan') out.push({ file, rule: r.code, severity: r.severity, text: r.text });
  }
  return out;
}

export async function maximizePanel(page: Page): Promise<void> {
  // A maximized panel leaves no room for the editors: the workbench says so in its classes.
  const maximized = await page.locator('.monaco-workbench.nomaineditorarea').count();
  if (!maximized) await runCommand(page, 'View: Toggle Maximized Panel');
}

export async function hidePanel(page: Page): Promise<void> {
  // Ctrl+J toggles the panel: press it only while the panel shows.
  if (await page.locator('.part.panel').isVisible()) {
    await page.keyboard.press('Control+J');
    await page.locator('.part.panel').waitFor({ state: 'hidden' });
  }
}

/** The visible text of the active editor (only rendered lines: editors virtualize). */
export async function editorText(page: Page): Promise<string> {
  const lines = await page.locator('.editor-instance .monaco-editor .view-lines .view-line').evaluateAll((els: DomElement[]) =>
    els
      .map((el) => ({ top: parseFloat(el.style.top || '0'), text: (el.textContent ?? '').replace(/\u00a0/g, ' ') }))
      .sort((a, b) => a.top - b.top)
      .map((l) => l.text),
  );
  return lines.join('\n');
}

/**
 * Where `text` is drawn in the active editor: the middle of its first character. Editors split a
 * line into one span per token, so the text is found across the line's text nodes.
 */
export async function textPosition(page: Page, text: string): Promise<{ x: number; y: number } | undefined> {
  return page.locator('.editor-instance .monaco-editor .view-lines').first().evaluate((root: DomElement, needle: string) => {
    for (const line of Array.from(root.querySelectorAll('.view-line'))) {
      const full = (line.textContent ?? '').replace(/\u00a0/g, ' ');
      const at = full.indexOf(needle);
      if (at < 0) continue;
      const walker = document.createTreeWalker(line, NodeFilter.SHOW_TEXT);
      let seen = 0;
      for (let n = walker.nextNode(); n; n = walker.nextNode()) {
        const len = n.textContent?.length ?? 0;
        if (seen + len > at) {
          const range = document.createRange();
          range.setStart(n, at - seen);
          range.setEnd(n, at - seen + 1);
          const r = range.getBoundingClientRect();
          return { x: r.left + r.width / 2, y: r.top + r.height / 2 };
        }
        seen += len;
      }
    }
    return undefined;
  }, text);
}

/** Hovers `text` in the active editor with the mouse and returns the hover's text. */
export async function hoverText(page: Page, text: string, expect: RegExp): Promise<string> {
  const hover = page.locator('.monaco-hover .monaco-hover-content').filter({ hasText: expect }).first();
  for (let attempt = 0; attempt < 10; attempt++) {
    const at = await textPosition(page, text);
    if (!at) throw new Error(`"${text}" is not on screen`);
    await page.mouse.move(at.x + attempt, at.y);
    try {
      await hover.waitFor({ timeout: 2000 });
      return (await hover.textContent()) ?? '';
    } catch {
      await page.mouse.move(5, 5);
    }
  }
  const shown = await page.locator('.monaco-hover').allTextContents();
  throw new Error(`no hover matching ${expect} over "${text}"; hovers seen: ${JSON.stringify(shown)}`);
}

/** The code lens links of the active editor. */
export function codeLenses(page: Page): Locator {
  return page.locator('.editor-instance .monaco-editor .codelens-decoration a');
}

export function toasts(page: Page): Locator {
  return page.locator('.notifications-toasts .notification-list-item-message');
}

/**
 * Polls the frames of the webviews until `read` returns something for one of them. A webview
 * swaps its inner frame each time its page is replaced, so a frame is never kept across polls.
 */
export async function readWebview<T>(page: Page, read: (frame: Frame) => Promise<T | undefined>, timeout = 60_000): Promise<T> {
  const deadline = Date.now() + timeout;
  let lastError = '';
  for (;;) {
    for (const f of page.frames()) {
      if (!/\/webview\/browser\/pre\/(fake|index)\.html/.test(f.url())) continue;
      try {
        const v = await read(f);
        if (v !== undefined) return v;
      } catch (e) {
        lastError = (e as Error).message.split('\n')[0]; // detached while reading: poll again
      }
    }
    if (Date.now() > deadline) throw new Error(`no webview showed what was expected within ${timeout} ms${lastError ? ` (last error: ${lastError})` : ''}`);
    await page.waitForTimeout(200);
  }
}

export async function dialogButton(page: Page, label: string): Promise<Locator> {
  const b = page.locator('.monaco-dialog-box .monaco-button', { hasText: label }).first();
  await b.waitFor();
  return b;
}
