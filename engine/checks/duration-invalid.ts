import type { Rule } from './rule';

export const rule: Rule = {
  id: 'duration-invalid',
  defaultSeverity: 'error',
  summary: 'A duration does not parse, or uses the ambiguous bare `m`.',
  check: () => [], // TODO: implement
};
