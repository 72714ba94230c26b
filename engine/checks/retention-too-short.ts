import type { Rule } from './rule';

export const rule: Rule = {
  id: 'retention-too-short',
  defaultSeverity: 'warning',
  summary: 'Retention removes every copy before the next run, or keeps less history than rpo.',
  check: () => [], // TODO: implement
};
