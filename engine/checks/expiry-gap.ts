import type { Rule } from './rule';

export const rule: Rule = {
  id: 'expiry-gap',
  defaultSeverity: 'warning',
  summary: 'Expiry is not longer than the longest interval of the schedule.',
  check: () => [], // TODO: implement
};
