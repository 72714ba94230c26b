// 500 random sanoid policies on random snapshot lists against `backplan retain --engine sanoid`
// (issue #15): the 100-case CI test (test/integration/retain-vs-sanoid.test.ts, sanoid's own
// readonly prune under a frozen faked clock) with more cases and a seed of your choice. Prints the
// agreement and the time taken.
//   node bench/retain-sanoid.mjs [CASES] [SEED]
import { runDifferentialBench } from './lib.mjs';

runDifferentialBench('test/integration/retain-vs-sanoid.test.ts', 'SANOID');
