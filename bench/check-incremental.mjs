// The incremental check of one keystroke on bench/gen-plan.mjs's 200-job plan, in process: each
// edit is checked from the previous version's result (engine/check-incremental.ts), side by side
// with `checkText` of the same text, alternating who goes first. Two edits: one character typed in
// a job's description, and a schedule's minute changed. Target: ≤ 20 ms.
//   node bench/check-incremental.mjs [EDITS]
import { generatePlan } from './gen-plan.mjs';
import { fmt, importTs, stats } from './lib.mjs';

const EDITS = Number(process.argv[2] ?? 200);
// CPU time of the process (user + system, GC threads included): less skewed than wall time on a loaded machine
const cpuMs = (c0) => {
  const d = process.cpuUsage(c0);
  return (d.user + d.system) / 1000;
};
const { checkText, checkIncremental } = await importTs('bench/check-incremental-entry.ts');
const base = generatePlan(200);
const now = Date.parse('2026-11-22T00:00:00Z');

const description = (i) => {
  const marker = `  job-${(i * 13) % 199}:\n    description: "`;
  const at = base.indexOf(marker) + marker.length;
  return base.slice(0, at) + 'x'.repeat((i % 3) + 1) + base.slice(at);
};
const schedule = (i) => {
  const start = base.indexOf(`  job-${(i * 7) % 199}:\n`);
  const at = base.indexOf('schedule: "', start) + 'schedule: "'.length;
  const end = base.indexOf(' ', at);
  return base.slice(0, at) + String((Number(base.slice(at, end)) + 1 + (i % 50)) % 60) + base.slice(end);
};

// every edit is one keystroke away from the base text, whose check is the previous result
const prev = checkText(base, { now });
for (let i = 0; i < 10; i++) checkIncremental(prev, description(i), { now });
for (const [name, edit] of [
  ['typing in a description', description],
  ['changing a schedule', schedule],
]) {
  const inc = [];
  const full = [];
  const incCpu = [];
  const fullCpu = [];
  let reparsed = 0;
  for (let i = 0; i < EDITS; i++) {
    const text = edit(i);
    const timeFull = () => {
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      checkText(text, { now });
      full.push(performance.now() - t0);
      fullCpu.push(cpuMs(c0));
    };
    if (i % 2 === 1) timeFull();
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const r = checkIncremental(prev, text, { now });
    inc.push(performance.now() - t0);
    incCpu.push(cpuMs(c0));
    if (i % 2 === 0) timeFull();
    if (r.incremental) reparsed++;
  }
  const si = stats(inc);
  const sf = stats(full);
  console.log(`${name} (${EDITS} edits, ${reparsed} re-parsed one entry)`);
  const ci = stats(incCpu);
  const cf = stats(fullCpu);
  console.log(
    `  incremental  median ${fmt(si.median)}, p95 ${fmt(si.p95)}, min ${fmt(si.min)}; CPU median ${fmt(ci.median)}`,
  );
  console.log(
    `  checkText    median ${fmt(sf.median)}, p95 ${fmt(sf.p95)}, min ${fmt(sf.min)}; CPU median ${fmt(cf.median)}`,
  );
}
