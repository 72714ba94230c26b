// duplicity 0.8.22's own pruning, read from its source (dup_main.py remove_old and
// remove_all_but_n_full, dup_collections.py get_chains_older_than, get_nth_last_backup_chain):
// - A chain is a full backup set and the incrementals after it, up to the next full. An
//   incremental before any full belongs to no chain and no remove command touches it.
// - `remove-older-than D` (keep.within): cutoff = now − D, D in duplicity's fixed units (M = 30
//   days, Y = 365 days, W = 7 days), now in whole seconds; every chain whose **newest** set is
//   older than the cutoff (end < cutoff) is deleted whole, except the current (newest) chain. A
//   chain with one set newer than the cutoff is kept whole: a set a newer one needs never goes.
// - `remove-all-but-n-full N` (keep.full): cutoff = the start (full) time of the N-th newest
//   chain (0 when there are fewer: nothing goes), then as remove-older-than.
// - `remove-all-inc-of-but-n-full N` (keep.incrementals_of): the same cutoff, but a chain older
//   than it loses only its incrementals; its full stays (a restore point of its own).
// The driver runs them in that order, each with --force, so the evaluator applies them in that
// order to what the previous one left. Every set that remains is a restore point: its chain's
// full and the incrementals before it always remain with it.
import type { PolicyModel } from '../plan/model';
import type { Duration } from '../time/duration';
import {
  COUNT_RULES,
  countOf,
  decide,
  hasExpiry,
  hasTiers,
  isSet,
  keepOf,
  policyDuration,
  WITHIN_RULES,
} from './common';
import type { RetentionContext, RetentionDecision, RetentionEngine, SnapshotIn, Unsupported } from './types';

export type BackupSetType = 'full' | 'incremental';

/** duplicity's interval units in seconds (dup_time._interval_conv_dict). */
const SECONDS = { min: 60, h: 3600, d: 86_400, w: 7 * 86_400, mo: 30 * 86_400, y: 365 * 86_400 } as const;

/** A plan duration as duplicity's interval string (`1Y2M3W4D5h6m`), which it reads with fixed units. */
export function duplicityInterval(d: Duration): string {
  const parts: [number, string][] = [
    [d.y, 'Y'],
    [d.mo, 'M'],
    [d.w, 'W'],
    [d.d, 'D'],
    [d.h, 'h'],
    [d.min, 'm'],
  ];
  const text = parts
    .filter(([n]) => n !== 0)
    .map(([n, u]) => `${n}${u}`)
    .join('');
  return text === '' ? '0s' : text;
}

/** The length duplicity gives a plan duration, in ms. */
export function duplicityMs(d: Duration): number {
  const s = d.y * SECONDS.y + d.mo * SECONDS.mo + d.w * SECONDS.w + d.d * SECONDS.d + d.h * SECONDS.h;
  return (s + d.min * SECONDS.min) * 1000;
}

/** The keys of `keep` duplicity can express. */
export const DUPLICITY_KEEP = ['within', 'full', 'incrementals_of'] as const;

export interface DuplicityRules {
  within?: Duration;
  full?: number;
  incrementalsOf?: number;
}

/** The policy's three duplicity rules (throws PolicyValueError on an unreadable duration). */
export function duplicityRules(policy: PolicyModel): DuplicityRules {
  const keep = keepOf(policy);
  const out: DuplicityRules = {};
  if (isSet(keep?.within) && String(keep!.within).trim() !== '')
    out.within = policyDuration(keep!.within, ['keep', 'within']);
  const full = countOf(keep?.full);
  if (full > 0) out.full = full;
  const inc = countOf(keep?.incrementals_of);
  if (inc > 0) out.incrementalsOf = inc;
  return out;
}

function unsupported(policy: PolicyModel): Unsupported[] {
  const out: Unsupported[] = [];
  const keep = keepOf(policy);
  const hint = 'duplicity prunes whole chains only: use `keep: {within: D}`, `{full: N}` or `{incrementals_of: N}`';
  if (keep) {
    for (const k of [...COUNT_RULES, ...WITHIN_RULES.filter((w) => w !== 'within'), 'tags'] as const) {
      if (isSet(keep[k])) out.push({ key: ['keep', k], message: `duplicity has no \`keep.${k}\` rule: ${hint}` });
    }
    for (const k of ['full', 'incrementals_of'] as const) {
      if (isSet(keep[k]) && countOf(keep[k]) < 1) {
        out.push({
          key: ['keep', k],
          message: `\`keep.${k}\` must be a count of at least 1 (duplicity refuses 0 and has no unlimited count)`,
        });
      }
    }
  }
  if (hasTiers(policy)) out.push({ key: ['tiers'], message: `duplicity has no tiers: ${hint}` });
  if (hasExpiry(policy)) out.push({ key: ['expiry'], message: `duplicity has no per-backup expiry: ${hint}` });
  if (policy.min !== undefined && policy.min > 1) {
    out.push({
      key: ['min'],
      message:
        'duplicity cannot spare single backup sets: `min` above 1 cannot be kept ' +
        '(its current chain is never removed, which is min 1)',
    });
  }
  return out;
}

interface Chain {
  /** Indexes into the ascending list: the full first. */
  sets: number[];
  start: number;
  end: number;
}

/** The chains of an ascending list, and the incrementals that precede every full. */
export function chainsOf(sorted: readonly SnapshotIn[]): { chains: Chain[]; orphans: number[] } {
  const chains: Chain[] = [];
  const orphans: number[] = [];
  sorted.forEach((s, i) => {
    if (setType(s) === 'full') chains.push({ sets: [i], start: s.time, end: s.time });
    else if (chains.length === 0) orphans.push(i);
    else {
      const c = chains[chains.length - 1];
      c.sets.push(i);
      c.end = s.time;
    }
  });
  return { chains, orphans };
}

/** A snapshot's set type: its `type`, else a `full`/`incremental` tag; full when neither says. */
export function setType(s: SnapshotIn): BackupSetType {
  if (s.type === 'incremental' || s.type === 'full') return s.type;
  return s.tags?.includes('incremental') ? 'incremental' : 'full';
}

function evaluate(snapshots: readonly SnapshotIn[], policy: PolicyModel, ctx: RetentionContext): RetentionDecision {
  const rules = duplicityRules(policy);
  // Ascending, equal times in input order; the decision lists newest first.
  const order = snapshots.map((s, i) => ({ s, i })).sort((a, b) => a.s.time - b.s.time || a.i - b.i);
  const sorted = order.map((o) => o.s);
  const { chains, orphans } = chainsOf(sorted);
  const removed = new Set<number>();
  const why = new Map<number, string>();
  let live = chains.slice();
  const nowS = Math.floor(ctx.now / 1000) * 1000;
  const nthStart = (n: number): number => {
    if (live.length < n) return 0;
    return live.map((c) => c.start).sort((a, b) => b - a)[n - 1];
  };
  const dropOlder = (cutoff: number): void => {
    const last = live[live.length - 1];
    live = live.filter((c) => {
      if (c === last || !(c.end < cutoff)) return true;
      for (const i of c.sets) removed.add(i);
      return false;
    });
  };
  if (rules.within) dropOlder(nowS - duplicityMs(rules.within));
  if (rules.full) dropOlder(nthStart(rules.full));
  if (rules.incrementalsOf) {
    const cutoff = nthStart(rules.incrementalsOf);
    const last = live[live.length - 1];
    for (const c of live) {
      if (c === last || !(c.end < cutoff) || c.sets.length < 2) continue;
      for (const i of c.sets.slice(1)) removed.add(i);
      why.set(c.sets[0], `full of an older chain (incrementals kept only in the ${rules.incrementalsOf} newest)`);
      c.sets = c.sets.slice(0, 1);
      c.end = c.start;
    }
  }
  const last = live[live.length - 1];
  const keptBy = describeKept(rules);
  const reasons = new Map<number, string[]>();
  const desc: SnapshotIn[] = [];
  for (let j = sorted.length - 1; j >= 0; j--) desc.push(sorted[j]);
  const pos = (i: number) => sorted.length - 1 - i;
  for (const c of live) {
    for (const i of c.sets) {
      if (removed.has(i)) continue;
      const r: string[] = [];
      if (c === last) r.push('current chain');
      else {
        const own = why.get(i);
        if (own) r.push(own);
        else r.push(`${setType(sorted[i])} of a chain kept (${keptBy})`);
      }
      reasons.set(pos(i), r);
    }
  }
  for (const i of orphans) reasons.set(pos(i), ['incremental outside any chain (duplicity never removes it)']);
  return decide(desc, reasons);
}

function describeKept(r: DuplicityRules): string {
  const parts: string[] = [];
  if (r.within) parts.push(`ends within ${duplicityInterval(r.within)}`);
  if (r.full) parts.push(`one of the ${r.full} newest chains`);
  return parts.length > 0 ? parts.join(', ') : 'no rule removes it';
}

export const duplicityEngine: RetentionEngine = {
  id: 'duplicity',
  release: 'duplicity 0.8.22',
  unsupported,
  evaluate,
};
