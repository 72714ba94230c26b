import type { Rule } from './rule';

export const rule: Rule = {
  id: 'dst-schedule',
  defaultSeverity: 'warning',
  summary: 'A schedule time falls in a DST gap or overlap (runs skipped or doubled).',
  check: () => [], // TODO: implement
};
