// Every value the schema types as a duration (`x-backplan-type: duration`: expiry, rpo, tier
// every/until, keep.within*, checks.horizon ...) must read as `Nmin Nh Nd Nw Nmo Ny` (combinable).
// The finding sits on the part at fault inside the string. Fixes come from the parser: a bare
// `m` gets two fixes, `min` and `mo`, neither preferred (only the author knows which was meant);
// a misspelt unit (`3days`) gets its one obvious fix, preferred; a number without a unit gets a
// `d` fix that is only a guess, so not preferred. Non-string values (`expiry: 7`) are the schema
// rule's ("must be a duration such as ...").
import { parseDuration } from '../time/duration';
import { annotatedOf, dedupe, rangeInValue, replaceValueFix } from './shared/values';
import type { Rule, RuleFinding } from './rule';

export const rule: Rule = {
  id: 'duration-invalid',
  defaultSeverity: 'error',
  summary: 'A duration does not parse, or uses the ambiguous bare `m`.',
  check(ctx) {
    const out: RuleFinding[] = [];
    for (const v of annotatedOf(ctx)) {
      if (v.type !== 'duration' || typeof v.value !== 'string') continue;
      const value = v.value;
      const r = parseDuration(v.value);
      if (r.ok) continue;
      const range = rangeInValue(ctx, v.path, value, r.start, r.end);
      const whole = ctx.locate(v.path, 'value');
      const atFault = v.value.slice(r.start, r.end);
      // One fix for a unit that was spelt out: obvious. A missing unit, or an ambiguous one: a choice.
      const preferred = r.suggestions.length === 1 && /[a-z]/i.test(atFault);
      // The parser offers a bare `m` as [minutes, months], in that order.
      const labels = r.suggestions.length === 2 ? [' (minutes)', ' (months)'] : ['', ''];
      const fixes = r.suggestions.map((s, i) => replaceValueFix(ctx.text, whole, s, `Change to \`${s}\`${labels[i] ?? ''}`, preferred));
      out.push({ range, message: r.message, ...(fixes.length > 0 ? { fixes } : {}) });
    }
    return dedupe(out);
  },
};
