// Policies that contradict themselves (SPEC §3), each named policy and each inline `retention`
// mapping, on the exact value at fault:
//
// - a tier that is not the last has no `until` (only the last may keep forever; later tiers
//   would never be reached);
// - tiers out of order: each `until` must be strictly longer than the one before, and the
//   first one longer than zero. Durations with months or years have no single length (1mo is
//   28 to 31 days), so they are compared exactly when both sides use the same kind of unit
//   (months/years only, or fixed units only) and otherwise only reported when the disorder is
//   certain: max(until i) ≤ min(until i−1). `30d` after `1mo` is not reported; `4w` after `1mo` is;
// - `every` wider than its band (band i runs from until(i−1) to until(i)): reported when
//   certain, i.e. the shortest `every` exceeds the widest the band can be;
// - a policy that keeps nothing: `expiry` of zero (each snapshot deleted as it is taken), a
//   single tier with `until` zero and nothing else, or a `keep` whose every rule is 0 and nothing
//   else (such a policy has no rule at all: the engines then keep everything, or borg refuses to
//   prune; surely not what was meant). For a policy that vzdump jobs use, the message says what
//   Proxmox does with it: vzdump prunes itself (`--prune-backups`, not Backplan's runner, so
//   `min` plays no part), PVE turns options with no count above 0 into keep-all and PBS keeps
//   every backup when no count is above 0 (its prune API refuses a count of 0 outright), so the
//   backups pile up. PBS's own marking function, which its tests call directly, would remove
//   them all; no Proxmox command reaches it with such options.
//
// `min` below 1 is reported by the schema rule ("`min` must be at least 1") on the same value,
// so it is not repeated here. Values that do not parse are duration-invalid's.
import { isZero, maxMs, minMs, type Duration } from '../time/duration';
import { spanText } from './shared/schedules';
import type { PolicyModel, YamlPath } from '../plan/model';
import { COUNT_RULES, WITHIN_RULES, countOf } from '../retention/common';
import { durationOf } from './shared/policies';
import { dedupe } from './shared/values';
import type { CheckContext, Rule, RuleFinding } from './rule';

const isCalendarOnly = (d: Duration): boolean => d.w === 0 && d.d === 0 && d.h === 0 && d.min === 0;
const isFixedOnly = (d: Duration): boolean => d.y === 0 && d.mo === 0;
const months = (d: Duration): number => d.y * 12 + d.mo;

/** True when `a` is certainly not longer than `b`, whatever month lengths apply. */
function certainlyNotLonger(a: Duration, b: Duration): boolean {
  if (isCalendarOnly(a) && isCalendarOnly(b)) return months(a) <= months(b);
  if (isFixedOnly(a) && isFixedOnly(b)) return minMs(a) <= minMs(b);
  return maxMs(a) <= minMs(b);
}

/** How wide the band between `lower` (undefined: now) and `upper` can be at most, and whether that is exact. */
function bandWidth(lower: Duration | undefined, upper: Duration): { max: number; exact: boolean } {
  if (!lower) return { max: maxMs(upper), exact: isFixedOnly(upper) };
  const exact = isFixedOnly(lower) && isFixedOnly(upper);
  return { max: maxMs(upper) - minMs(lower), exact };
}

/** True when `every` certainly exceeds the band from `lower` to `upper`. */
function everyTooWide(every: Duration, lower: Duration | undefined, upper: Duration): boolean {
  if (isCalendarOnly(every) && isCalendarOnly(upper) && (!lower || isCalendarOnly(lower))) {
    return months(every) > months(upper) - (lower ? months(lower) : 0);
  }
  return minMs(every) > bandWidth(lower, upper).max;
}

function keepRules(policy: PolicyModel): { present: boolean; keeps: boolean } {
  const keep = policy.raw.keep;
  if (keep === null || typeof keep !== 'object' || Array.isArray(keep)) return { present: false, keeps: false };
  const k = keep as Record<string, unknown>;
  // duplicity's chain counts keep chains.
  const counts = [...COUNT_RULES, 'full', 'incrementals_of'].some((r) => countOf(k[r]) !== 0);
  const withins = WITHIN_RULES.some((r) => {
    const d = durationOf(k[r]);
    // A within that does not parse is duration-invalid's: count it as a rule so as not to pile on.
    return k[r] !== undefined && k[r] !== null && (d === undefined || !isZero(d));
  });
  const tags = Array.isArray(k.tags) && k.tags.length > 0;
  return { present: true, keeps: counts || withins || tags };
}

const tierLabel = (i: number): string => `tier ${i + 1}`;

/** What Proxmox does with a `keep` whose every count is 0, for a policy vzdump jobs use. */
const VZDUMP_KEEPS_NOTHING =
  '; for vzdump, Proxmox prunes by itself (Backplan\'s `min` plays no part): PVE reads prune-backups without a count above 0 as keep-all and Proxmox Backup Server keeps every backup when no count is above 0 (its prune API refuses `keep-last 0`; only its internal marking function, which its tests call, would remove them all), so the backups accumulate';

function checkPolicy(ctx: CheckContext, policy: PolicyModel, out: RuleFinding[], kinds: ReadonlySet<string> = new Set()): void {
  const at: YamlPath = policy.at;
  const rawTiers = Array.isArray(policy.raw.tiers) ? (policy.raw.tiers as unknown[]) : [];
  const tiers = policy.tiers ?? [];
  const untils = tiers.map((t) => durationOf(t.until));
  const everys = tiers.map((t) => durationOf(t.every));
  const n = tiers.length;
  const keep = keepRules(policy);
  /** Nothing but the tiers could keep a snapshot. */
  const tiersOnly = !keep.keeps && policy.expiry === undefined;

  tiers.forEach((tier, i) => {
    const raw = rawTiers[i];
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return; // the schema's
    const untilPath = [...at, 'tiers', i, 'until'];
    if (tier.until === undefined) {
      if (i < n - 1) {
        out.push({
          range: ctx.locate([...at, 'tiers', i], 'value'),
          message: `${tierLabel(i)} has no \`until\` but is not the last tier: only the last tier may omit it (it then keeps forever), so the tiers after it are never reached; add \`until\` or move this tier last`,
        });
      }
      return;
    }
    const until = untils[i];
    if (!until) return;
    if (i === 0 || tiers[i - 1].until === undefined) {
      if (isZero(until)) {
        const nothing = n === 1 && tiersOnly ? ': this policy keeps nothing' : '';
        out.push({
          range: ctx.locate(untilPath, 'value'),
          message: `\`until: ${tier.until}\` makes ${tierLabel(i)} cover no age at all${nothing}; an \`until\` is the age where the band ends, so it must be longer than zero`,
        });
      }
    } else {
      const prev = untils[i - 1];
      if (prev && certainlyNotLonger(until, prev)) {
        out.push({
          range: ctx.locate(untilPath, 'value'),
          message: `\`until: ${tier.until}\` of ${tierLabel(i)} is not longer than \`until: ${tiers[i - 1].until}\` of ${tierLabel(i - 1)}: untils must strictly increase down the list (each tier covers older snapshots than the one above it); reorder the tiers or fix the durations`,
        });
        return;
      }
    }
    const every = everys[i];
    if (!every || tier.keep === 'all' || isZero(every)) return;
    const lower = i === 0 ? undefined : untils[i - 1];
    if (i > 0 && !lower) return;
    if (everyTooWide(every, lower, until)) {
      const w = bandWidth(lower, until);
      const width = w.exact ? spanText(w.max) : `at most ${spanText(w.max)}`;
      const from = lower ? `from ${tiers[i - 1].until} ` : 'from now ';
      out.push({
        range: ctx.locate([...at, 'tiers', i, 'every'], 'value'),
        message: `\`every: ${tier.every}\` is wider than the band of ${tierLabel(i)} (${from}to ${tier.until}: ${width} wide): \`every\` must not exceed its band, or the tier never holds a whole period and does not keep one snapshot per ${tier.every}; use a shorter \`every\` or widen the band`,
      });
    }
  });

  const expiry = durationOf(policy.expiry);
  if (expiry && isZero(expiry)) {
    out.push({
      range: ctx.locate([...at, 'expiry'], 'value'),
      message: `\`expiry: ${policy.expiry}\` deletes every snapshot as soon as it is taken: this policy keeps nothing; give an expiry longer than the interval between runs, or remove it`,
    });
    return;
  }
  if (keep.present && !keep.keeps && n === 0 && policy.expiry === undefined) {
    out.push({
      range: ctx.locate([...at, 'keep'], 'key'),
      message: `every rule of \`keep\` is 0, so this policy has no rule that keeps anything: Backplan, restic and Proxmox then prune nothing at all and borg refuses to prune${kinds.has('vzdump') ? VZDUMP_KEEPS_NOTHING : ''}; set a count (e.g. \`last: 7\`) or a \`within\``,
    });
  }
}

export const rule: Rule = {
  id: 'retention-invalid',
  defaultSeverity: 'error',
  summary: 'Tiers out of order, `every` wider than its band, a policy that keeps nothing.',
  check(ctx) {
    const out: RuleFinding[] = [];
    // The job kinds that use each named policy (a message can say what their engine does).
    const kindsOf = new Map<string, Set<string>>();
    for (const job of ctx.model.jobs.values()) {
      if (typeof job.retention !== 'string') continue;
      const kinds = kindsOf.get(job.retention) ?? new Set<string>();
      kinds.add(job.kind);
      kindsOf.set(job.retention, kinds);
    }
    for (const [name, policy] of ctx.model.policies) checkPolicy(ctx, policy, out, kindsOf.get(name));
    for (const job of ctx.model.jobs.values()) {
      if (job.retention !== undefined && typeof job.retention !== 'string') checkPolicy(ctx, job.retention, out, new Set([job.kind]));
    }
    return dedupe(out);
  },
};
