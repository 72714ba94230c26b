// What every step execution is given: the hosts of the run (ssh masters), the redactor of its
// journal and output, its cancellation signal and where secrets are read. Its own module so that
// execute.ts and guard.ts (which execute.ts calls) both use it without importing each other.
import type { Hosts } from './hosts';
import type { Redactor } from './redact';

export interface ExecEnv {
  hosts: Hosts;
  redactor: Redactor;
  signal?: AbortSignal;
  /** Where `*_env` secrets are read (default: process.env). */
  env?: NodeJS.ProcessEnv;
}
