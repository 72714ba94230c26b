import type { Rule } from './rule';

export const rule: Rule = {
  id: 'dependency-cycle',
  defaultSeverity: 'error',
  summary: '`from`/`after` form a cycle.',
  check: () => [], // TODO: implement
};
