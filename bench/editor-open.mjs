// Opening the 200-job plan in a fresh language server over stdio, as an editor does: the server's
// start (spawn → `initialize` answered), then didOpen → the first publishDiagnostics, and → the
// inlay hints of a screen of jobs (60 lines) answered. Each run is a new server process; with
// several --server files the runs alternate between them (the same load for each).
//   npm run build && node bench/editor-open.mjs [--runs N] [--server FILE]... [--node-arg ARG]...
import { generatePlan } from './gen-plan.mjs';
import { cpuMs, fmt, ROOT, startServer, stats } from './lib.mjs';
import { join } from 'node:path';

const values = (name) => process.argv.flatMap((a, i) => (a === `--${name}` ? [process.argv[i + 1]] : []));
const runs = Number(values('runs')[0] ?? 10);
const servers = values('server').length > 0 ? values('server') : [join(ROOT, 'dist/server.js')];
const nodeArgs = values('node-arg');
const text = generatePlan(200);
const uri = 'file:///bench/fleet.backplan.yaml';

async function once(server) {
  const t0 = performance.now();
  const { proc, conn } = startServer({ server, nodeArgs });
  let diagnosed;
  const first = new Promise((res) => (diagnosed = res));
  conn.onNotification('textDocument/publishDiagnostics', (p) => {
    if (p.uri === uri) diagnosed({ at: performance.now(), cpu: cpuMs(proc.pid), n: p.diagnostics.length });
  });
  conn.onRequest('workspace/inlayHint/refresh', () => null);
  conn.listen();
  await conn.sendRequest('initialize', {
    processId: process.pid,
    rootUri: null,
    capabilities: { workspace: { inlayHint: { refreshSupport: true } } },
  });
  const initialized = performance.now();
  const startCpu = cpuMs(proc.pid);
  await conn.sendNotification('initialized', {});
  const t1 = performance.now();
  await conn.sendNotification('textDocument/didOpen', {
    textDocument: { uri, languageId: 'backplan', version: 1, text },
  });
  // a screen of jobs (the first 54 lines are hosts, storage and policies: no projections)
  const screen = { start: { line: 54, character: 0 }, end: { line: 114, character: 0 } };
  const hints = await conn.sendRequest('textDocument/inlayHint', { textDocument: { uri }, range: screen });
  const inlay = performance.now();
  const inlayCpu = cpuMs(proc.pid);
  const d = await first;
  await conn.sendRequest('shutdown').catch(() => undefined);
  await conn.sendNotification('exit').catch(() => undefined);
  await new Promise((res) => proc.once('exit', res));
  conn.dispose();
  return {
    start: initialized - t0,
    startCpu,
    diagnostics: d.at - t1,
    diagnosticsCpu: d.cpu - startCpu,
    inlay: Math.max(inlay, d.at) - t1,
    inlayCpu: Math.max(inlayCpu, d.cpu) - startCpu,
    n: d.n,
    hints: hints?.length ?? 0,
  };
}

const results = new Map(servers.map((s) => [s, []]));
for (let i = 0; i < runs; i++)
  for (const s of i % 2 ? [...servers].reverse() : servers) results.get(s).push(await once(s));
console.log(
  `open the 200-job plan (${text.split('\n').length} lines), ${runs} fresh servers each, ` +
    `node ${process.version} ${nodeArgs.join(' ')}`,
);
for (const [s, rs] of results) {
  const line = (k) => {
    const st = stats(rs.map((r) => r[k]));
    return `median ${fmt(st.median)} (min ${fmt(Math.min(...rs.map((r) => r[k])))}, p95 ${fmt(st.p95)})`;
  };
  console.log(`${s}`);
  // wall time, and the server's own CPU time (on a loaded machine wall time is mostly waiting)
  console.log(`  spawn → initialize answered:           ${line('start')}; CPU ${line('startCpu')}`);
  console.log(`  didOpen → first diagnostics:           ${line('diagnostics')}; CPU ${line('diagnosticsCpu')}`);
  console.log(`  didOpen → diagnostics + inlay (60 ln): ${line('inlay')}; CPU ${line('inlayCpu')}`);
  console.log(`  (${rs[0].n} diagnostics, ${rs[0].hints} inlay hints)`);
}
