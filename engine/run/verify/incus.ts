// The restore test of an incus-copy job (`backplan verify --job J`), on the standby:
// - the standby instance exists and holds a snapshot named by the source job (the newest, or
//   the one asked for), and it is not behind: the source's newest snapshot is there too;
// - `boot.autostart` of the standby instance reads what the job sets (false for a standby,
//   SPEC §6 autostart-on-standby), read back with the same command the run uses;
// - the snapshot really restores: it is copied into a scratch instance on the standby
//   (`incus copy REMOTE:INSTANCE/SNAP REMOTE:bpv-XXXX -c boot.autostart=false`, a copy inside one
//   server), which must then exist, stopped, and is deleted whatever happened;
// - the snapshot's own config is read too: Incus copies snapshots with the source's config, so a
//   source that starts on boot gives standby snapshots with `boot.autostart=true`, and restoring
//   one of them on the standby turns autostart back on. Nothing can change a snapshot's config,
//   so this is said in the result (not a failure): after such a restore, set it to false again.
import { randomBytes } from 'node:crypto';
import type { JobModel, PlanModel } from '../../plan/model';
import { fsFor } from '../exec/files';
import type { Hosts } from '../exec/hosts';
import { capture, describeExit, exitOk } from '../exec/process';
import { splitTarget } from '../inventory/incus';
import { listCopies, type Copy } from '../prune/copies';
import { inventoryOf } from '../prune/replication-base';
import type { CommandStep, Inventory, Step } from '../steps/step';

export interface IncusVerifyResult {
  ok: boolean;
  /** The snapshot tested. */
  copy: string;
  /** `REMOTE:INSTANCE/SNAP`. */
  path: string;
  /** Checks that passed. */
  checked: number;
  problems: string[];
  /** One line for people when it passed. */
  summary: string;
}

type IncusInventory = Extract<Inventory, { type: 'incus-snapshots' }>;

export async function verifyIncusCopy(
  job: JobModel,
  plan: PlanModel,
  steps: Step[],
  hosts: Hosts,
  opts: { now: number; copy?: string; signal?: AbortSignal },
): Promise<IncusVerifyResult> {
  const copyStep = steps.find(
    (s): s is CommandStep => s.type === 'command' && s.phase === 'copy' && s.inventory?.type === 'incus-snapshots',
  );
  const readBack = steps.find(
    (s): s is CommandStep => s.type === 'command' && s.phase === 'verify' && s.expect !== undefined,
  );
  if (!copyStep || !readBack) throw new Error(`job ${job.name}: no copy step to verify`);
  const inv = copyStep.inventory as IncusInventory;
  const source = job.from !== undefined ? plan.jobs.get(job.from) : undefined;
  const namer = source ?? job;
  const zone = (namer.host !== undefined ? plan.hosts.get(namer.host)?.timezone : undefined) || plan.timezone || 'UTC';
  const run = async (argv: string[]) => {
    await hosts.ready(inv.host);
    return capture(hosts.argv(inv.host, argv), { signal: opts.signal });
  };
  const problems: string[] = [];
  let checked = 0;
  const result = (copy: Copy | undefined, summary = ''): IncusVerifyResult => ({
    ok: problems.length === 0,
    copy: copy?.name ?? '',
    path: copy?.path ?? inv.instance,
    checked,
    problems,
    summary,
  });

  const there = await listCopies(inv, namer, zone, fsFor(inv.host, hosts), {
    hosts,
    signal: opts.signal,
    replica: true,
  });
  if (there.missing) {
    problems.push(
      `the standby has no instance ${inv.instance}: the copy job has not run yet, or the remote names another server`,
    );
    return result(undefined);
  }
  if (there.copies.length === 0) {
    problems.push(`${inv.instance} holds no snapshot named by ${namer.name} (${inv.match})`);
    return result(undefined);
  }
  let copy = there.copies[0];
  if (opts.copy !== undefined) {
    const found = there.copies.find((c) => c.name === opts.copy);
    if (!found) {
      problems.push(
        `no snapshot named ${opts.copy} on ${inv.instance}; snapshots: ${there.copies.map((c) => c.name).join(', ')}`,
      );
      return result(undefined);
    }
    copy = found;
  }
  checked++;

  // Behind the source? Its newest snapshot should have been copied by the last run.
  if (source) {
    const srcInv = inventoryOf(plan, source.name, opts.now);
    const src = await listCopies(srcInv, source, zone, fsFor(srcInv.host, hosts), { hosts, signal: opts.signal });
    const newest = src.copies[0];
    if (newest && !there.copies.some((c) => c.name === newest.name)) {
      problems.push(
        `the standby is behind: the newest snapshot of ${source.name} is ${newest.name}, the newest on ` +
          `${inv.instance} is ${there.copies[0].name} (run job ${job.name})`,
      );
    } else checked++;
  }

  const auto = await run(readBack.argv);
  const got = auto.stdout.toString('utf8').trim();
  if (!exitOk(auto))
    problems.push(`cannot read boot.autostart of ${inv.instance}: ${describeExit(readBack.argv[0], auto)}`);
  else if (got !== readBack.expect!.stdout)
    problems.push(
      `boot.autostart of ${inv.instance} reads \`${got}\`, the job sets \`${readBack.expect!.stdout}\`: the standby ` +
        `would start its copy on boot`,
    );
  else checked++;

  // Restore: a scratch instance on the standby from the snapshot, then removed.
  const { remote } = splitTarget(inv.instance);
  const scratch = `${remote !== undefined ? `${remote}:` : ''}bpv-${randomBytes(4).toString('hex')}`;
  const bin = inv.binary;
  let restored = false;
  try {
    const c = await run([bin, 'copy', `${inv.instance}/${copy.name}`, scratch, '-c', 'boot.autostart=false']);
    if (!exitOk(c))
      problems.push(`restoring ${inv.instance}/${copy.name} into a scratch instance failed: ${describeExit(bin, c)}`);
    else {
      const { remote: r, instance } = splitTarget(scratch);
      const q = await run([bin, 'query', `${r !== undefined ? `${r}:` : ''}/1.0/instances/${instance}`]);
      let status = '';
      try {
        status = String((JSON.parse(q.stdout.toString('utf8')) as { status?: unknown }).status ?? '');
      } catch {
        status = '';
      }
      if (!exitOk(q) || status === '')
        problems.push(
          `the scratch instance ${scratch} restored from ${copy.name} cannot be read: ${describeExit(bin, q)}`,
        );
      else {
        restored = true;
        checked++;
      }
    }
  } finally {
    const d = await run([bin, 'delete', '--force', scratch]);
    if (!exitOk(d) && !/not found/i.test(d.stderr))
      problems.push(`could not delete the scratch instance ${scratch}: ${describeExit(bin, d)}`);
  }
  const carried = await snapshotAutostart(run, bin, inv.instance, copy.name);
  const warn =
    carried === 'true' || carried === '1'
      ? `; note: the snapshot itself carries boot.autostart=${carried} from the source, so restoring it on the ` +
        `standby turns autostart on again: set boot.autostart=false on ${inv.instance} after such a restore`
      : '';
  const summary = `${copy.name} on ${inv.instance} restored into a scratch instance (deleted again); boot.autostart ` +
    `reads ${got}${source ? `; the standby holds the newest snapshot of ${source.name}` : ''}${warn}`;
  return result(copy, restored ? summary : '');
}

/**
 * `boot.autostart` in a snapshot's own config (what a restore would bring back), or undefined when unreadable or
 * unset.
 */
async function snapshotAutostart(
  run: (argv: string[]) => ReturnType<typeof capture>,
  bin: string,
  target: string,
  snapshot: string,
): Promise<string | undefined> {
  const { remote, instance } = splitTarget(target);
  const q = await run([
    bin,
    'query',
    `${remote !== undefined ? `${remote}:` : ''}/1.0/instances/${instance}/snapshots/${snapshot}`,
  ]);
  if (!exitOk(q)) return undefined;
  try {
    const v = (JSON.parse(q.stdout.toString('utf8')) as { config?: Record<string, unknown> }).config?.[
      'boot.autostart'
    ];
    return typeof v === 'string' ? v : undefined;
  } catch {
    return undefined;
  }
}
