// `backplan prune PLAN --job J [--dry-run] [--state-dir D] [--format text|json]
// [--break-stale-lock]`: apply the job's retention to its live copies now. --dry-run lists the
// real copies the policy would remove, with the reasons of those it keeps, and changes nothing.
import { resolve } from 'node:path';
import { publishAfter } from '../publish-metrics';
import { pruneJob, JobOpError, type PruneJobReport } from '../../engine/run/ops/prune-job';
import { LockError } from '../../engine/run/state/lock';
import { PruneError } from '../../engine/run/prune/copies';
import { FsError } from '../../engine/run/exec/files';
import { resolveStateDir } from '../../engine/run/state/dir';
import type { CommandContext } from '../command';
import { paint, type Out } from '../output';
import { loadPlanFor } from '../load-plan';
import { Notifier } from '../../engine/ops/notify/lifecycle';
import { sshOptions } from './run';

function text(out: Out, r: PruneJobReport): string {
  const lines = [`${paint(out, 'bold', r.job)}: ${r.engine} rules, never fewer than ${r.min} newest; ${r.dir}`];
  const width = Math.max(0, ...r.keep.map((k) => k.name.length), ...r.remove.map((k) => k.name.length));
  for (const k of r.keep) lines.push(`  ${paint(out, 'green', 'keep  ')}  ${k.name.padEnd(width)}  ${k.time}  ${k.reasons.join(', ')}`);
  for (const c of r.remove) lines.push(`  ${paint(out, 'red', r.dryRun ? 'remove' : r.removed.includes(c.name) ? 'removed' : 'FAILED')}  ${c.name.padEnd(width)}  ${c.time}`);
  for (const i of r.ignored) lines.push(`  ${paint(out, 'gray', 'ignore')}  ${i.name} (${i.why})`);
  for (const p of r.partials) lines.push(`  ${paint(out, 'gray', r.dryRun ? 'stale ' : 'cleaned')}  ${p} (left by an interrupted run)`);
  for (const f of r.failed) lines.push(`  ${paint(out, 'red', 'error')}  ${f}`);
  lines.push(
    r.dryRun
      ? `dry run: ${r.remove.length} of ${r.keep.length + r.remove.length} copies would be removed; nothing was changed`
      : `${r.removed.length} removed, ${r.keep.length} kept${r.failed.length ? `, ${r.failed.length} could not be removed` : ''}; journal ${r.journal}`,
  );
  return `${lines.join('\n')}\n`;
}

export async function runPrune(cmd: CommandContext): Promise<number> {
  const format = cmd.format();
  const job = cmd.string('job');
  if (job === undefined) cmd.usage('prune needs --job J: backplan prune PLAN --job J [--dry-run]');
  const loaded = loadPlanFor(cmd, 'prune');
  if (typeof loaded === 'number') return loaded;
  const stateDir = resolveStateDir(cmd.string('state-dir'));
  const dryRun = Boolean(cmd.options['dry-run']);
  // Notifications (SPEC §10) of a real prune: `start`, then its outcome once it is journalled.
  const notifier = dryRun ? undefined : new Notifier({ plan: loaded.model, planPath: resolve(loaded.file), onWarning: (l) => cmd.out.error(`${l}\n`) });
  notifier?.start(job!, null);
  try {
    const r = await pruneJob({
      plan: loaded.model,
      planPath: resolve(loaded.file),
      job: job!,
      stateDir,
      dryRun,
      breakStaleLock: Boolean(cmd.options['break-stale-lock']),
      sshOptions: sshOptions(cmd),
    });
    cmd.out.write(format === 'json' ? `${JSON.stringify(r, null, 2)}\n` : text(cmd.out, r));
    await notifier?.finishJob(job!, r.failed.length ? 'failure' : 'success', r.failed.length ? `could not remove ${r.failed.join('; ')}` : `${r.removed.length} removed, ${r.keep.length} kept`, r.journal);
    return r.failed.length ? 1 : 0;
  } catch (e) {
    if (e instanceof JobOpError || e instanceof LockError || e instanceof PruneError || e instanceof FsError) {
      cmd.out.error(`backplan: ${e.message}\n`);
      await notifier?.finishJob(job!, e instanceof PruneError ? 'warning' : 'failure', `prune ${e instanceof PruneError ? 'refused' : 'failed'}: ${e.message}`);
      return 1;
    }
    throw e;
  } finally {
    if (!dryRun) await publishAfter(cmd.out, loaded.model, loaded.file, stateDir);
  }
}
