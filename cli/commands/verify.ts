// `backplan verify PLAN --job J [--copy NAME] [--state-dir D] [--format text|json]
// [--break-stale-lock]`: the restore test of a job: restore a copy (the newest by default) of
// an archive job into a scratch directory and compare every file with the sha256 manifest, or
// of a pg-dump or mysql-dump job into a scratch database on the job's server (over ssh when it
// is remote; an encrypted copy decrypted here) and compare every table's row count with the source.
// Text ends with the measured restore time, "verified 1.2 GiB in 41 s (RTO 4h: ok)" (SPEC §11).
import { resolve } from 'node:path';
import { publishAfter } from '../publish-metrics';
import { tmpdir } from 'node:os';
import { verifyJob, JobOpError } from '../../engine/run/ops/verify-job';
import { LockError } from '../../engine/run/state/lock';
import { PruneError } from '../../engine/run/prune/copies';
import { FsError } from '../../engine/run/exec/files';
import { resolveStateDir } from '../../engine/run/state/dir';
import type { CommandContext } from '../command';
import { paint } from '../output';
import { loadPlanFor } from '../load-plan';
import { Notifier } from '../../engine/ops/notify/lifecycle';
import { sshOptions } from './run';
import { measuredLine } from './restore';

export async function runVerify(cmd: CommandContext): Promise<number> {
  const format = cmd.format();
  const job = cmd.string('job');
  if (job === undefined) cmd.usage('verify needs --job J: backplan verify PLAN --job J [--copy NAME]');
  const loaded = loadPlanFor(cmd, 'verify');
  if (typeof loaded === 'number') return loaded;
  const stateDir = resolveStateDir(cmd.string('state-dir'));
  // Notifications (SPEC §10): `start`, then the restore test's outcome once it is journalled.
  const notifier = new Notifier({ plan: loaded.model, planPath: resolve(loaded.file), onWarning: (l) => cmd.out.error(`${l}\n`) });
  notifier.start(job!, null);
  try {
    const r = await verifyJob({
      plan: loaded.model,
      planPath: resolve(loaded.file),
      job: job!,
      copy: cmd.string('copy'),
      scratchDir: cmd.string('scratch-dir') ?? tmpdir(),
      stateDir,
      breakStaleLock: Boolean(cmd.options['break-stale-lock']),
      sshOptions: sshOptions(cmd),
    });
    if (format === 'json') cmd.out.write(`${JSON.stringify(r, null, 2)}\n`);
    else if (r.ok && r.tables) {
      const counts = r.tables.map((t) => `${t.table} ${t.rows}`).join(', ');
      cmd.out.write(`${paint(cmd.out, 'green', 'verified')} ${r.job}: ${r.copy} restored into a scratch database; the row counts of all ${r.tables.length} tables match the source${counts ? ` (${counts})` : ''}\n`);
    } else if (r.ok && r.summary) {
      cmd.out.write(`${paint(cmd.out, 'green', 'verified')} ${r.job}: ${r.summary}\n`);
    } else if (r.ok) {
      cmd.out.write(`${paint(cmd.out, 'green', 'verified')} ${r.job}: ${r.copy} restored; archive sha256 matches its manifest and all ${r.checked} files are identical\n`);
    } else {
      cmd.out.write(`${paint(cmd.out, 'red', 'FAILED')} ${r.job}: ${r.copy}\n${r.problems.map((p) => `  ${p}`).join('\n')}\n`);
    }
    if (format !== 'json' && r.ok) cmd.out.write(`${measuredLine('verified', r.bytes, r.durationSeconds ?? 0, r.rto)}\n`);
    await notifier.finishJob(job!, r.ok ? 'success' : 'failure', r.ok ? `restore test of ${r.copy} passed` : `restore test of ${r.copy} failed: ${r.problems.join('; ')}`, r.journal);
    return r.ok ? 0 : 1;
  } catch (e) {
    if (e instanceof JobOpError || e instanceof LockError || e instanceof PruneError || e instanceof FsError) {
      cmd.out.error(`backplan: ${e.message}\n`);
      await notifier.finishJob(job!, 'failure', `restore test failed: ${e.message}`);
      return 1;
    }
    throw e;
  } finally {
    await publishAfter(cmd.out, loaded.model, loaded.file, stateDir);
  }
}
