// Extension activation time without an editor: dist/extension.js is required with a stand-in for
// the `vscode` module (every API a do-nothing that returns another stand-in), then `activate` is
// awaited, which includes starting the language server (dist/server.js over stdio) and its
// `initialize` handshake, as in the editor. Each run is a fresh Node process, so `require` is cold.
//   npm run build && node bench/activate.mjs [--runs N] [--dist DIR]
import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { ROOT } from './lib.mjs';

const arg = (name, d) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : d;
};

/** One cold activation, in its own process: prints {requireMs, activateMs, started, log}. */
const CHILD = String.raw`
const Module = require('node:module');
const { join } = require('node:path');
const dist = process.argv[1];
const log = [];
// every stand-in keeps what is assigned to it (a status item's text, a handler) and answers any
// other name with a new stand-in; awaiting one does not hang (no \`then\`)
const protoStub = stub(Function.prototype);
function stub(proto = undefined) {
  const store = new Map();
  return new Proxy(function () {}, {
    get(target, key) {
      if (store.has(key)) return store.get(key);
      if (key === 'then' || typeof key === 'symbol') return undefined;
      let v;
      if (key === 'isTrusted') v = true;
      else if (key === 'version') v = '1.100.3';
      else if (key === 'asAbsolutePath') v = (p) => join(dist, '..', p);
      else if (key === 'extensionPath') v = join(dist, '..');
      else if (key === 'packageJSON') v = { version: '0.0.0' };
      else if (key === 'appendLine') v = (l) => log.push(l);
      else if (key === 'subscriptions') v = [];
      else if (key === 'get') v = (_k, d) => d;
      else if (key === 'fsPath' || key === 'path') v = dist;
      else v = stub();
      store.set(key, v);
      return v;
    },
    set(target, key, value) {
      store.set(key, value);
      return true;
    },
    apply: () => stub(),
    construct: () => stub(),
    // esbuild's ESM interop copies the module's own keys onto an object whose prototype is the
    // module's: a stand-in prototype answers every name that was not copied
    getPrototypeOf: () => proto ?? protoStub,
  });
}
const vscode = stub();
const load = Module._load;
Module._load = function (request, ...rest) {
  return request === 'vscode' ? vscode : load.call(this, request, ...rest);
};
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const c0 = cpu();
const t0 = performance.now();
const ext = require(join(dist, 'extension.js'));
const t1 = performance.now();
const c1 = cpu();
ext.activate(stub()).then(async (r) => {
  const t2 = performance.now();
  const c2 = cpu();
  const started = !log.some((l) => /did not start/.test(l));
  const times = { requireMs: t1 - t0, activateMs: t2 - t1, requireCpu: c1 - c0, activateCpu: c2 - c1 };
  const lines = log.filter((l) => /activated|did not start/.test(l));
  process.stdout.write(JSON.stringify({ ...times, started, log: lines }));
  await Promise.race([ext.deactivate(), new Promise((res) => setTimeout(res, 2000))]);
  process.exit(0);
}, (e) => { process.stdout.write(JSON.stringify({ error: String(e && e.stack || e) })); process.exit(1); });
`;

const runs = Number(arg('runs', 10));
const dist = resolve(arg('dist', join(ROOT, 'dist')));
const results = [];
for (let i = 0; i < runs; i++) {
  const out = execFileSync(process.execPath, ['-e', CHILD, dist], { encoding: 'utf8', timeout: 60_000 });
  results.push(JSON.parse(out));
}
if (results[0].error) throw new Error(results[0].error);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const f = (xs) =>
  `median ${median(xs).toFixed(1)} ms (min ${Math.min(...xs).toFixed(1)}, max ${Math.max(...xs).toFixed(1)})`;
console.log(`activation of ${join(dist, 'extension.js')}, ${runs} cold processes, node ${process.version}`);
console.log(`  require(extension.js):            ${f(results.map((r) => r.requireMs))}`);
console.log(`  activate() incl. server start:    ${f(results.map((r) => r.activateMs))}`);
console.log(`  require + activate:               ${f(results.map((r) => r.requireMs + r.activateMs))}`);
// the extension host's own CPU (the server's start is in another process): what load does not inflate
console.log(`  CPU of require:                   ${f(results.map((r) => r.requireCpu))}`);
console.log(`  CPU of activate (host side):      ${f(results.map((r) => r.activateCpu))}`);
console.log(
  `  language server started: ${results.every((r) => r.started) ? 'yes, every run' : 'NO'}; ` +
    results[0].log.join(' | '),
);
