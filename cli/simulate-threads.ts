// `backplan simulate` of a large fleet on every core: worker threads (node:worker_threads) run the
// same bundle and simulate groups of jobs (engine/simulate/fleet-groups.ts: a copy with its
// source) while the main thread simulates others. The groups are lined up by their jobs' kinds;
// the main thread takes them from the front, the workers from the back, each the next one left
// (shared counters), so a worker that starts late simply takes fewer, and each thread mostly
// runs the code of a few kinds (every thread pays its own JIT warm-up for the code it runs,
// about half of a year's simulation of this fleet on one thread). The outcomes are put back in
// plan order, so the result is the single thread's, byte for byte
// (test/unit/simulate/fleet-threads.test.ts). A group a worker claimed but never reported (the
// worker failed) is simulated on the main thread, which then fails the same way if the failure is
// the simulation's own.
//
// Threads pay for themselves only on a large fleet and an idle core: a worker costs its start
// (loading the bundle, receiving the plan, about 0.1 s of CPU) and its own JIT warm-up, so the
// CPU time grows (on the 200-job fleet over a year, 1.2 s → 1.5–1.75 s) while the wall time can
// only shrink when another core is free: threads are used when the load average leaves one.
// BACKPLAN_SIMULATE_THREADS=N sets the number of threads (1: the main thread only), whatever the
// size and the load.
import { availableParallelism, loadavg } from 'node:os';
import { Worker, workerData, parentPort } from 'node:worker_threads';
import type { PlanModel } from '../engine/plan/model';
import { simulationGroups, type JobGroup } from '../engine/simulate/fleet-groups';
import {
  planOf,
  planOptions,
  simulateJobs,
  simulatePlan,
  type PlanEntry,
  type SimulatedPlan,
  type SimulateJobOptions,
  type SimulatePlanOptions,
} from '../engine/simulate/simulate-job';
import { MS, parseDuration } from '../engine/time/duration';

/**
 * Runs (estimated, in all) per worker: below this many one thread is faster than waiting for a
 * worker, and each worker costs its own warm-up, so a thread is added per this many runs.
 */
export const THREADS_FROM_RUNS = 100_000;

interface WorkerInput {
  backplanSimulateWorker: true;
  plan: PlanModel;
  opts: SimulateJobOptions;
  groups: string[][];
  /** Int32Array over it: [groups taken, next from the front, next from the back]. */
  next: SharedArrayBuffer;
}

type WorkerMessage = { group: number; entries: PlanEntry[] } | { done: true };

/** True in a worker thread started by simulatePlanThreaded (cli/index.ts runs runSimulateWorker then). */
export function isSimulateWorker(): boolean {
  return parentPort !== null && (workerData as Partial<WorkerInput> | undefined)?.backplanSimulateWorker === true;
}

/** Take groups from one end until none is left; the count of taken ones keeps the ends from crossing. */
function takeGroups(
  groups: readonly string[][],
  next: Int32Array,
  fromFront: boolean,
  plan: PlanModel,
  opts: SimulateJobOptions,
  each: (i: number, e: PlanEntry[]) => void,
): void {
  for (;;) {
    if (Atomics.add(next, 0, 1) >= groups.length) return;
    const i = fromFront ? Atomics.add(next, 1, 1) : Atomics.sub(next, 2, 1);
    each(i, simulateJobs(plan, groups[i], opts));
  }
}

/** The worker's side: take groups until none is left, post each one's outcomes. */
export function runSimulateWorker(): void {
  const input = workerData as WorkerInput;
  const port = parentPort!;
  // A failure ends the worker: the main thread redoes the group it was on.
  takeGroups(input.groups, new Int32Array(input.next), false, input.plan, input.opts, (group, entries) => {
    port.postMessage({ group, entries } satisfies WorkerMessage);
  });
  port.postMessage({ done: true } satisfies WorkerMessage);
}

/**
 * Threads for `runs` runs in `groups` groups on `cores` cores at load average `load`: this thread
 * plus one worker per idle core and per THREADS_FROM_RUNS runs.
 */
export function threadsFor(runs: number, groups: number, cores: number, load: number): number {
  const idle = Math.floor(cores - load);
  if (groups < 2 || cores < 2 || idle < 1) return 1;
  return Math.max(1, Math.min(1 + idle, cores, groups, 1 + Math.floor(runs / THREADS_FROM_RUNS)));
}

/** How many threads to use: BACKPLAN_SIMULATE_THREADS, else threadsFor this machine now. */
function threadCount(groups: readonly JobGroup[], opts: SimulateJobOptions): number {
  const asked = Number.parseInt(process.env.BACKPLAN_SIMULATE_THREADS ?? '', 10);
  if (Number.isFinite(asked) && asked >= 1) return Math.min(asked, groups.length);
  let days = 365;
  if (opts.at !== undefined && opts.from !== undefined) days = (opts.at - opts.from) / MS.DAY;
  else if (typeof opts.horizon === 'string') {
    const d = parseDuration(opts.horizon);
    if (d.ok) days = d.value.y * 365 + d.value.mo * 30 + d.value.w * 7 + d.value.d + d.value.h / 24;
  }
  const runs = groups.reduce((sum, g) => sum + g.weight, 0) * days;
  return threadsFor(runs, groups.length, availableParallelism(), loadavg()[0]);
}

/** How a threaded simulation went (for tests): threads used, groups the workers simulated. */
export interface ThreadsReport {
  threads: number;
  groups: number;
  byWorkers: number;
}

/**
 * simulatePlan on several threads when the fleet is large enough (see the header); `bundle` is
 * the script a worker runs (the CLI's own bundle). The same result as simulatePlan.
 */
export async function simulatePlanThreaded(
  plan: PlanModel,
  options: SimulatePlanOptions,
  bundle: string | undefined,
  report?: ThreadsReport,
): Promise<SimulatedPlan> {
  if (options.job !== undefined || bundle === undefined) return simulatePlan(plan, options);
  const opts = planOptions(options);
  const groups = simulationGroups(plan, opts.from!);
  const threads = threadCount(groups, opts);
  if (report) Object.assign(report, { threads, groups: groups.length, byWorkers: 0 });
  if (threads <= 1) return simulatePlan(plan, opts);
  // By kinds, then heaviest first within (a stable sort keeps plan order among equals).
  const kinds = groups.map((g) => g.names.map((n) => plan.jobs.get(n)!.kind).join(','));
  const order = groups
    .map((_, i) => i)
    .sort((a, b) => (kinds[a] < kinds[b] ? -1 : kinds[a] > kinds[b] ? 1 : groups[b].weight - groups[a].weight));
  const names = order.map((i) => groups[i].names);
  const next = new SharedArrayBuffer(12);
  new Int32Array(next).set([0, 0, names.length - 1]);
  const outcomes: (PlanEntry[] | undefined)[] = names.map(() => undefined);
  const input: WorkerInput = { backplanSimulateWorker: true, plan, opts, groups: names, next };
  const workers: Worker[] = [];
  const finished: Promise<void>[] = [];
  for (let w = 1; w < threads; w++) {
    const worker = new Worker(bundle, { workerData: input, argv: [], stderr: true, stdout: true });
    workers.push(worker);
    finished.push(
      new Promise<void>((resolve) => {
        worker.on('message', (m: WorkerMessage) => {
          if (!('group' in m)) return resolve();
          outcomes[m.group] = m.entries;
          if (report) report.byWorkers++;
        });
        // A worker that could not start or died: its groups are redone below.
        worker.on('error', () => resolve());
        worker.on('exit', () => resolve());
      }),
    );
  }
  takeGroups(names, new Int32Array(next), true, plan, opts, (i, entries) => {
    outcomes[i] = entries;
  });
  // Every group done here (the workers started too late to take one): do not wait for their start.
  if (outcomes.every((o) => o !== undefined)) await Promise.all(workers.map((w) => w.terminate()));
  await Promise.all(finished);
  const byJob = new Map<string, PlanEntry>();
  names.forEach((group, i) => {
    for (const e of outcomes[i] ?? simulateJobs(plan, group, opts)) byJob.set(e.job, e);
  });
  return planOf([...plan.jobs.keys()].map((n) => byJob.get(n)!));
}
