import type { Rule } from './rule';

export const rule: Rule = {
  id: 'no-restore-test',
  defaultSeverity: 'warning',
  summary: 'A chain has no `verify` anywhere.',
  check: () => [], // TODO: implement
};
