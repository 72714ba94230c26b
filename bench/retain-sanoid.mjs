// 500 random sanoid policies on random snapshot lists against `backplan retain --engine sanoid`
// (issue #15): the 100-case CI test (test/integration/retain-vs-sanoid.test.ts, sanoid's own
// readonly prune under a frozen faked clock) with more cases and a seed of your choice. Prints the
// agreement and the time taken.
//   node bench/retain-sanoid.mjs [CASES] [SEED]
import { spawnSync } from 'node:child_process';

const cases = process.argv[2] ?? '500';
const seed = process.argv[3] ?? '152026';
const t0 = performance.now();
const r = spawnSync('npx', ['vitest', 'run', 'test/integration/retain-vs-sanoid.test.ts'], {
  env: { ...process.env, BACKPLAN_SANOID_CASES: cases, BACKPLAN_SANOID_SEED: seed },
  encoding: 'utf8',
});
const s = ((performance.now() - t0) / 1000).toFixed(0);
const passed = r.status === 0;
console.log(`${cases} cases, seed ${seed}: ${passed ? '100 % agreement' : 'DISAGREEMENT (see below)'} in ${s} s`);
if (!passed) console.log(r.stdout.slice(-4000), r.stderr.slice(-2000));
process.exit(r.status ?? 1);
