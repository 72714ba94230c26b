// `backplan runbook` on bench/gen-plan.mjs's 200-job plan (20 hosts): the bundled CLI in a new
// process, as an operator runs it (read and check the plan, the chains, a chapter per host with
// every restore step's tool argv, Markdown out), then in process the runbook alone (build +
// render, the plan already loaded). Target ≤ 0.5 s for the command.
//   node scripts/build.mjs && node bench/runbook.mjs [RUNS]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { generatePlan } from './gen-plan.mjs';
import { fmt, importTs, ROOT, stats } from './lib.mjs';

const runs = Number(process.argv[2] ?? 15);
const dir = mkdtempSync(join(tmpdir(), 'backplan-bench-runbook-'));
const plan = join(dir, 'fleet.backplan.yaml');
// The generated plan checks without error (runbook refuses a plan with errors, as every command
// that acts on a plan does).
writeFileSync(plan, generatePlan(200));
const cli = join(ROOT, 'dist/cli.js');
const args = [cli, 'runbook', plan, '--at', '2026-06-01T00:00:00Z'];

const first = spawnSync(process.execPath, args, { encoding: 'utf8' });
if (first.status !== 0) throw new Error(`runbook failed (${first.status}): ${first.stderr}`);
const samples = [];
for (let i = 0; i < runs; i++) {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { encoding: 'utf8' });
  samples.push(performance.now() - t0);
  if (r.status !== 0) throw new Error(r.stderr);
}
const s = stats(samples);
console.log(`backplan runbook, 200 jobs, new process: median ${fmt(s.median)}, p95 ${fmt(s.p95)}, min ${fmt(s.min)} (${s.n} runs; ${first.stdout.length} bytes, ${first.stdout.split('\n').length} lines)`);

const m = await importTs('bench/runbook-entry.ts');
const loaded = m.loadPlan(plan);
const inproc = [];
for (let i = 0; i < runs + 5; i++) {
  const t0 = performance.now();
  m.renderMarkdown(m.buildRunbook({ plan: loaded.model, planPath: plan, now: Date.parse('2026-06-01T00:00:00Z'), fixed: true, baseDir: dirname(plan) }));
  if (i >= 5) inproc.push(performance.now() - t0);
}
const p = stats(inproc);
console.log(`runbook build + Markdown in process (plan loaded): median ${fmt(p.median)}, p95 ${fmt(p.p95)}, min ${fmt(p.min)}`);
