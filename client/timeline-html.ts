// The timeline of the "Simulate retention" view, drawn for a pane rather than a file: the row
// labels in a column of their own that does not scroll, and the plot in a scroller whose SVG is
// laid out in percentages, so it fits the pane's width at zoom 1 and zooms by widening (no
// re-layout, circles stay round). Each held snapshot is a focusable element named by its time
// and the rules that keep it; one is in the tab order at a time (the newest at first) and the
// arrow keys move between them. Calendar ticks are computed for every zoom level and CSS shows
// the set of the current one. Pure (no vscode import); the page's script (simulate-html.ts)
// does the zooming and the keyboard.
import type { SimulatedJobJson } from '../server/protocol';
import { rowsOfReasons } from '../engine/simulate/rules';
import { calendarTicks, PALETTE } from '../engine/simulate/svg';

export const ZOOMS = [1, 2, 4, 8, 16] as const;
const ROW_H = 22;
const AXIS_H = 40;
/** Calendar labels per pane width at zoom 1 (about one per 90 px of a 540 px plot). */
const TICKS_PER_PANE = 6;

const esc = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** `2031-06-30T03:00:00+02:00` → `2031-06-30 03:00` (the zone is in the header). */
const wall = (iso: string): string => {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})/.exec(iso);
  return m ? `${m[1]} ${m[2]}` : iso;
};

const pct = (x: number): string => `${(Math.round(x * 1000) / 1000).toString()}%`;

export function timelineHtml(j: SimulatedJobJson): string {
  const at = Date.parse(j.at);
  // oldest first: the order of the focus moves and of a screen reader's reading
  const snaps = j.snapshots.map((s) => ({ ...s, t: Date.parse(s.time) })).sort((a, b) => a.t - b.t);
  const t1 = at;
  let t0 = Math.min(snaps.length > 0 ? snaps[0].t : Date.parse(j.from), t1);
  if (t1 - t0 < 3_600_000) t0 = t1 - 3_600_000;
  // 1% of room at each end so that the first and last marks are not cut in half
  const x = (t: number): number => 1 + (98 * (t - t0)) / (t1 - t0);

  const rows = [{ id: '*', label: 'held', count: j.snapshots.length }, ...(j.rules ?? [])];
  const rowOf = new Map(rows.map((r, i) => [r.id, i]));
  const color = (i: number): string => (i === 0 ? '#444444' : PALETTE[(i - 1) % PALETTE.length]);
  const cy = (i: number): number => i * ROW_H + ROW_H / 2;
  const bottom = rows.length * ROW_H;
  const height = bottom + AXIS_H;

  const labels = rows
    .map((r, i) => {
      const c = i === 0 ? 'h' : (i - 1) % PALETTE.length;
      return `<div class="tl-label c${c}">${esc(`${r.label} (${r.count})`)}</div>`;
    })
    .join('');

  const plot: string[] = [];
  rows.forEach((_, i) => {
    if (i % 2 === 0) plot.push(`<rect x="0" y="${i * ROW_H}" width="100%" height="${ROW_H}" fill="#f4f4f4"/>`);
  });
  for (const z of ZOOMS) {
    const ticks = calendarTicks(t0, t1, j.timezone ?? 'UTC', TICKS_PER_PANE * z);
    const g = ticks.map((tk) => {
      const tx = x(tk.t);
      const anchor = tx > 96 ? 'end' : tx < 4 ? 'start' : 'middle';
      return (
        `<line x1="${pct(tx)}" y1="0" x2="${pct(tx)}" y2="${bottom + 4}" stroke="#cccccc"/>` +
        `<text x="${pct(tx)}" y="${bottom + 18}" text-anchor="${anchor}" fill="#333333">${esc(tk.label)}</text>`
      );
    });
    plot.push(`<g class="ticks z${z}" aria-hidden="true">${g.join('')}</g>`);
  }
  plot.push(`<line x1="0" y1="${bottom}" x2="100%" y2="${bottom}" stroke="#888888"/>`);
  plot.push(
    `<line x1="${pct(x(t1))}" y1="0" x2="${pct(x(t1))}" y2="${bottom}" stroke="#000000" stroke-dasharray="3,3"/>`,
    `<text x="${pct(x(t1))}" y="${bottom + 34}" text-anchor="end" fill="#000000">` +
      `${esc(`as of ${wall(j.at)} (${j.timezone ?? 'UTC'})`)}</text>`,
  );
  snaps.forEach((s, k) => {
    const cx = pct(x(s.t));
    const keptBy = s.reasons.length > 0 ? s.reasons.join(', ') : 'no rule';
    const name = `${wall(s.time)}, kept by ${keptBy}`;
    const newest = k === snaps.length - 1;
    const marks = rowsOfReasons(s.reasons)
      .map((id) => rowOf.get(id))
      .filter((i): i is number => i !== undefined)
      .map((i) => `<circle cx="${cx}" cy="${cy(i)}" r="3.5" fill="${color(i)}"/>`);
    plot.push(
      `<g class="snap" tabindex="${newest ? 0 : -1}" role="img" aria-roledescription="snapshot" ` +
        `aria-label="${esc(name)}" data-time="${esc(s.time)}">` +
        `<title>${esc(`${wall(s.time)} — kept by ${keptBy}`)}</title>` +
        `<line class="hit" x1="${cx}" y1="0" x2="${cx}" y2="${bottom}"/>` +
        `<line x1="${cx}" y1="${cy(0) - 6}" x2="${cx}" y2="${cy(0) + 6}" stroke="#444444"/>` +
        `${marks.join('')}</g>`,
    );
  });

  const count = `${j.snapshots.length} snapshot${j.snapshots.length === 1 ? '' : 's'}`;
  const span = snaps.length > 0 ? `from ${wall(snaps[0].time)} to ${wall(snaps[snaps.length - 1].time)}` : 'none held';
  return `<div class="tl" data-zoom="1">
<div class="tl-bar" role="toolbar" aria-label="Zoom of the timeline of ${esc(j.job)}">
<button type="button" class="zoom-out" aria-label="Zoom out" title="Zoom out (-)">−</button>
<button type="button" class="zoom-fit" aria-label="Fit to width" title="Fit to width (0)">Fit</button>
<button type="button" class="zoom-in" aria-label="Zoom in" title="Zoom in (+)">+</button>
<span class="zoom-level" aria-live="polite">100%</span>
<span class="tl-hint">← → move between snapshots, Home/End oldest/newest, + − 0 zoom</span>
</div>
<div class="tl-body">
<div class="tl-labels" aria-hidden="true">${labels}</div>
<div class="tl-scroll">
<svg class="tl-plot" xmlns="http://www.w3.org/2000/svg" width="100%" height="${height}" role="group" ` +
    `aria-label="${esc(`Timeline of ${j.job}: ${count} held, ${span}`)}" font-family="sans-serif" font-size="12">
${plot.join('\n')}
</svg>
</div>
</div>
</div>`;
}

/** The CSS of the timeline (in the page's nonce'd style element: the CSP allows no style attribute). */
export function timelineCss(): string {
  const colors = PALETTE.map((c, i) => `.tl-label.c${i} { color: ${c}; }`).join('\n');
  const zooms = ZOOMS.map((z) => `.tl[data-zoom="${z}"] .ticks.z${z} { display: inline; }`).join('\n');
  return `.tl { margin: .5em 0; }
.tl-bar { display: flex; gap: .4em; align-items: center; margin-bottom: 4px; }
.tl-bar button { min-width: 2.2em; }
.tl-hint { opacity: .7; font-size: 90%; }
.tl-body { display: flex; background: #ffffff; border-radius: 4px; padding: 4px 0; }
.tl-labels { flex: none; padding: 0 8px; font: 12px sans-serif; text-align: right; white-space: nowrap; }
.tl-label { height: ${ROW_H}px; line-height: ${ROW_H}px; }
.tl-label.ch { color: #444444; }
${colors}
.tl-scroll { flex: 1 1 auto; min-width: 0; overflow-x: auto; overflow-y: hidden; }
.tl-plot { display: block; min-width: 100%; }
.tl .ticks { display: none; }
${zooms}
.snap { outline: none; }
.snap .hit { stroke: transparent; stroke-width: 9px; }
.snap:hover .hit { stroke: #0000001a; }
.snap:focus .hit { stroke: var(--vscode-focusBorder, #0090f1); stroke-opacity: .45; }`;
}

/**
 * The page script's part for the timelines: zoom (buttons and + − 0 keys, kept across re-renders
 * with the webview state), opening on the newest end, and moving the focus between snapshots.
 */
export function timelineScript(): string {
  return `(() => {
const ZOOMS = ${JSON.stringify(ZOOMS)};
const state = vscode.getState() || {};
for (const tl of document.querySelectorAll('.tl')) {
  const scroller = tl.querySelector('.tl-scroll');
  const plot = tl.querySelector('.tl-plot');
  const snaps = [...tl.querySelectorAll('.snap')];
  const level = tl.querySelector('.zoom-level');
  const setZoom = (z, keep) => {
    z = Math.max(ZOOMS[0], Math.min(ZOOMS[ZOOMS.length - 1], z));
    tl.dataset.zoom = String(z);
    plot.style.width = (z * 100) + '%';
    level.textContent = (z * 100) + '%';
    vscode.setState({ ...(vscode.getState() || {}), zoom: z });
    // keep the snapshot in focus in view, else the newest end: what people look at first
    if (keep) keep.scrollIntoView({ block: 'nearest', inline: 'center' });
    else scroller.scrollLeft = scroller.scrollWidth;
  };
  const step = (dir) => {
    const z = Number(tl.dataset.zoom) || 1;
    const i = ZOOMS.indexOf(z);
    const focused = snaps.includes(document.activeElement) ? document.activeElement : undefined;
    setZoom(ZOOMS[Math.max(0, Math.min(ZOOMS.length - 1, i + dir))], focused);
  };
  tl.querySelector('.zoom-in').addEventListener('click', () => step(1));
  tl.querySelector('.zoom-out').addEventListener('click', () => step(-1));
  tl.querySelector('.zoom-fit').addEventListener('click', () => setZoom(1));
  const focusAt = (i) => {
    const to = snaps[Math.max(0, Math.min(snaps.length - 1, i))];
    if (!to) return;
    for (const s of snaps) s.tabIndex = s === to ? 0 : -1;
    to.focus();
    to.scrollIntoView({ block: 'nearest', inline: 'nearest' });
  };
  tl.addEventListener('keydown', (e) => {
    const i = snaps.indexOf(document.activeElement);
    if (e.key === '+' || e.key === '=') step(1);
    else if (e.key === '-') step(-1);
    else if (e.key === '0') setZoom(1);
    else if (i >= 0 && e.key === 'ArrowLeft') focusAt(i - 1);
    else if (i >= 0 && e.key === 'ArrowRight') focusAt(i + 1);
    else if (i >= 0 && e.key === 'Home') focusAt(0);
    else if (i >= 0 && e.key === 'End') focusAt(snaps.length - 1);
    else return;
    e.preventDefault();
  });
  setZoom(ZOOMS.includes(state.zoom) ? state.zoom : 1);
}
})();`;
}
