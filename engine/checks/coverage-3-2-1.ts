import type { Rule } from './rule';

export const rule: Rule = {
  id: 'coverage-3-2-1',
  defaultSeverity: 'warning',
  summary: 'A chain has fewer copies, media or offsite copies than required.',
  check: () => [], // TODO: implement
};
