// How often one `simulate` re-derives a job's inputs: counts the entries into the functions that
// parse a schedule, read a policy's keep mapping or durations, and simulate a job, for one
// `backplan simulate --job X` and for the whole 200-job fleet of bench/simulate-fleet.mjs (and
// bench/gen-plan.mjs's plan), in process. The engine is bundled with esbuild on the fly with a
// counter put at the top of each counted function (the source on disk is not changed).
//   node bench/count-resolve.mjs [--horizon 1y]
import { build } from 'esbuild';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from './lib.mjs';
import { generateFleet } from './simulate-fleet.mjs';
import { generatePlan } from './gen-plan.mjs';

/** file (from the root) → the functions counted in it. */
const COUNTED = {
  'engine/time/schedule.ts': ['parseSchedule'],
  'engine/retention/common.ts': ['keepOf', 'policyDuration'],
  'engine/simulate/simulate-job.ts': ['simulateJob', 'simulateJobWith', 'simulateCopyJob', 'replicaSide'],
  'engine/plan/effective-schedule.ts': ['effectiveSchedule'],
  'engine/retention/index.ts': ['engineForJob'],
  'engine/plan/build-model.ts': ['jobPolicy', 'jobZone'],
};

const counting = {
  name: 'count-calls',
  setup(b) {
    b.onLoad({ filter: /\.ts$/ }, (args) => {
      const file = args.path.slice(ROOT.length).replace(/\\/g, '/').replace(/^\//, '');
      let text = readFileSync(args.path, 'utf8');
      for (const name of COUNTED[file] ?? []) {
        const re = new RegExp(`(^|\\n)((?:export )?function ${name}(?:<[^>(]*>)?\\([^]*?\\)[^{;]*\\{)`);
        if (!re.test(text)) throw new Error(`${file}: no function ${name}`);
        text = text.replace(re, (_, nl, head) => `${nl}${head} (globalThis as any).__counted('${name}');`);
      }
      return { contents: text, loader: 'ts' };
    });
  },
};

const out = join(mkdtempSync(join(tmpdir(), 'backplan-count-')), 'bundle.mjs');
await build({
  stdin: {
    contents: [
      "export { buildModel } from './engine/plan/build-model';",
      "export { parsePlan } from './engine/plan/parse';",
      "export { simulatePlan } from './engine/simulate/simulate-job';",
    ].join('\n'),
    resolveDir: ROOT,
    loader: 'ts',
  },
  bundle: true, platform: 'node', format: 'esm', outfile: out, logLevel: 'error', plugins: [counting],
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
});
const counts = new Map();
globalThis.__counted = (name) => counts.set(name, (counts.get(name) ?? 0) + 1);
// A fresh instance of the modules for each count (as each `backplan simulate` is a new process).
let instance = 0;
const fresh = () => import(`${pathToFileURL(out).href}?${instance++}`);

const horizonAt = process.argv.indexOf('--horizon');
const horizon = horizonAt >= 0 ? process.argv[horizonAt + 1] : '1y';
const from = Date.parse('2026-01-01T00:00:00Z');

async function count(label, text, opts) {
  const m = await fresh();
  const plan = m.buildModel(m.parsePlan(text).value);
  counts.clear();
  const r = m.simulatePlan(plan, { from, horizon, ...opts });
  const row = Object.values(COUNTED).flat().map((n) => `${n} ${counts.get(n) ?? 0}`).join(', ');
  console.log(`${label} (${r.jobs.length} simulated): ${row}`);
}

const fleet = generateFleet(200);
for (const job of ['snap-0', 'send-0', 'restic-0']) await count(`fleet --job ${job}`, fleet, { job });
await count('fleet, every job', fleet, {});
await count('gen-plan, every job', generatePlan(200), {});
