import type { Rule } from './rule';

export const rule: Rule = {
  id: 'capacity-exceeded',
  defaultSeverity: 'warning',
  summary: "Projected storage use exceeds a storage's capacity.",
  check: () => [], // TODO: implement
};
