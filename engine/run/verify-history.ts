// The restore tests a state directory remembers: every `backplan verify` journals its result
// (a `run-start` with command `verify` and the plan's path, then the `JOB/verify` step-end).
// This reads them back, newest per job, for the checks (no-restore-test) to use.
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { readJournal } from './journal';

export interface VerifyRecord {
  /** ISO time the result was journalled. */
  at: string;
  ok: boolean;
  /** The copy that was restored. */
  copy?: string;
}

/** The newest journalled verify of each job of the plan at `planPath`, from `<stateDir>/runs`. */
export function verifyHistory(stateDir: string, planPath: string): Map<string, VerifyRecord> {
  const out = new Map<string, VerifyRecord>();
  const runs = join(stateDir, 'runs');
  let files: string[];
  try {
    files = readdirSync(runs).filter((f) => f.endsWith('.jsonl'));
  } catch {
    return out;
  }
  const plan = resolve(planPath);
  for (const f of files) {
    let lines;
    try {
      lines = readJournal(join(runs, f));
    } catch {
      continue;
    }
    const start = lines[0];
    if (!start || start.type !== 'run-start' || start.command !== 'verify' || resolve(start.plan) !== plan) continue;
    for (const l of lines) {
      if (l.type !== 'step-end' || !l.step.endsWith('/verify') || l.status === 'skipped') continue;
      const prev = out.get(l.job);
      if (prev && prev.at >= l.t) continue;
      const copy = typeof l.detail?.copy === 'string' ? l.detail.copy : undefined;
      out.set(l.job, { at: l.t, ok: l.status === 'ok', ...(copy ? { copy } : {}) });
    }
  }
  return out;
}
