import type { Rule } from './rule';

export const rule: Rule = {
  id: 'unused',
  defaultSeverity: 'hint',
  summary: 'A host, storage or policy is never used.',
  check: () => [], // TODO: implement
};
