// vzdump — Proxmox VE backup of `vmid` (one or several guests) to the PVE storage named by `to`
// (the plan's storage name is the Proxmox storage id), in `mode` (default snapshot), with the policy passed as
// `--prune-backups` so PVE/PBS prunes right after a successful backup. Run on the PVE node
// (`host`). vzdump writes its archive under a temporary name itself.
// Syntax: https://pve.proxmox.com/pve-docs/vzdump.1.html (`vzdump {<vmid>} [OPTIONS]`, --storage,
// --mode snapshot|suspend|stop, --prune-backups [keep-all=<1|0>] [,keep-daily=<N>] ...),
// https://pbs.proxmox.com/docs/maintenance.html#pruning. Not run here (no Proxmox).
import type { JobModel, PlanModel } from '../../plan/model';
import { pbsPruneBackups } from '../steps/translate';
import { Kit, type DriverContext, type DriverResult } from '../steps/driver-kit';

const PVE_ID = /^[A-Za-z][A-Za-z0-9._-]*$/;

export function steps(job: JobModel, plan: PlanModel, ctx: DriverContext): DriverResult {
  const k = new Kit(job, plan, ctx);
  const host = k.jobHost();
  const vmids = k.list(
    'vmid',
    (v) =>
      typeof v === 'string' && /^[1-9][0-9]{2,8}$/.test(v)
        ? undefined
        : `\`${String(v)}\` is not a Proxmox guest id (100-999999999)`,
    true,
  );
  const to = k.storage(job.to, 'to');
  // The plan's storage name is the Proxmox storage id (pvesm).
  const storeId = to?.name;
  if (to && (typeof storeId !== 'string' || !PVE_ID.test(storeId)))
    k.err(`storage \`${to.name}\`: \`${String(storeId)}\` is not a Proxmox storage id`, k.at('to'));
  const mode = job.raw.mode ?? 'snapshot';
  if (mode !== 'snapshot' && mode !== 'suspend' && mode !== 'stop')
    k.err('`mode` must be snapshot, suspend or stop', k.at('mode'));
  const policy = k.policy();
  const prune = policy ? pbsPruneBackups(policy) : undefined;
  if (prune && !prune.ok) k.err(`retention: ${prune.message}`, k.at('retention'));
  if (job.encrypt)
    k.err(
      '`encrypt` is not supported for vzdump (use a Proxmox Backup Server storage with client-side encryption)',
      k.at('encrypt'),
    );
  if (k.errors.length || !to) return k.result();

  const argv = [k.tool(job.host, 'vzdump'), ...vmids, '--storage', storeId as string, '--mode', mode as string];
  if (prune?.ok) argv.push('--prune-backups', prune.value);
  k.command(
    'backup',
    `vzdump ${vmids.join(' ')} to ${storeId}`,
    { host, argv },
    prune?.ok
      ? { notes: ['pruned by Proxmox after the backup succeeds (--prune-backups)'] }
      : { notes: ["no retention: the storage's own prune-backups setting applies"] },
  );
  return k.result();
}
