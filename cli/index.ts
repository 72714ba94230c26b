#!/usr/bin/env node
// Entry point of the bundled `backplan` binary.
import { isMainThread, workerData } from 'node:worker_threads';
import { main } from './main';
import { guardPipes } from './pipes';

if (!isMainThread && (workerData as { backplanSimulateWorker?: unknown } | null)?.backplanSimulateWorker === true) {
  // A worker thread of `backplan simulate` (simulate-threads.ts) running this same bundle: loaded
  // only there, so that no other command pays for the simulation's code.
  void import('./simulate-threads').then((m) => m.runSimulateWorker());
} else {
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
}
