// `backplan simulate` on worker threads (cli/simulate-threads.ts) gives the single thread's result,
// byte for byte: on bench/simulate-fleet.mjs's 200-job fleet and on the example plans, with the
// workers running a bundle of the CLI as they do in dist/cli.js.
import { buildSync } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simulatePlanThreaded, threadsFor, type ThreadsReport } from '../../../cli/simulate-threads';
import { buildModel } from '../../../engine/plan/build-model';
import { parsePlan } from '../../../engine/plan/parse';
import { simulatePlan, type SimulatePlanOptions } from '../../../engine/simulate/simulate-job';

const ROOT = resolve(__dirname, '../../..');
let dir: string;
let bundle: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'backplan-threads-'));
  bundle = join(dir, 'cli.js');
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  buildSync({
    entryPoints: [join(ROOT, 'cli/index.ts')],
    outfile: bundle,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    define: { __BACKPLAN_VERSION__: JSON.stringify(pkg.version) },
    logLevel: 'warning',
  });
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  delete process.env.BACKPLAN_SIMULATE_THREADS;
});

const model = (text: string) => buildModel(parsePlan(text).value);

async function both(text: string, opts: SimulatePlanOptions, threads: number): Promise<ThreadsReport> {
  const plan = model(text);
  const single = JSON.stringify(simulatePlan(plan, opts), null, 2);
  process.env.BACKPLAN_SIMULATE_THREADS = String(threads);
  const report: ThreadsReport = { threads: 0, groups: 0, byWorkers: 0 };
  // A model of its own: nothing cached on the first one's objects is reused.
  const threaded = JSON.stringify(await simulatePlanThreaded(model(text), opts, bundle, report), null, 2);
  expect(threaded).toBe(single);
  return report;
}

describe('simulate on worker threads', () => {
  it('gives the single thread result on the 200-job fleet over a year', async () => {
    const print = [join(ROOT, 'bench/simulate-fleet.mjs'), '--print'];
    const fleet = execFileSync(process.execPath, print, { encoding: 'utf8' });
    const report = await both(fleet, { from: Date.parse('2026-01-01T00:00:00Z'), horizon: '1y' }, 2);
    expect(report.threads).toBe(2);
    expect(report.groups).toBe(160); // 40 snapshot+send pairs, 120 jobs alone
    expect(report.byWorkers).toBeGreaterThan(0);
  }, 180_000);

  it('gives the single thread result on each example plan (skipped jobs included)', async () => {
    for (const file of readdirSync(join(ROOT, 'examples')).filter((f) => f.endsWith('.backplan.yaml'))) {
      const text = readFileSync(join(ROOT, 'examples', file), 'utf8');
      const report = await both(text, { from: Date.parse('2026-03-01T00:00:00Z') }, 3);
      expect(report.groups, file).toBeGreaterThan(0);
    }
  }, 180_000);
});

describe('how many threads', () => {
  it('uses a worker per idle core and per 100,000 runs, none on a busy machine or a small fleet', () => {
    expect(threadsFor(182_500, 160, 2, 0.3)).toBe(2); // this fleet over a year, an idle second core
    expect(threadsFor(182_500, 160, 2, 1.2)).toBe(1); // no core idle
    expect(threadsFor(182_500, 160, 8, 0)).toBe(2); // a year of this fleet is worth one worker
    expect(threadsFor(1_825_000, 160, 8, 0)).toBe(8); // ten years: one per core
    expect(threadsFor(1_825_000, 160, 8, 5.5)).toBe(3); // two cores idle
    expect(threadsFor(60_000, 160, 8, 0)).toBe(1); // too small to wait for a worker
    expect(threadsFor(1_825_000, 1, 8, 0)).toBe(1); // one group
    expect(threadsFor(1_825_000, 160, 1, 0)).toBe(1); // one core
  });
});
