// 500 random duplicity remove commands against `backplan retain --engine duplicity` (issue #15):
// the 100-case CI test (test/integration/retain-vs-duplicity.test.ts) with more cases and a seed
// of your choice. Prints the agreement and the time taken.
//   node bench/retain-duplicity.mjs [CASES] [SEED]
// Recorded (Debian 12, duplicity 0.8.22, 2 shared cores, other test suites running):
//   2026-12-03  500 cases, seed 20261203: 100 % agreement in 315 s (an earlier run on a busier
//   machine needed 11 min and met the old fixed 10-minute test limit: no disagreement)
import { spawnSync } from 'node:child_process';

const cases = process.argv[2] ?? '500';
const seed = process.argv[3] ?? '152026';
const t0 = performance.now();
const r = spawnSync('npx', ['vitest', 'run', 'test/integration/retain-vs-duplicity.test.ts'], {
  env: { ...process.env, BACKPLAN_DUPLICITY_CASES: cases, BACKPLAN_DUPLICITY_SEED: seed },
  encoding: 'utf8',
});
const s = ((performance.now() - t0) / 1000).toFixed(0);
const passed = r.status === 0;
console.log(`${cases} cases, seed ${seed}: ${passed ? '100 % agreement' : 'DISAGREEMENT (see below)'} in ${s} s`);
if (!passed) console.log(r.stdout.slice(-4000), r.stderr.slice(-2000));
process.exit(r.status ?? 1);
