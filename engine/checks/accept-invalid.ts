// accept-invalid: an accept (SPEC §7, `accept: {RULE: reason}` on a host, storage, policy or job,
// or a `# backplan: accept RULE — reason` comment) that cannot stand: no reason (blank, or the
// `TODO` placeholder the quick fix writes), a comment not of that form or naming no rule that can
// be accepted, and — reported by the pipeline once every rule has run (engine/check.ts) — an
// accept that matches no finding of its rule on its entry or line any more.
import { collectAccepts } from './shared/accept';
import type { Rule } from './rule';

export const rule: Rule = {
  id: 'accept-invalid',
  defaultSeverity: 'warning',
  summary: 'An accepted finding has no reason, or the accept matches no finding any more.',
  check(ctx) {
    return ctx.memo('accepts', () => collectAccepts(ctx.text, ctx.doc, ctx.parsed.value)).problems.map((p) => ({ range: p.range, message: p.message }));
  },
};
