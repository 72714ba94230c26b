// How each pruning engine reads a policy, in a few lines for the retention hover (SPEC §3: the
// differences between engines — which snapshot a bucket keeps, whether kept snapshots count for
// later rules, what `within` is measured from, whose timezone decides a day — are spelled out
// there). Written from the engines' own documentation in engine/retention/*.ts. Each line says
// which forms of a policy it is about: a hover shows only the lines that apply to the policy at
// hand (no `within` note for a policy without `within`), then a link to the rest.
import type { PolicyModel } from '../engine/plan/model';
import { BTRBK_TARGET_RELEASE } from '../engine/retention/btrbk';
import { RESTIC_BEFORE_0_16 } from '../engine/retention/restic';
import type { EngineId } from '../engine/retention/types';

/** The forms a policy uses, as the engine notes tell them apart. */
export interface PolicyForms {
  /** Count rules written (`last`, `hourly` ... `yearly`). */
  counts: number;
  /** A calendar count (`hourly` ... `yearly`). */
  calendar: boolean;
  /** `within`. */
  within: boolean;
  /** `within_hourly` ... `within_yearly`. */
  withinBuckets: boolean;
  tiers: boolean;
  expiry: boolean;
  /** `min` written in the policy. */
  min: boolean;
  /** duplicity's chain counts (`full`, `incrementals_of`). */
  chains: boolean;
}

const CALENDAR = ['hourly', 'daily', 'weekly', 'monthly', 'yearly'] as const;

export function policyForms(p: PolicyModel): PolicyForms {
  const k = p.keep ?? {};
  const calendar = CALENDAR.filter((u) => k[u] !== undefined).length;
  return {
    counts: calendar + (k.last !== undefined ? 1 : 0),
    calendar: calendar > 0,
    within: k.within !== undefined,
    withinBuckets: CALENDAR.some((u) => k[`within_${u}`] !== undefined),
    tiers: (p.tiers?.length ?? 0) > 0,
    expiry: p.expiry !== undefined,
    min: p.min !== undefined,
    chains: k.full !== undefined || k.incrementals_of !== undefined,
  };
}

export interface EngineLine {
  text: string;
  /** When the line applies; always when absent. */
  when?: (f: PolicyForms) => boolean;
}

export interface EngineDoc {
  title: string;
  lines: EngineLine[];
}

/** Where the hover's reader finds the rest (there is no reference page beside the README yet). */
export const RETENTION_REFERENCE = 'README.md#the-plan-format';

const counts = (f: PolicyForms) => f.counts > 0;
const several = (f: PolicyForms) => f.counts > 1;
const calendar = (f: PolicyForms) => f.calendar || f.withinBuckets;

const NATIVE_KEEP =
  '`keep` counts follow restic: the **newest** snapshot of each of the N newest hours/days/ISO weeks/months/years that hold one; rules are independent (one snapshot can use a count in several rules); a rule with count left keeps the oldest snapshot too.';
const NATIVE_WITHIN = '`within*` windows are measured back from the **prune time** (plan calendar: months clamp to the month’s last day).';

export const ENGINE_DOCS: Record<EngineId, EngineDoc> = {
  restic: {
    title: 'restic `forget --prune`',
    lines: [
      { text: 'Each `keep` rule keeps the **newest** snapshot of each of its N newest calendar buckets (hour, day, ISO week, month, year) that hold a snapshot; empty buckets do not count.', when: calendar },
      { text: 'Rules are **independent**: a snapshot kept by one rule still uses up a count in every other rule that picks it.', when: several },
      { text: 'A rule that still has count left when it reaches the oldest snapshot keeps that one too (“oldest daily snapshot”).', when: counts },
      { text: '`within D` keeps everything newer than **the newest snapshot** − D (not now − D), with Go’s AddDate (May 31 − 3 months = Mar 3).', when: (f) => f.within || f.withinBuckets },
      { text: 'Days and weeks are read in the job’s time zone.', when: calendar },
    ],
  },
  borg: {
    title: 'borg 1.2 `prune`',
    lines: [
      { text: '`within` runs first and keeps everything newer than **now** − D (`m` = 31 days, `y` = 365 days, fixed lengths).', when: (f) => f.within },
      { text: 'Then the rules run **one after the other**: last (secondly), hourly, daily, weekly, monthly, yearly. Each keeps the newest archive of each new period; an archive already kept by an earlier rule uses up its period **without counting** for the later rule.', when: counts },
      { text: 'A rule that runs out of archives before N keeps the oldest one too (“daily[oldest]”).', when: counts },
      { text: 'Periods are read in the local time of the machine running prune (here the job’s time zone).', when: (f) => f.calendar },
    ],
  },
  pbs: {
    title: 'Proxmox `prune-backups` (PBS and PVE)',
    lines: [
      { text: 'Rules run **in order**: keep-last, hourly, daily, weekly, monthly, yearly; each keeps the **newest** backup of each new bucket until it has N buckets.', when: counts },
      { text: 'Buckets already covered by a backup that an earlier rule kept are skipped: a kept backup never uses up a later rule’s count.', when: several },
      { text: 'There is no “keep the oldest” rule; what no rule keeps is removed. Buckets are read in the server’s time zone (the job’s).', when: counts },
    ],
  },
  native: {
    title: 'Backplan’s own pruner (native)',
    lines: [
      { text: '`tiers`: at prune time T a snapshot taken at s is in band i when T − until(i) < s ≤ T − until(i−1). `keep: all` keeps the band; `every: D` keeps the **oldest** snapshot of each calendar bucket of size D (in the job’s zone), so a kept snapshot stays kept until it leaves its band; snapshots older than the last `until` are removed.', when: (f) => f.tiers },
      { text: 'Buckets: `Nmin`/`Nh` from each local midnight, `Nd` from 1970-01-01, `Nw` from Monday 1969-12-29 (ISO weeks), `Nmo` from January 1970, `Ny` from 1970.', when: (f) => f.tiers },
      { text: NATIVE_KEEP, when: counts },
      { text: NATIVE_WITHIN, when: (f) => f.within || f.withinBuckets },
      { text: '`expiry`: a snapshot is removed at the first prune after created + expiry, whatever the other rules keep; nothing removes it between prunes, so it outlives its deadline until then.', when: (f) => f.expiry },
      { text: '`keep` and `tiers` together keep the union of what each keeps.', when: (f) => f.counts > 0 && f.tiers },
      { text: '`min` (default 1): the N newest copies are never removed, whatever the policy.', when: (f) => f.min || f.expiry },
    ],
  },
  incus: {
    title: 'Incus `snapshots.expiry`',
    lines: [
      { text: 'Each snapshot is deleted by Incus itself at creation + expiry, computed with Go’s AddDate on the server’s wall clock (1d across a DST change is 23 or 25 h; Jan 31 + 1mo = Mar 3).' },
      { text: 'Nothing else is pruned, and `min` does not apply: Incus deletes expired snapshots whatever their number, so the set can run empty.' },
      { text: 'Incus checks every minute, so a real deletion may lag its deadline by up to a minute.' },
    ],
  },
  duplicity: {
    title: 'duplicity 0.8 `remove-*` commands (with `--force`)',
    lines: [
      { text: 'Backups are **chains**: a full (`size`) and the incrementals after it (`size × change` each); a restore point needs its whole chain, so a chain is only ever removed whole, and the current chain never.' },
      { text: 'A run is a full when the last full is older than `full_every` (its `--full-if-older-than`), else an incremental; durations are duplicity’s fixed units (`mo` = 30 days, `y` = 365 days).' },
      { text: '`within D` (`remove-older-than`): a chain goes when its **newest** set is older than now − D; one newer set keeps the whole chain.', when: (f) => f.within },
      { text: '`full: N` (`remove-all-but-n-full`) keeps the N newest chains; `incrementals_of: N` (`remove-all-inc-of-but-n-full`) drops the incrementals of older chains and keeps their fulls. They run in the order within, full, incrementals_of.', when: (f) => f.chains },
    ],
  },
  sanoid: {
    title: 'sanoid 2.1 `--take-snapshots --prune-snapshots` (`pruner: sanoid`)',
    lines: [
      {
        text:
          'Counts are **per snapshot type**, not calendar buckets: each run takes an ' +
          '`autosnap_<date>_<type>` snapshot of every type that is due (daily at 23:59, weekly Monday 23:30, ' +
          'monthly the 1st 00:00, hourly at :00, frequently every `frequent_period` min), ' +
          'so one run can make several.',
      },
      {
        text:
          'A type’s oldest go only while it has more than N **and** they are older than N × period (monthly = 31 d, ' +
          'yearly = 365.25 d); a run prunes the list read before it took, so N + 1 can be held. It keeps no ' +
          'replication base: on a `zfs-send` it prunes what arrived, by the same rule.',
      },
    ],
  },
  btrbk: {
    title: 'btrbk 0.32 `snapshot_preserve` / `target_preserve` (`pruner: btrbk`)',
    lines: [
      {
        text:
          'Counts are btrbk’s preserve matrix (`hourly: 48` → `48h`, `all` → `*`): the **first** (oldest) snapshot ' +
          'of each hour, day (from `preserve_hour_of_day`), week (from `preserve_day_of_week`, default sunday), ' +
          'month and year, kept while it is at most N of them ago.',
      },
      {
        text:
          'Source and target retention are independent; `preserve_min` (default `latest`) keeps the newest, or ' +
          'all within N units; on the source the latest snapshot a target has received is always kept.',
      },
    ],
  },
  velero: {
    title: 'Velero `ttl`',
    lines: [
      { text: 'Each backup is deleted at creation + ttl, a fixed length (Go `time.Duration`: days are 24 h whatever DST does; months and years cannot be written).' },
      { text: 'Without `expiry` Velero applies its default ttl, 720h (30 days). `min` does not apply.', when: (f) => !f.expiry || f.min },
      { text: 'The garbage collector runs hourly by default, so a deletion may lag its deadline by up to an hour.' },
    ],
  },
};

/**
 * What a declared older release does instead (a host's `tool_versions`), by the engine's release
 * label; also btrbk's target side (a `pruner: btrbk` btrfs-send), which has lines of its own.
 */
const RELEASE_LINES: Record<string, { title: string; replace: Record<number, string> }> = {
  [BTRBK_TARGET_RELEASE]: {
    title: 'btrbk 0.32 `target_preserve` (`pruner: btrbk` on a btrfs-send: `btrbk resume`)',
    replace: {
      0:
        'Counts are the target’s own preserve matrix, read as `snapshot_preserve` is (first of each hour, day, ' +
        'week, month, year); each run sends **every** missing snapshot the target would keep, not only the newest.',
      1:
        'Independent of the source’s `snapshot_preserve`; `preserve_min` may also be `no` or 0; btrbk always keeps ' +
        'the latest common snapshot/backup pair on both sides, so no Backplan base is needed.',
    },
  },
  [RESTIC_BEFORE_0_16.label]: {
    title: 'restic before 0.16 `forget --prune` (the host’s `tool_versions`)',
    replace: {
      2: 'No rule keeps the oldest snapshot for count left over (that came with restic 0.16): a young repository keeps only what the buckets pick. There is no unlimited count (`-1`, `all`).',
    },
  },
};

/**
 * The engine's notes as markdown. With a policy, only the notes about the forms it uses, then a
 * line pointing to the rest; without one, every note.
 */
export function engineDocMarkdown(engine: EngineId, release?: string, policy?: PolicyModel): string {
  const d = ENGINE_DOCS[engine];
  const r = release === undefined ? undefined : RELEASE_LINES[release];
  const forms = policy ? policyForms(policy) : undefined;
  const lines = d.lines.map((l, i) => ({ ...l, text: r?.replace[i] ?? l.text })).filter((l) => !forms || !l.when || l.when(forms));
  const out = [`**Pruned by ${r?.title ?? d.title}**`];
  if (lines.length > 0) out.push('', ...lines.map((l) => `- ${l.text}`));
  if (forms) out.push('', `The engine’s other rules: [retention in the README](${RETENTION_REFERENCE}).`);
  return out.join('\n');
}
