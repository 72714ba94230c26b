// The language server's memory with every example plan and bench/gen-plan.mjs's 200-job plan
// open: each opened, its diagnostics awaited, hovered, inlay-hinted over the whole text,
// code-lensed and outlined, the queued projections left to finish and the inlay hints asked again
// (what a refresh does). Prints the RSS after `initialize`, after opening, after the requests and
// 3 s later (each the median of 5 samples 200 ms apart). `--heap DIR` also writes a heap snapshot of the server at
// the end into DIR (node --heapsnapshot-signal); bench/heap-top.mjs summarises it.
//   npm run build && node bench/server-memory.mjs [--server FILE] [--heap DIR] [-- NODE_FLAGS...]
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { generatePlan } from './gen-plan.mjs';
import { ROOT, rss, startServer } from './lib.mjs';

const arg = (name) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const server = arg('server') ?? join(ROOT, 'dist/server.js');
const heapDir = arg('heap') && resolve(arg('heap'));
const dashes = process.argv.indexOf('--');
const flags = dashes > 0 ? process.argv.slice(dashes + 1) : [];
if (heapDir) mkdirSync(heapDir, { recursive: true });
const nodeArgs = [...flags, ...(heapDir ? ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${heapDir}`] : [])];

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const settled = async (pid) => {
  const xs = [];
  for (let i = 0; i < 5; i++, await sleep(200)) xs.push(rss(pid));
  return xs.sort((a, b) => a - b)[2];
};

const { proc, conn } = startServer({ server, nodeArgs });
const seen = new Set();
let wake = () => {};
conn.onNotification('textDocument/publishDiagnostics', (p) => {
  seen.add(p.uri);
  wake();
});
conn.onRequest('workspace/inlayHint/refresh', () => null);
conn.listen();
await conn.sendRequest('initialize', {
  processId: process.pid,
  rootUri: null,
  capabilities: { workspace: { inlayHint: { refreshSupport: true } } },
  initializationOptions: { commands: ['backplan.runNow', 'backplan.dryRun', 'backplan.simulateRetention'] },
});
await conn.sendNotification('initialized', {});
const initialized = await settled(proc.pid);

const docs = readdirSync(join(ROOT, 'examples'))
  .filter((f) => f.endsWith('.yaml'))
  .sort()
  .map((f) => ({ uri: `file:///bench/examples/${f}`, text: readFileSync(join(ROOT, 'examples', f), 'utf8') }));
docs.push({ uri: 'file:///bench/fleet.backplan.yaml', text: generatePlan(200) });
for (const d of docs) {
  await conn.sendNotification('textDocument/didOpen', {
    textDocument: { uri: d.uri, languageId: 'backplan', version: 1, text: d.text },
  });
}
while (seen.size < docs.length) await new Promise((r) => (wake = r));
const opened = await settled(proc.pid);

const whole = (d) => ({ start: { line: 0, character: 0 }, end: { line: d.text.split('\n').length, character: 0 } });
for (const d of docs) {
  const td = { textDocument: { uri: d.uri } };
  await conn.sendRequest('textDocument/inlayHint', { ...td, range: whole(d) });
  await conn.sendRequest('textDocument/codeLens', td);
  await conn.sendRequest('textDocument/documentSymbol', td);
  const lines = d.text.split('\n').length;
  for (let line = 0; line < lines; line += Math.max(3, Math.floor(lines / 100))) {
    await conn.sendRequest('textDocument/hover', { ...td, position: { line, character: 6 } });
  }
}
// the queued projections finish in the background; then ask again, as a refresh does
await sleep(5000);
for (const d of docs)
  await conn.sendRequest('textDocument/inlayHint', { textDocument: { uri: d.uri }, range: whole(d) });
const busy = await settled(proc.pid);
// and idle for a few seconds, as a user reading the plan
await sleep(3000);
const end = await settled(proc.pid);

console.log(`server ${server}${flags.length ? ` (node ${flags.join(' ')})` : ''}, node ${process.version}`);
console.log(
  `RSS after initialize ${initialized.toFixed(1)} MB; ${docs.length} plans opened ${opened.toFixed(1)} MB; ` +
    `hovered, inlay-hinted, code-lensed ${busy.toFixed(1)} MB; idle 3 s later ${end.toFixed(1)} MB`,
);
if (heapDir) {
  const before = new Set(readdirSync(heapDir));
  proc.kill('SIGUSR2');
  let file;
  for (let i = 0; i < 600 && !file; i++, await sleep(100)) {
    file = readdirSync(heapDir).find((f) => !before.has(f) && f.endsWith('.heapsnapshot'));
  }
  // the snapshot is written on the server's main thread: once it answers, the file is complete
  await conn.sendRequest('textDocument/documentSymbol', { textDocument: { uri: docs[0].uri } });
  console.log(`heap snapshot: ${file ? join(heapDir, file) : 'none written'}`);
}
await conn.sendRequest('shutdown');
await conn.sendNotification('exit');
conn.dispose();
await sleep(200);
proc.kill();
