import type { Rule } from './rule';

export const rule: Rule = {
  id: 'replication-base-at-risk',
  defaultSeverity: 'error',
  summary: "The source's retention can prune the last common snapshot before the next send.",
  check: () => [], // TODO: implement
};
