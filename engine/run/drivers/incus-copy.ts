// incus-copy — copy an instance (with its snapshots) to a standby server, incrementally:
// `incus copy SOURCE REMOTE:INSTANCE --mode push --refresh -c boot.autostart=false` (SOURCE the
// `from` job's instance, INSTANCE the job's `instance`, the name on the standby, by default the
// same), then set
// `boot.autostart` on the copy explicitly and read it back (`incus config get`), because Incus
// carries the source's config over on refresh (SPEC §6 autostart-on-standby). `--refresh` only
// takes an instance as source (`--refresh can only be used with instances` for INSTANCE/SNAP),
// so the copy brings every snapshot the standby lacks. With `refresh: false` a full copy is made
// from the newest snapshot instead (`incus copy INSTANCE/SNAP REMOTE:INSTANCE`, a new target
// only). `remote` is the Incus remote name of the standby (default: the host of `to`). With
// `incus_binary: lxc` the same commands run as `lxc` (LXD 5.0: push mode works where pull mode
// does not, see TESTING). Pruned natively on the standby.
// Syntax: https://linuxcontainers.org/incus/docs/main/reference/manpages/incus/copy/
// (`incus copy [<remote>:]<source>[/<snapshot>] [[<remote>:]<destination>]`, --mode, --refresh,
// -c/--config), https://linuxcontainers.org/incus/docs/main/reference/manpages/incus/config/get/,
// https://linuxcontainers.org/incus/docs/main/reference/manpages/incus/config/set/.
import type { JobModel, PlanModel } from '../../plan/model';
import { Kit, type DriverContext, type DriverResult, DEFAULT_PREFIX } from '../steps/driver-kit';
import { configSet, incusBinary, instanceName, snapshotNaming, timelessNamesMessage } from './incus-snapshot';

const REMOTE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export function steps(job: JobModel, plan: PlanModel, ctx: DriverContext): DriverResult {
  const k = new Kit(job, plan, ctx);
  const from = job.from !== undefined ? plan.jobs.get(job.from) : undefined;
  if (job.from !== undefined && !from) k.err(`from \`${job.from}\` is not a job of this plan`, k.at('from'));
  const hostName = job.host ?? from?.host;
  const host = k.hostRef(hostName, 'host', job.host !== undefined || !from ? k.at('host') : [...from.at, 'host']);
  const { bin } = incusBinary(k, hostName);
  // The source is the `from` job's instance; `instance` names the copy on the standby (default: the same).
  const sourceValue = from ? from.raw.instance : job.raw.instance;
  const source = instanceName(
    k,
    sourceValue,
    'instance',
    from && from.raw.instance !== undefined ? [...from.at, 'instance'] : k.at(from ? 'from' : 'instance'),
  );
  const instance = instanceName(
    k,
    job.raw.instance ?? sourceValue,
    'instance',
    job.raw.instance !== undefined || !from ? k.at('instance') : [...from.at, 'instance'],
  );
  // The receiving server's Incus remote name: `remote`, else the host of the `to` storage.
  const to = job.to !== undefined ? k.storage(job.to, 'to') : undefined;
  const remoteAt = job.raw.remote !== undefined || !to ? k.at('remote') : [...to.at, 'host'];
  const remote = k.name('remote', job.raw.remote ?? to?.host, true, remoteAt);
  if (remote !== undefined && !REMOTE.test(remote))
    k.err(`\`remote\` \`${remote}\` is not an Incus remote name`, remoteAt);
  const refresh = job.raw.refresh !== false;
  const auto = job.raw.autostart;
  if (
    auto !== undefined &&
    typeof auto !== 'boolean' &&
    auto !== 0 &&
    auto !== 1 &&
    auto !== 'false' &&
    auto !== 'true' &&
    auto !== '0' &&
    auto !== '1'
  ) {
    k.err('`autostart` must be true or false', k.at('autostart'));
  }
  const autostart = auto === true || auto === 1 || auto === 'true' || auto === '1' ? 'true' : 'false';
  const policy = k.policy();
  // The copy keeps the source job's snapshot names: list and prune them with its glob.
  const src = from ? snapshotNaming(new Kit(from, plan, ctx)) : undefined;
  if (src && !src.holdsTime && policy && (policy.keep !== undefined || policy.tiers !== undefined))
    k.err(
      timelessNamesMessage(from!.raw.pattern, `the snapshots of \`${from!.name}\` (and their copies)`),
      k.at('retention'),
    );
  if (k.errors.length || !source || !instance || !remote) return k.result();

  const target = `${remote}:${instance}`;
  const inventory = {
    type: 'incus-snapshots' as const,
    host,
    binary: bin,
    instance: target,
    match: src?.match ?? `${DEFAULT_PREFIX}*`,
  };
  if (refresh) {
    k.command(
      'copy',
      `copy ${source} to ${target} (incremental)`,
      {
        host,
        argv: [bin, 'copy', source, target, '--mode', 'push', '--refresh', '-c', `boot.autostart=${autostart}`],
      },
      {
        inventory,
        notes: [
          'a running virtual machine may need to be stopped, or copied from a snapshot, depending on the Incus version',
        ],
      },
    );
  } else {
    // Without --refresh the copy is made from the newest snapshot, into a target that must not exist.
    if (k.state.targetExists) {
      k.err(
        `${target} exists already: \`refresh: false\` makes a full copy into a new instance only; remove it on the ` +
          `standby, or let the job refresh it (the default)`,
      );
      return k.result();
    }
    const snap = (from ? ctx.produced?.[from.name]?.name : undefined) ?? k.state.latest;
    const snapName = snap ?? `{{newest snapshot of ${from?.name ?? source}}}`;
    if (snap !== undefined && !/^[A-Za-z0-9][A-Za-z0-9._:+-]*$/.test(snap)) {
      k.err(`snapshot \`${snap}\` is not a plain snapshot name`);
      return k.result();
    }
    k.command(
      'copy',
      `copy ${source}/${snapName} to ${target} (full)`,
      {
        host,
        argv: [bin, 'copy', `${source}/${snapName}`, target, '--mode', 'push', '-c', `boot.autostart=${autostart}`],
      },
      {
        inventory,
        notes: ['refresh: false — a full copy from a snapshot; it fails if the target instance exists'],
        ...(snap ? {} : { unresolved: [snapName] }),
      },
    );
  }
  k.command('setup', `set boot.autostart=${autostart} on ${target}`, {
    host,
    argv: configSet(bin, target, 'boot.autostart', autostart),
  });
  k.command(
    'verify',
    `read back boot.autostart of ${target}`,
    { host, argv: [bin, 'config', 'get', target, 'boot.autostart'] },
    { expect: { stdout: autostart } },
  );
  if (policy && (policy.keep !== undefined || policy.tiers !== undefined)) {
    const step = k.prune(`prune snapshots of ${target} by policy`, host, policy, inventory, {
      timezone: k.timezone(from?.host),
      ...(from ? { replicaOf: from.name } : {}),
    });
    if (refresh) {
      step.notes = [
        '`copy --refresh` makes the standby hold what the source holds: it deletes there the snapshots the source no ' +
          'longer has, and copies again those pruned here that the source still has. The standby keeps at most what ' +
          'the source keeps.',
      ];
    }
  }
  return k.result();
}
