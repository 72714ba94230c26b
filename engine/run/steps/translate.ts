// Plan durations and retention policies translated to each tool's own syntax. A form the tool
// cannot express exactly is an error (never a silent approximation, SPEC §3); the message says
// what to write instead.
import type { KeepModel, PolicyModel } from '../../plan/model';
import { parseDuration, type Duration } from '../../time/duration';

export type Translated<T> = { ok: true; value: T } | { ok: false; message: string };

const ok = <T>(value: T): Translated<T> => ({ ok: true, value });
const fail = <T>(message: string): Translated<T> => ({ ok: false, message });

function parsed(text: unknown): Translated<Duration> {
  if (typeof text !== 'string') return fail(`a duration must be a string like \`7d\` (got ${JSON.stringify(text)})`);
  const r = parseDuration(text);
  return r.ok ? ok(r.value) : fail(r.message);
}

/**
 * restic duration (`forget --keep-within*`): `NyNmNdNh`, where `m` is months. Weeks become 7 days;
 * minutes have no restic unit. https://restic.readthedocs.io/en/stable/060_forget.html
 */
export function resticDuration(text: unknown): Translated<string> {
  const p = parsed(text);
  if (!p.ok) return p;
  const d = p.value;
  if (d.min !== 0) return fail(`restic durations have no minutes: \`${text}\` cannot be expressed (use whole hours)`);
  const days = d.d + 7 * d.w;
  const out = `${d.y ? `${d.y}y` : ''}${d.mo ? `${d.mo}m` : ''}${days ? `${days}d` : ''}${d.h ? `${d.h}h` : ''}`;
  return out === '' ? fail(`\`${text}\` is zero`) : ok(out);
}

/**
 * borg 1.2 interval (`prune --keep-within`): ONE number and ONE unit of H, d, w, m (= 31 days),
 * y (= 365 days) — see borg/helpers/parseformat.py `interval()`. Fixed-length parts are summed in
 * the largest unit that divides them; a plan `mo`/`y` maps to borg's own m/y only when it is the
 * only unit (borg's m and y are fixed lengths, as borg's prune evaluator simulates them).
 * https://borgbackup.readthedocs.io/en/1.2-maint/usage/prune.html
 */
export function borgInterval(text: unknown): Translated<string> {
  const p = parsed(text);
  if (!p.ok) return p;
  const d = p.value;
  const fixed = d.min !== 0 || d.h !== 0 || d.d !== 0 || d.w !== 0;
  if (d.y !== 0 || d.mo !== 0) {
    if (fixed || (d.y !== 0 && d.mo !== 0)) {
      return fail(
        `borg --keep-within takes a single unit: \`${text}\` mixes months or years with other units (write e.g. ` +
          `\`14mo\` or \`400d\`)`,
      );
    }
    return ok(d.y !== 0 ? `${d.y}y` : `${d.mo}m`);
  }
  if (d.min % 60 !== 0) return fail(`borg --keep-within has no minutes: \`${text}\` is not a whole number of hours`);
  const hours = d.min / 60 + d.h + 24 * (d.d + 7 * d.w);
  if (hours === 0) return fail(`\`${text}\` is zero`);
  if (hours % (24 * 7) === 0) return ok(`${hours / (24 * 7)}w`);
  if (hours % 24 === 0) return ok(`${hours / 24}d`);
  return ok(`${hours}H`);
}

/**
 * Incus/LXD `snapshots.expiry` (and `snapshot create --expiry`): space-separated parts with units
 * M (minutes), H (hours), d, w, m (months), y.
 * https://linuxcontainers.org/incus/docs/main/reference/instance_options/#instance-options-snapshots
 */
export function incusExpiry(text: unknown): Translated<string> {
  const p = parsed(text);
  if (!p.ok) return p;
  const d = p.value;
  const parts = [
    d.y ? `${d.y}y` : '',
    d.mo ? `${d.mo}m` : '',
    d.w ? `${d.w}w` : '',
    d.d ? `${d.d}d` : '',
    d.h ? `${d.h}H` : '',
    d.min ? `${d.min}M` : '',
  ].filter(Boolean);
  return parts.length ? ok(parts.join(' ')) : fail(`\`${text}\` is zero`);
}

/**
 * Go duration for Velero `--ttl` (hours, minutes, seconds only: months and years have no fixed
 * length, so they cannot be a TTL). Rendered as Go prints durations, e.g. `720h0m0s`.
 * https://velero.io/docs/main/backup-reference/ (TTL) and Go time.ParseDuration
 */
export function goDuration(text: unknown): Translated<string> {
  const p = parsed(text);
  if (!p.ok) return p;
  const d = p.value;
  if (d.y !== 0 || d.mo !== 0)
    return fail(`a Velero TTL is a fixed length: \`${text}\` uses months or years (write days, e.g. \`30d\`)`);
  const minutes = d.min + 60 * (d.h + 24 * (d.d + 7 * d.w));
  if (minutes === 0) return fail(`\`${text}\` is zero`);
  return ok(`${Math.floor(minutes / 60)}h${minutes % 60}m0s`);
}

// ---------------------------------------------------------------------------------------------
// Retention policies → tool flags

const COUNT_KEYS = ['last', 'hourly', 'daily', 'weekly', 'monthly', 'yearly'] as const;
const WITHIN_KEYS = [
  'within',
  'within_hourly',
  'within_daily',
  'within_weekly',
  'within_monthly',
  'within_yearly',
] as const;

function countOk(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= -1;
}

function hasRules(keep: KeepModel | undefined): boolean {
  if (!keep) return false;
  return [...COUNT_KEYS, ...WITHIN_KEYS, 'tags' as const].some((k) => keep[k] !== undefined);
}

function onlyKeep(policy: PolicyModel, engine: string): string | undefined {
  if (policy.tiers !== undefined)
    return `${engine} cannot express \`tiers\`: use \`keep\` counts, or a kind that Backplan prunes itself`;
  if (policy.expiry !== undefined) return `${engine} cannot express \`expiry\`: use \`keep: {within: ...}\``;
  if (!hasRules(policy.keep)) return `the policy has no \`keep\` rule: ${engine} would remove every snapshot`;
  return undefined;
}

/**
 * `restic forget` flags. Counts of -1 become `unlimited` (restic ≥ 0.16): restic before 0.16 rejects the
 * word, which is the safe failure — it reads `-1` as "keep nothing" in that rule.
 * https://restic.readthedocs.io/en/stable/060_forget.html#removing-snapshots-according-to-a-policy
 */
export function resticKeepFlags(policy: PolicyModel): Translated<string[]> {
  const bad = onlyKeep(policy, 'restic forget');
  if (bad) return fail(bad);
  const keep = policy.keep as KeepModel;
  const flags: string[] = [];
  for (const k of COUNT_KEYS) {
    const v = keep[k];
    if (v === undefined) continue;
    if (!countOk(v)) return fail(`keep.${k} must be a whole number, or -1/all for unlimited`);
    flags.push(`--keep-${k}=${v === -1 ? 'unlimited' : v}`);
  }
  for (const k of WITHIN_KEYS) {
    const v = keep[k];
    if (v === undefined) continue;
    const t = resticDuration(v);
    if (!t.ok) return fail(`keep.${k}: ${t.message}`);
    flags.push(`--keep-${k.replace('_', '-')}=${t.value}`);
  }
  for (const group of keep.tags ?? []) {
    if (
      !Array.isArray(group) ||
      group.some((t) => typeof t !== 'string' || t === '' || t.includes(',') || /[\x00-\x1f]/.test(t))
    ) {
      return fail('keep.tags must be lists of tags without commas');
    }
    flags.push(`--keep-tag=${group.join(',')}`);
  }
  return ok(flags);
}

/**
 * `borg prune` flags (borg 1.2). `within_*` per-bucket windows are restic-only. A count of -1
 * keeps every bucket in borg (its loop never reaches the count).
 * https://borgbackup.readthedocs.io/en/1.2-maint/usage/prune.html
 */
export function borgKeepFlags(policy: PolicyModel): Translated<string[]> {
  const bad = onlyKeep(policy, 'borg prune');
  if (bad) return fail(bad);
  const keep = policy.keep as KeepModel;
  const flags: string[] = [];
  for (const k of ['within_hourly', 'within_daily', 'within_weekly', 'within_monthly', 'within_yearly'] as const) {
    if (keep[k] !== undefined) return fail(`borg prune has no \`${k}\` (restic only): use a count or \`within\``);
  }
  if (keep.tags !== undefined) return fail('borg prune has no `tags` rule');
  if (keep.within !== undefined) {
    const t = borgInterval(keep.within);
    if (!t.ok) return fail(`keep.within: ${t.message}`);
    flags.push(`--keep-within=${t.value}`);
  }
  for (const k of COUNT_KEYS) {
    const v = keep[k];
    if (v === undefined) continue;
    if (!countOk(v)) return fail(`keep.${k} must be a whole number, or -1/all for unlimited`);
    flags.push(`--keep-${k}=${v}`);
  }
  return ok(flags);
}

/**
 * Proxmox `--prune-backups` property string: `keep-last=N,keep-hourly=N,...` or `keep-all=1`.
 * PVE/PBS have no `within` rules and no per-rule "unlimited" (only keep-all).
 * https://pve.proxmox.com/pve-docs/vzdump.1.html and https://pbs.proxmox.com/docs/maintenance.html#pruning
 */
export function pbsPruneBackups(policy: PolicyModel): Translated<string> {
  const bad = onlyKeep(policy, 'Proxmox prune-backups');
  if (bad) return fail(bad);
  const keep = policy.keep as KeepModel;
  for (const k of WITHIN_KEYS) {
    if (keep[k] !== undefined) return fail(`Proxmox prune-backups has no \`${k}\`: use counts`);
  }
  if (keep.tags !== undefined) return fail('Proxmox prune-backups has no `tags` rule');
  if (keep.last === -1) return ok('keep-all=1');
  const parts: string[] = [];
  for (const k of COUNT_KEYS) {
    const v = keep[k];
    if (v === undefined) continue;
    if (!countOk(v)) return fail(`keep.${k} must be a whole number`);
    if (v === -1) return fail(`Proxmox has no unlimited \`${k}\` (only keep-all, i.e. \`last: all\`)`);
    parts.push(`keep-${k}=${v}`);
  }
  return ok(parts.join(','));
}
