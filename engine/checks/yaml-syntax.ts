import type { Rule } from './rule';

// The parser already turned the YAML errors into findings: one per cause, at the cause, the errors
// that follow from it in `related` (plan/syntax-cascade.ts).
export const rule: Rule = {
  id: 'yaml-syntax',
  defaultSeverity: 'error',
  summary: 'The YAML does not parse (one finding per error, at its cause; at most 100).',
  check: (ctx) =>
    ctx.parsed.findings.map((f) => ({
      range: f.range,
      message: f.message,
      severity: f.severity,
      ...(f.related ? { related: f.related } : {}),
    })),
};
