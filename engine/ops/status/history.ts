// What the journals of a state directory say about each job of a plan: its runs (start, end,
// result), its last success, the bytes its last good run wrote, the copies its last prune kept,
// its last restore test. Read only: no host is contacted.
//
// Every run, prune and verify leaves one journal, `<state>/runs/<run-id>.jsonl`, so a state
// directory holds thousands of them in time. Each journal is summarised once (summariseJournal)
// and the summaries of finished journals (those with a `run-end`: an append-only journal never
// changes after it) are kept in `<state>/status-index.json`, rewritten atomically when it
// changed. A journal still open (no `run-end`: a run in progress, or one that was killed) is read
// again each time. The index is a cache: deleting it costs one full read, a corrupt or foreign
// one is ignored, and a state directory that cannot be written only means no cache.
//
// Bad input never throws: a torn or corrupt line is skipped (the lines before and after still
// count), a journal whose `run-start` declares a `format` above JOURNAL_FORMAT (written by a
// newer Backplan) is left out and counted in `newer`, an unreadable journal in `unreadable`.
// Only an unreadable state directory (not a directory, no permission) is an error, StateDirError.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { writeFileAtomic } from '../atomic-write';

/** The journal format this reader understands; a `run-start` with a higher `format` is newer. */
export const JOURNAL_FORMAT = 1;
const INDEX_FILE = 'status-index.json';
const INDEX_VERSION = 1;

export class StateDirError extends Error {}

export type RunResult = 'ok' | 'failed' | 'skipped' | 'interrupted' | 'running';

/** One job in one journal. Times are ISO strings as journalled. */
export interface JobRunSummary {
  start?: string;
  end?: string;
  result: RunResult;
  /** Bytes written by the run's steps (their `detail.bytes`), when they say. */
  bytes?: number;
  /** Copies kept by the prune of this run (or of a `backplan prune`), when one ran. */
  copies?: number;
  /** A restore test (`backplan verify`). */
  verify?: { time: string; ok: boolean; ms: number };
}

export interface JournalSummary {
  run: string;
  command: string;
  /** Absolute path of the plan file the journal was written for. */
  plan: string;
  /** True once the journal has its `run-end` (it will not change any more). */
  finished: boolean;
  jobs: Record<string, JobRunSummary>;
}

interface Line {
  type?: unknown;
  t?: unknown;
  job?: unknown;
  step?: unknown;
  status?: unknown;
  ms?: unknown;
  detail?: unknown;
  [k: string]: unknown;
}

type Parsed = { ok: true; summary: JournalSummary } | { ok: false; why: 'newer' | 'foreign'; format?: number };

/** Summarise the text of one journal (pure; `alive` says whether a run's process still runs). */
export function summariseJournal(text: string, alive: (host: unknown, pid: unknown) => boolean = processAlive): Parsed {
  const lines: Line[] = [];
  for (const raw of text.split('\n')) {
    if (raw.trim() === '') continue;
    try {
      const l = JSON.parse(raw) as unknown;
      if (l && typeof l === 'object' && !Array.isArray(l)) lines.push(l as Line);
    } catch {
      // a line torn by a crash, or corrupted: the others still count
    }
  }
  const start = lines.find((l) => l.type === 'run-start');
  if (!start || typeof start.plan !== 'string' || typeof start.command !== 'string') return { ok: false, why: 'foreign' };
  const format = typeof start.format === 'number' ? start.format : 1;
  if (format > JOURNAL_FORMAT) return { ok: false, why: 'newer', format };
  const finished = lines.some((l) => l.type === 'run-end');
  const running = !finished && alive(start.host, start.pid);
  const jobs: Record<string, JobRunSummary> = {};
  const of = (job: unknown): JobRunSummary | undefined => {
    if (typeof job !== 'string') return undefined;
    return (jobs[job] ??= { result: running ? 'running' : 'interrupted' });
  };
  const verifyStart = new Map<string, string>();
  for (const l of lines) {
    const t = typeof l.t === 'string' ? l.t : undefined;
    switch (l.type) {
      case 'job-start': {
        const j = of(l.job);
        if (j && t && j.start === undefined) j.start = t;
        break;
      }
      case 'job-end': {
        const j = of(l.job);
        if (!j) break;
        if (t) j.end = t;
        j.result = l.status === 'ok' || l.status === 'failed' || l.status === 'skipped' ? l.status : 'failed';
        break;
      }
      case 'step-start':
        if (typeof l.step === 'string' && l.step.endsWith('/verify') && t) verifyStart.set(l.step, t);
        break;
      case 'step-end': {
        const j = of(l.job);
        if (!j || typeof l.step !== 'string') break;
        const d = l.detail && typeof l.detail === 'object' ? (l.detail as Record<string, unknown>) : undefined;
        if (l.status === 'ok' && typeof d?.bytes === 'number' && Number.isFinite(d.bytes)) j.bytes = (j.bytes ?? 0) + d.bytes;
        if (l.status === 'ok' && Array.isArray(d?.kept)) j.copies = d.kept.length;
        if (start.command === 'verify' && l.step.endsWith('/verify') && l.status !== 'skipped' && t) {
          const ms = typeof l.ms === 'number' ? l.ms : verifyStart.has(l.step) ? Date.parse(t) - Date.parse(verifyStart.get(l.step)!) : 0;
          j.verify = { time: t, ok: l.status === 'ok', ms };
        }
        break;
      }
    }
  }
  const run = typeof start.run === 'string' ? start.run : '';
  return { ok: true, summary: { run, command: start.command, plan: resolve(start.plan), finished, jobs } };
}

function processAlive(host: unknown, pid: unknown): boolean {
  if (typeof pid !== 'number' || host !== hostname()) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The history of one job, over every journal of the plan. */
export interface JobHistory {
  lastRun?: { id: string; start?: string; end?: string; result: RunResult };
  /** End (else start) of the newest run that succeeded. */
  lastSuccess?: string;
  /** End (else start) of the oldest run that succeeded. */
  firstSuccess?: string;
  /** Bytes of the newest successful run that said how much it wrote. */
  bytes?: number;
  /** Copies kept by the newest prune. */
  copies?: number;
  lastVerify?: { time: string; ok: boolean; ms: number };
  /** Finished runs (`backplan run`) by result. */
  runs: Record<'ok' | 'failed' | 'skipped', number>;
}

export interface PlanHistory {
  jobs: Map<string, JobHistory>;
  /** Journals of this state directory that were read (every plan's). */
  journals: number;
  /** Journals left out because a newer Backplan wrote them. */
  newer: number;
  /** Journals that could not be read. */
  unreadable: number;
  /** True when the state directory (or its runs/ folder) does not exist: nothing ran yet. */
  empty: boolean;
}

interface IndexFile {
  v: number;
  /** journal file name → its summary (finished journals only) */
  files: Record<string, JournalSummary>;
}

function readIndex(root: string): IndexFile['files'] {
  try {
    const idx = JSON.parse(readFileSync(join(root, INDEX_FILE), 'utf8')) as IndexFile;
    if (idx && idx.v === INDEX_VERSION && idx.files && typeof idx.files === 'object') return idx.files;
  } catch {
    // absent, torn or foreign: rebuilt
  }
  return {};
}

function writeIndex(root: string, files: IndexFile['files']): void {
  try {
    writeFileAtomic(join(root, INDEX_FILE), JSON.stringify({ v: INDEX_VERSION, files } satisfies IndexFile), 0o600);
  } catch {
    // a read-only state directory: no cache, same answer
  }
}

export interface ReadOptions {
  /** Keep the index of finished journals in the state directory (default true). */
  index?: boolean;
}

/** The summaries of every journal in `<stateDir>/runs` (any plan), with the counts of those left out. */
export function readSummaries(stateDir: string, opts: ReadOptions = {}): { summaries: JournalSummary[]; newer: number; unreadable: number; empty: boolean } {
  const root = resolve(stateDir);
  const runs = join(root, 'runs');
  let names: string[];
  try {
    names = readdirSync(runs).filter((f) => f.endsWith('.jsonl'));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      // No runs/ yet; the state directory itself must be a readable directory (or absent).
      try {
        if (!statSync(root).isDirectory()) throw new StateDirError(`state directory ${root} is not a directory`);
      } catch (e2) {
        if (e2 instanceof StateDirError) throw e2;
        if ((e2 as NodeJS.ErrnoException).code !== 'ENOENT') throw new StateDirError(`cannot read state directory ${root}: ${(e2 as Error).message}`);
      }
      return { summaries: [], newer: 0, unreadable: 0, empty: true };
    }
    if (code === 'ENOTDIR') throw new StateDirError(`state directory ${root} is not a directory`);
    throw new StateDirError(`cannot read the journals in ${runs}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const useIndex = opts.index !== false;
  const cached = useIndex ? readIndex(root) : {};
  const next: IndexFile['files'] = {};
  let changed = false;
  const summaries: JournalSummary[] = [];
  let newer = 0;
  let unreadable = 0;
  for (const name of names) {
    const hit = cached[name];
    if (hit) {
      next[name] = hit;
      summaries.push(hit);
      continue;
    }
    let text: string;
    try {
      text = readFileSync(join(runs, name), 'utf8');
    } catch {
      unreadable++;
      continue;
    }
    const p = summariseJournal(text);
    if (!p.ok) {
      if (p.why === 'newer') newer++;
      continue;
    }
    if (!p.summary.run) p.summary.run = name.slice(0, -'.jsonl'.length);
    summaries.push(p.summary);
    if (p.summary.finished) {
      next[name] = p.summary;
      changed = true;
    }
  }
  if (useIndex && (changed || Object.keys(cached).length !== Object.keys(next).length)) writeIndex(root, next);
  return { summaries, newer, unreadable, empty: false };
}

const later = (a: string | undefined, b: string | undefined) => (a ?? '') > (b ?? '');

/** Fold the summaries of the plan at `planPath` into one history per job. */
export function historyOf(summaries: readonly JournalSummary[], planPath: string): Map<string, JobHistory> {
  const plan = resolve(planPath);
  const out = new Map<string, JobHistory>();
  // Oldest first, so that the newest overrides.
  const mine = summaries.filter((s) => s.plan === plan).sort((a, b) => (a.run < b.run ? -1 : a.run > b.run ? 1 : 0));
  const copiesAt = new Map<string, string>();
  for (const s of mine) {
    for (const [job, r] of Object.entries(s.jobs)) {
      let h = out.get(job);
      if (!h) out.set(job, (h = { runs: { ok: 0, failed: 0, skipped: 0 } }));
      const when = r.end ?? r.start;
      if (r.copies !== undefined && !later(copiesAt.get(job), when)) {
        h.copies = r.copies;
        copiesAt.set(job, when ?? '');
      }
      if (s.command === 'verify') {
        if (r.verify && !later(h.lastVerify?.time, r.verify.time)) h.lastVerify = r.verify;
        continue;
      }
      if (s.command !== 'run') continue;
      if (r.result !== 'running') {
        const k = r.result === 'interrupted' ? 'failed' : r.result;
        h.runs[k]++;
      }
      if (r.result === 'running' && h.lastRun) continue; // the previous run stands until this one ends
      if (!h.lastRun || !later(h.lastRun.start, r.start)) h.lastRun = { id: s.run, ...(r.start ? { start: r.start } : {}), ...(r.end ? { end: r.end } : {}), result: r.result };
      if (r.result === 'ok' && when && (h.firstSuccess === undefined || later(h.firstSuccess, when))) h.firstSuccess = when;
      if (r.result === 'ok' && when && !later(h.lastSuccess, when)) {
        h.lastSuccess = when;
        if (r.bytes !== undefined) h.bytes = r.bytes;
      }
    }
  }
  return out;
}

/** The history of every job of the plan at `planPath`, from the journals of `stateDir`. */
export function readHistory(stateDir: string, planPath: string, opts: ReadOptions = {}): PlanHistory {
  const r = readSummaries(stateDir, opts);
  return { jobs: historyOf(r.summaries, planPath), journals: r.summaries.length, newer: r.newer, unreadable: r.unreadable, empty: r.empty };
}

/**
 * Reads the last successes again and again (the language server, on each check): summaries of
 * finished journals are kept in memory (and in the index), so only new journals are read.
 */
export class LastSuccessReader {
  /** The newest success of each job of the plan at `planPath` (ISO time), from `<stateDir>/runs`. */
  read(stateDir: string, planPath: string): Map<string, string> {
    const out = new Map<string, string>();
    let h: Map<string, JobHistory>;
    try {
      h = readHistory(stateDir, planPath).jobs;
    } catch {
      return out;
    }
    for (const [job, j] of h) if (j.lastSuccess) out.set(job, j.lastSuccess);
    return out;
  }
}
