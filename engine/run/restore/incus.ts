// Restoring an incus-snapshot or incus-copy copy, through the job's client (`incus`, or LXD's
// `lxc` with `incus_binary: lxc`, as the drivers pick it). The copy is a snapshot of the source
// instance, or of its copy on the standby (an incus-copy job), listed through the client.
// - `--to NAME` (or `REMOTE:NAME`): a NEW instance from the snapshot, made under the scratch name
//   `NAME-partial` (`copy SNAP NAME-partial`, `--mode push` between two servers) and renamed
//   when whole (`move`); a NAME that exists is refused. Without a remote it is made beside the
//   copy: on the standby when the copy was read there (the source host gone). `boot.autostart`
//   is set as the source has it (its live config, else the snapshot's own, which Incus copies
//   from the source), read back, and said.
// - `--in-place`: the current state is kept as a snapshot `before-restore-<time>` of the
//   instance, then the instance is restored to the copy (`restore` / `snapshot restore`); only
//   from the instance's own snapshots.
// Syntax: https://linuxcontainers.org/incus/docs/main/reference/manpages/incus/copy/,
// https://linuxcontainers.org/incus/docs/main/reference/manpages/incus/move/,
// https://linuxcontainers.org/incus/docs/main/reference/manpages/incus/snapshot/restore/,
// https://documentation.ubuntu.com/lxd/en/latest/reference/manpages/lxc/restore/.
import { capture, exitOk } from '../exec/process';
import { clientFailure, speaksLxc, splitTarget } from '../inventory/incus';
import { inventoryOf } from '../prune/replication-base';
import { onHost } from './common';
import { ownListing, replicaListings, snapshotJob, snapshotJobOf, type Family } from './snapshots';
import { RestoreError, type InstanceRestorer, type KindContext, type RestoreAction, type RestoreCopy } from './types';

const FAMILY: Family = { snapshot: 'incus-snapshot', send: 'incus-copy' };
const NAME = /^[A-Za-z][A-Za-z0-9-]{0,54}$/;

/** The source instance, its host and client. */
function home(ctx: KindContext): { host: string; bin: string; instance: string } {
  const inv = inventoryOf(ctx.plan, snapshotJob(ctx, FAMILY).name, Date.now());
  if (inv.type !== 'incus-snapshots') throw new RestoreError(`job ${ctx.job.name}: no Incus instance`);
  return { host: inv.host, bin: inv.binary, instance: inv.instance };
}

function ofCopy(copy: RestoreCopy): { host: string; bin: string; target: string; remote?: string; instance: string } {
  const inv = copy.inventory;
  if (inv?.type !== 'incus-snapshots') throw new RestoreError(`${copy.name} is not an Incus snapshot`);
  return { host: inv.host, bin: inv.binary, target: inv.instance, ...splitTarget(inv.instance) };
}

const at = (remote: string | undefined, name: string) => `${remote !== undefined ? `${remote}:` : ''}${name}`;

async function ask(ctx: KindContext, host: string, argv: string[]) {
  await ctx.x.hosts.ready(host);
  return capture(ctx.x.hosts.argv(host, argv));
}

/** Whether an instance exists (an answer other than "not found" is an error in the client's words). */
async function exists(
  ctx: KindContext,
  host: string,
  bin: string,
  remote: string | undefined,
  name: string,
): Promise<boolean> {
  const r = await ask(ctx, host, [bin, 'query', `${at(remote, '')}/1.0/instances/${name}`]);
  if (exitOk(r)) return true;
  if (/not found/i.test(r.stderr)) return false;
  throw new RestoreError(`cannot tell whether ${at(remote, name)} exists: ${clientFailure(bin, r)}`);
}

/** boot.autostart as the source has it: the live instance's, else the snapshot's own config (Incus copies it). */
async function sourceAutostart(ctx: KindContext, copy: RestoreCopy): Promise<{ value: string; from: string }> {
  const h = home(ctx);
  const live = await ask(ctx, h.host, [h.bin, 'config', 'get', h.instance, 'boot.autostart']);
  if (exitOk(live))
    return { value: live.stdout.toString('utf8').trim(), from: `as the source instance ${h.instance} has it` };
  const c = ofCopy(copy);
  const q = await ask(ctx, c.host, [
    c.bin,
    'query',
    `${at(c.remote, '')}/1.0/instances/${c.instance}/snapshots/${copy.name}`,
  ]);
  if (!exitOk(q)) throw new RestoreError(`cannot read the config of ${copy.path}: ${clientFailure(c.bin, q)}`);
  let v: unknown;
  try {
    v = (JSON.parse(q.stdout.toString('utf8')) as { config?: Record<string, unknown> }).config?.['boot.autostart'];
  } catch {
    throw new RestoreError(`the config of ${copy.path} is not JSON`);
  }
  return {
    value: typeof v === 'string' ? v : '',
    from:
      `as the source had it when ${copy.name} was taken ` +
      `(the source instance cannot be read: ${clientFailure(h.bin, live)})`,
  };
}

export const incusRestorer: InstanceRestorer = {
  target: 'instance',
  list: (ctx) => ownListing(ctx, FAMILY),
  replicas: (ctx) => replicaListings(ctx, FAMILY),
  whole: {
    noun: 'instance',
    suggest(plan, job) {
      const inst = snapshotJobOf(plan, job, FAMILY)?.raw.instance;
      const target = typeof inst === 'string' && NAME.test(`${inst}-restored`) ? `${inst}-restored` : 'NEW_INSTANCE';
      return {
        target,
        note:
          `restored as the new, stopped instance ${target} beside the copy (on the standby when read there), ` +
          'boot.autostart as the source has it; --in-place keeps the current state as a snapshot first',
      };
    },
    async plan(ctx, copy, req) {
      const c = ofCopy(copy);
      const lxc = speaksLxc(c.bin);
      if (req.to === undefined) {
        const h = home(ctx);
        if (c.remote !== undefined || c.host !== h.host || c.instance !== h.instance)
          throw new RestoreError(
            `${copy.path} is not a snapshot of ${h.instance} itself: an in-place restore reads the instance's own ` +
              `snapshots; restore this one into a new instance with --to NAME (beside it) or --to REMOTE:NAME`,
          );
        const keep = `before-restore-${req.stamp}`;
        const snap = lxc ? [h.bin, 'snapshot', h.instance, keep] : [h.bin, 'snapshot', 'create', h.instance, keep];
        const back = lxc
          ? [h.bin, 'restore', h.instance, copy.name]
          : [h.bin, 'snapshot', 'restore', h.instance, copy.name];
        let kept = false;
        return {
          target: h.instance,
          actions: [
            {
              description: `keep the current state of ${h.instance} as its snapshot ${keep}`,
              host: h.host,
              argv: snap,
              async run() {
                await onHost(ctx.x.hosts, h.host, snap, `cannot snapshot ${h.instance}`);
                kept = true;
              },
            },
            {
              description: `restore ${h.instance} to its snapshot ${copy.name}`,
              host: h.host,
              argv: back,
              async run() {
                await onHost(ctx.x.hosts, h.host, back, `cannot restore ${h.instance} to ${copy.name}`);
              },
            },
          ],
          cleanup: async () => undefined,
          bytes: async () => 0,
          movedAside: () => (kept ? `${h.instance}/${keep} (a snapshot of the instance)` : undefined),
          notes: [],
        };
      }
      let want: { remote?: string; instance: string };
      try {
        want = splitTarget(req.to);
      } catch (e) {
        throw new RestoreError(`--to ${(e as Error).message}`);
      }
      if (!NAME.test(want.instance))
        throw new RestoreError(
          `--to ${req.to}: an instance name starts with a letter, then letters, digits and '-' (55 at most)`,
        );
      const remote = req.to.includes(':') ? want.remote : c.remote;
      const target = at(remote, want.instance);
      const scratch = at(remote, `${want.instance}-partial`);
      for (const n of [want.instance, `${want.instance}-partial`])
        if (await exists(ctx, c.host, c.bin, remote, n))
          throw new RestoreError(`${at(remote, n)} exists: a restore never replaces an instance; choose a new --to`);
      const auto = await sourceAutostart(ctx, copy);
      const push = remote !== c.remote ? ['--mode', 'push'] : [];
      const config = auto.value !== '' ? ['-c', `boot.autostart=${auto.value}`] : [];
      const cp = [c.bin, 'copy', copy.path, scratch, ...push, ...config];
      const mv = [c.bin, 'move', scratch, target];
      const get = [c.bin, 'config', 'get', target, 'boot.autostart'];
      let made: string | undefined;
      const undo = async () => {
        if (made === undefined) return;
        const r = await ask(ctx, c.host, [c.bin, 'delete', '--force', made]);
        if (!exitOk(r) && !/not found/i.test(r.stderr))
          throw new RestoreError(`the scratch instance ${made} could not be deleted: ${clientFailure(c.bin, r)}`);
        made = undefined;
      };
      const actions: RestoreAction[] = [
        {
          description: `make the new instance ${scratch} from ${copy.path}`,
          host: c.host,
          argv: cp,
          async run() {
            made = scratch;
            await onHost(ctx.x.hosts, c.host, cp, `cannot copy ${copy.path}`);
          },
          undo,
        },
        {
          description: `give the restored instance its name ${target}`,
          host: c.host,
          argv: mv,
          async run() {
            await onHost(ctx.x.hosts, c.host, mv, `cannot rename ${scratch} to ${target}`);
            made = target;
          },
          undo,
        },
        {
          description: `read back boot.autostart of ${target}`,
          host: c.host,
          argv: get,
          async run() {
            const got = (await onHost(ctx.x.hosts, c.host, get, `cannot read boot.autostart of ${target}`)).trim();
            if (got !== auto.value)
              throw new RestoreError(`boot.autostart of ${target} reads \`${got}\`, the source has \`${auto.value}\``);
          },
        },
      ];
      return {
        target,
        actions,
        cleanup: undo,
        bytes: async () => 0,
        movedAside: () => undefined,
        notes: [
          `${target} is a new, stopped instance${remote !== undefined ? ` on ${remote}` : ''}`,
          auto.value !== '' ? `boot.autostart=${auto.value} ${auto.from}` : `boot.autostart is left unset ${auto.from}`,
        ],
      };
    },
  },
};
