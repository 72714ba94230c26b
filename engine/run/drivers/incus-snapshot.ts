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
import {
  incusNamesHoldTime,
  incusPatternGlob,
  isIncusPattern,
  nextIncusName,
  parseIncusPattern,
  renderIncusPattern,
} from '../steps/incus-pattern';
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

/** What Incus refuses in a snapshot name (IsURLSegmentSafe, and no space). */
const INCUS_REFUSES = /[/?&+ ]/;
const PLAIN = /^[A-Za-z0-9][A-Za-z0-9._:-]*$/;

export interface SnapshotNaming {
  name: string;
  match: string;
  /** False when the names hold no time (an Incus counter or a fixed name): they cannot be pruned by age. */
  holdsTime: boolean;
  /** True when `pattern` is in Incus's syntax (named as Incus names). */
  incus: boolean;
}

/**
 * The name of `k.job`'s next snapshot: with a strftime `pattern` (or none) Backplan's own name
 * (driver-kit copyName); with a pattern in Incus's syntax (steps/incus-pattern.ts) the name Incus
 * would give at the run's clock in the host's zone, its counter (or `-N`) from the instance's
 * snapshots the runner read (`ctx.taken`; without them, as on an instance that has none).
 */
export function snapshotNaming(k: Kit): SnapshotNaming | undefined {
  const pattern = k.raw.pattern;
  if (typeof pattern !== 'string' || !isIncusPattern(pattern)) {
    const named = k.copyName(DEFAULT_PREFIX);
    return named && { ...named, holdsTime: true, incus: false };
  }
  const parsed = parseIncusPattern(pattern);
  if (!parsed.ok) {
    k.err(`\`pattern\` ${parsed.message}`, k.at('pattern'));
    return undefined;
  }
  const rendered = renderIncusPattern(parsed.parts, k.ctx.now, k.timezone());
  const name = nextIncusName(rendered, k.ctx.taken?.[k.job.name] ?? []);
  if (INCUS_REFUSES.test(name) || !PLAIN.test(name)) {
    k.err(
      `\`pattern\` gives \`${name}\`: Incus refuses \`/ ? & +\` and spaces in snapshot names, and Backplan lists and ` +
        `removes names of letters, digits and . _ : - only, starting with a letter or digit`,
      k.at('pattern'),
    );
    return undefined;
  }
  return { name, match: incusPatternGlob(parsed.parts), holdsTime: incusNamesHoldTime(parsed.parts), incus: true };
}

/** The message for a job Backplan must prune whose snapshot names hold no time. */
export function timelessNamesMessage(pattern: unknown, who: string): string {
  return (
    `\`pattern\` \`${String(pattern)}\` names ${who} with Incus's counter or a fixed name: the names hold no ` +
    `time, so ` +
    `Backplan cannot prune them by age (keep/tiers). Put the time in the name ` +
    `(\`{{ creation_date|date:'2006-01-02_15-04' }}\` or strftime \`%Y%m%d-%H%M\`), or let Incus expire them ` +
    `(\`retention: { expiry: ... }\` alone)`
  );
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
  const named = snapshotNaming(k);
  const policy = k.policy();
  // Incus expires snapshots itself only when `expiry` is the whole policy (the `incus` engine);
  // with keep/tiers beside it Backplan prunes everything, expiry included, so that `min` holds
  // and one engine decides (SPEC §3).
  const native = policy !== undefined && (policy.keep !== undefined || policy.tiers !== undefined);
  const expiry = policy?.expiry !== undefined && !native ? incusExpiry(policy.expiry) : undefined;
  if (expiry && !expiry.ok) k.err(`retention.expiry: ${expiry.message}`, [...policy!.at, 'expiry']);
  // With Incus expiring them (expiry alone) names do not matter; Backplan prunes by the name's time.
  if (named && !named.holdsTime && native)
    k.err(timelessNamesMessage(job.raw.pattern, 'the snapshots'), k.at('pattern'));
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
  const notes =
    named.incus && /%d/.test(String(job.raw.pattern)) && k.ctx.taken === undefined
      ? [
          "the counter is Incus's next free number on the instance, read when the job runs (shown here for an " +
            'instance without such snapshots)',
        ]
      : [];
  k.command(
    'backup',
    `snapshot ${instance} as ${named.name}`,
    { host, argv },
    { inventory, ...(notes.length ? { notes } : {}) },
  );
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
 * tags). A pattern already written in Incus's syntax (`{{ ... }}`, `%d`, steps/incus-pattern.ts)
 * is passed as is.
 */
export function pongoPattern(pattern: string | undefined): string {
  if (pattern !== undefined && isIncusPattern(pattern)) return pattern;
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
 * accepts too). Incus evaluates the cron in the server's timezone and renders `creation_date`
 * in the daemon's local zone too (Go's time.Now(); seen on LXD 5.0.2 started with TZ set), which
 * the plan gives as the host's `timezone`.
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
  else if (typeof pattern === 'string' && isIncusPattern(pattern)) {
    const parsed = parseIncusPattern(pattern);
    if (!parsed.ok) k.err(`\`pattern\` ${parsed.message}`, k.at('pattern'));
  }
  if (k.errors.length || !instance) return { commands: [], errors: k.errors };
  const cmds: Command[] = [
    { host, argv: configSet(bin, instance, 'snapshots.schedule', job.schedule as string) },
    { host, argv: configSet(bin, instance, 'snapshots.pattern', pongoPattern(pattern as string | undefined)) },
  ];
  if (expiry?.ok) cmds.push({ host, argv: configSet(bin, instance, 'snapshots.expiry', expiry.value) });
  return { commands: cmds, errors: [] };
}
