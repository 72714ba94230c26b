// The page of the "Simulate retention" view: for each simulated job the timeline (held snapshots
// by rule over time, fitted to the pane, zoomable, each mark focusable: timeline-html.ts), the
// rules with how many snapshots each keeps, the table of the held set, and a date picker for
// "as of". Pure (no vscode import). The page runs one small script (nonce'd) that posts the
// picked date back; the CSP allows nothing else.
import type { SimulatedJobJson, SimulateResult } from '../server/protocol';
import { timelineCss, timelineHtml, timelineScript } from './timeline-html';

export interface SimulatePage {
  title: string;
  /** The "as of" date shown in the picker (YYYY-MM-DD), empty for the default horizon. */
  at: string;
  result?: SimulateResult;
  error?: string;
  nonce: string;
  cspSource: string;
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** The engine's SVG, inline (so <title> hovers work) minus anything active: scripts, handlers, links. */
export function inertSvg(svg: string): string {
  const start = svg.indexOf('<svg');
  return (start >= 0 ? svg.slice(start) : '')
    .replace(/<script[\s\S]*?<\/script\s*>/gi, '')
    .replace(/<foreignObject[\s\S]*?<\/foreignObject\s*>/gi, '')
    .replace(/\son[a-z]+\s*=\s*("[^"]*"|'[^']*')/gi, '')
    .replace(/\s(?:xlink:)?href\s*=\s*("[^"]*"|'[^']*')/gi, '');
}

/** `2031-06-30T03:00:00+02:00` → `2031-06-30 03:00` (the job's wall time; its zone is in the header). */
export function wallTime(iso: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})/.exec(iso);
  return m ? `${m[1]} ${m[2]}` : iso;
}

function age(fromIso: string, toIso: string): string {
  const ms = Date.parse(toIso) - Date.parse(fromIso);
  if (!Number.isFinite(ms)) return '';
  const h = ms / 3_600_000;
  if (h < 48) return `${Math.round(h)} h`;
  const d = h / 24;
  if (d < 90) return `${Math.round(d)} d`;
  return d < 730 ? `${Math.round(d / 30.44)} mo` : `${(d / 365.25).toFixed(1)} y`;
}

function jobSection(j: SimulatedJobJson): string {
  const s = j.stats;
  const facts = [
    `${s.count} held at ${escapeHtml(wallTime(j.at))}`,
    `oldest ${escapeHtml(s.oldest ? wallTime(s.oldest) : '—')}`,
    `${s.created} created, ${s.removed} removed${s.expired ? `, ${s.expired} expired` : ''}`,
    `between ${s.minCount} and ${s.maxCount} held`,
    s.worstGap ? `worst gap ${escapeHtml(s.worstGap.human)}` : '',
  ].filter(Boolean);
  const rules = (j.rules ?? []).map((r) => `<li><code>${escapeHtml(r.label)}</code>: ${r.count}</li>`).join('');
  const rows = j.snapshots
    .map((sn, i) => `<tr><td>${i + 1}</td><td><time datetime="${escapeHtml(sn.time)}">${escapeHtml(wallTime(sn.time))}</time></td><td>${escapeHtml(age(sn.time, j.at))}</td><td>${sn.reasons.map(escapeHtml).join(', ')}</td></tr>`)
    .join('');
  return `<section class="job" data-job="${escapeHtml(j.job)}">
<h2>${escapeHtml(j.job)}${j.synthetic ? ' <small>(policy on a daily schedule)</small>' : ''}</h2>
<p class="meta">${escapeHtml(j.engine)} rules · schedule <code>${escapeHtml(j.schedule ?? '')}</code>${j.pruneSchedule ? ` · prune <code>${escapeHtml(j.pruneSchedule)}</code>` : ''} · times in ${escapeHtml(j.timezone ?? 'UTC')} · simulated from ${escapeHtml(wallTime(j.from))}</p>
<p class="stats">${facts.join(' · ')}</p>
${timelineHtml(j)}
${rules ? `<h3>Rules</h3><ul class="rules">${rules}</ul>` : ''}
<h3>Held set (${j.snapshots.length})</h3>
<table class="held"><thead><tr><th>#</th><th>Snapshot</th><th>Age</th><th>Kept by</th></tr></thead><tbody>${rows}</tbody></table>
</section>`;
}

export function simulateHtml(p: SimulatePage): string {
  const csp = [
    "default-src 'none'",
    `style-src 'nonce-${p.nonce}'`,
    `script-src 'nonce-${p.nonce}'`,
    `img-src ${p.cspSource} data:`,
  ].join('; ');
  let body: string;
  if (p.error) body = `<p class="error">${escapeHtml(p.error)}</p>`;
  else if (!p.result) body = '<p>Simulating…</p>';
  else {
    const r = p.result;
    body = [
      r.error ? `<p class="error">${escapeHtml(r.error)}</p>` : '',
      ...r.jobs.map(jobSection),
      ...r.skipped.map((s) => `<p class="skipped">${escapeHtml(s.job)}: not simulated (${escapeHtml(s.reason)})</p>`),
      !r.error && r.jobs.length === 0 && r.skipped.length === 0 ? '<p>No job to simulate.</p>' : '',
    ].join('\n');
  }
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(p.title)}</title>
<style nonce="${p.nonce}">
body { font-family: var(--vscode-font-family); color: var(--vscode-foreground); padding: 0 1em 2em; }
form { display: flex; gap: .5em; align-items: center; margin: 1em 0; }
input, button { font: inherit; color: var(--vscode-input-foreground); background: var(--vscode-input-background); border: 1px solid var(--vscode-input-border, transparent); padding: 2px 6px; }
button { color: var(--vscode-button-foreground); background: var(--vscode-button-background); }
${timelineCss()}
table.held { border-collapse: collapse; }
table.held td, table.held th { border-bottom: 1px solid var(--vscode-panel-border, #8884); padding: 2px 10px; text-align: left; }
.meta, .stats { opacity: .85; margin: .2em 0; }
.error { color: var(--vscode-errorForeground); }
</style></head>
<body>
<h1>${escapeHtml(p.title)}</h1>
<form id="asof"><label for="at">As of</label><input type="date" id="at" name="at" value="${escapeHtml(p.at)}"><button type="submit">Simulate</button><button type="button" id="reset">Default horizon</button></form>
${body}
<script nonce="${p.nonce}">
const vscode = acquireVsCodeApi();
document.getElementById('asof').addEventListener('submit', (e) => { e.preventDefault(); vscode.postMessage({ type: 'asOf', at: document.getElementById('at').value }); });
document.getElementById('reset').addEventListener('click', () => vscode.postMessage({ type: 'asOf', at: '' }));
${timelineScript()}
</script>
</body></html>`;
}
