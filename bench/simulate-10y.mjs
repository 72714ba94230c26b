// Benchmark: ten years of 15-minute snapshots (350,400 fires) under the SPEC's "minet" tiers
// policy, pruned after every run, in Europe/Paris. Bundles the engine with esbuild on the fly
// (Node cannot import TypeScript), then times simulate() alone (fires computed beforehand) and
// simulateJob() (schedule expansion included).
//
//   node bench/simulate-10y.mjs [--runs 5] [--generic-years N]
//
// --generic-years N also times the slow path (evaluate the whole held set at every prune) over
// N years, for comparison. Prints one line per run and the median.
import { build } from 'esbuild';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const runs = opt('--runs', 5);
const genericYears = opt('--generic-years', 0);

const root = fileURLToPath(new URL('..', import.meta.url));
const entry = `
export { simulate } from './engine/simulate/simulate';
export { simulateJob } from './engine/simulate/simulate-job';
export { nativeEngine } from './engine/retention/native';
export { buildPolicy, buildModel } from './engine/plan/build-model';
export { parseSchedule } from './engine/time/schedule';
`;
const out = await build({
  stdin: { contents: entry, resolveDir: root, loader: 'ts' },
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  write: false,
  logLevel: 'warning',
});
const dir = mkdtempSync(join(tmpdir(), 'backplan-bench-'));
const file = join(dir, 'engine.mjs');
writeFileSync(file, out.outputFiles[0].text);
const E = await import(pathToFileURL(file).href);
rmSync(dir, { recursive: true, force: true });

const zone = 'Europe/Paris';
const tiers = [
  { keep: 'all', until: '15d' },
  { every: '1d', until: '1mo' },
  { every: '2d', until: '2mo' },
  { every: '1w', until: '6mo' },
  { every: '1mo' },
];
const policy = E.buildPolicy({ tiers }, ['policies', 'minet'], 'minet');
const from = Date.UTC(2025, 0, 1);
const at = Date.UTC(2035, 0, 1);
const sched = E.parseSchedule('*/15 * * * *', zone);
if (!sched.ok) throw new Error(sched.message);
const fires = sched.schedule.fires(from - 1, at, 2_000_000);

const plan = E.buildModel({
  version: 1,
  timezone: zone,
  policies: { minet: { tiers } },
  jobs: { snaps: { kind: 'zfs-snapshot', dataset: 'tank/data', schedule: '*/15 * * * *', retention: 'minet' } },
});

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};

// Wall time is what the user waits; CPU time (user + system of this process, GC threads
// included) is printed too because a busy machine inflates wall time.
function time(label, fn) {
  const wall = [];
  const cpu = [];
  let last;
  for (let i = 0; i < runs; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    last = fn();
    wall.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  const list = (xs) => xs.map((x) => x.toFixed(0)).join(' ');
  console.log(`${label}: wall ${list(wall)} ms, median ${median(wall).toFixed(0)} ms; cpu median ${median(cpu).toFixed(0)} ms`);
  return last;
}

console.log(`node ${process.version}, ${fires.length} fires, ${runs} runs`);
const r = time('simulate (fires given)', () => E.simulate({ fires, engine: E.nativeEngine, policy, timezone: zone, from, at }));
console.log(`  strategy ${r.strategy}; held at the end ${r.stats.count}, created ${r.stats.created}, removed ${r.stats.removed}`);
time('simulateJob (schedule expansion included)', () => E.simulateJob(plan, 'snaps', { from, at }));

if (genericYears > 0) {
  const to = Date.UTC(2025 + genericYears, 0, 1);
  const some = fires.filter((t) => t <= to);
  const g = E.simulate({ fires: some, engine: E.nativeEngine, policy, timezone: zone, from, at: to, strategy: 'generic' });
  const f = E.simulate({ fires: some, engine: E.nativeEngine, policy, timezone: zone, from, at: to });
  console.log(`generic over ${genericYears}y: same result as incremental: ${JSON.stringify(g.snapshots) === JSON.stringify(f.snapshots) && JSON.stringify(g.stats) === JSON.stringify(f.stats)}`);
  time(`simulate generic, ${genericYears}y (${some.length} fires)`, () =>
    E.simulate({ fires: some, engine: E.nativeEngine, policy, timezone: zone, from, at: to, strategy: 'generic' }),
  );
}
