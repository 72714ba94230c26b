import type { Rule } from './rule';

export const rule: Rule = {
  id: 'retention-unsupported',
  defaultSeverity: 'error',
  summary: "A retention form that the job's pruning engine cannot express.",
  check: () => [], // TODO: implement
};
