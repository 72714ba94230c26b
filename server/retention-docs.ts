// How each pruning engine reads a policy, in a few lines for the retention hover (SPEC §3: the
// differences between engines — which snapshot a bucket keeps, whether kept snapshots count for
// later rules, what `within` is measured from, whose timezone decides a day — are spelled out
// there). Written from the engines' own documentation in engine/retention/*.ts.
import { RESTIC_BEFORE_0_16 } from '../engine/retention/restic';
import type { EngineId } from '../engine/retention/types';

export interface EngineDoc {
  title: string;
  lines: string[];
}

const NATIVE_KEEP =
  '`keep` counts follow restic: the **newest** snapshot of each of the N newest hours/days/ISO weeks/months/years that hold one; rules are independent (one snapshot can use a count in several rules); a rule with count left keeps the oldest snapshot too; `within*` windows are measured back from the **prune time** (plan calendar: months clamp to the month’s last day).';

export const ENGINE_DOCS: Record<EngineId, EngineDoc> = {
  restic: {
    title: 'restic `forget --prune`',
    lines: [
      'Each `keep` rule keeps the **newest** snapshot of each of its N newest calendar buckets (hour, day, ISO week, month, year) that hold a snapshot; empty buckets do not count.',
      'Rules are **independent**: a snapshot kept by one rule still uses up a count in every other rule that picks it.',
      'A rule that still has count left when it reaches the oldest snapshot keeps that one too (“oldest daily snapshot”).',
      '`within D` keeps everything newer than **the newest snapshot** − D (not now − D), with Go’s AddDate (May 31 − 3 months = Mar 3).',
      'Days and weeks are read in the job’s time zone.',
    ],
  },
  borg: {
    title: 'borg 1.2 `prune`',
    lines: [
      '`within` runs first and keeps everything newer than **now** − D (`m` = 31 days, `y` = 365 days, fixed lengths).',
      'Then the rules run **one after the other**: last (secondly), hourly, daily, weekly, monthly, yearly. Each keeps the newest archive of each new period; an archive already kept by an earlier rule uses up its period **without counting** for the later rule.',
      'A rule that runs out of archives before N keeps the oldest one too (“daily[oldest]”).',
      'Periods are read in the local time of the machine running prune (here the job’s time zone).',
    ],
  },
  pbs: {
    title: 'Proxmox `prune-backups` (PBS and PVE)',
    lines: [
      'Rules run **in order**: keep-last, hourly, daily, weekly, monthly, yearly; each keeps the **newest** backup of each new bucket until it has N buckets.',
      'Buckets already covered by a backup that an earlier rule kept are skipped: a kept backup never uses up a later rule’s count.',
      'There is no “keep the oldest” rule; what no rule keeps is removed. Buckets are read in the server’s time zone (the job’s).',
    ],
  },
  native: {
    title: 'Backplan’s own pruner (native)',
    lines: [
      '`tiers`: at prune time T a snapshot taken at s is in band i when T − until(i) < s ≤ T − until(i−1). `keep: all` keeps the band; `every: D` keeps the **oldest** snapshot of each calendar bucket of size D (in the job’s zone), so a kept snapshot stays kept until it leaves its band; snapshots older than the last `until` are removed.',
      'Buckets: `Nmin`/`Nh` from each local midnight, `Nd` from 1970-01-01, `Nw` from Monday 1969-12-29 (ISO weeks), `Nmo` from January 1970, `Ny` from 1970.',
      NATIVE_KEEP,
      '`expiry`: a snapshot is removed at the first prune after created + expiry, whatever the other rules keep; nothing removes it between prunes, so it outlives its deadline until then. `keep`, `tiers` together keep the union of what each keeps.',
      '`min` (default 1): the N newest copies are never removed, whatever the policy.',
    ],
  },
  incus: {
    title: 'Incus `snapshots.expiry`',
    lines: [
      'Each snapshot is deleted by Incus itself at creation + expiry, computed with Go’s AddDate on the server’s wall clock (1d across a DST change is 23 or 25 h; Jan 31 + 1mo = Mar 3).',
      'Nothing else is pruned, and `min` does not apply: Incus deletes expired snapshots whatever their number, so the set can run empty.',
      'Incus checks every minute, so a real deletion may lag its deadline by up to a minute.',
    ],
  },
  velero: {
    title: 'Velero `ttl`',
    lines: [
      'Each backup is deleted at creation + ttl, a fixed length (Go `time.Duration`: days are 24 h whatever DST does; months and years cannot be written).',
      'Without `expiry` Velero applies its default ttl, 720h (30 days). `min` does not apply.',
      'The garbage collector runs hourly by default, so a deletion may lag its deadline by up to an hour.',
    ],
  },
};

/** What a declared older release does instead (a host's `tool_versions`), by the engine's release label. */
const RELEASE_LINES: Record<string, { title: string; replace: Record<number, string> }> = {
  [RESTIC_BEFORE_0_16.label]: {
    title: 'restic before 0.16 `forget --prune` (the host’s `tool_versions`)',
    replace: {
      2: 'No rule keeps the oldest snapshot for count left over (that came with restic 0.16): a young repository keeps only what the buckets pick. There is no unlimited count (`-1`, `all`).',
    },
  },
};

export function engineDocMarkdown(engine: EngineId, release?: string): string {
  const d = ENGINE_DOCS[engine];
  const r = release === undefined ? undefined : RELEASE_LINES[release];
  const lines = d.lines.map((l, i) => r?.replace[i] ?? l);
  return [`**Pruned by ${r?.title ?? d.title}**`, '', ...lines.map((l) => `- ${l}`)].join('\n');
}
