// `pruner: sanoid` (zfs-snapshot) and `pruner: btrbk` (btrfs-snapshot, and the btrfs-send that
// copies it, btrbk-send.ts): the tool itself takes (sends) and prunes the job's snapshots, with
// the configuration `backplan export --to sanoid|btrbk` writes for this one job, so what a run
// leaves is what `backplan simulate` (retention/sanoid.ts, btrbk.ts) shows. Two steps: the
// configuration written atomically on the job's host, then the tool (no Backplan prune: the tool
// prunes). The configuration lives in a directory of its own
// per job on that host, /var/lib/backplan/<tool>/<job>, fixed so that `backplan plan` shows the
// exact path; sanoid's snapshot cache and lock files go there too, and its cache is removed
// before each run (sanoid 2.1.0 trusts a cache younger than 15 minutes and does not refresh it
// after taking, so a cache left by an earlier run would hide the snapshots taken since).
import { btrbkTargetDir, btrbkTargets, exportBtrbk } from '../../export/btrbk';
import type { JobModel, PlanModel } from '../../plan/model';
import { exportSanoid } from '../../export/sanoid';
import type { ExportOptions, ExportResult } from '../../export/types';
import type { PolicyModel } from '../../plan/model';
import type { Kit } from '../steps/driver-kit';
import type { Inventory } from '../steps/step';

export const TOOL_DIR = '/var/lib/backplan';
const JOB_DIR_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** The job's directory for `tool` on its host, or undefined (reported) when the job's name cannot be one. */
function jobDir(k: Kit, tool: 'sanoid' | 'btrbk'): string | undefined {
  if (!JOB_DIR_NAME.test(k.job.name)) {
    k.err(
      `job \`${k.job.name}\`: \`pruner: ${tool}\` keeps the job's ${tool} configuration in a directory named after ` +
        'the job, which needs letters, digits and _ . - only',
    );
    return undefined;
  }
  return `${TOOL_DIR}/${tool}/${k.job.name}`;
}

/** The exported configuration of this one job, or undefined (its problems reported). */
function exported(k: Kit, tool: 'sanoid' | 'btrbk'): string | undefined {
  const run = tool === 'sanoid' ? exportSanoid : exportBtrbk;
  const r: ExportResult = run(k.plan, { planPath: '' } as ExportOptions, [k.job.name]);
  for (const p of r.problems) k.err(`\`pruner: ${tool}\`: ${p.message}`, k.at('retention'));
  for (const s of r.skipped) k.err(`\`pruner: ${tool}\`: ${s.reason}`, k.at('pruner'));
  if (k.errors.length) return undefined;
  const file = r.files.find((f) => f.jobs.includes(k.job.name));
  if (!file) k.err(`\`pruner: ${tool}\`: no ${tool} configuration could be written for this job`, k.at('pruner'));
  return file?.content;
}

/**
 * The target directories of `source`'s btrbk send jobs that Backplan makes (`<to.path>/<job>`;
 * a job's own `snapshot_dir` must exist, as for any btrfs-send).
 */
export function btrbkTargetMkdirs(plan: PlanModel, source: JobModel): string[] {
  return btrbkTargets(plan, source).flatMap((t) => {
    const where = btrbkTargetDir(plan, t, source);
    return t.raw.snapshot_dir === undefined && 'dir' in where ? [where.dir] : [];
  });
}

/**
 * The steps of a job whose snapshots `tool` takes and prunes: write its configuration, run it.
 * `inventory` is where its snapshots are listed (status), named as the tool names them.
 */
export function toolPrunerSteps(
  k: Kit,
  tool: 'sanoid' | 'btrbk',
  host: string,
  policy: PolicyModel | undefined,
  inventory: Inventory,
  what: string,
  opts: { action?: 'resume'; mkdirs?: string[]; pruneOnly?: boolean } = {},
): void {
  // btrbk keeps the latest common snapshot/backup pair itself, for the targets in its section: a
  // `pruner: btrbk` send job is one (btrbk-send.ts); a send by Backplan is not.
  const ownTargets = tool === 'btrbk' ? btrbkTargets(k.plan, k.job).map((j) => j.name) : [];
  // sanoid keeps no base either, but its sends are `pruner: sanoid` jobs (zfs-send.ts refuses the
  // others), and replication-base-at-risk says when its age rule can delete the base.
  const consumers = tool === 'sanoid' ? [] : k.consumers('btrfs-send').filter((c) => !ownTargets.includes(c));
  if (consumers.length) {
    const fix =
      tool === 'btrbk'
        ? 'give the send job `pruner: btrbk` too (btrbk then sends it and keeps the latest common pair)'
        : 'let Backplan prune this job (remove `pruner`) while it is replicated';
    k.err(
      `\`pruner: ${tool}\`: ${tool} would prune the snapshot ${consumers.join(', ')} sends from (it keeps no ` +
        `replication base for a send it does not make); ${fix}`,
      k.at('pruner'),
    );
  }
  if (!policy) k.err(`\`pruner: ${tool}\` needs a \`retention\` (${tool} prunes by it)`, k.at('retention'));
  const dir = jobDir(k, tool);
  const content = k.errors.length ? undefined : exported(k, tool);
  if (!dir || content === undefined || !policy) return;
  const bin = k.tool(k.job.host, tool);
  const conf = `${dir}/${tool}.conf`;
  const cache = `${dir}/cache`;
  k.add({
    type: 'tool-config',
    phase: 'setup',
    description: `write this job's ${tool} configuration to ${conf}`,
    host,
    config: { tool, path: conf, content, clear: tool === 'sanoid' ? [`${cache}/snapshots.txt`] : [] },
  });
  // btrbk with a target: the snapshot job runs `snapshot` (create, delete snapshots), the send
  // job `resume` (send, delete backups, delete snapshots), both on the same section (btrbk(1)).
  const action = tool === 'btrbk' ? (opts.action ?? (ownTargets.length ? 'snapshot' : 'run')) : undefined;
  const argv =
    tool === 'sanoid'
      ? [bin, '--configdir', dir, '--cache-dir', cache, '--run-dir', `${dir}/run`,
          ...(opts.pruneOnly ? [] : ['--take-snapshots']), '--prune-snapshots', '--verbose']
      : [bin, '-c', conf, action!];
  for (const d of opts.mkdirs ?? []) k.mkdir(host, d);
  k.command(
    opts.pruneOnly ? 'prune' : 'backup',
    opts.pruneOnly
      ? `sanoid prunes the snapshots received in ${what} by its own rules (autosnap = no)`
      : action === 'resume'
      ? `btrbk sends the snapshots of ${what} its target keeps, and prunes both sides by its own rules`
      : `${tool} takes and prunes the snapshots of ${what} by its own rules`,
    { host, argv },
    {
      inventory,
      prunedBy: { engine: tool, policy, timezone: k.timezone(), min: 0, inventory },
      notes: [`${tool} prunes these snapshots itself, by the rules \`backplan simulate\` shows: no Backplan prune`],
    },
  );
}
