// A cold `backplan check` (a new Node process, the bundled CLI) against borgmatic's validator on
// an equivalent small configuration (bench/peers/): what a user or a CI job waits for.
// Peer: Debian's borgmatic 1.7.7 (`apt-get install borgmatic`), `validate-borgmatic-config -c FILE`.
//   node scripts/build.mjs && node bench/check-cold.mjs [RUNS]
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fmt, ROOT, stats } from './lib.mjs';

const runs = Number(process.argv[2] ?? 15);
function time(cmd, args) {
  const samples = [];
  for (let i = 0; i < runs + 2; i++) {
    const t0 = performance.now();
    const r = spawnSync(cmd, args, { cwd: ROOT, encoding: 'utf8' });
    const ms = performance.now() - t0;
    if (r.error) throw r.error;
    if (r.status !== 0 && r.status !== 1) throw new Error(`${cmd} exited ${r.status}: ${r.stderr}`);
    if (i >= 2) samples.push(ms); // the first two warm the page cache
  }
  return stats(samples);
}
const ours = time(process.execPath, [join(ROOT, 'dist/cli.js'), 'check', 'bench/peers/small.backplan.yaml']);
const peer = time('validate-borgmatic-config', ['-c', 'bench/peers/borgmatic.yaml']);
const node = time(process.execPath, ['-e', '0']);
console.log(`cold check, ${runs} runs each (median): backplan check ${fmt(ours.median)}; validate-borgmatic-config ${fmt(peer.median)}; ratio ${(ours.median / peer.median).toFixed(2)}× (bare \`node -e 0\`: ${fmt(node.median)})`);
