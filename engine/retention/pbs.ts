// Proxmox `prune-backups` semantics, shared by Proxmox Backup Server (pbs-datastore's
// compute_prune_info) and Proxmox VE's own storages (PVE::Storage::prune_mark_backup_group),
// which implement the same algorithm:
// - backups are sorted newest first;
// - the rules run one after the other in the order keep-last, keep-hourly, keep-daily,
//   keep-weekly, keep-monthly, keep-yearly, each marking backups in that one list;
// - a rule first notes the buckets (its selection ids) of the backups already marked "keep"
//   by earlier rules; then it walks the list newest first, skipping every backup already marked
//   (keep or remove) and every backup whose bucket is already covered; the first backup of a new
//   bucket is marked keep, as long as fewer than N buckets were taken by this rule (else the
//   rule stops); a further backup in a bucket this rule already took is marked remove, which
//   later rules then skip as well;
// - buckets: keep-last = the backup itself (its time to the second), hourly = local
//   year/month/day/hour, daily = local date, weekly = ISO week-year/week, monthly = local
//   year/month, yearly = local year; "local" is the server's zone (ctx.timezone);
// - what no rule marked is removed. That is the marking function itself (compute_prune_info,
//   what PBS's tests/prune.rs exercises): with no count above 0 it marks nothing and so removes
//   everything. No Proxmox command prunes that way: PBS's prune API, prune jobs and the proxy
//   first ask KeepOptions::keeps_something() (the counts add up to more than 0) and keep every
//   backup when they do not ("No prune selection - keeping all files."), PBS's API refuses a
//   count below 1, PVE's prune_mark_backup_group keeps everything when no count is above 0, PVE's
//   prune-backups format turns such options into keep-all, and PVE drops zero counts before
//   asking PBS to prune. The engine models the command: `keep: {last: 0}` keeps everything, and
//   keep-all (`last: all`) does too. pbsMarks is the marking function alone.
// So a backup kept by an earlier rule does not use up the count of a later one, and each bucket
// keeps its newest backup. Unlike restic there is no "keep the oldest" rule and no unlimited
// count other than keep-all, which we write as `keep: {last: all}`.
// Protected backups and unfinished ones are outside the plan's model (the runner does not
// create them) and are not modelled.
import type { PolicyModel } from '../plan/model';
import { localParts } from './calendar';
import { COUNT_RULES, countOf, decide, hasExpiry, hasTiers, isSet, keepOf, sortNewestFirst, type CountRule } from './common';
import type { RetentionContext, RetentionDecision, RetentionEngine, SnapshotIn, Unsupported } from './types';

type Selector = (time: number, zone: string) => string;

const SELECTORS: Record<CountRule, Selector> = {
  last: (t) => String(Math.floor(t / 1000)),
  hourly: (t, z) => {
    const p = localParts(t, z);
    return `${p.year}/${p.month}/${p.day}/${p.hour}`;
  },
  daily: (t, z) => {
    const p = localParts(t, z);
    return `${p.year}/${p.month}/${p.day}`;
  },
  weekly: (t, z) => {
    const p = localParts(t, z);
    return `${p.isoYear}/${p.isoWeek}`;
  },
  monthly: (t, z) => {
    const p = localParts(t, z);
    return `${p.year}/${p.month}`;
  },
  yearly: (t, z) => String(localParts(t, z).year),
};

/** The option name PBS/PVE use for a count rule (`keep-daily`). */
export function pbsOption(rule: CountRule): string {
  return `keep-${rule}`;
}

export interface PbsKeep {
  last?: number;
  hourly?: number;
  daily?: number;
  weekly?: number;
  monthly?: number;
  yearly?: number;
  /** keep-all: nothing is pruned. */
  all?: boolean;
}

/** PBS's keep options for a policy (`last: -1` is keep-all; other -1 counts are unsupported and dropped). */
export function pbsKeepOptions(policy: PolicyModel | undefined): PbsKeep {
  const keep = keepOf(policy);
  const out: PbsKeep = {};
  for (const rule of COUNT_RULES) {
    const n = countOf(keep?.[rule]);
    if (rule === 'last' && n === -1) out.all = true;
    else if (n > 0) out[rule] = n;
  }
  return out;
}

/** PBS's KeepOptions::keeps_something(): some count is above 0 (keep-all aside). */
export function pbsKeepsSomething(options: PbsKeep): boolean {
  return COUNT_RULES.some((r) => (options[r] ?? 0) > 0);
}

/** Why every backup is kept when no count is above 0 (PBS logs "No prune selection - keeping all files."). */
export const PBS_NO_SELECTION_REASON = 'keep-all (no count above 0)';

/**
 * PBS's marking (compute_prune_info) on a list sorted newest first: the option name that kept
 * each position (undefined = removed). keep-all is not a count and is ignored here; with no
 * count above 0 nothing is kept, as in PBS's own function: the command's keep-all guard is
 * `evaluate`'s.
 */
export function pbsMarks(sorted: readonly SnapshotIn[], options: PbsKeep, zone: string): (string | undefined)[] {
  const marks: ('keep' | 'remove' | undefined)[] = sorted.map(() => undefined);
  const keptBy: (string | undefined)[] = sorted.map(() => undefined);

  for (const rule of COUNT_RULES) {
    const count = options[rule] ?? 0;
    if (count <= 0) continue;
    const select = SELECTORS[rule];
    const alreadyIncluded = new Set<string>();
    sorted.forEach((s, i) => {
      if (marks[i] === 'keep') alreadyIncluded.add(select(s.time, zone));
    });
    const included = new Set<string>();
    for (let i = 0; i < sorted.length; i++) {
      if (marks[i] !== undefined) continue;
      const id = select(sorted[i].time, zone);
      if (alreadyIncluded.has(id)) continue;
      if (!included.has(id)) {
        if (included.size >= count) break;
        included.add(id);
        marks[i] = 'keep';
        keptBy[i] = pbsOption(rule);
      } else {
        marks[i] = 'remove';
      }
    }
  }
  return keptBy;
}

function unsupported(policy: PolicyModel): Unsupported[] {
  const out: Unsupported[] = [];
  if (hasTiers(policy)) {
    out.push({ key: ['tiers'], message: 'Proxmox prune-backups has no age bands (`tiers`): use `keep` counts (last, hourly, daily, weekly, monthly, yearly)' });
  }
  if (hasExpiry(policy)) {
    out.push({ key: ['expiry'], message: 'Proxmox prune-backups has no per-backup expiry: use `keep` counts' });
  }
  const keep = keepOf(policy);
  if (keep) {
    for (const key of Object.keys(keep)) {
      const value = (keep as Record<string, unknown>)[key];
      if (!isSet(value)) continue;
      if ((COUNT_RULES as readonly string[]).includes(key)) {
        if (key !== 'last' && countOf(value) === -1) {
          out.push({
            key: ['keep', key],
            message: `Proxmox prune-backups has no unlimited \`keep-${key}\`: give a number (only \`last: all\`, i.e. keep-all, keeps everything)`,
          });
        }
      } else if (key.startsWith('within')) {
        out.push({ key: ['keep', key], message: `Proxmox prune-backups has no \`${key}\` rule: only keep-last/hourly/daily/weekly/monthly/yearly counts` });
      } else if (key === 'tags') {
        out.push({ key: ['keep', key], message: 'Proxmox prune-backups cannot keep by tag: only keep-last/hourly/daily/weekly/monthly/yearly counts' });
      }
    }
  }
  return out;
}

function evaluate(snapshots: readonly SnapshotIn[], policy: PolicyModel, ctx: RetentionContext): RetentionDecision {
  const sorted = sortNewestFirst(snapshots);
  const options = pbsKeepOptions(policy);
  // The command's guard: keep-all, or no count above 0, prunes nothing.
  if (options.all) return decide(sorted, new Map(sorted.map((_, i) => [i, ['keep-all']])));
  if (!pbsKeepsSomething(options)) return decide(sorted, new Map(sorted.map((_, i) => [i, [PBS_NO_SELECTION_REASON]])));
  const marks = pbsMarks(sorted, options, ctx.timezone);
  const reasons = new Map<number, string[]>();
  marks.forEach((m, i) => {
    if (m !== undefined) reasons.set(i, [m]);
  });
  return decide(sorted, reasons);
}

export const pbsEngine: RetentionEngine = { id: 'pbs', unsupported, evaluate };
