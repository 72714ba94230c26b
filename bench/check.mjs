// `backplan check` in-process on a generated 200-job (~3,000-line) plan: median and p95 of
// the whole pipeline (parse, schema, every rule). Target: median ≤ 20 ms.
//   node bench/check.mjs [RUNS]
import { generatePlan } from './gen-plan.mjs';
import { fmt, importTs, stats } from './lib.mjs';

const runs = Number(process.argv[2] ?? 100);
const { checkText } = await importTs('engine/check.ts');
const text = generatePlan(200);
const now = Date.parse('2026-11-22T00:00:00Z');
for (let i = 0; i < 10; i++) checkText(text, { now });
const samples = [];
let findings = 0;
for (let i = 0; i < runs; i++) {
  const t0 = performance.now();
  findings = checkText(text, { now }).findings.length;
  samples.push(performance.now() - t0);
}
const s = stats(samples);
console.log(`check, 200 jobs / ${text.split('\n').length} lines, ${findings} findings, ${s.n} runs: median ${fmt(s.median)}, p95 ${fmt(s.p95)}, min ${fmt(s.min)}`);
