import type { Rule } from './rule';

export const rule: Rule = {
  id: 'cron-invalid',
  defaultSeverity: 'error',
  summary: 'A schedule is not valid 5-field cron; points at the bad field.',
  check: () => [], // TODO: implement
};
