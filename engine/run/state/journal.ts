// The run journal (SPEC §8.6): one append-only JSON-lines file per run in `<state>/runs/`,
// every record written with one write() and fsynced before the work it announces starts.
// Each step has a `step-start` record before it runs and a `step-end` record after; a
// `step-start` without its `step-end` is an interrupted step (the process was killed, the
// machine lost power). Records hold descriptions, paths and hosts, never secret values: the
// steps only carry secret *references*, and every record also passes through the run's
// Redactor.
import { closeSync, fsyncSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { fsyncDir } from './dir';
import type { Redactor } from '../exec/redact';

export type StepStatus = 'ok' | 'failed' | 'skipped';

export type JournalRecord =
  | { type: 'run-start'; command: 'run' | 'prune' | 'verify' | 'init' | 'restore'; plan: string; jobs: string[]; pid: number; host: string }
  | { type: 'job-start'; job: string }
  | { type: 'job-end'; job: string; status: 'ok' | 'failed' | 'skipped'; message?: string }
  | { type: 'step-start'; job: string; step: string; phase: string; description: string; display: string }
  | {
      type: 'step-end';
      job: string;
      step: string;
      status: StepStatus;
      ms: number;
      message?: string;
      detail?: Record<string, unknown>;
    }
  | { type: 'lock-broken'; job: string; lock: Record<string, unknown> }
  | { type: 'remove-start'; job: string; path: string; reason: string }
  | { type: 'remove-end'; job: string; path: string; ok: boolean; message?: string }
  | { type: 'run-end'; status: 'ok' | 'failed'; ms: number }
  // A notification that could not be delivered (engine/ops/notify): written after `run-end`
  // (notifications are sent once the run is journalled), it never changes the run's outcome.
  | { type: 'notify-failed'; job: string; event: string; target: string; message: string };

export type JournalLine = JournalRecord & { t: string; run: string };

export class Journal {
  private fd: number | undefined;

  private constructor(
    readonly path: string,
    readonly runId: string,
    private readonly redactor?: Redactor,
  ) {}

  /** Create the journal of run `runId` in `runsDir` (fails if it exists: run ids are unique). */
  static create(runsDir: string, runId: string, redactor?: Redactor): Journal {
    const j = new Journal(join(runsDir, `${runId}.jsonl`), runId, redactor);
    j.fd = openSync(j.path, 'wx', 0o600);
    fsyncDir(runsDir);
    return j;
  }

  /** Append to the journal of a run that has ended (records written after `run-end`). */
  static reopen(path: string, redactor?: Redactor): Journal {
    const base = path.split(/[\\/]/).pop() ?? path;
    const j = new Journal(path, base.replace(/\.jsonl$/, ''), redactor);
    j.fd = openSync(path, 'a', 0o600);
    return j;
  }

  append(record: JournalRecord): void {
    if (this.fd === undefined) throw new Error(`journal ${this.path} is closed`);
    const line: JournalLine = { t: new Date().toISOString(), run: this.runId, ...record };
    const safe = this.redactor ? this.redactor.value(line) : line;
    const buf = Buffer.from(`${JSON.stringify(safe)}\n`, 'utf8');
    let off = 0;
    while (off < buf.length) off += writeSync(this.fd, buf, off, buf.length - off);
    fsyncSync(this.fd);
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

/** Read a journal back (tests, `backplan` diagnostics). A torn last line is ignored. */
export function readJournal(path: string): JournalLine[] {
  const out: JournalLine[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    try {
      out.push(JSON.parse(line) as JournalLine);
    } catch {
      // A line cut by a crash mid-write: everything before it is intact.
    }
  }
  return out;
}

/** Steps that started and never ended: the interrupted ones. */
export function interruptedSteps(lines: readonly JournalLine[]): string[] {
  const open = new Set<string>();
  for (const l of lines) {
    if (l.type === 'step-start') open.add(l.step);
    else if (l.type === 'step-end') open.delete(l.step);
  }
  return [...open];
}
