import type { Rule } from './rule';

// The parser already turned every YAML error into a finding at its own position.
export const rule: Rule = {
  id: 'yaml-syntax',
  defaultSeverity: 'error',
  summary: 'The YAML does not parse (one finding per error, at its position).',
  check: (ctx) => ctx.parsed.findings.map((f) => ({ range: f.range, message: f.message, severity: f.severity })),
};
