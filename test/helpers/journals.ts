// Writes journals as `backplan run`, `prune` and `verify` leave them (engine/run/state/journal.ts),
// at chosen times, so that status, metrics and backup-late can be tested on a known history.
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface FakeJob {
  job: string;
  /** ISO times. */
  start: string;
  end?: string;
  status?: 'ok' | 'failed' | 'skipped';
  bytes?: number;
  kept?: number;
  verify?: boolean;
}

let seq = 0;

/** One journal for `command` over `jobs`; returns its run id. `finished: false` leaves out job-end and run-end. */
export function writeJournal(stateDir: string, plan: string, command: 'run' | 'prune' | 'verify', jobs: FakeJob[], opts: { finished?: boolean; format?: number } = {}): string {
  const runs = join(stateDir, 'runs');
  mkdirSync(runs, { recursive: true });
  const t0 = jobs[0]?.start ?? new Date().toISOString();
  const run = `${t0.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}-${process.pid}-${(seq++).toString(16).padStart(4, '0')}`;
  const lines: object[] = [{ t: t0, run, type: 'run-start', command, plan, jobs: jobs.map((j) => j.job), pid: 999999, host: 'elsewhere', ...(opts.format ? { format: opts.format } : {}) }];
  let last = t0;
  for (const j of jobs) {
    const end = j.end ?? j.start;
    last = end;
    lines.push({ t: j.start, run, type: 'job-start', job: j.job });
    const step = `${j.job}/${command === 'verify' ? 'verify' : command === 'prune' ? 'prune' : 'backup'}`;
    lines.push({ t: j.start, run, type: 'step-start', job: j.job, step, phase: 'x', description: 'x', display: 'x' });
    if (opts.finished === false) continue;
    const detail: Record<string, unknown> = {};
    if (j.bytes !== undefined) detail.bytes = j.bytes;
    if (j.kept !== undefined) detail.kept = Array.from({ length: j.kept }, (_, i) => `c${i}`);
    const ms = Date.parse(end) - Date.parse(j.start);
    lines.push({ t: end, run, type: 'step-end', job: j.job, step, status: j.status ?? 'ok', ms, detail });
    lines.push({ t: end, run, type: 'job-end', job: j.job, status: j.status ?? 'ok' });
  }
  if (opts.finished !== false) lines.push({ t: last, run, type: 'run-end', status: jobs.every((j) => (j.status ?? 'ok') === 'ok') ? 'ok' : 'failed', ms: 1 });
  writeFileSync(join(runs, `${run}.jsonl`), lines.map((l) => `${JSON.stringify(l)}\n`).join(''));
  return run;
}

/** Append raw text to a journal (a torn or corrupt line). */
export function appendRaw(stateDir: string, run: string, text: string): void {
  appendFileSync(join(stateDir, 'runs', `${run}.jsonl`), text);
}
