// Reading `backplan run --progress json`: one JSON event per line (engine/run/ops/run-plan.ts
// RunEvent), the last one `{"event":"summary", ...RunReport}`. Turns them into log lines, a
// progress message and the closing summary. Pure (no vscode import).
import { formatSize } from '../engine/plan/size';

export interface StepDetail {
  output?: string;
  bytes?: number;
  files?: number;
  removed?: unknown[];
  kept?: unknown[];
}

export type RunEventJson =
  | { event: 'run-start'; run: string; journal: string; jobs: string[] }
  | { event: 'job-start'; job: string }
  | { event: 'step-start'; job: string; step: string; phase: string; description: string }
  | { event: 'step-end'; job: string; step: string; status: string; ms: number; message?: string; detail?: StepDetail }
  | { event: 'job-end'; job: string; status: string; message?: string }
  | { event: 'notice'; job?: string; message: string }
  | { event: 'run-end'; ok: boolean; ms: number }
  | { event: 'summary'; run: string; journal: string; ok: boolean; ms: number; jobs: JobReportJson[] };

export interface JobReportJson {
  job: string;
  status: string;
  message?: string;
  steps: { id: string; phase: string; status: string; ms: number; message?: string; detail?: StepDetail }[];
}

export function parseEvent(line: string): RunEventJson | undefined {
  const t = line.trim();
  if (!t.startsWith('{')) return undefined;
  try {
    const e = JSON.parse(t) as { event?: unknown };
    return typeof e.event === 'string' ? (e as RunEventJson) : undefined;
  } catch {
    return undefined;
  }
}


function detailText(d: StepDetail | undefined): string {
  if (!d) return '';
  const bits: string[] = [];
  if (d.output) bits.push(`wrote ${d.output}${typeof d.bytes === 'number' ? ` (${formatSize(d.bytes)}${typeof d.files === 'number' ? `, ${d.files} files` : ''})` : ''}`);
  if (Array.isArray(d.removed)) bits.push(`pruned ${d.removed.length}${Array.isArray(d.kept) ? `, kept ${d.kept.length}` : ''}`);
  return bits.join('; ');
}

/** One line for the output channel, or undefined for events not worth a line. */
export function logLine(e: RunEventJson): string | undefined {
  switch (e.event) {
    case 'run-start':
      return `run ${e.run} started: ${e.jobs.join(', ')} (journal ${e.journal})`;
    case 'job-start':
      return `${e.job}: started`;
    case 'step-start':
      return `${e.step} ${e.phase}: ${e.description}`;
    case 'step-end': {
      const d = detailText(e.detail);
      return `${e.step} ${e.status} in ${e.ms} ms${e.message ? `: ${e.message}` : ''}${d ? ` — ${d}` : ''}`;
    }
    case 'job-end':
      return `${e.job}: ${e.status}${e.message ? ` — ${e.message}` : ''}`;
    case 'notice':
      return `notice${e.job ? ` (${e.job})` : ''}: ${e.message}`;
    case 'run-end':
      return `run ${e.ok ? 'succeeded' : 'failed'} in ${(e.ms / 1000).toFixed(1)} s`;
    case 'summary':
      return undefined;
  }
}

export interface RunSummary {
  ok: boolean;
  /** The notification's text. */
  message: string;
  /** Problems: failed or skipped jobs, notices. */
  problems: string[];
}

export function summarize(report: Extract<RunEventJson, { event: 'summary' }>, notices: string[], cancelled: boolean): RunSummary {
  const count = (s: string) => report.jobs.filter((j) => j.status === s).length;
  const outputs = report.jobs.flatMap((j) => j.steps.map((s) => s.detail?.output).filter((o): o is string => typeof o === 'string'));
  const problems = [
    ...report.jobs.filter((j) => j.status !== 'ok').map((j) => `${j.job} ${j.status}${j.message ? `: ${j.message}` : ''}`),
    ...notices,
  ];
  const head = cancelled
    ? 'Backplan: run cancelled'
    : report.ok
      ? 'Backplan: backup succeeded'
      : 'Backplan: backup failed';
  const parts = [`${count('ok')} ok`, count('failed') ? `${count('failed')} failed` : '', count('skipped') ? `${count('skipped')} skipped` : ''].filter(Boolean);
  const wrote = outputs.length ? ` Wrote ${outputs.map((o) => o.slice(o.lastIndexOf('/') + 1)).join(', ')}.` : '';
  const probs = problems.length ? ` Problems: ${problems.slice(0, 3).join('; ')}${problems.length > 3 ? ` (+${problems.length - 3} more)` : ''}.` : '';
  return { ok: report.ok && !cancelled, message: `${head} — ${parts.join(', ')} in ${(report.ms / 1000).toFixed(1)} s.${wrote}${probs}`, problems };
}
