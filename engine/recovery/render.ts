// The runbook (engine/recovery/runbook.ts) as Markdown (GitHub and GitLab render it: headings,
// tables, fenced `sh` blocks, an alert block for what cannot be recovered), as a standalone HTML
// page for the printout (inline CSS, no external asset, the unrecoverable block in red) and as
// JSON. Nothing here reads the clock: the same runbook gives the same bytes.
import { displayArgv } from '../run/exec/quote';
import { formatSeconds } from './rto';
import type { Chapter, RestoreStep, Runbook } from './runbook';

const REASONS: Record<string, string> = {
  source: 'its source data is there',
  storage: 'its copies land there',
  runs: 'its tool runs there',
};

function ageText(s: RestoreStep): string | undefined {
  const a = s.copyAge;
  if (!a) return undefined;
  if (a.newest === undefined) return `newest copy: none journalled${a.rpo ? ` (rpo ${a.rpo})` : ''}`;
  const age = formatSeconds(a.ageSeconds ?? 0);
  return `newest copy: ${a.newest}, ${age} old${a.rpo ? ` against rpo ${a.rpo}: ${a.ok === false ? 'EXCEEDED' : 'ok'}` : ' (no rpo)'}`;
}

function rtoText(s: RestoreStep): string | undefined {
  const r = s.restoreTime;
  if (!r) return undefined;
  const never = r.unmeasured.length ? `never measured: ${r.unmeasured.join(', ')}` : '';
  if (r.seconds === undefined) return `restore time: ${never || 'unknown'}${r.rto ? ` (rto ${r.rto})` : ''}`;
  const verdict = r.ok === undefined ? '' : r.ok ? ': ok' : ': EXCEEDED';
  return `last measured restore${s.needs.length || r.unmeasured.length ? ', chain included' : ''}: ${formatSeconds(r.seconds)}` +
    `${r.rto ? ` against rto ${r.rto}${verdict}` : ' (no rto)'}${never ? `; ${never}` : ''}`;
}

function facts(c: { host?: string; site?: string; media?: string; offsite: boolean; immutable: boolean }): string {
  return [c.host ? `on ${c.host}` : 'no host', c.site ? `site ${c.site}` : 'site unknown', c.media, c.offsite ? 'offsite' : undefined, c.immutable ? 'immutable' : undefined]
    .filter(Boolean)
    .join(', ');
}

const anchor = (host: string) => `if-${host.replace(/[^a-z0-9-]/g, '-')}-is-lost`;

// ---- Markdown ---------------------------------------------------------------------------------

const mdCell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const tick = (s: string) => `\`${s.replace(/`/g, "'")}\``;

function mdChapter(c: Chapter): string[] {
  const out: string[] = [];
  const what = [c.address ? `address ${c.address}` : 'local', c.site ? `site ${c.site}` : undefined, c.role ? `role ${c.role}` : undefined].filter(Boolean).join(', ');
  out.push(`## If ${tick(c.host)} is lost`, '', `${tick(c.host)}: ${what}.`, '');
  if (c.unrecoverable.length) {
    out.push('> [!CAUTION]', `> **Cannot be recovered: ${c.unrecoverable.length} data set${c.unrecoverable.length === 1 ? '' : 's'} have no copy off ${tick(c.host)}.**`, '>');
    for (const u of c.unrecoverable) out.push(`> - 🟥 **${u.data}** (${u.roots.map(tick).join(', ')}): ${u.why}.`);
    out.push('');
  }
  if (!c.lost.length && !c.unrecoverable.length && !c.lostCopies.length) {
    out.push('Nothing of the plan is lost with it: no job reads data there, writes copies there or runs there.', '');
    return out;
  }
  out.push('### What is lost', '');
  if (c.lost.length) {
    out.push('| job | kind | why |', '|---|---|---|');
    for (const l of c.lost) out.push(`| ${tick(l.job)} | ${l.kind} | ${mdCell(l.reasons.map((r) => REASONS[r]).join('; '))} |`);
    out.push('');
  }
  if (c.lostCopies.length) {
    out.push('Copies lost (the live data is elsewhere, so nothing to restore, but it is less protected until they are made again):', '');
    for (const l of c.lostCopies) out.push(`- ${l.data}: the copy on ${l.place} (via ${tick(l.via)})`);
    out.push('');
  }
  out.push('### Where the surviving copies are', '');
  if (!c.surviving.length) out.push('No data whose live copy is on this host survives elsewhere.', '');
  for (const s of c.surviving) {
    out.push(`- **${s.data}** (${s.roots.map(tick).join(', ')}):`);
    for (const p of s.copies) out.push(`  - ${p.label} via ${tick(p.via)} (${facts(p)})`);
  }
  if (c.surviving.length) out.push('');
  out.push('### Restore order', '');
  if (!c.steps.length) out.push('Nothing to restore.', '');
  for (const n of c.notes) out.push(n, '');
  for (const s of c.steps) {
    out.push(`${s.n}. **${tick(s.job)}** (${s.kind}): ${s.data.join(', ')} from ${s.place}${s.needs.length ? ` — after ${s.needs.map(tick).join(', ')}` : ''}`, '');
    const lines = [ageText(s), rtoText(s), s.secrets.length ? `secrets: ${s.secrets.map(tick).join(', ')}` : undefined, ...s.notes].filter(
      (x): x is string => x !== undefined,
    );
    for (const l of lines) out.push(`   - ${l}`);
    out.push('');
    if (s.backplan) out.push('   ```sh', `   ${displayArgv(s.backplan)}`, '   ```', '');
    if (s.tool?.length) {
      out.push('   What it runs:', '', '   ```sh');
      for (const a of s.tool) out.push(`   # ${a.description}`, `   [${a.host}] ${a.argv ? displayArgv(a.argv) : '(built in)'}`);
      out.push('   ```', '');
    }
  }
  out.push('### Secrets needed', '');
  if (!c.secrets.length) out.push('None declared in the plan.', '');
  else {
    out.push('Names only: the values are wherever the plan says (environment, files), never in this runbook.', '');
    out.push('| name | type | declared at | needed by |', '|---|---|---|---|');
    for (const s of c.secrets) out.push(`| ${tick(s.name)} | ${s.type} | ${s.declared.map(tick).join(', ')} | ${s.neededBy.map(tick).join(', ')} |`);
    out.push('');
  }
  return out;
}

function header(r: Runbook): { title: string; lines: string[] } {
  return {
    title: `Disaster recovery runbook: ${r.plan}`,
    lines: [
      r.generatedAt !== undefined ? `Generated at ${r.generatedAt}.` : `As of ${r.at}.`,
      r.journal
        ? 'Copy ages and restore times are read from the journals of the state directory.'
        : 'No state directory was given: copy ages and measured restore times are unknown.',
    ],
  };
}

export function renderMarkdown(r: Runbook): string {
  const h = header(r);
  const out = [`# ${h.title}`, '', ...h.lines.flatMap((l) => [l, '']), ''];
  const worst = r.chapters.filter((c) => c.unrecoverable.length);
  if (worst.length) {
    out.push('> [!CAUTION]', '> **Data that cannot be recovered at all:**', '>');
    for (const c of worst) for (const u of c.unrecoverable) out.push(`> - 🟥 if ${tick(c.host)} is lost: **${u.data}** (${u.roots.map(tick).join(', ')})`);
    out.push('');
  }
  out.push('Hosts: ' + r.chapters.map((c) => `[${c.host}](#${anchor(c.host)})`).join(' · '), '');
  for (const c of r.chapters) out.push(...mdChapter(c));
  return `${out.join('\n').replace(/\n{3,}/g, '\n\n').trimEnd()}\n`;
}

// ---- HTML -------------------------------------------------------------------------------------

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const code = (s: string) => `<code>${esc(s)}</code>`;

const CSS = `
body{font:11pt/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;max-width:60em;margin:1.5em auto;padding:0 1em;color:#111}
h1{font-size:1.6em;border-bottom:2px solid #333}h2{font-size:1.3em;margin-top:2em;border-bottom:1px solid #999;page-break-before:always}
h2:first-of-type{page-break-before:auto}h3{font-size:1.1em;margin-bottom:.3em}
code,pre{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.92em}
pre{background:#f4f4f4;border:1px solid #ccc;padding:.5em .7em;white-space:pre-wrap;word-break:break-all}
table{border-collapse:collapse;margin:.4em 0}td,th{border:1px solid #aaa;padding:.2em .5em;text-align:left;vertical-align:top}
.unrecoverable{background:#fde2e2;border:3px solid #c00;color:#600;padding:.6em 1em;margin:1em 0}
.unrecoverable strong{color:#a00}.bad{color:#a00;font-weight:bold}.meta{color:#444}
ol.steps>li{margin-bottom:1em}
@media print{body{margin:0;max-width:none}a{color:inherit;text-decoration:none}}
`.trim();

function htmlUnrecoverable(title: string, items: string[]): string {
  return `<div class="unrecoverable"><p><strong>${title}</strong></p><ul>${items.map((i) => `<li>${i}</li>`).join('')}</ul></div>`;
}

function htmlChapter(c: Chapter): string {
  const out: string[] = [];
  const what = [c.address ? `address ${c.address}` : 'local', c.site ? `site ${c.site}` : undefined, c.role ? `role ${c.role}` : undefined].filter(Boolean).join(', ');
  out.push(`<h2 id="${anchor(c.host)}">If ${code(c.host)} is lost</h2>`, `<p class="meta">${code(c.host)}: ${esc(what)}.</p>`);
  if (c.unrecoverable.length)
    out.push(
      htmlUnrecoverable(
        `Cannot be recovered: ${c.unrecoverable.length} data set${c.unrecoverable.length === 1 ? '' : 's'} have no copy off ${esc(c.host)}.`,
        c.unrecoverable.map((u) => `<strong>${esc(u.data)}</strong> (${u.roots.map(code).join(', ')}): ${esc(u.why)}.`),
      ),
    );
  if (!c.lost.length && !c.unrecoverable.length && !c.lostCopies.length) {
    out.push('<p>Nothing of the plan is lost with it: no job reads data there, writes copies there or runs there.</p>');
    return out.join('\n');
  }
  out.push('<h3>What is lost</h3>');
  if (c.lost.length)
    out.push(
      '<table><tr><th>job</th><th>kind</th><th>why</th></tr>' +
        c.lost.map((l) => `<tr><td>${code(l.job)}</td><td>${esc(l.kind)}</td><td>${esc(l.reasons.map((r) => REASONS[r]).join('; '))}</td></tr>`).join('') +
        '</table>',
    );
  if (c.lostCopies.length)
    out.push(
      '<p>Copies lost (the live data is elsewhere, so nothing to restore, but it is less protected until they are made again):</p><ul>' +
        c.lostCopies.map((l) => `<li>${esc(l.data)}: the copy on ${esc(l.place)} (via ${code(l.via)})</li>`).join('') +
        '</ul>',
    );
  out.push('<h3>Where the surviving copies are</h3>');
  if (!c.surviving.length) out.push('<p>No data whose live copy is on this host survives elsewhere.</p>');
  else
    out.push(
      '<ul>' +
        c.surviving
          .map((s) => `<li><strong>${esc(s.data)}</strong> (${s.roots.map(code).join(', ')}):<ul>${s.copies.map((p) => `<li>${esc(p.label)} via ${code(p.via)} (${esc(facts(p))})</li>`).join('')}</ul></li>`)
          .join('') +
        '</ul>',
    );
  out.push('<h3>Restore order</h3>');
  if (!c.steps.length) out.push('<p>Nothing to restore.</p>');
  for (const n of c.notes) out.push(`<p>${esc(n)}</p>`);
  if (c.steps.length) {
    out.push('<ol class="steps">');
    for (const s of c.steps) {
      const lines = [ageText(s), rtoText(s), s.secrets.length ? `secrets: ${s.secrets.join(', ')}` : undefined, ...s.notes].filter((x): x is string => x !== undefined);
      const li = [
        `<li><strong>${code(s.job)}</strong> (${esc(s.kind)}): ${esc(s.data.join(', '))} from ${esc(s.place)}${s.needs.length ? ` — after ${s.needs.map(code).join(', ')}` : ''}`,
        `<ul>${lines.map((l) => `<li${/EXCEEDED/.test(l) ? ' class="bad"' : ''}>${esc(l)}</li>`).join('')}</ul>`,
      ];
      if (s.backplan) li.push(`<pre>${esc(displayArgv(s.backplan))}</pre>`);
      if (s.tool?.length)
        li.push(`<p>What it runs:</p><pre>${s.tool.map((a) => `# ${esc(a.description)}\n[${esc(a.host)}] ${esc(a.argv ? displayArgv(a.argv) : '(built in)')}`).join('\n')}</pre>`);
      out.push(`${li.join('\n')}</li>`);
    }
    out.push('</ol>');
  }
  out.push('<h3>Secrets needed</h3>');
  if (!c.secrets.length) out.push('<p>None declared in the plan.</p>');
  else
    out.push(
      '<p>Names only: the values are wherever the plan says (environment, files), never in this runbook.</p>',
      '<table><tr><th>name</th><th>type</th><th>declared at</th><th>needed by</th></tr>' +
        c.secrets.map((s) => `<tr><td>${code(s.name)}</td><td>${esc(s.type)}</td><td>${s.declared.map(code).join(', ')}</td><td>${s.neededBy.map(code).join(', ')}</td></tr>`).join('') +
        '</table>',
    );
  return out.join('\n');
}

export function renderHtml(r: Runbook): string {
  const h = header(r);
  const worst = r.chapters.filter((c) => c.unrecoverable.length);
  const body = [
    `<h1>${esc(h.title)}</h1>`,
    ...h.lines.map((l) => `<p class="meta">${esc(l)}</p>`),
    ...(worst.length
      ? [htmlUnrecoverable('Data that cannot be recovered at all:', worst.flatMap((c) => c.unrecoverable.map((u) => `if ${code(c.host)} is lost: <strong>${esc(u.data)}</strong> (${u.roots.map(code).join(', ')})`)))]
      : []),
    `<p>Hosts: ${r.chapters.map((c) => `<a href="#${anchor(c.host)}">${esc(c.host)}</a>`).join(' · ')}</p>`,
    ...r.chapters.map(htmlChapter),
  ];
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<title>${esc(h.title)}</title>`,
    `<style>\n${CSS}\n</style>`,
    '</head>',
    '<body>',
    ...body,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

export function renderJson(r: Runbook): string {
  return `${JSON.stringify(r, null, 2)}\n`;
}
