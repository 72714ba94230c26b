// Run by scripts/build.mjs: compiles dist/cli.js's bundle as its loader does, runs the CLI on the
// warm-up commands given (so the functions they call are compiled too) and writes V8's code cache
// of all that to dist/cli.js.cache. Usage: node scripts/code-cache.cjs CLI 'ARGS…' ['ARGS…' …]
'use strict';
const fs = require('fs');
const vm = require('vm');
const Module = require('module');
const [cli, ...runs] = process.argv.slice(2);
const text = fs.readFileSync(cli, 'utf8');
const ID = /const ID = '([^']+)'/.exec(text)[1];
const mark = `\n//${ID}\n`;
const at = text.indexOf(mark) + mark.length;
const head = '(function (exports, require, module, __filename, __dirname) {';
const source = `${head}\n${text.slice(at + 2).replace(/\n\/\//g, '\n')}\n})`;
const lineOffset = text.slice(0, at).split('\n').length - 2;
const script = new vm.Script(source, { filename: cli, lineOffset });
const fn = script.runInThisContext();
const mod = new Module(cli, null);
mod.filename = cli;
mod.paths = Module._nodeModulePaths(require('path').dirname(cli));
const req = (id) => mod.require(id);
// One run after the other: the next starts when the last has nothing left to do.
let next = 0;
const start = () => {
  process.argv = [process.argv[0], cli, ...JSON.parse(runs[next++])];
  fn(mod.exports, req, mod, cli, require('path').dirname(cli));
};
process.on('beforeExit', () => {
  if (next < runs.length) start();
});
// The last run may end in microtasks alone, with no second 'beforeExit': write at 'exit'.
process.on('exit', () => {
  if (next < runs.length) return;
  fs.writeFileSync(`${cli}.cache`, Buffer.concat([Buffer.from(ID, 'latin1'), script.createCachedData()]));
  process.exitCode = 0;
});
start();
