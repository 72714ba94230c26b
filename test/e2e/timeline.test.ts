// The "Simulate retention" timeline in a real VS Code (code-server + Chromium): it opens fitted
// to the pane with the newest snapshots on screen, zooms with its buttons and keys, keeps its row
// labels in view while the plot scrolls, and each snapshot is a focusable element named by its
// time and the rules that keep it. What is visible is checked on the page as drawn: bounding
// boxes against the pane and the window, and the element actually hit at a mark's position.
// Screenshots of each state go to test-results/ for people reviewing the suite.
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Frame } from 'playwright-core';
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
import { closeAllEditors, codeLenses, openFile, readWebview } from './workbench';

const ready = e2eToolsReady();
const PLAN = 'timeline.backplan.yaml';

interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

const within = (b: Box, outer: Box): boolean =>
  b.x >= outer.x - 0.5 &&
  b.y >= outer.y - 0.5 &&
  b.x + b.width <= outer.x + outer.width + 0.5 &&
  b.y + b.height <= outer.y + outer.height + 0.5;

// Run in the webview (strings: the project compiles without the DOM library). Marks the newest
// and the oldest snapshot by the time their hover title starts with, whatever the markup.
const MARK_ENDS = `(() => {
  const marks = [...document.querySelectorAll('svg g')].filter((g) => g.querySelector(':scope > title'));
  const key = (g) => g.querySelector(':scope > title').textContent.slice(0, 16).replace('T', ' ');
  marks.sort((a, b) => key(a).localeCompare(key(b)));
  for (const g of marks) { g.removeAttribute('data-e2e'); }
  marks[0].setAttribute('data-e2e', 'oldest');
  marks[marks.length - 1].setAttribute('data-e2e', 'newest');
  return { count: marks.length, oldest: key(marks[0]), newest: key(marks[marks.length - 1]) };
})()`;

/** Whether the element drawn at the centre of the mark's first circle or line is part of that mark. */
const hitsMark = (which: string) => `(() => {
  const g = document.querySelector('[data-e2e="${which}"]');
  const shape = g.querySelector('circle');
  const r = shape.getBoundingClientRect();
  const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
  return !!hit && g.contains(hit);
})()`;

/** The box of a mark as drawn: its first dot (the focus ring's wide stroke would overflow the plot). */
const markBox = (f: Frame, which: string) => f.locator(`[data-e2e="${which}"] circle`).first().boundingBox();

const HITS_LABELS = `[...document.querySelectorAll('.tl-label')].map((l) => {
  const r = l.getBoundingClientRect();
  const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
  return !!hit && l.contains(hit);
})`;

describe.skipIf(!ready)('the retention timeline (code-server + Chromium)', () => {
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

  /** The webview's inner frame once the simulation is drawn, and the box of the pane it is shown in. */
  async function openTimeline(): Promise<{ f: Frame; pane: Box }> {
    await openFile(page, PLAN);
    // the job's lens (the policy above it has one too)
    await codeLenses(page).filter({ hasText: 'Simulate retention' }).last().click();
    const f = await readWebview(page, async (fr) => ((await fr.locator('svg g title').count()) > 10 ? fr : undefined));
    const pane = await (await f.frameElement()).boundingBox();
    if (!pane) throw new Error('no webview pane on screen');
    return { f, pane };
  }

  it('opens on now: the newest snapshot is on screen, the plot fitted to the pane', async () => {
    const { f, pane } = await openTimeline();
    const ends = (await f.evaluate(MARK_ENDS)) as { count: number; oldest: string; newest: string };
    expect(ends.count).toBeGreaterThan(50);
    await screenshot(page, 'timeline-open');
    const win = { x: 0, y: 0, ...page.viewportSize()! };
    const newest = (await markBox(f, 'newest'))!;
    const where = `newest snapshot ${JSON.stringify(newest)} outside the pane ${JSON.stringify(pane)}`;
    expect(within(newest, pane), where).toBe(true);
    expect(within(newest, win)).toBe(true);
    expect(await f.evaluate(hitsMark('newest')), 'the newest mark is hidden by something').toBe(true);
    // fitted: the whole span is visible, no horizontal scrolling needed
    expect(within((await markBox(f, 'oldest'))!, pane)).toBe(true);
    const overflow = (await f.evaluate(`(() => { const s = document.querySelector('.tl-scroll');
      return s.scrollWidth - s.clientWidth; })()`)) as number;
    expect(overflow).toBeLessThanOrEqual(1);
    await closeAllEditors(page);
  });

  it('zooms on the newest end, and keeps the row labels in view while the plot scrolls', async () => {
    const { f, pane } = await openTimeline();
    await f.evaluate(MARK_ENDS);
    for (let i = 0; i < 3; i++) await f.locator('.zoom-in').click();
    await expect.poll(() => f.locator('.zoom-level').textContent()).toBe('800%');
    const scroller = (await f.locator('.tl-scroll').boundingBox())!;
    // zoomed in, the newest end stays in view
    expect(within((await markBox(f, 'newest'))!, scroller)).toBe(true);
    expect(await f.evaluate(hitsMark('newest'))).toBe(true);
    await screenshot(page, 'timeline-zoomed');
    // scroll to the oldest end: the newest leaves the view, the labels stay
    await f.evaluate(`document.querySelector('.tl-scroll').scrollLeft = 0`);
    await expect.poll(async () => within((await markBox(f, 'oldest'))!, scroller)).toBe(true);
    expect(within((await markBox(f, 'newest'))!, scroller)).toBe(false);
    const labels = await f.locator('.tl-label').all();
    expect(labels.length).toBeGreaterThan(2);
    for (const l of labels) expect(within((await l.boundingBox())!, pane), (await l.textContent()) ?? '').toBe(true);
    expect(await f.evaluate(HITS_LABELS)).toEqual(labels.map(() => true));
    await screenshot(page, 'timeline-scrolled');
    // the keyboard zooms too: 0 fits the width again
    await f.locator('.zoom-in').focus();
    await page.keyboard.press('0');
    await expect.poll(() => f.locator('.zoom-level').textContent()).toBe('100%');
    await closeAllEditors(page);
  });

  it('reaches each snapshot with the keyboard, named by its time and what keeps it', async () => {
    const { f } = await openTimeline();
    const ends = (await f.evaluate(MARK_ENDS)) as { newest: string };
    for (let i = 0; i < 2; i++) await f.locator('.zoom-in').click();
    await f.evaluate(`document.querySelector('.tl-scroll').scrollLeft = 0`);
    await f.locator('.zoom-in').focus();
    await page.keyboard.press('Tab');
    const ACTIVE = `document.activeElement && document.activeElement.getAttribute('aria-label')`;
    const label = () => f.evaluate(ACTIVE) as Promise<string | null>;
    const first = await label();
    expect(first).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}, kept by tier \d: /);
    // Tab enters on the newest, and focusing it brings it into view
    expect(first!.slice(0, 16)).toBe(ends.newest);
    const scroller = (await f.locator('.tl-scroll').boundingBox())!;
    await expect.poll(async () => within((await markBox(f, 'newest'))!, scroller)).toBe(true);
    await page.keyboard.press('ArrowLeft');
    const older = await label();
    expect(older).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}, kept by /);
    expect(older!.slice(0, 16) < first!.slice(0, 16)).toBe(true);
    await page.keyboard.press('Home');
    expect((await label())!.slice(0, 16) <= older!.slice(0, 16)).toBe(true);
    await screenshot(page, 'timeline-keyboard');
    await closeAllEditors(page);
  });
});
