// The measured restores a state directory remembers (SPEC §11: "every verify and restore
// journals its duration: that is the measured RTO"). A `backplan verify` journals its
// `JOB/verify` step-end, a `backplan restore` its `JOB/restore` step-end; both carry `ms`, and
// `detail.durationSeconds` when the operation journals it (restore does; verify may), which wins.
// Only successful ones count: a failed restore measures nothing. Newest per job, for the rule
// rto-exceeded, the hover of a job and `backplan runbook`.
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { readJournal } from '../run/state/journal';

export interface MeasuredRestore {
  /** ISO time the result was journalled. */
  at: string;
  /** How long the restore (or restore test) took. */
  seconds: number;
  /** Which command measured it. */
  via: 'verify' | 'restore';
  /** The copy that was restored, when journalled. */
  copy?: string;
}

interface JournalMeasures {
  stamp: string;
  plan?: string;
  results: Map<string, MeasuredRestore>;
}

function readMeasures(path: string, stamp: string): JournalMeasures {
  const results = new Map<string, MeasuredRestore>();
  let lines;
  try {
    lines = readJournal(path);
  } catch {
    return { stamp, results };
  }
  const start = lines[0];
  if (!start || start.type !== 'run-start' || (start.command !== 'verify' && start.command !== 'restore')) return { stamp, results };
  const via = start.command;
  for (const l of lines) {
    if (l.type !== 'step-end' || l.status !== 'ok' || l.step !== `${l.job}/${via}`) continue;
    const d = l.detail;
    const seconds =
      typeof d?.durationSeconds === 'number' && Number.isFinite(d.durationSeconds)
        ? d.durationSeconds
        : typeof l.ms === 'number' && Number.isFinite(l.ms)
          ? l.ms / 1000
          : undefined;
    if (seconds === undefined || seconds < 0) continue;
    const prev = results.get(l.job);
    if (prev && prev.at >= l.t) continue;
    const copy = typeof d?.copy === 'string' ? d.copy : undefined;
    results.set(l.job, { at: l.t, seconds, via, ...(copy ? { copy } : {}) });
  }
  return { stamp, plan: typeof start.plan === 'string' ? resolve(start.plan) : undefined, results };
}

/** Reads measured restores again and again (the language server): a journal is parsed again only when it changed. */
export class RestoreHistoryReader {
  private readonly journals = new Map<string, JournalMeasures>();

  /** The newest measured restore of each job of the plan at `planPath`, from `<stateDir>/runs`. */
  read(stateDir: string, planPath: string): Map<string, MeasuredRestore> {
    const out = new Map<string, MeasuredRestore>();
    const runs = join(stateDir, 'runs');
    let files: string[];
    try {
      files = readdirSync(runs).filter((f) => f.endsWith('.jsonl'));
    } catch {
      return out;
    }
    const plan = resolve(planPath);
    const seen = new Set<string>();
    for (const f of files.sort()) {
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
      if (!j || j.stamp !== stamp) this.journals.set(path, (j = readMeasures(path, stamp)));
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

/** The newest measured restore of each job of the plan at `planPath`. */
export function restoreHistory(stateDir: string, planPath: string): Map<string, MeasuredRestore> {
  return new RestoreHistoryReader().read(stateDir, planPath);
}
