import type { Rule } from './rule';

export const rule: Rule = {
  id: 'unknown-reference',
  defaultSeverity: 'error',
  summary: 'A host, storage, policy or job name is not defined.',
  check: () => [], // TODO: implement
};
