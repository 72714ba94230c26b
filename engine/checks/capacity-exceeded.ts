// Projected use of each storage with a `capacity` against that capacity. A deliberately simple
// projection, spelled out in the message:
//   use = Σ over the data sets landing there of  size + daily change × days kept
// - what lands on a storage comes from the chains (engine/coverage): backups and copies land on
//   `to`, snapshots on their `storage` (else the source storage);
// - `size` and `change` are the job's own, else its chain root's (the source declares them);
//   nothing is projected for data without a `size`; a missing `change` counts as 0;
// - jobs of one chain landing on the same storage (an hourly and a daily snapshot job of one
//   dataset) hold the data once: size counted once, the longest retention of them counted;
// - days kept = the oldest age the policy keeps: the last tier's `until`; for `keep`, the widest
//   rule (N hourly = N hours, N daily = N days, N weekly = N weeks, N monthly = N months, N yearly
//   = N years, N last = N runs at the schedule's average interval, `within*` = its duration);
//   with `expiry`, at most the expiry. A policy that keeps forever (or no retention at all) is
//   projected at one year, and the message says so.
// This under-estimates full-copy kinds (archive, dumps, vzdump write the whole size every run)
// and over-estimates thinned tiers; it is a warning, not an accounting.
import { chainsOf } from '../coverage/chains';
import { jobPolicy, jobZone } from '../plan/build-model';
import type { JobModel, PlanModel, PolicyModel } from '../plan/model';
import { dailyChangeBytes, formatChange, formatSize, parseChange, parseSize, type ChangeRate } from '../plan/size';
import { approxMs, MS, parseDuration } from '../time/duration';
import { firesPerDay } from '../time/intervals';
import { jobScheduleOf } from './shared/schedules';
import type { CheckContext, Rule, RuleFinding } from './rule';

const FOREVER_DAYS = 365;
const UNIT_DAYS = { hourly: 1 / 24, daily: 1, weekly: 7, monthly: 30.436875, yearly: 365.2425 } as const;

function durationDays(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const d = parseDuration(text);
  return d.ok ? approxMs(d.value) / MS.DAY : undefined;
}

/**
 * The average interval of the job's effective schedule (its own, else the one of the job it
 * follows) in days; one a day when it has none or it does not parse.
 */
function intervalDays(ctx: CheckContext, job: JobModel): number {
  const schedule = jobScheduleOf(ctx, job)?.schedule;
  const perDay = schedule ? firesPerDay(schedule) : 0;
  return perDay > 0 ? 1 / perDay : 1;
}

/** Days of history the policy keeps; Infinity when it keeps forever; undefined when unreadable. */
export function retainedDays(policy: PolicyModel | undefined, runEveryDays: number | (() => number)): number | undefined {
  if (!policy) return Infinity;
  let kept: number | undefined;
  const widen = (d: number) => (kept = Math.max(kept ?? 0, d));
  if (policy.tiers && policy.tiers.length > 0) {
    const last = policy.tiers[policy.tiers.length - 1];
    if (last.until === undefined) widen(Infinity);
    else {
      const d = durationDays(last.until);
      if (d === undefined) return undefined;
      widen(d);
    }
  }
  if (policy.keep) {
    const k = policy.keep;
    if (k.last !== undefined) widen(k.last < 0 ? Infinity : k.last * (typeof runEveryDays === 'function' ? runEveryDays() : runEveryDays));
    for (const unit of Object.keys(UNIT_DAYS) as (keyof typeof UNIT_DAYS)[]) {
      const n = k[unit];
      if (n !== undefined) widen(n < 0 ? Infinity : n * UNIT_DAYS[unit]);
    }
    for (const w of [k.within, k.within_hourly, k.within_daily, k.within_weekly, k.within_monthly, k.within_yearly]) {
      if (w === undefined) continue;
      const d = durationDays(w);
      if (d === undefined) return undefined;
      widen(d);
    }
  }
  if (policy.expiry !== undefined) {
    const e = durationDays(policy.expiry);
    if (e === undefined) return undefined;
    return kept === undefined ? e : Math.min(kept, e);
  }
  return kept ?? Infinity;
}

interface Term {
  jobs: JobModel[];
  size: number;
  rate?: ChangeRate;
  days: number;
  forever: boolean;
  bytes: number;
}

export const rule: Rule = {
  id: 'capacity-exceeded',
  defaultSeverity: 'warning',
  summary: "Projected storage use exceeds a storage's capacity.",
  check(ctx) {
    const plan = ctx.model;
    const chains = chainsOf(ctx);
    // storage name → group key (the job's own root) → jobs landing there. Grouped by the root
    // each job descends from, not by the merged chain: two roots of the same data (a restic and a
    // borg of /home) write two repositories, and each holds the data.
    const landing = new Map<string, Map<string, { root: JobModel; jobs: JobModel[] }>>();
    for (const chain of chains) {
      if (!chain.enabled) continue;
      for (const name of chain.members) {
        const job = plan.jobs.get(name)!;
        const storage = chain.landing[name]?.storage;
        if (!job.enabled || storage === undefined) continue;
        const rootName = chain.rootOf[name] ?? chain.root;
        const groups = landing.get(storage) ?? new Map();
        const g = groups.get(rootName) ?? { root: plan.jobs.get(rootName)!, jobs: [] };
        g.jobs.push(job);
        groups.set(rootName, g);
        landing.set(storage, groups);
      }
    }

    const out: RuleFinding[] = [];
    for (const storage of plan.storage.values()) {
      if (storage.capacity === undefined) continue;
      const cap = parseSize(storage.raw.capacity);
      if (!cap) continue;
      const terms: Term[] = [];
      for (const { root, jobs } of landing.get(storage.name)?.values() ?? []) {
        let term: Term | undefined;
        for (const job of jobs) {
          const size = parseSize(job.raw.size ?? root.raw.size);
          if (!size) continue;
          const changeRaw = job.raw.change ?? root.raw.change;
          const rate = changeRaw !== undefined ? parseChange(changeRaw) : undefined;
          if (changeRaw !== undefined && !rate) continue;
          const policy = jobPolicy(plan, job);
          if (typeof job.retention === 'string' && !policy) continue; // unknown-reference reports it
          const kept = retainedDays(policy, () => intervalDays(ctx, job));
          if (kept === undefined) continue; // duration-invalid reports it
          const forever = !Number.isFinite(kept);
          const days = forever ? FOREVER_DAYS : kept;
          const bytes = size.bytes + (rate ? dailyChangeBytes(rate, size.bytes) * days : 0);
          if (!term) term = { jobs: [job], size: size.bytes, rate, days, forever, bytes };
          else {
            term.jobs.push(job);
            if (bytes > term.bytes) Object.assign(term, { size: size.bytes, rate, days, forever, bytes });
          }
        }
        if (term) terms.push(term);
      }
      const total = terms.reduce((s, t) => s + t.bytes, 0);
      if (total <= cap.bytes) continue;
      const fmt = (b: number) => formatSize(b, cap.system);
      const parts = terms
        .sort((a, b) => b.bytes - a.bytes)
        .map((t) => {
          const who = t.jobs.map((j) => j.name).join(', ');
          const kept = t.forever ? `${FOREVER_DAYS} days (kept forever: one year shown)` : `${Math.round(t.days)} days kept`;
          const growth = t.rate ? ` + ${formatChange(t.rate)} × ${kept}` : ' (no `change` declared)';
          return `${who}: size ${fmt(t.size)}${growth}`;
        });
      out.push({
        range: ctx.locate([...storage.at, 'capacity'], 'value'),
        message:
          `projected ~${fmt(total)} on \`${storage.name}\` > capacity ${fmt(cap.bytes)} (${parts.join('; ')}). ` +
          `Raise \`capacity\`, keep less history, or send a job elsewhere. ` +
          `(Projection: each source's size once plus its daily change for every day its retention keeps.)`,
        related: terms.flatMap((t) => t.jobs.map((j) => ({ message: `\`${j.name}\` lands on \`${storage.name}\``, range: ctx.locate(j.at, 'key') }))),
      });
    }
    return out;
  },
};
