// What a user feels: didChange → publishDiagnostics over stdio, through the built server
// (dist/server.js), on bench/gen-plan.mjs's 200-job plan, with the default debounce (150 ms) and,
// for the processing alone, with no debounce. One edit at a time: type a character into a job's
// description, wait for the diagnostics of that version. Also the server's memory at the end.
//   npm run build && node bench/editor-stdio.mjs [EDITS]
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node.js';
import { generatePlan } from './gen-plan.mjs';
import { fmt, ROOT, stats } from './lib.mjs';

const EDITS = Number(process.argv[2] ?? 60);
const text = generatePlan(200);

async function session(debounceMs) {
  const proc = spawn(process.execPath, [join(ROOT, 'dist/server.js'), '--stdio'], { stdio: 'pipe' });
  const conn = createMessageConnection(new StreamMessageReader(proc.stdout), new StreamMessageWriter(proc.stdin));
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
  const mem = await new Promise((resolve) => {
    // the server's resident memory, read from /proc while it is still running
    import('node:fs').then(({ readFileSync }) => {
      try {
        const status = readFileSync(`/proc/${proc.pid}/status`, 'utf8');
        resolve(Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024);
      } catch {
        resolve(NaN);
      }
    });
  });
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
