// A duplicity job whose chains are longer than its retention window. duplicity removes a chain
// only whole, only once its newest set is older than the cutoff, and never the current chain
// (engine/retention/duplicity.ts). So with `within: D` and `full_every` longer than D, every
// prune keeps the whole current chain — up to `full_every` of incrementals on one full, and the
// previous chain until its last set is D old: the copies reach back up to full_every + D, and
// a restore of the newest point replays the whole long chain. Without `full_every` there is
// only ever one chain, which no remove command deletes: nothing is ever pruned (`within` or
// `full: N` alike). Durations are compared in duplicity's own units (1mo = 30 days).
import { jobPolicy } from '../plan/build-model';
import { duplicityMs, duplicityRules } from '../retention/duplicity';
import { engineIdFor } from '../retention/index';
import { formatSpan, parseDuration } from '../time/duration';
import type { Rule, RuleFinding } from './rule';

export const rule: Rule = {
  id: 'duplicity-full-window',
  defaultSeverity: 'warning',
  summary: "A duplicity job's full_every is longer than its retention window: one huge chain is never pruned.",
  check(ctx) {
    const out: RuleFinding[] = [];
    for (const job of ctx.model.jobs.values()) {
      if (job.kind !== 'duplicity' || !job.enabled) continue;
      const policy = jobPolicy(ctx.model, job);
      if (!policy || engineIdFor(job.kind, policy) !== 'duplicity') continue;
      let rules;
      try {
        rules = duplicityRules(policy);
      } catch {
        continue; // duration-invalid reports it
      }
      if (!rules.within && !rules.full && !rules.incrementalsOf) continue;
      const raw = job.raw.full_every;
      if (raw === undefined || raw === null) {
        if (!rules.within && !rules.full) continue;
        out.push({
          range: ctx.locate([...job.at, 'kind'], 'value'),
          message:
            `job \`${job.name}\` has no \`full_every\`: every run after the first is an incremental of one ` +
            'chain, and ' +
            'duplicity never deletes the current chain, so its retention never removes anything; set `full_every` ' +
            `(e.g. \`full_every: ${rules.within ? String(policy.keep?.within) : '1mo'}\`)`,
        });
        continue;
      }
      const every = parseDuration(String(raw));
      if (!every.ok || !rules.within) continue;
      const everyMs = duplicityMs(every.value);
      const windowMs = duplicityMs(rules.within);
      if (everyMs <= windowMs) continue;
      out.push({
        range: ctx.locate([...job.at, 'full_every'], 'value'),
        message:
          `job \`${job.name}\`: \`full_every: ${String(raw)}\` is longer than its retention window \`within: ` +
          `${String(policy.keep?.within)}\`: duplicity deletes only whole chains, never the current one, ` +
          'so each prune ' +
          `keeps up to ${formatSpan(everyMs)} of incrementals on one full, and copies up to ` +
          `${formatSpan(everyMs + windowMs)} old; set \`full_every\` to at most ${String(policy.keep?.within)}`,
        related: [{ message: 'retention window', range: ctx.locate([...policy.at, 'keep', 'within'], 'value') }],
      });
    }
    return out;
  },
};
