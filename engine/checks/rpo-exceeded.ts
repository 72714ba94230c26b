import type { Rule } from './rule';

export const rule: Rule = {
  id: 'rpo-exceeded',
  defaultSeverity: 'warning',
  summary: "The longest interval between runs (DST included) exceeds the job's rpo.",
  check: () => [], // TODO: implement
};
