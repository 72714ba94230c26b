// Structure: unknown keys (with "did you mean"), wrong types, missing fields — from the JSON
// Schema, mapped to the key or value at fault. Time zones are checked here too: the schema
// can only say "a string".
import { validateSchema } from '../plan/schema';
import { annotatedOf } from './shared/values';
import { moveKeyEdits } from './shared/move-keys';
import { isValidZone } from '../time/zones';
import type { Fix } from '../findings';
import type { Rule, RuleFinding } from './rule';

export const rule: Rule = {
  id: 'schema',
  defaultSeverity: 'error',
  summary: 'Unknown key (with did-you-mean), wrong type or missing required field.',
  check(ctx) {
    const out: RuleFinding[] = [];
    for (const issue of validateSchema(ctx.parsed.value)) {
      const range = ctx.locate(issue.path, issue.part);
      const fixes: Fix[] = [];
      if (issue.suggestion !== undefined) {
        fixes.push({ title: `Change to \`${issue.suggestion}\``, edits: [{ range, newText: issue.suggestion }], preferred: true });
      }
      if (issue.move) {
        // a key written in the wrong place: move it (with its comment) where it belongs
        const edits = moveKeyEdits(ctx.text, ctx.doc, issue.move);
        const base = issue.move.from.length;
        const where = issue.move.pieces.map((p) => `\`${p.to.slice(base - 1).join('.')}\``).join(', ');
        if (edits) fixes.push({ title: `Move to ${where}`, edits, preferred: true });
      }
      out.push({ range, message: issue.message, ...(fixes.length > 0 ? { fixes } : {}) });
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
