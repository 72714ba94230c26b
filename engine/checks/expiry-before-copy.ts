import type { Rule } from './rule';

export const rule: Rule = {
  id: 'expiry-before-copy',
  defaultSeverity: 'error',
  summary: 'A snapshot expires before the copy job that consumes it can run.',
  check: () => [], // TODO: implement
};
