// The rules of a policy as rows (for the timeline picture, the hover and the inlay hint "per
// rule"), and which row each reason an engine gives belongs to. Reasons are the engines' own words
// (retention/*.ts), so the mapping reads their shapes:
//   native tiers  "tier 2: oldest of 1d bucket 2025-03-04", "tier 1: keep all < 15d"
//   restic/native "daily snapshot", "oldest daily snapshot", "within 1y2m", "daily within 1mo",
//                 "has tags [a, b]"
//   borg          "daily #3", "monthly[oldest] #5", "secondly #1" (keep.last), "within #2", "checkpoint"
//   PBS/PVE       "keep-daily"
//   Incus/Velero  "expires 2025-03-04T06:00:00+01:00", "Velero's default ttl 720h0m0s"
//   simulator     "min 1: ...", "newest", copies: "mirrored from SRC", "sent from SRC",
//                 "replication base shared with SRC: never removed"
import type { PolicyModel } from '../plan/model';
import type { EngineId } from '../retention/types';
import { COUNT_RULES, countOf, hasExpiry, isSet, keepOf, WITHIN_RULES } from '../retention/common';
import { formatDuration, parseDuration } from '../time/duration';

export interface RuleRow {
  /** Stable id: `tier-1`..., `last`, `daily`, `within`, `within_daily`, `tags`, `expiry`, `min`, `newest`, `other`. */
  id: string;
  label: string;
}

function written(value: unknown): string {
  const r = parseDuration(String(value));
  return r.ok ? formatDuration(r.value) : String(value);
}

const UNIT_WORDS: Record<string, string> = { '1min': 'minute', '1h': 'hour', '1d': 'day', '1w': 'week', '1mo': 'month', '1y': 'year' };

/** `1/day < 1mo`, `keep all < 15d`, `1/2d < 2mo`, `1/month`. */
export function tierLabel(tier: { keep?: unknown; every?: unknown; until?: unknown }): string {
  const until = isSet(tier.until) ? ` < ${written(tier.until)}` : '';
  if (tier.keep === 'all') return `keep all${until}`;
  if (isSet(tier.every)) {
    const every = written(tier.every);
    return `1/${UNIT_WORDS[every] ?? every}${until}`;
  }
  return `keep none${until}`;
}

/** The rows of a policy for the engine that prunes it, in the policy's order. */
export function policyRules(engine: EngineId, policy: PolicyModel | undefined): RuleRow[] {
  const rows: RuleRow[] = [];
  if (!policy) return rows;
  if (Array.isArray(policy.tiers)) {
    policy.tiers.forEach((t, i) => {
      rows.push({ id: `tier-${i + 1}`, label: tierLabel(t !== null && typeof t === 'object' ? t : {}) });
    });
  }
  const keep = keepOf(policy);
  if (keep) {
    for (const rule of COUNT_RULES) {
      if (!isSet(keep[rule])) continue;
      const n = countOf(keep[rule]);
      if (n !== 0) rows.push({ id: rule, label: `${rule} ${n < 0 ? 'all' : n}` });
    }
    for (const rule of WITHIN_RULES) {
      if (!isSet(keep[rule]) || String(keep[rule]).trim() === '') continue;
      const d = written(keep[rule]);
      rows.push({ id: rule, label: rule === 'within' ? `within ${d}` : `${rule.slice('within_'.length)} within ${d}` });
    }
    if (Array.isArray(keep.tags) && keep.tags.length > 0) rows.push({ id: 'tags', label: 'tags' });
  }
  if (hasExpiry(policy)) rows.push({ id: 'expiry', label: `${engine === 'velero' ? 'ttl' : 'expiry'} ${written(policy.expiry)}` });
  else if (engine === 'velero') rows.push({ id: 'expiry', label: 'ttl 30d (Velero default)' });
  return rows;
}

const EXTRA_LABELS: Record<string, string> = { min: 'min (newest kept)', base: 'replication base', newest: 'newest (not pruned yet)', other: 'other' };

/** The row a reason belongs to. */
export function ruleIdOfReason(reason: string): string {
  let m: RegExpExecArray | null;
  if ((m = /^tier (\d+):/.exec(reason))) return `tier-${m[1]}`;
  if (/^min \d+/.test(reason)) return 'min';
  if (reason === 'newest' || /^(?:mirrored|sent) from /.test(reason)) return 'newest';
  if (/^replication base shared with /.test(reason)) return 'base';
  if (/^expires /.test(reason) || /default ttl/.test(reason)) return 'expiry';
  if ((m = /^(?:oldest )?(last|hourly|daily|weekly|monthly|yearly) snapshot$/.exec(reason))) return m[1];
  if ((m = /^(?:oldest )?(hourly|daily|weekly|monthly|yearly) within /.exec(reason))) return `within_${m[1]}`;
  if (/^within /.test(reason)) return 'within';
  if (/^has tags /.test(reason)) return 'tags';
  if ((m = /^(secondly|hourly|daily|weekly|monthly|yearly)(?:\[oldest\])? #\d+$/.exec(reason))) return m[1] === 'secondly' ? 'last' : m[1];
  if ((m = /^keep-(last|hourly|daily|weekly|monthly|yearly)$/.exec(reason))) return m[1];
  return 'other';
}

/** The distinct rows of a snapshot's reasons, in first-seen order. */
export function rowsOfReasons(reasons: readonly string[]): string[] {
  const out: string[] = [];
  for (const r of reasons) {
    const id = ruleIdOfReason(r);
    if (!out.includes(id)) out.push(id);
  }
  return out;
}

/**
 * The policy's rows followed by the rows that only the held set shows (min, newest, other),
 * each with the number of held snapshots it keeps.
 */
export function rulesWithCounts(
  engine: EngineId,
  policy: PolicyModel | undefined,
  snapshots: readonly { reasons: readonly string[] }[],
): (RuleRow & { count: number })[] {
  const rows = policyRules(engine, policy).map((r) => ({ ...r, count: 0 }));
  const byId = new Map(rows.map((r) => [r.id, r]));
  for (const s of snapshots) {
    for (const id of rowsOfReasons(s.reasons)) {
      let row = byId.get(id);
      if (!row) {
        row = { id, label: EXTRA_LABELS[id] ?? id, count: 0 };
        byId.set(id, row);
        rows.push(row);
      }
      row.count++;
    }
  }
  // Extra rows in a fixed order after the policy's own.
  const policyCount = policyRules(engine, policy).length;
  const extras = rows.slice(policyCount).sort((a, b) => extraRank(a.id) - extraRank(b.id));
  return [...rows.slice(0, policyCount), ...extras];
}

function extraRank(id: string): number {
  const order = ['min', 'base', 'newest', 'other'];
  const i = order.indexOf(id);
  return i < 0 ? order.length : i;
}
