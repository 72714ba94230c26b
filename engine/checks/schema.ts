// Structure: unknown keys (with "did you mean"), wrong types, missing fields — from the JSON
// Schema, mapped to the key or value at fault. Time zones are checked here too: the schema
// can only say "a string".
import { validateSchema } from '../plan/schema';
import { annotatedOf } from './shared/values';
import { isValidZone } from '../time/zones';
import type { Rule, RuleFinding } from './rule';

export const rule: Rule = {
  id: 'schema',
  defaultSeverity: 'error',
  summary: 'Unknown key (with did-you-mean), wrong type or missing required field.',
  check(ctx) {
    const out: RuleFinding[] = [];
    for (const issue of validateSchema(ctx.parsed.value)) {
      const range = ctx.locate(issue.path, issue.part);
      out.push({
        range,
        message: issue.message,
        ...(issue.suggestion !== undefined
          ? { fixes: [{ title: `Change to \`${issue.suggestion}\``, edits: [{ range, newText: issue.suggestion }], preferred: true }] }
          : {}),
      });
    }
    for (const v of annotatedOf(ctx)) {
      if (v.type !== 'timezone' || typeof v.value !== 'string' || isValidZone(v.value)) continue;
      out.push({
        range: ctx.locate(v.path, 'value'),
        message: `\`${v.value}\` is not an IANA time zone: use a name like \`Europe/Paris\`, \`America/New_York\` or \`UTC\``,
      });
    }
    return out;
  },
};
