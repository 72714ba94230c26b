import type { Rule } from './rule';

export const rule: Rule = {
  id: 'snapshot-not-backup',
  defaultSeverity: 'warning',
  summary: 'A chain is protected only by snapshots on its own storage.',
  check: () => [], // TODO: implement
};
