import type { Rule } from './rule';

export const rule: Rule = {
  id: 'secret-inline',
  defaultSeverity: 'error',
  summary: 'A password, passphrase or key is written in the plan instead of *_env/*_file.',
  check: () => [], // TODO: implement
};
