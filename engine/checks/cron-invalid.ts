// Every value the schema types as a schedule (`x-backplan-type: cron`: a job's schedule,
// prune_schedule and verify.schedule, wherever the schema puts them) must be 5-field cron or one
// of the @aliases. The finding sits on the part at fault inside the string (the bad field, the
// extra seconds field ...), mapped through the scalar's quotes and escapes; the parser's whole
// expression replacements become quick fixes (preferred when there is exactly one). When
// several parts are at fault (a 7-field cron: seconds and year), the others are related
// information. Non-string values are the schema rule's; an invalid zone is the schema rule's too.
import type { RelatedInfo } from '../findings';
import { annotatedOf, dedupe, rangeInValue, replaceValueFix } from './shared/values';
import { cronOf } from './shared/schedules';
import type { Rule, RuleFinding } from './rule';

export const rule: Rule = {
  id: 'cron-invalid',
  defaultSeverity: 'error',
  summary: 'A schedule is not valid 5-field cron; points at the bad field.',
  check(ctx) {
    const out: RuleFinding[] = [];
    for (const v of annotatedOf(ctx)) {
      if (v.type !== 'cron' || typeof v.value !== 'string') continue;
      const value = v.value;
      const r = cronOf(ctx, v.value);
      if (r.ok) continue;
      const range = rangeInValue(ctx, v.path, value, r.start, r.end);
      const related: RelatedInfo[] = (r.spans ?? [])
        .filter((s) => s.start !== r.start || s.end !== r.end)
        .map((s) => ({ message: 'also at fault', range: rangeInValue(ctx, v.path, value, s.start, s.end) }));
      const whole = ctx.locate(v.path, 'value');
      const fixes = r.suggestions.map((s) => replaceValueFix(ctx.text, whole, s, `Change to \`${s}\``, r.suggestions.length === 1));
      out.push({
        range,
        message: r.message,
        ...(related.length > 0 ? { related } : {}),
        ...(fixes.length > 0 ? { fixes } : {}),
      });
    }
    return dedupe(out);
  },
};
