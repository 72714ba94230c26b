#!/usr/bin/env node
'use strict';
// dist/cli.js: the bundled CLI is kept below as line comments (so Node only skims it) and compiled
// here with the V8 code cache made by `npm run build` (dist/cli.js.cache). Nothing is written at
// run time; a missing, foreign or rejected cache means a plain compile, with the same result.
const fs = require('fs');
const vm = require('vm');
const ID = '@BUNDLE_ID@';
const text = fs.readFileSync(__filename, 'utf8');
const mark = `\n//${ID}\n`;
const at = text.indexOf(mark) + mark.length;
const head = '(function (exports, require, module, __filename, __dirname) {';
const source = `${head}\n${text.slice(at + 2).replace(/\n\/\//g, '\n')}\n})`;
let cachedData;
try {
  const cache = fs.readFileSync(`${__filename}.cache`);
  if (cache.toString('latin1', 0, ID.length) === ID) cachedData = cache.subarray(ID.length);
} catch {
  // no cache beside this file (a copy of it alone): compile from source
}
// lineOffset: stack traces give the bundle's line numbers in this file.
const lineOffset = text.slice(0, at).split('\n').length - 2;
const script = new vm.Script(source, { filename: __filename, lineOffset, cachedData });
script.runInThisContext()(exports, require, module, __filename, __dirname);
