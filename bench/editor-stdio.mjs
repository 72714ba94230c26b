// What a user feels: didChange → publishDiagnostics over stdio, through the built server
// (dist/server.js), on bench/gen-plan.mjs's 200-job plan, with the default debounce (150 ms) and,
// for the processing alone, with no debounce. One edit at a time: type a character into a job's
// description, wait for the diagnostics of that version. Also the server's memory (RSS): at the
// end of each session, and with every example plan open, hovered and inlay-hinted.
//   npm run build && node bench/editor-stdio.mjs [EDITS]
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generatePlan } from './gen-plan.mjs';
import { fmt, ROOT, rss, startServer, stats } from './lib.mjs';

const EDITS = Number(process.argv[2] ?? 60);
const text = generatePlan(200);

const start = () => startServer();

async function examplesMemory() {
  const { proc, conn } = await start();
  const seen = new Set();
  let wake = () => {};
  conn.onNotification('textDocument/publishDiagnostics', (p) => {
    seen.add(p.uri);
    wake();
  });
  conn.onRequest('workspace/inlayHint/refresh', () => null);
  conn.listen();
  await conn.sendRequest('initialize', { processId: process.pid, rootUri: null, capabilities: { workspace: { inlayHint: { refreshSupport: true } } }, initializationOptions: { commands: ['backplan.runNow', 'backplan.dryRun', 'backplan.simulateRetention'] } });
  await conn.sendNotification('initialized', {});
  const files = readdirSync(join(ROOT, 'examples')).filter((f) => f.endsWith('.yaml'));
  for (const f of files) {
    const uri = `file:///bench/examples/${f}`;
    const text = readFileSync(join(ROOT, 'examples', f), 'utf8');
    await conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'backplan', version: 1, text } });
  }
  while (seen.size < files.length) await new Promise((r) => (wake = r));
  for (const f of files) {
    const uri = `file:///bench/examples/${f}`;
    const td = { textDocument: { uri } };
    const whole = { start: { line: 0, character: 0 }, end: { line: 1000, character: 0 } };
    await conn.sendRequest('textDocument/inlayHint', { ...td, range: whole });
    await conn.sendRequest('textDocument/codeLens', td);
    await conn.sendRequest('textDocument/documentSymbol', td);
    for (let line = 0; line < 100; line += 3) await conn.sendRequest('textDocument/hover', { ...td, position: { line, character: 6 } });
  }
  // let the queued projections finish, then ask again (what a refresh does)
  await new Promise((r) => setTimeout(r, 3000));
  for (const f of files) await conn.sendRequest('textDocument/inlayHint', { textDocument: { uri: `file:///bench/examples/${f}` }, range: { start: { line: 0, character: 0 }, end: { line: 1000, character: 0 } } });
  const mem = rss(proc.pid);
  await conn.sendRequest('shutdown');
  await conn.sendNotification('exit');
  conn.dispose();
  proc.kill();
  return { files: files.length, mem };
}

async function session(debounceMs) {
  const { proc, conn } = await start();
  const waiting = new Map();
  conn.onNotification('textDocument/publishDiagnostics', (p) => {
    const w = waiting.get(p.version);
    if (w) {
      waiting.delete(p.version);
      w(performance.now());
    }
  });
  let ms = 0;
  conn.onNotification('backplan/status', (p) => (ms = p.ms));
  conn.listen();
  const settings = debounceMs === undefined ? {} : { validation: { debounceMs } };
  await conn.sendRequest('initialize', { processId: process.pid, rootUri: null, capabilities: {}, initializationOptions: { settings } });
  await conn.sendNotification('initialized', {});
  const uri = 'file:///bench/big.backplan.yaml';
  const published = (version) => new Promise((resolve) => waiting.set(version, resolve));
  let version = 1;
  let t0 = performance.now();
  const opened = published(version);
  await conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'backplan', version, text } });
  const openMs = (await opened) - t0;
  const latencies = [];
  const checks = [];
  for (let i = 0; i < EDITS; i++) {
    const job = i % 200;
    const marker = `  job-${job}:\n    description: "`;
    const at = text.indexOf(marker) + marker.length;
    const line = text.slice(0, at).split('\n').length - 1;
    const character = at - (text.lastIndexOf('\n', at - 1) + 1);
    version++;
    const done = published(version);
    t0 = performance.now();
    await conn.sendNotification('textDocument/didChange', {
      textDocument: { uri, version },
      contentChanges: [{ range: { start: { line, character }, end: { line, character } }, text: 'x' }],
    });
    latencies.push((await done) - t0);
    checks.push(ms);
  }
  const mem = rss(proc.pid);
  await conn.sendRequest('shutdown');
  await conn.sendNotification('exit');
  conn.dispose();
  proc.kill();
  return { openMs, latency: stats(latencies), check: stats(checks), mem };
}

console.log(`didChange → publishDiagnostics over stdio, 200 jobs / ${text.split('\n').length} lines, ${EDITS} edits, node ${process.version}`);
for (const [label, debounce] of [['default debounce (150 ms)', undefined], ['no debounce', 0]]) {
  const r = await session(debounce);
  console.log(
    `  ${label}: median ${fmt(r.latency.median)}, p95 ${fmt(r.latency.p95)} ` +
      `(server check median ${fmt(r.check.median)}, p95 ${fmt(r.check.p95)}); open → first diagnostics ${fmt(r.openMs)}; server RSS ${r.mem.toFixed(0)} MB`,
  );
}
const ex = await examplesMemory();
console.log(`  server RSS with all ${ex.files} example plans open, hovered, inlay-hinted and code-lensed: ${ex.mem.toFixed(0)} MB`);
