// `backplan init PLAN [--job J] [--dry-run] [--state-dir D] [--format text|json]
// [--break-stale-lock] [--ssh-option KEY=VALUE]...`: create what the jobs write into before their
// first run (engine/run/ops/init-job.ts): restic and borg repositories, the parent dataset of a
// zfs-send target, receive and snapshot directories, storage directories. What exists is left
// alone. --dry-run prints every check and creation with its host and argv, and changes nothing.
// Exit 0: everything exists now (or, dry run, could be planned); 1: the plan has errors or
// something could not be created; 2: bad usage or an unreadable plan.
import { resolve } from 'node:path';
import { initJobs, type InitReport } from '../../engine/run/ops/init-job';
import { resolveStateDir } from '../../engine/run/state/dir';
import type { CommandContext } from '../command';
import { loadPlanFor } from '../load-plan';
import { paint, type Out } from '../output';
import { sshOptions } from './run';

const WORD = { planned: 'would create if missing', exists: 'exists', created: 'created', failed: 'FAILED' } as const;

function text(out: Out, r: InitReport): string {
  const lines: string[] = [];
  for (const j of r.jobs) {
    const head = `${paint(out, 'bold', j.job)} (${j.kind})`;
    if (j.status === 'nothing' || j.status === 'skipped') {
      lines.push(`${head}: ${paint(out, 'gray', `${j.status === 'skipped' ? 'skipped: ' : ''}${j.message ?? ''}`)}`);
      continue;
    }
    lines.push(head);
    for (const t of j.targets) {
      const colour = t.status === 'failed' ? 'red' : t.status === 'created' ? 'green' : 'gray';
      lines.push(`  ${paint(out, 'gray', t.id)} ${paint(out, colour, WORD[t.status])}: ${t.description} on ${t.host}`);
      if (r.dryRun) {
        lines.push(`    check:  ${t.check}`);
        lines.push(`    create: ${t.create}`);
      } else if (t.status === 'created') lines.push(`    ${t.create}`);
      if (t.message) lines.push(`    ${paint(out, 'red', t.message)}`);
    }
    if (j.status === 'failed' && j.message && !j.targets.some((t) => t.message)) lines.push(`  ${paint(out, 'red', j.message)}`);
    // Notes are about what is being made: not repeated once it exists.
    if (r.dryRun || j.targets.some((t) => t.status === 'created')) for (const n of j.notes) lines.push(`  ${paint(out, 'yellow', `note: ${n}`)}`);
  }
  const count = (s: string) => r.jobs.reduce((n, j) => n + j.targets.filter((t) => t.status === s).length, 0);
  const failed = r.jobs.filter((j) => j.status === 'failed').length;
  lines.push(
    r.dryRun
      ? `dry run: ${count('planned')} things to check for ${r.jobs.length} jobs${failed ? `, ${failed} jobs cannot be initialised` : ''}; nothing was read or changed`
      : `${count('created')} created, ${count('exists')} already there${failed ? `, ${failed} jobs failed` : ''}; journal ${r.journal}`,
  );
  return `${lines.join('\n')}\n`;
}

export async function runInit(cmd: CommandContext): Promise<number> {
  const format = cmd.format();
  const loaded = loadPlanFor(cmd, 'init');
  if (typeof loaded === 'number') return loaded;
  const dryRun = Boolean(cmd.options['dry-run']);
  const r = await initJobs({
    plan: loaded.model,
    planPath: resolve(loaded.file),
    job: cmd.string('job'),
    stateDir: resolveStateDir(cmd.string('state-dir')),
    dryRun,
    breakStaleLock: Boolean(cmd.options['break-stale-lock']),
    sshOptions: sshOptions(cmd),
    onEvent: (e) => {
      if (e.event === 'step-start') cmd.out.progress(`${e.step}: ${e.description}`);
      else if (e.event === 'notice') {
        cmd.out.endProgress();
        cmd.out.error(`backplan: ${e.job ? `${e.job}: ` : ''}${e.message}\n`);
      }
    },
  });
  cmd.out.endProgress();
  cmd.out.write(format === 'json' ? `${JSON.stringify(r, null, 2)}\n` : text(cmd.out, r));
  return r.ok ? 0 : 1;
}
