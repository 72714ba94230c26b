// `backplan run PLAN [--job J] [--dry-run] [--state-dir D] [--progress json] [--format text|json]
// [--break-stale-lock] [--per-host N]`: run the plan's steps for real (engine/run/ops/run-plan.ts),
// or with --dry-run print them and change nothing anywhere (no state directory, no lock).
// Exit 0: every job succeeded; 1: the plan has errors or a job failed (or was skipped because
// its prerequisite failed); 2: bad usage or an unreadable plan.
import { formatSize } from '../../engine/plan/size';
import { resolve } from 'node:path';
import { publishAfter } from '../publish-metrics';
import { planSteps } from '../../engine/run/steps/plan-steps';
import { runPlan, type RunEvent, type RunReport } from '../../engine/run/ops/run-plan';
import { resolveStateDir } from '../../engine/run/state/dir';
import { formatStep } from '../../engine/run/steps/step';
import type { CommandContext } from '../command';
import { loadPlanFor } from '../load-plan';
import { Notifier } from '../../engine/ops/notify/lifecycle';
import { paint, type Out } from '../output';


/** `--ssh-option OPT` (repeatable): extra `-o OPT` for every ssh (known_hosts file, ciphers ...). */
export function sshOptions(cmd: CommandContext): string[] | undefined {
  const v = cmd.options['ssh-option'] as unknown;
  if (v === undefined) return undefined;
  const list = (Array.isArray(v) ? v : [v]) as string[];
  for (const o of list) if (!/^[A-Za-z]+=\S/.test(o)) cmd.usage(`--ssh-option ${o}: expected an ssh option as KEY=VALUE (e.g. StrictHostKeyChecking=accept-new)`);
  return list;
}

export function perHostOption(cmd: CommandContext): number | undefined {
  const v = cmd.string('per-host');
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 64) cmd.usage('--per-host takes a whole number from 1 to 64');
  return n;
}

function progressMode(cmd: CommandContext): 'json' | undefined {
  const p = cmd.string('progress');
  if (p === undefined) return undefined;
  if (p !== 'json') cmd.usage(`--progress ${p} is not supported; use --progress json`);
  return 'json';
}


function textEvent(out: Out, e: RunEvent): void {
  if (e.event === 'step-start') out.progress(`${e.step} ${e.phase}: ${e.description}`);
  else if (e.event === 'notice') {
    out.endProgress();
    out.error(`backplan: ${e.job ? `${e.job}: ` : ''}${e.message}\n`);
  }
}

function textReport(out: Out, r: RunReport): string {
  const lines: string[] = [];
  for (const j of r.jobs) {
    const colour = j.status === 'ok' ? 'green' : j.status === 'failed' ? 'red' : 'yellow';
    const bits: string[] = [];
    for (const s of j.steps) {
      const d = s.detail as Record<string, unknown> | undefined;
      if (s.status === 'ok' && d?.output) bits.push(`wrote ${d.output}${typeof d.bytes === 'number' ? ` (${formatSize(d.bytes)}${d.files !== undefined ? `, ${d.files} files` : ''})` : ''}`);
      if (s.status === 'ok' && d?.removed) bits.push(`pruned ${(d.removed as unknown[]).length}, kept ${(d.kept as unknown[]).length}`);
    }
    lines.push(`${paint(out, colour, j.status.padEnd(7))} ${paint(out, 'bold', j.job)}${bits.length ? `: ${bits.join('; ')}` : ''}`);
    if (j.status !== 'ok' && j.message) lines.push(`        ${j.message}`);
  }
  const n = (s: string) => r.jobs.filter((j) => j.status === s).length;
  lines.push(`run ${r.run}: ${n('ok')} ok, ${n('failed')} failed, ${n('skipped')} skipped in ${(r.ms / 1000).toFixed(1)} s; journal ${r.journal}`);
  return `${lines.join('\n')}\n`;
}

export async function runRun(cmd: CommandContext): Promise<number> {
  const format = cmd.format();
  const progress = progressMode(cmd);
  const perHost = perHostOption(cmd);
  const loaded = loadPlanFor(cmd, 'run');
  if (typeof loaded === 'number') return loaded;
  const job = cmd.string('job');
  const out = cmd.out;

  if (cmd.options['dry-run']) {
    // Nothing is read or written: no state directory, no lock, no journal (SPEC §8.7).
    const p = planSteps(loaded.model, { job, now: Date.now() });
    if (format === 'json' || progress === 'json') {
      out.write(`${JSON.stringify({ dryRun: true, steps: p.steps.map((s) => ({ id: s.id, job: s.job, phase: s.phase, host: s.host, description: s.description, display: formatStep(s) })), errors: p.errors, skipped: p.skipped })}\n`);
    } else {
      const lines: string[] = [];
      for (const s of p.steps) lines.push(`${paint(out, 'gray', s.id)} ${s.phase}: ${s.description}\n    ${formatStep(s)}`);
      for (const s of p.skipped) lines.push(paint(out, 'gray', `${s.job}: skipped (${s.reason})`));
      for (const e of p.errors) lines.push(paint(out, 'red', `${e.job}: ${e.message}`));
      lines.push(`dry run: ${p.steps.length} steps for ${p.order.length} jobs; nothing was run or changed`);
      out.write(`${lines.join('\n')}\n`);
    }
    return p.errors.length ? 1 : 0;
  }

  const abort = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => {
    out.endProgress();
    out.error(`backplan: ${sig}: stopping the run (steps in progress fail, partial files are removed, locks released)\n`);
    abort.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // Notifications (SPEC §10): `start` as each job starts, the outcome once the journal is written.
  const notifier = new Notifier({ plan: loaded.model, planPath: resolve(loaded.file), onWarning: (l) => out.error(`${l}\n`) });
  let runId: string | null = null;
  let report: RunReport;
  const stateDir = resolveStateDir(cmd.string('state-dir'));
  try {
    report = await runPlan({
      plan: loaded.model,
      planPath: resolve(loaded.file),
      job,
      stateDir,
      breakStaleLock: Boolean(cmd.options['break-stale-lock']),
      perHost,
      sshOptions: sshOptions(cmd),
      signal: abort.signal,
      onEvent: (e) => {
        if (e.event === 'run-start') runId = e.run;
        else if (e.event === 'job-start') notifier.start(e.job, runId);
        if (progress === 'json') out.write(`${JSON.stringify(e)}\n`);
        else textEvent(out, e);
      },
    });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    out.endProgress();
  }
  if (progress === 'json') out.write(`${JSON.stringify({ event: 'summary', ...report })}\n`);
  else if (format === 'json') out.write(`${JSON.stringify(report, null, 2)}\n`);
  else out.write(textReport(out, report));
  await notifier.finishRun(report);
  await publishAfter(out, loaded.model, loaded.file, stateDir);
  return report.ok ? 0 : 1;
}
