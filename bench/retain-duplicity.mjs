// 500 random duplicity remove commands against `backplan retain --engine duplicity` (issue #15):
// the 100-case CI test (test/integration/retain-vs-duplicity.test.ts) with more cases and a seed
// of your choice. Prints the agreement and the time taken.
//   node bench/retain-duplicity.mjs [CASES] [SEED]
// Recorded (Debian 12, duplicity 0.8.22, 2 shared cores, other test suites running):
//   2026-12-03  500 cases, seed 20261203: 100 % agreement in 315 s (an earlier run on a busier
//   machine needed 11 min and met the old fixed 10-minute test limit: no disagreement)
import { runDifferentialBench } from './lib.mjs';

runDifferentialBench('test/integration/retain-vs-duplicity.test.ts', 'DUPLICITY');
