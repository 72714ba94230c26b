import type { Rule } from './rule';

export const rule: Rule = {
  id: 'offsite-unencrypted',
  defaultSeverity: 'warning',
  summary: 'An offsite copy is not encrypted.',
  check: () => [], // TODO: implement
};
