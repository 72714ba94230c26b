import type { Rule } from './rule';

export const rule: Rule = {
  id: 'schema',
  defaultSeverity: 'error',
  summary: 'Unknown key (with did-you-mean), wrong type or missing required field.',
  check: () => [], // TODO: implement
};
