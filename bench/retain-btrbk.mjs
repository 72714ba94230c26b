// 500 random btrbk policies (snapshot_preserve* and target_preserve*) on random snapshot and backup
// lists against `backplan retain --engine btrbk` (issue #15): the 100-case CI test
// (test/integration/retain-vs-btrbk.test.ts: btrbk 0.32.5's own `-n -S prune` on a btrfs loop
// file, the latest common pair received for real) with more cases and a seed of your choice.
// Needs root (losetup, mount). Prints the agreement and the time taken.
//   node bench/retain-btrbk.mjs [CASES] [SEED]
// Recorded (Debian, btrbk 0.32.5, 2 shared cores, load 13-22 from other suites):
//   2026-12-07  500 cases, seed 152026: 100 % agreement in 1117 s (bench/README.md)
import { spawnSync } from 'node:child_process';

const cases = process.argv[2] ?? '500';
const seed = process.argv[3] ?? '152026';
const t0 = performance.now();
const r = spawnSync('npx', ['vitest', 'run', 'test/integration/retain-vs-btrbk.test.ts'], {
  env: { ...process.env, BACKPLAN_BTRBK_CASES: cases, BACKPLAN_BTRBK_SEED: seed },
  encoding: 'utf8',
});
const s = ((performance.now() - t0) / 1000).toFixed(0);
const passed = r.status === 0 && /1 passed/.test(r.stdout);
const verdict = passed ? '100 % agreement' : 'DISAGREEMENT or not run (see below)';
console.log(`${cases} cases, seed ${seed}: ${verdict} in ${s} s`);
if (!passed) console.log(r.stdout.slice(-4000), r.stderr.slice(-2000));
process.exit(passed ? 0 : 1);
