#!/usr/bin/env node
// Entry point of the bundled `backplan` binary.
import { main } from './main';
import { guardPipes } from './pipes';

guardPipes();
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`backplan: internal error: ${String((e as Error)?.message ?? e)}\n`);
    process.exitCode = 2;
  },
);
