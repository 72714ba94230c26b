// 500 random btrbk policies (snapshot_preserve* and target_preserve*) on random snapshot and backup
// lists (names in timestamp_format short, long or long-iso, with btrbk's `_N`) against
// `backplan retain --engine btrbk` (issue #15): the 100-case CI test
// (test/integration/retain-vs-btrbk.test.ts: btrbk 0.32.5's own `-n -S prune` on a btrfs loop
// file, the latest common pair received for real) with more cases and a seed of your choice.
// Needs root (losetup, mount). Prints the agreement and the time taken.
//   node bench/retain-btrbk.mjs [CASES] [SEED]
// Recorded (Debian, btrbk 0.32.5, 2 shared cores, load 13-22 from other suites):
//   2026-12-07  500 cases, seed 152026: 100 % agreement in 1117 s (bench/README.md)
//   2026-12-07  the same with names in timestamp_format short/long/long-iso and `_N`: 100 % in 831 s
import { runDifferentialBench } from './lib.mjs';

runDifferentialBench('test/integration/retain-vs-btrbk.test.ts', 'BTRBK');
