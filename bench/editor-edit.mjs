// The language server's work per edit on bench/gen-plan.mjs's 200-job plan (~2,750 lines), side
// by side in one run with yaml-language-server validating the same texts against our schema
// (its language service's doValidation, in-process, the same number of calls):
//   ours   = a new Analysis (parse + every check, what validation publishes) + the inlay hints of
//            the 60 lines around the edit, as an editor asks for its viewport (schedule words +
//            retention projections, steady state: the projection cache is warm, only what the
//            edit touched is re-simulated)
//   yls    = getLanguageService(...).doValidation(TextDocument v, false)
// Two edit scenarios, one after the other: typing in a job's description (the common keystroke:
// no projection changes) and changing a job's schedule (one projection re-simulated per edit).
//   node bench/editor-edit.mjs [EDITS] [--incremental]
import { build } from 'esbuild';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { getLanguageService } from 'yaml-language-server';
import { generatePlan } from './gen-plan.mjs';
import { fmt, ROOT, stats } from './lib.mjs';

const EDITS = Number(process.argv.slice(2).find((a) => /^\d+$/.test(a)) ?? 200);

// the server's modules, bundled once (as dist/server.js bundles them)
const out = join(mkdtempSync(join(tmpdir(), 'backplan-bench-')), 'editor.mjs');
await build({
  stdin: {
    contents: [
      "export { Analysis } from './server/documents.ts';",
      "export { inlayHints } from './server/features/inlay-hints.ts';",
      "export { Projector, FULL_FIRES } from './server/projections.ts';",
      "export { DEFAULT_SETTINGS } from './server/protocol.ts';",
    ].join('\n'),
    resolveDir: ROOT,
    loader: 'ts',
  },
  bundle: true,
  platform: 'node',
  format: 'esm',
  outfile: out,
  logLevel: 'error',
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
});
const { Analysis, inlayHints, Projector, DEFAULT_SETTINGS } = await import(pathToFileURL(out).href);

const schema = JSON.parse(readFileSync(join(ROOT, 'schemas/backplan.schema.json'), 'utf8'));
const yls = getLanguageService({
  schemaRequestService: async () => JSON.stringify(schema),
  workspaceContext: { resolveRelativePath: (rel) => rel },
});
yls.configure({ validate: true, completion: false, hover: false, format: false, schemas: [{ uri: 'backplan://schema', fileMatch: ['*'], schema }] });

const base = generatePlan(200);
const lines = base.split('\n').length;
const uri = 'file:///bench/big.backplan.yaml';
const now = Date.parse('2026-11-22T00:00:00Z');
const projector = new Projector();
const env = { settings: DEFAULT_SETTINGS, commands: new Set(), projector };
const whole = { start: { line: 0, character: 0 }, end: { line: lines, character: 0 } };

const viewport = (text, offset) => {
  const line = text.slice(0, offset).split('\n').length - 1;
  return { start: { line: Math.max(0, line - 30), character: 0 }, end: { line: line + 30, character: 0 } };
};

// --incremental: each edit is analysed from the base text's analysis (the previous version, as
// the server's DocumentStore does), re-parsing only the edited entry when it can
const INCREMENTAL = process.argv.includes('--incremental');
let previous;

function ours(text, version, at) {
  const t0 = performance.now();
  const a = new Analysis(uri, version, text, now, undefined, undefined, undefined, INCREMENTAL ? previous : undefined);
  const t1 = performance.now();
  const { hints } = inlayHints(a, at === undefined ? whole : viewport(text, at), env);
  const t2 = performance.now();
  return { check: t1 - t0, total: t2 - t0, findings: a.result.findings.length, hints: hints.length };
}

async function theirs(text, version) {
  const t0 = performance.now();
  const diags = await yls.doValidation(TextDocument.create(uri, 'yaml', version, text), false);
  return { total: performance.now() - t0, diagnostics: diags.length };
}

// Warm-up: JIT, schema compilation on their side, and our projection cache (the editor computes
// it once in the background after opening; drained here).
let version = 1;
const first = ours(base, version);
previous = new Analysis(uri, version, base, now);
while (projector.pending > 0) await new Promise((r) => setImmediate(r));
const cold = { check: first.check, total: first.total };
for (let i = 0; i < 10; i++) {
  ours(base, ++version);
  await theirs(base, version);
}

/** Edit i of a scenario: the text after it. Edits alternate insert / delete so the size stays. */
const descriptionEdit = (i) => {
  const job = i % 200;
  const marker = `  job-${job}:\n    description: "`;
  const at = base.indexOf(marker) + marker.length;
  return { text: base.slice(0, at) + 'x'.repeat((i % 3) + 1) + base.slice(at), at };
};
const scheduleEdit = (i) => {
  const job = (i * 7) % 200;
  const marker = `  job-${job}:\n`;
  const start = base.indexOf(marker);
  const sched = base.indexOf('schedule: "', start) + 'schedule: "'.length;
  const end = base.indexOf(' ', sched);
  const minute = (Number(base.slice(sched, end)) + 1 + (i % 50)) % 60;
  return { text: base.slice(0, sched) + String(minute) + base.slice(end), at: sched };
};

async function scenario(name, edit) {
  const o = { check: [], total: [] };
  const y = [];
  let findings = 0;
  let hints = 0;
  let diagnostics = 0;
  for (let i = 0; i < EDITS; i++) {
    const { text, at } = edit(i);
    version++;
    // alternate who goes first, so neither always runs on a warmer cache
    if (i % 2 === 0) {
      const r = ours(text, version, at);
      const t = await theirs(text, version);
      o.check.push(r.check);
      o.total.push(r.total);
      y.push(t.total);
      findings = r.findings;
      hints = r.hints;
      diagnostics = t.diagnostics;
    } else {
      const t = await theirs(text, version);
      const r = ours(text, version, at);
      o.check.push(r.check);
      o.total.push(r.total);
      y.push(t.total);
    }
  }
  const sc = stats(o.check);
  const so = stats(o.total);
  const sy = stats(y);
  console.log(`\n${name} (${EDITS} edits)`);
  console.log(`  ours: parse + every check        median ${fmt(sc.median)}, p95 ${fmt(sc.p95)}  (${findings} findings)`);
  console.log(`  ours: + viewport inlay hints      median ${fmt(so.median)}, p95 ${fmt(so.p95)}  (${hints} hints)`);
  console.log(`  yaml-language-server doValidation median ${fmt(sy.median)}, p95 ${fmt(sy.p95)}  (${diagnostics} diagnostics)`);
  console.log(`  ratio ours/yls: median ${(so.median / sy.median).toFixed(2)}×, p95 ${(so.p95 / sy.p95).toFixed(2)}×`);
  return { so, sy };
}

console.log(`editor per-edit benchmark: 200 jobs / ${lines} lines, node ${process.version}${INCREMENTAL ? ', incremental' : ''}`);
console.log(`cold open, whole document (nothing cached): parse + checks ${fmt(cold.check)}, + inlay hints ${fmt(cold.total)} (projections beyond the 30 ms budget queued)`);
await scenario('typing in a description', descriptionEdit);
await scenario('changing a schedule (one projection re-simulated)', scheduleEdit);
