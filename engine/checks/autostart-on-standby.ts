import type { Rule } from './rule';

export const rule: Rule = {
  id: 'autostart-on-standby',
  defaultSeverity: 'error',
  summary: 'An instance copied to a standby host would start on boot.',
  check: () => [], // TODO: implement
};
