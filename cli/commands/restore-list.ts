// `backplan restore PLAN --job J --list [--format text|json]`: the copies a restore of the job
// can read, newest first (engine/run/ops/restore-copies.ts). Text: one line per copy, its name,
// time and storage. JSON: {"job","kind","target","storage","why","copies":[{"name","time","storage"}]}
// (`target`: what --to names for this kind: files, database or name).
import { listRestoreCopies } from '../../engine/run/ops/restore-copies';
import { JobOpError } from '../../engine/run/ops/types';
import type { CommandContext } from '../command';
import { loadPlanFor } from '../load-plan';
import { sshOptions } from './run';

export async function runRestoreList(cmd: CommandContext): Promise<number> {
  for (const o of ['to', 'in-place', 'copy', 'at', 'path', 'dry-run', 'yes'])
    if (cmd.options[o] !== undefined && cmd.options[o] !== false)
      cmd.usage(`--list lists the copies: it takes no --${o}`);
  const format = cmd.format();
  const job = cmd.string('job')!;
  const loaded = loadPlanFor(cmd, 'restore');
  if (typeof loaded === 'number') return loaded;
  try {
    const r = await listRestoreCopies({ plan: loaded.model, job, sshOptions: sshOptions(cmd) });
    if (format === 'json') cmd.out.write(`${JSON.stringify(r, null, 2)}\n`);
    else {
      cmd.out.write(`copies of ${r.job} (${r.why}):\n`);
      for (const c of r.copies) cmd.out.write(`  ${c.name}  ${c.time}  ${c.storage}\n`);
      if (r.copies.length === 0) cmd.out.write('  (none)\n');
    }
    return 0;
  } catch (e) {
    if (e instanceof JobOpError) {
      cmd.out.error(`backplan: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}
