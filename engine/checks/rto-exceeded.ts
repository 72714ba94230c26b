// rto-exceeded (SPEC §6, §11): with the journals of a state directory (`ctx.restores`, from
// `backplan check --state-dir` or the editor's state directory), a job with `rto` whose last
// measured restore — `backplan verify` or `backplan restore`, whichever is newer — took longer
// than its `rto` is a warning. Where the job's restore needs other jobs first (its `after:`
// chain, the base copy of an incremental chain: engine/recovery/rto.ts), the rule sums their
// last measured restores with the job's own. A job with `rto` never measured (or whose chain has
// a job never measured) is reported as information. Without a state directory the rule is off:
// nothing is known about restores then.
import { describeSum, formatSeconds, rtoSum } from '../recovery/rto';
import type { Rule, RuleFinding } from './rule';

export const rule: Rule = {
  id: 'rto-exceeded',
  defaultSeverity: 'warning',
  summary: 'The last measured restore of a job, its dependencies included, took longer than its `rto` (journal).',
  check(ctx) {
    const measured = ctx.restores;
    if (!measured) return [];
    const out: RuleFinding[] = [];
    for (const job of ctx.model.jobs.values()) {
      if (!job.enabled) continue;
      const sum = rtoSum(ctx.model, job.name, measured);
      if (!sum.rto) continue;
      const range = ctx.locate(['jobs', job.name, 'rto'], 'value');
      const chain = sum.parts.length > 1;
      const own = measured.get(job.name);
      if (sum.exceeded) {
        const what = chain
          ? `the last measured restores of \`${job.name}\` and what it needs first took ${describeSum(sum)}`
          : `the last measured restore of \`${job.name}\` (backplan ${own!.via}, ${own!.at.slice(0, 10)}) took ${formatSeconds(sum.seconds)}`;
        const missing = sum.unmeasured.length ? ` (and ${sum.unmeasured.map((n) => `\`${n}\``).join(', ')} never measured)` : '';
        out.push({
          range,
          message:
            `${what}${missing}, longer than its rto ${sum.rto.text}: a disaster would keep it down longer than promised. ` +
            'Make the restore faster (a copy nearer the target, a faster medium, fewer dependencies) or raise `rto` to what it really takes',
        });
        continue;
      }
      if (sum.unmeasured.length === 0) continue;
      const never = sum.unmeasured.map((n) => `\`${n}\``).join(', ');
      out.push({
        range,
        severity: 'info',
        message: !own
          ? `RTO never measured: no \`backplan verify\` or \`backplan restore\` of \`${job.name}\` is journalled${chain ? ` (its restore needs ${sum.parts.slice(0, -1).map((p) => `\`${p.job}\``).join(', ')} first)` : ''}. ` +
            `Run \`backplan verify PLAN --job ${job.name}\` to measure how long a restore takes`
          : `RTO not fully measured: the restore of \`${job.name}\` needs ${never} first, never measured (${describeSum(sum)}). ` +
            `Run \`backplan verify\` on ${never} to measure the whole chain`,
      });
    }
    return out;
  },
};
