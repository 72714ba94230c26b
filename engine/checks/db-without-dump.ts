import type { Rule } from './rule';

export const rule: Rule = {
  id: 'db-without-dump',
  defaultSeverity: 'warning',
  summary: 'A file backup reads a live database directory with no dump job before it.',
  check: () => [], // TODO: implement
};
