// What the journals of a state directory say about each job of a plan: its runs (start, end,
// result), its last success, the bytes its last good run wrote, the copies its last prune kept,
// its last restore test. Read only: no host is contacted.
//
// Every run, prune and verify leaves one journal, `<state>/runs/<run-id>.jsonl`, so a state
// directory holds thousands of them in time. Each journal is summarised once (summariseJournal)
// and folded into the history of its plan's jobs (foldSummary: order-independent, newest wins).
// `<state>/status-index.json` keeps the names of the finished journals (those with a `run-end`:
// an append-only journal never changes after it) and the histories they fold into, rewritten
// atomically when it changed: a later read only reads the journals that are new. A journal still
// open (no `run-end`: a run in progress, or one that was killed) is read again each time. The
// index is a cache: deleting it costs one full read, a corrupt or foreign one is ignored, a
// journal that disappeared makes it rebuilt, and a state directory that cannot be written only
// means no cache.
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
const INDEX_VERSION = 2;

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
  /** Bytes of the newest successful run (when it said how much it wrote). */
  bytes?: number;
  /** Copies kept by the newest prune. */
  copies?: number;
  /** When the newest prune that counted `copies` ended. */
  copiesAt?: string;
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

type Histories = Record<string, Record<string, JobHistory>>;

interface IndexFile {
  v: number;
  /** Finished journals already folded into `plans`. */
  files: string[];
  /** Journals left out (newer format, foreign), so that they are not read again. */
  skipped: string[];
  newer: number;
  /** plan path → job → history */
  plans: Histories;
  /** runs/'s modification time (ns) when it was listed: unchanged, no journal was added or removed since. */
  dir?: string;
  /** Journals that were still open (read again each time). */
  open?: string[];
}

const later = (a: string | undefined, b: string | undefined) => (a ?? '') > (b ?? '');

/** Fold one journal's summary into the histories (order-independent: the newest record wins, counts add up). */
export function foldSummary(plans: Histories, s: JournalSummary): void {
  const jobs = (plans[s.plan] ??= {});
  for (const [job, r] of Object.entries(s.jobs)) {
    const h = (jobs[job] ??= { runs: { ok: 0, failed: 0, skipped: 0 } });
    const when = r.end ?? r.start;
    if (r.copies !== undefined && (h.copiesAt === undefined || !later(h.copiesAt, when))) {
      h.copies = r.copies;
      h.copiesAt = when ?? '';
    }
    if (s.command === 'verify') {
      if (r.verify && !later(h.lastVerify?.time, r.verify.time)) h.lastVerify = r.verify;
      continue;
    }
    if (s.command !== 'run') continue;
    if (r.result !== 'running') h.runs[r.result === 'interrupted' ? 'failed' : r.result]++;
    // A run in progress does not replace the previous result until it ends.
    if (r.result !== 'running' || !h.lastRun) {
      if (!h.lastRun || h.lastRun.result === 'running' || !later(h.lastRun.start, r.start))
        h.lastRun = { id: s.run, ...(r.start ? { start: r.start } : {}), ...(r.end ? { end: r.end } : {}), result: r.result };
    }
    if (r.result === 'ok' && when) {
      if (h.firstSuccess === undefined || later(h.firstSuccess, when)) h.firstSuccess = when;
      if (!later(h.lastSuccess, when)) {
        h.lastSuccess = when;
        if (r.bytes !== undefined) h.bytes = r.bytes;
      }
    }
  }
}

function readIndex(root: string): IndexFile | undefined {
  try {
    const idx = JSON.parse(readFileSync(join(root, INDEX_FILE), 'utf8')) as IndexFile;
    if (idx && idx.v === INDEX_VERSION && Array.isArray(idx.files) && Array.isArray(idx.skipped) && idx.plans && typeof idx.plans === 'object') return idx;
  } catch {
    // absent, torn or foreign: rebuilt
  }
  return undefined;
}

function writeIndex(root: string, idx: IndexFile): void {
  try {
    writeFileAtomic(join(root, INDEX_FILE), JSON.stringify(idx), 0o600);
  } catch {
    // a read-only state directory: no cache, same answer
  }
}

export interface ReadOptions {
  /** Keep the index of finished journals in the state directory (default true). */
  index?: boolean;
}

function journalNames(root: string): string[] | undefined {
  const runs = join(root, 'runs');
  try {
    return readdirSync(runs).filter((f) => f.endsWith('.jsonl'));
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
      return undefined;
    }
    if (code === 'ENOTDIR') throw new StateDirError(`state directory ${root} is not a directory`);
    throw new StateDirError(`cannot read the journals in ${runs}: ${code ?? (e as Error).message}`);
  }
}

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

/** The history of every job of every plan journalled in `stateDir`. Throws StateDirError only. */
export function readHistories(stateDir: string, opts: ReadOptions = {}): { plans: Histories; journals: number; newer: number; unreadable: number; empty: boolean } {
  const root = resolve(stateDir);
  const useIndex = opts.index !== false;
  let dirStamp: string | undefined;
  try {
    dirStamp = String(statSync(join(root, 'runs'), { bigint: true }).mtimeNs);
  } catch {
    // journalNames says why
  }
  let idx = useIndex ? readIndex(root) : undefined;
  // Nothing added or removed since the index was written: no need to list thousands of names.
  const unchanged = idx !== undefined && dirStamp !== undefined && idx.dir === dirStamp;
  const names = unchanged ? [...idx!.files, ...idx!.skipped, ...(idx!.open ?? [])] : journalNames(root);
  if (!names) return { plans: {}, journals: 0, newer: 0, unreadable: 0, empty: true };
  const present = new Set(names);
  // A journal that was removed (by hand) cannot be unfolded: start again.
  if (idx && !unchanged && (idx.files.some((f) => !present.has(f)) || idx.skipped.some((f) => !present.has(f)))) idx = undefined;
  const base: IndexFile = idx ?? { v: INDEX_VERSION, files: [], skipped: [], newer: 0, plans: {} };
  const known = new Set([...base.files, ...base.skipped]);
  let changed = !idx;
  let unreadable = 0;
  const open: JournalSummary[] = [];
  const openNames: string[] = [];
  for (const name of names) {
    if (known.has(name)) continue;
    let text: string;
    try {
      text = readFileSync(join(root, 'runs', name), 'utf8');
    } catch {
      unreadable++;
      continue;
    }
    const p = summariseJournal(text);
    if (!p.ok) {
      base.skipped.push(name);
      if (p.why === 'newer') base.newer++;
      changed = true;
      continue;
    }
    if (!p.summary.run) p.summary.run = name.slice(0, -'.jsonl'.length);
    if (p.summary.finished) {
      foldSummary(base.plans, p.summary);
      base.files.push(name);
      changed = true;
    } else {
      open.push(p.summary);
      openNames.push(name);
    }
  }
  if (dirStamp !== base.dir || String(base.open ?? []) !== String(openNames)) changed = true;
  base.dir = dirStamp;
  base.open = openNames;
  if (useIndex && changed) writeIndex(root, base);
  let plans = base.plans;
  if (open.length) {
    plans = clone(plans);
    for (const s of open) foldSummary(plans, s);
  }
  return { plans, journals: base.files.length + open.length, newer: base.newer, unreadable, empty: false };
}

/** The history of every job of the plan at `planPath`, from the journals of `stateDir`. */
export function readHistory(stateDir: string, planPath: string, opts: ReadOptions = {}): PlanHistory {
  const r = readHistories(stateDir, opts);
  const jobs = new Map(Object.entries(r.plans[resolve(planPath)] ?? {}));
  return { jobs, journals: r.journals, newer: r.newer, unreadable: r.unreadable, empty: r.empty };
}

/** Fold summaries into one history per job of the plan at `planPath` (tests, tools). */
export function historyOf(summaries: readonly JournalSummary[], planPath: string): Map<string, JobHistory> {
  const plans: Histories = {};
  for (const s of summaries) foldSummary(plans, s);
  return new Map(Object.entries(plans[resolve(planPath)] ?? {}));
}

/** The newest success of each job of the plan at `planPath` (ISO time), for the checks (backup-late). */
export class LastSuccessReader {
  read(stateDir: string, planPath: string): Map<string, string> {
    const out = new Map<string, string>();
    try {
      for (const [job, j] of readHistory(stateDir, planPath).jobs) if (j.lastSuccess) out.set(job, j.lastSuccess);
    } catch {
      // an unreadable state directory: no journal state, the rule stays quiet
    }
    return out;
  }
}
