// sanoid 2.1 exits 0 when `zfs snapshot` fails: take_snapshots prints "CRITICAL ERROR: ... failed"
// and goes on (only a pre/post script's failure changes its exit). A run that trusted the exit
// would journal a success for a fire that took nothing. So after sanoid's take-and-prune step,
// Backplan lists the dataset again and asks sanoid's own take rule (retention/sanoid.ts
// sanoidDue) at the step's start: any type still due there is a snapshot this fire should have
// taken and did not, and the step fails naming it. Times come from the names (sanoid's local
// time when it took them), as every other reading of a `pruner: sanoid` dataset does.
import type { JobModel } from '../../plan/model';
import { frequentPeriod, sanoidCounts, sanoidDue, sanoidName, sanoidType } from '../../retention/sanoid';
import type { Hosts } from '../exec/hosts';
import { fsFor } from '../exec/files';
import { listCopies } from '../prune/copies';
import type { CommandStep } from '../steps/step';

/** The step takes sanoid's snapshots (not the prune-only step on a send's target). */
export function takesSanoidSnapshots(step: CommandStep): boolean {
  return step.prunedBy?.engine === 'sanoid' && step.phase === 'backup' && step.argv.includes('--take-snapshots');
}

/**
 * Why the snapshots due at `start` are not there, or undefined when each type sanoid had to take
 * has a snapshot from this fire (or was not due). A listing that fails is a failure too: the
 * run cannot say it took anything.
 */
export async function sanoidMissedSnapshots(
  step: CommandStep,
  job: JobModel,
  start: number,
  hosts: Hosts,
  signal?: AbortSignal,
): Promise<string | undefined> {
  const spec = step.prunedBy!;
  const inv = spec.inventory;
  const where = inv.type === 'zfs-snapshots' ? inv.dataset : inv.host;
  let listed;
  try {
    listed = await listCopies(inv, job, spec.timezone, fsFor(inv.host, hosts), { hosts, signal });
  } catch (e) {
    const why = (e as Error).message;
    return `sanoid exited 0, but the snapshots of ${where} could not be listed to see what it took: ${why}`;
  }
  const newest: Partial<Record<string, number>> = {};
  for (const c of listed.copies) {
    const type = sanoidType(c.name);
    if (type !== undefined && (newest[type] === undefined || c.time > newest[type]!)) newest[type] = c.time;
  }
  const fp = frequentPeriod(spec.policy) ?? 15;
  const due = sanoidDue(start, sanoidCounts(spec.policy), newest, spec.timezone, fp);
  if (!due.length) return undefined;
  const names = due.map((t) => `${where}@${sanoidName(start, t, spec.timezone)}`);
  return (
    `sanoid exited 0 but did not take ${due.length === 1 ? 'the snapshot' : 'the snapshots'} this run was due to ` +
    `take (${due.join(', ')}; e.g. ${names.join(', ')}, or one a few seconds later): sanoid 2.1 only prints ` +
    '"CRITICAL ERROR" when `zfs snapshot` fails (a full or read-only pool, a name too long)'
  );
}
