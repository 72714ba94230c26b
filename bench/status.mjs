// `backplan status` on bench/gen-plan.mjs's 200-job plan with 10,000 journalled runs (50 per
// job, one journal per run as `backplan run --job J` leaves them): the bundled CLI in a new
// process, as a monitoring system calls it. The first call reads every journal and writes the
// state directory's index; the following ones read the index. Target ≤ 0.3 s.
// Then, in process: what publishing the metrics adds to a run (read the history through the
// index, render the metrics of 200 jobs with prom-client, write the textfile atomically with
// fsync). Target ≤ 20 ms.
//   node scripts/build.mjs && node bench/status.mjs [RUNS]
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generatePlan } from './gen-plan.mjs';
import { fmt, importTs, ROOT, stats } from './lib.mjs';

const runs = Number(process.argv[2] ?? 15);
const JOBS = 200;
const RUNS = 10_000;
const dir = mkdtempSync(join(tmpdir(), 'backplan-bench-status-'));
const plan = join(dir, 'fleet.backplan.yaml');
writeFileSync(plan, generatePlan(JOBS).replace('version: 1\n', `version: 1\nmonitoring: { textfile: ${join(dir, 'backplan.prom')} }\n`));
const state = join(dir, 'state');
mkdirSync(join(state, 'runs'), { recursive: true });
const now = Date.now();
for (let i = 0; i < RUNS; i++) {
  const job = `job-${i % JOBS}`;
  const t = now - (RUNS - i) * 90_000;
  const iso = (ms) => new Date(ms).toISOString();
  const run = `${iso(t).replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}-4242-${i.toString(16).padStart(4, '0')}`;
  const ok = i % 17 !== 0;
  const lines = [
    { t: iso(t), run, type: 'run-start', command: 'run', plan, jobs: [job], pid: 4242, host: 'bench' },
    { t: iso(t), run, type: 'job-start', job },
    { t: iso(t), run, type: 'step-start', job, step: `${job}/backup`, phase: 'backup', description: 'backup', display: 'tool --flag' },
    { t: iso(t + 40_000), run, type: 'step-end', job, step: `${job}/backup`, status: ok ? 'ok' : 'failed', ms: 40_000, detail: { output: `/srv/${job}/x`, bytes: 1_000_000 + i } },
    { t: iso(t + 41_000), run, type: 'step-start', job, step: `${job}/prune`, phase: 'prune', description: 'prune', display: 'prune' },
    { t: iso(t + 42_000), run, type: 'step-end', job, step: `${job}/prune`, status: 'ok', ms: 1000, detail: { kept: [{ name: 'a', reasons: ['last 1'] }, { name: 'b', reasons: ['daily 1'] }], removed: [] } },
    { t: iso(t + 42_000), run, type: 'job-end', job, status: ok ? 'ok' : 'failed' },
    { t: iso(t + 42_000), run, type: 'run-end', status: ok ? 'ok' : 'failed', ms: 42_000 },
  ];
  writeFileSync(join(state, 'runs', `${run}.jsonl`), lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
}

const CLI = join(ROOT, 'dist/cli.js');
const call = () => {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [CLI, 'status', plan, '--state-dir', state, '--format', 'json'], { encoding: 'utf8', maxBuffer: 1 << 26 });
  const ms = performance.now() - t0;
  if (r.status !== 0 && r.status !== 1) throw new Error(`status failed: ${r.stderr}`);
  return { ms, jobs: JSON.parse(r.stdout).jobs.length };
};
const first = call();
const samples = [];
for (let i = 0; i < runs; i++) samples.push(call().ms);
const s = stats(samples);
const bare = stats(Array.from({ length: 5 }, () => {
  const t0 = performance.now();
  execFileSync(process.execPath, ['-e', '0']);
  return performance.now() - t0;
}));
console.log(`status, ${JOBS} jobs, ${RUNS} journals: first call (reads every journal, writes the index) ${fmt(first.ms)}; then ${s.n} calls: median ${fmt(s.median)}, p95 ${fmt(s.p95)}, min ${fmt(s.min)} (bare node -e 0: ${fmt(bare.median)})`);

// In process: what a run pays for its metrics.
const { publishMetrics } = await importTs('engine/ops/metrics/publish.ts');
const { buildModel } = await importTs('engine/plan/build-model.ts');
const { parsePlan } = await importTs('engine/plan/parse.ts');
const model = buildModel(parsePlan(generatePlan(JOBS).replace('version: 1\n', `version: 1\nmonitoring: { textfile: ${join(dir, 'backplan.prom')} }\n`)).value);
for (let i = 0; i < 5; i++) await publishMetrics(model, plan, state);
const pub = [];
for (let i = 0; i < 30; i++) {
  const t0 = performance.now();
  const r = await publishMetrics(model, plan, state);
  pub.push(performance.now() - t0);
  if (r.warnings.length || !r.wrote) throw new Error(r.warnings.join('; '));
}
const p = stats(pub);
console.log(`metrics after a run (history from the index, 200 jobs rendered, textfile written with fsync): median ${fmt(p.median)}, p95 ${fmt(p.p95)}, min ${fmt(p.min)}`);
if (!process.env.KEEP) rmSync(dir, { recursive: true, force: true }); else console.log(dir);
