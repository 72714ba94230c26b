import type { Rule } from './rule';

export const rule: Rule = {
  id: 'retention-invalid',
  defaultSeverity: 'error',
  summary: 'Tiers out of order, `every` wider than its band, a policy that keeps nothing.',
  check: () => [], // TODO: implement
};
