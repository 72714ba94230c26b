// The restore tests a state directory remembers: every `backplan verify` journals its result
// (a `run-start` with command `verify` and the plan's path, then the `JOB/verify` step-end).
// This reads them back, newest per job, for the checks (no-restore-test) to use.
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { readJournal } from './journal';

export interface VerifyRecord {
  /** ISO time the result was journalled. */
  at: string;
  ok: boolean;
  /** The copy that was restored. */
  copy?: string;
}

/** What one journal says: the plan a verify ran for, and its results by job. */
interface JournalVerifies {
  /** Size and modification time when read: a journal that grew is read again. */
  stamp: string;
  plan?: string;
  results: Map<string, VerifyRecord>;
}

function readVerifies(path: string, stamp: string): JournalVerifies {
  const results = new Map<string, VerifyRecord>();
  let lines;
  try {
    lines = readJournal(path);
  } catch {
    return { stamp, results };
  }
  const start = lines[0];
  if (!start || start.type !== 'run-start' || start.command !== 'verify') return { stamp, results };
  for (const l of lines) {
    if (l.type !== 'step-end' || !l.step.endsWith('/verify') || l.status === 'skipped') continue;
    const prev = results.get(l.job);
    if (prev && prev.at >= l.t) continue;
    const copy = typeof l.detail?.copy === 'string' ? l.detail.copy : undefined;
    results.set(l.job, { at: l.t, ok: l.status === 'ok', ...(copy ? { copy } : {}) });
  }
  return { stamp, plan: resolve(start.plan), results };
}

/**
 * Reads verify results from a state directory again and again (the language server, on each
 * check): a journal is parsed once and read again only when its size or time changes.
 */
export class VerifyHistoryReader {
  private readonly journals = new Map<string, JournalVerifies>();

  /** The newest journalled verify of each job of the plan at `planPath`, from `<stateDir>/runs`. */
  read(stateDir: string, planPath: string): Map<string, VerifyRecord> {
    const out = new Map<string, VerifyRecord>();
    const runs = join(stateDir, 'runs');
    let files: string[];
    try {
      files = readdirSync(runs).filter((f) => f.endsWith('.jsonl'));
    } catch {
      return out;
    }
    const plan = resolve(planPath);
    const seen = new Set<string>();
    for (const f of files) {
      const path = join(runs, f);
      seen.add(path);
      let stamp: string;
      try {
        const st = statSync(path);
        stamp = `${st.size}:${st.mtimeMs}`;
      } catch {
        continue;
      }
      let j = this.journals.get(path);
      if (!j || j.stamp !== stamp) this.journals.set(path, (j = readVerifies(path, stamp)));
      if (j.plan !== plan) continue;
      for (const [job, r] of j.results) {
        const prev = out.get(job);
        if (!prev || prev.at < r.at) out.set(job, r);
      }
    }
    for (const path of this.journals.keys()) if (!seen.has(path)) this.journals.delete(path);
    return out;
  }
}

/** The newest journalled verify of each job of the plan at `planPath`, from `<stateDir>/runs`. */
export function verifyHistory(stateDir: string, planPath: string): Map<string, VerifyRecord> {
  return new VerifyHistoryReader().read(stateDir, planPath);
}
