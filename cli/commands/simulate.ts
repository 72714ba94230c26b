// `backplan simulate PLAN`: the snapshot set each job will hold at a date, simulated with the
// exact rules of the engine that prunes it, with stats, and optionally the timeline as SVG.
import { writeFileSync } from 'node:fs';
import { extname } from 'node:path';
import type { SimulatedJob } from '../../engine/simulate/simulate-job';
import { SimulationError } from '../../engine/simulate/simulate';
import { timelineSvg } from '../../engine/simulate/svg';
import { parseDuration } from '../../engine/time/duration';
import type { CommandContext } from '../command';
import { UsageError } from '../errors';
import { loadPlanFor } from '../load-plan';
import { paint, type Out } from '../output';
import { parseTime } from '../parse-time';
import { simulatePlanThreaded } from '../simulate-threads';

function timeOption(cmd: CommandContext, name: string): number | undefined {
  const v = cmd.string(name);
  if (v === undefined) return undefined;
  const t = parseTime(v);
  if (!Number.isFinite(t)) cmd.usage(`--${name} ${v} is not an ISO 8601 time (e.g. 2027-06-01 or 2027-06-01T12:00:00Z)`);
  return t;
}

/** `timeline.svg` → `timeline-JOB.svg` when several jobs are drawn. */
function svgPath(file: string, job: string, many: boolean): string {
  if (!many) return file;
  const ext = extname(file) || '.svg';
  return `${file.slice(0, file.length - extname(file).length)}-${job}${ext}`;
}

function formatJob(j: SimulatedJob, out: Out): string {
  const s = j.stats;
  const lines = [
    `${paint(out, 'bold', j.job)} (${j.engine} rules, ${j.timezone}, ${j.schedule}) — ${s.count} held at ${j.at}`,
    `  from ${j.from}: ${s.created} created, ${s.removed} removed${s.expired ? ` (${s.expired} expired)` : ''}, between ${s.minCount} and ${s.maxCount} held; oldest ${s.oldest ?? '-'}`,
  ];
  if (s.worstGap) lines.push(`  worst gap between restore points: ${s.worstGap.human} (${s.worstGap.from} → ${s.worstGap.to})`);
  for (const r of j.rules) lines.push(`  ${String(r.count).padStart(5)}  ${r.label}`);
  for (const snap of j.snapshots) lines.push(`  ${paint(out, 'gray', snap.time)}  ${snap.reasons.join(', ')}`);
  return lines.join('\n');
}

/** The bundle this code runs from (what a worker thread runs), undefined when not bundled (tests in process). */
function ownBundle(): string | undefined {
  return typeof __filename === 'string' && __filename.endsWith('.js') ? __filename : undefined;
}

export async function runSimulate(cmd: CommandContext): Promise<number> {
  const format = cmd.format();
  const from = timeOption(cmd, 'from');
  const at = timeOption(cmd, 'at');
  const horizon = cmd.string('horizon');
  if (at !== undefined && horizon !== undefined) cmd.usage('give either --at or --horizon, not both');
  if (horizon !== undefined) {
    const d = parseDuration(horizon);
    if (!d.ok) cmd.usage(`--horizon: ${d.message}`);
  }
  if (at !== undefined && from !== undefined && at < from) cmd.usage('--at is before --from');
  const loaded = loadPlanFor(cmd, 'simulate');
  if (typeof loaded === 'number') return loaded;
  const job = cmd.string('job');
  cmd.out.progress(`simulating ${job ?? 'every job'} …`);
  let result;
  try {
    result = await simulatePlanThreaded(loaded.model, { job, from, at, horizon }, ownBundle());
  } catch (e) {
    if (e instanceof SimulationError) throw new UsageError(e.message);
    throw e;
  }
  cmd.out.endProgress();
  const svg = cmd.string('svg');
  if (svg !== undefined) {
    for (const j of result.jobs) writeFileSync(svgPath(svg, j.job, result.jobs.length > 1), timelineSvg(j));
  }
  if (format === 'json') {
    cmd.out.write(JSON.stringify({ jobs: result.jobs, skipped: result.skipped }, null, 2) + '\n');
  } else {
    const parts = result.jobs.map((j) => formatJob(j, cmd.out));
    for (const s of result.skipped) parts.push(paint(cmd.out, 'gray', `${s.job}: not simulated (${s.reason})`));
    cmd.out.write(parts.join('\n\n') + '\n');
  }
  return 0;
}
