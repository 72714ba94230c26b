// `backplan status PLAN [--state-dir D] [--live] [--job J] [--format text|json|nagios|prometheus]`
// (SPEC §10): the state of each job from the journals of the state directory; no host is
// contacted unless --live. The plan is parsed, not checked: a plan with errors still has a
// status. Exit 0 when every job is ok or disabled (and, with --live, none drifted), 1 otherwise, 2 on bad usage or unreadable
// input; --format nagios exits 0/1/2/3 as the Monitoring Plugins do.
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { buildModel } from '../../engine/plan/build-model';
import type { PlanModel } from '../../engine/plan/model';
import { parsePlan } from '../../engine/plan/parse';
import { resolveLocalPaths } from '../../engine/plan/resolve-paths';
import { resolveStateDir } from '../../engine/run/state/dir';
import { readHistory, StateDirError, type PlanHistory } from '../../engine/ops/status/history';
import { drifted, jobInfos, nagios, planStatus, statusExitCode, veryLate, type JobStatus, type StatusReport } from '../../engine/ops/status/state';
import { cachedPlan } from '../../engine/ops/status/plan-cache';
import { monitoringOf, writeMetricsFile } from '../../engine/ops/metrics/publish';
import { renderMetrics } from '../../engine/ops/metrics/metrics';
import { formatSpan } from '../../engine/time/duration';
import type { CommandContext } from '../command';
import { paint, type Colour, type Out } from '../output';
import { readPlanFile } from '../read-plan';
import { sshOptions } from './run';

type Format = 'text' | 'json' | 'nagios' | 'prometheus';

const COLOUR: Record<JobStatus['state'], Colour> = { ok: 'green', late: 'yellow', failed: 'red', never: 'red', disabled: 'gray' };

function loadModel(cmd: CommandContext, file: string): PlanModel {
  const parsed = parsePlan(readPlanFile(file));
  if (parsed.value === undefined || parsed.value === null || typeof parsed.value !== 'object') {
    const f = parsed.findings[0];
    cmd.usage(`${file}: not a readable plan${f ? ` (${f.message})` : ''}; see backplan check ${file}`);
  }
  return resolveLocalPaths(buildModel(parsed.value), dirname(resolve(file)));
}

const size = (b: number) => {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let i = 0;
  let v = b;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
};
const span = (s: number | null) => (s === null ? '-' : formatSpan(s * 1000));

/** One aligned line per job, worst first. */
export function statusText(out: Pick<Out, 'color'>, r: StatusReport): string {
  const rows = r.jobs.map((j) => {
    const last = j.lastRun ? `${j.lastRun.result}${j.lastRun.start ? ` ${j.lastRun.start.slice(0, 16).replace('T', ' ')}Z` : ''}` : 'no run';
    const age = j.ageSeconds === null ? 'no good copy' : `age ${span(j.ageSeconds)}${j.rpoSeconds !== null ? ` / rpo ${span(j.rpoSeconds)}` : ''}`;
    const extra: string[] = [];
    if (j.copies !== null) extra.push(`${j.copies} copies`);
    if (j.bytes !== null) extra.push(size(j.bytes));
    if (j.lastVerify) extra.push(`verify ${j.lastVerify.result} ${j.lastVerify.time.slice(0, 10)}`);
    if (j.drift) extra.push(`drift: ${j.drift.missing.length} missing, ${j.drift.extra.length} extra`);
    return [j.state, j.job, j.kind, last, age, extra.join(', ')];
  });
  const widths = [0, 1, 2, 3, 4].map((c) => Math.max(0, ...rows.map((row) => row[c].length)));
  const lines = rows.map((row, i) => {
    const state = paint(out, COLOUR[r.jobs[i].state], row[0].padEnd(widths[0]));
    const cells = [state, paint(out, 'bold', row[1].padEnd(widths[1])), row[2].padEnd(widths[2]), row[3].padEnd(widths[3]), row[4].padEnd(widths[4]), row[5]];
    // Drift, each copy named: what is there and should not be, what should be there and is not.
    const j = r.jobs[i];
    const named = [
      ...(j.drift?.extra ?? []).map((n) => `    extra: ${n} (its retention would already have removed it)`),
      ...(j.drift?.missing ?? []).map((t) => `    missing: the copy of ${t.slice(0, 16).replace('T', ' ')}Z`),
    ];
    return [cells.join('  ').trimEnd(), ...named].join('\n');
  });
  const n = (s: string) => r.jobs.filter((j) => j.state === s).length;
  lines.push(`${r.jobs.length} jobs: ${n('ok')} ok, ${n('late')} late${r.jobs.some(veryLate) ? ` (${r.jobs.filter(veryLate).length} by more than twice the rpo)` : ''}, ${n('failed')} failed, ${n('never')} never, ${n('disabled')} disabled${r.jobs.some((j) => j.drift !== undefined) ? `; ${r.jobs.filter(drifted).length} with copies that differ from the plan` : ''}`);
  return `${lines.join('\n')}\n`;
}

export async function runStatus(cmd: CommandContext): Promise<number> {
  const format = cmd.format<Format>();
  const out = cmd.out;
  const [file, ...extra] = cmd.positionals;
  if (!file || extra.length > 0) cmd.usage(`status needs exactly one plan file: ${cmd.usageLine}`);
  const job = cmd.string('job');
  const stateDir = resolveStateDir(cmd.string('state-dir'));
  const now = Date.now();
  // The plan's jobs: parsed, or from the state directory's cache while the file is unchanged.
  let model: PlanModel | undefined;
  const load = () => (model ??= loadModel(cmd, file));
  const plan = cmd.options.live ? { jobs: jobInfos(load(), now), monitoring: load().monitoring } : cachedPlan(stateDir, file, load, now);
  if (job !== undefined && !plan.jobs.some((j) => j.name === job)) cmd.usage(`no job \`${job}\` in ${file}; jobs: ${plan.jobs.map((j) => j.name).join(', ')}`);
  let history: PlanHistory;
  try {
    history = readHistory(stateDir, file);
  } catch (e) {
    if (!(e instanceof StateDirError)) throw e;
    out.error(`backplan: ${e.message}\n`);
    return format === 'nagios' ? (out.write(`BACKPLAN UNKNOWN - ${e.message}\n`), 3) : 2;
  }
  if (history.newer) out.error(`backplan: ${history.newer} journal${history.newer === 1 ? ' was' : 's were'} written by a newer Backplan and left out; upgrade to read them\n`);
  if (history.unreadable) out.error(`backplan: ${history.unreadable} journal${history.unreadable === 1 ? '' : 's'} could not be read and ${history.unreadable === 1 ? 'was' : 'were'} left out\n`);
  if (history.empty && format === 'text') out.error(`backplan: no journal in ${stateDir} yet: nothing has run with this state directory\n`);

  const report = planStatus(plan.jobs, history.jobs, now, job);
  if (cmd.options.live) {
    const { planDrift } = await import('../../engine/ops/status/live');
    const firstSuccess = new Map<string, string>();
    for (const [name, h] of history.jobs) if (h.firstSuccess) firstSuccess.set(name, h.firstSuccess);
    const drift = await planDrift(load(), now, { only: job, sshOptions: sshOptions(cmd), firstSuccess });
    for (const j of report.jobs) {
      const d = drift.get(j.job);
      j.drift = d?.drift ?? null;
      if (d && d.drift === null && format === 'text') out.error(`backplan: ${j.job}: no drift: ${d.note}\n`);
      if (d?.drift && 'copies' in d) j.copies = d.copies;
    }
  }

  // `late` notifications, once per late episode (only when some job is late: the plan is then parsed).
  if (report.jobs.some((j) => j.state === 'late') && existsSync(stateDir)) {
    const { notifyLateJobs } = await import('../../engine/ops/notify/late');
    await notifyLateJobs(report, load(), stateDir, {
      planPath: resolve(file),
      onWarning: (l) => out.error(`${l}\n`),
    });
  }

  switch (format) {
    case 'json':
      out.write(`${JSON.stringify(report, null, 2)}\n`);
      return statusExitCode(report);
    case 'nagios': {
      const n = nagios(report);
      out.write(`${n.line}\n`);
      return n.code;
    }
    case 'prometheus': {
      const text = await renderMetrics(plan.jobs, history.jobs, now);
      out.write(text);
      const cfg = monitoringOf(plan, file);
      if (cfg.textfile) {
        const w = writeMetricsFile(cfg.textfile, text);
        if (w) out.error(`backplan: warning: ${w}\n`);
      }
      return statusExitCode(report);
    }
    default:
      out.write(statusText(out, report));
      return statusExitCode(report);
  }
}
