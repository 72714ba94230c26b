// incus-snapshot — `incus snapshot create INSTANCE NAME` (or, with `hosts.X.incus_binary: lxc`,
// LXD's `lxc snapshot INSTANCE NAME`) on the job's host. A policy that is only `expiry` is handed
// to Incus (`snapshots.expiry`, which also applies to snapshots made by hand); a policy with
// `keep`/`tiers` is pruned natively, its `expiry` too, and its snapshots are made with
// `--no-expiry` (both CLIs have it) so that a `snapshots.expiry` still set on the instance
// does not expire them. `nativeSchedule()` gives the commands that
// make Incus itself take the snapshots (snapshots.schedule/pattern/expiry), for
// `backplan export --to incus`.
// Syntax: https://linuxcontainers.org/incus/docs/main/reference/manpages/incus/snapshot/create/
// (`incus snapshot create [<remote>:]<instance> [<snapshot name>]`),
// https://documentation.ubuntu.com/lxd/en/latest/reference/manpages/lxc/snapshot/ (`lxc snapshot`),
// https://linuxcontainers.org/incus/docs/main/reference/instance_options/#instance-options-snapshots
// (snapshots.expiry units M H d w m y; snapshots.pattern is a Pongo2 template).
import type { JobModel, PlanModel } from '../../plan/model';
import { incusExpiry } from '../steps/translate';
import { Kit, type DriverContext, type DriverResult, DEFAULT_PREFIX } from '../steps/driver-kit';
import type { Command } from '../steps/step';

const INSTANCE = /^[A-Za-z0-9][A-Za-z0-9-]*$/;

/** The client command (`incus`, `lxc` or a full path) and which CLI dialect it speaks. */
export function incusBinary(k: Kit, hostName: string | undefined): { bin: string; lxc: boolean } {
  const v = k.hostModel(hostName)?.raw?.incus_binary;
  if (v === undefined) return { bin: 'incus', lxc: false };
  if (typeof v !== 'string' || !/^(\/[^\0\n]+|[A-Za-z0-9][A-Za-z0-9._+-]*)$/.test(v)) {
    k.err(`host ${hostName}: incus_binary must be \`incus\`, \`lxc\` or a full path`, [
      ...k.hostModel(hostName)!.at,
      'incus_binary',
    ]);
    return { bin: 'incus', lxc: false };
  }
  return { bin: v, lxc: /(^|\/)lxc$/.test(v) };
}

/** `at`: where the name is written (the job's own field by default). */
export function instanceName(k: Kit, value: unknown, field = 'instance', at = k.at(field)): string | undefined {
  const v = k.name(field, value, true, at);
  if (v !== undefined && !INSTANCE.test(v)) {
    k.err(`\`${field}\` \`${v}\` is not an instance name (letters, digits and '-')`, at);
    return undefined;
  }
  return v;
}

/** `incus config set TARGET KEY=VALUE` (same shape for lxc). */
export function configSet(bin: string, target: string, key: string, value: string): string[] {
  return [bin, 'config', 'set', target, `${key}=${value}`];
}

export function steps(job: JobModel, plan: PlanModel, ctx: DriverContext): DriverResult {
  const k = new Kit(job, plan, ctx);
  const host = k.jobHost();
  const { bin, lxc } = incusBinary(k, job.host);
  const instance = instanceName(k, job.raw.instance);
  const named = k.copyName(DEFAULT_PREFIX);
  const policy = k.policy();
  // Incus expires snapshots itself only when `expiry` is the whole policy (the `incus` engine);
  // with keep/tiers beside it Backplan prunes everything, expiry included, so that `min` holds
  // and one engine decides (SPEC §3).
  const native = policy !== undefined && (policy.keep !== undefined || policy.tiers !== undefined);
  const expiry = policy?.expiry !== undefined && !native ? incusExpiry(policy.expiry) : undefined;
  if (expiry && !expiry.ok) k.err(`retention.expiry: ${expiry.message}`, [...policy!.at, 'expiry']);
  if (k.errors.length || !instance || !named) return k.result();

  if (expiry?.ok) {
    k.command('setup', `let Incus expire snapshots of ${instance} after ${policy!.expiry}`, {
      host,
      argv: configSet(bin, instance, 'snapshots.expiry', expiry.value),
    });
  }
  // When Backplan prunes, a `snapshots.expiry` left on the instance (by hand, or by an earlier
  // expiry-only policy) must not stamp the new snapshot with a deadline of its own: Incus would
  // delete it behind the policy's back, `min` and tiers included.
  const noExpiry = native ? ['--no-expiry'] : [];
  const argv = lxc
    ? [bin, 'snapshot', ...noExpiry, instance, named.name]
    : [bin, 'snapshot', 'create', ...noExpiry, instance, named.name];
  const inventory = { type: 'incus-snapshots' as const, host, binary: bin, instance, match: named.match };
  k.command('backup', `snapshot ${instance} as ${named.name}`, { host, argv }, { inventory });
  k.produced = { name: named.name, host, where: instance };
  if (policy && native) {
    // The standby's copy is refreshed from these snapshots: the newest one it shares must stay.
    const consumers = k.consumers('incus-copy');
    k.prune(
      `prune snapshots of ${instance} by policy`,
      host,
      policy,
      inventory,
      consumers.length ? { protectBaseOf: consumers } : {},
    );
  }
  return k.result();
}

/**
 * strftime pattern → Pongo2 template over `creation_date` (Go layouts, literals kept outside the
 * tags). A pattern already written in Pongo2 (`{{ ... }}`) is passed as is.
 */
export function pongoPattern(pattern: string | undefined): string {
  if (pattern !== undefined && pattern.includes('{{')) return pattern;
  const GO: Record<string, string> = { Y: '2006', y: '06', m: '01', d: '02', H: '15', M: '04', S: '05', j: '002' };
  const src = pattern ?? `${DEFAULT_PREFIX}%Y%m%dT%H%MZ`;
  let out = '';
  for (let i = 0; i < src.length; i++) {
    if (src[i] === '%' && src[i + 1] === '%') {
      out += '%';
      i++;
    } else if (src[i] === '%' && GO[src[i + 1]]) {
      out += `{{ creation_date|date:"${GO[src[i + 1]]}" }}`;
      i++;
    } else {
      out += src[i];
    }
  }
  return out;
}

/**
 * Setup commands that hand scheduling to Incus itself (one `config set` per key, which LXD 5.0
 * accepts too). Incus evaluates the cron in the server's timezone and names snapshots from
 * `creation_date` in UTC.
 */
export function nativeSchedule(job: JobModel, plan: PlanModel): { commands: Command[]; errors: string[] } {
  const k = new Kit(job, plan, { now: 0 });
  const host = k.jobHost();
  const { bin } = incusBinary(k, job.host);
  const instance = instanceName(k, job.raw.instance);
  const policy = k.policy();
  if (typeof job.schedule !== 'string' || job.schedule === '' || /[\x00-\x1f]/.test(job.schedule))
    k.err('`schedule` is required for Incus scheduling', k.at('schedule'));
  const expiry = policy?.expiry !== undefined ? incusExpiry(policy.expiry) : undefined;
  if (expiry && !expiry.ok) k.err(`retention.expiry: ${expiry.message}`, [...policy!.at, 'expiry']);
  if (policy && (policy.keep !== undefined || policy.tiers !== undefined))
    k.err(
      'Incus scheduling can only expire snapshots (`expiry`); `keep`/`tiers` need Backplan to prune',
      k.at('retention'),
    );
  const pattern = job.raw.pattern;
  if (pattern !== undefined && typeof pattern !== 'string') k.err('`pattern` must be a string', k.at('pattern'));
  if (k.errors.length || !instance) return { commands: [], errors: k.errors };
  const cmds: Command[] = [
    { host, argv: configSet(bin, instance, 'snapshots.schedule', job.schedule as string) },
    { host, argv: configSet(bin, instance, 'snapshots.pattern', pongoPattern(pattern as string | undefined)) },
  ];
  if (expiry?.ok) cmds.push({ host, argv: configSet(bin, instance, 'snapshots.expiry', expiry.value) });
  return { commands: cmds, errors: [] };
}
