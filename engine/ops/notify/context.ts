// What every sender is given: the target, the event, its secrets (read from `*_env`/`*_file`
// and remembered for redaction), a signal that aborts at the target's timeout, and the run id
// of healthchecks pings. A module of its own so the senders and send.ts do not import each other.
import { readFileSync } from 'node:fs';
import type { Redactor } from '../../run/exec/redact';
import type { NotifyEvent, TargetSpec } from './events';

export class NotifyError extends Error {}

export interface SendContext {
  target: TargetSpec;
  event: NotifyEvent;
  signal: AbortSignal;
  env: NodeJS.ProcessEnv;
  redactor: Redactor;
  /** A UUID per job and run, the same on a healthchecks start ping and its finishing ping. */
  rid: string;
  /** The timeout of one attempt, in ms (for senders whose library takes a timeout rather than a signal). */
  timeoutMs: number;
}

export type Sender = (ctx: SendContext) => Promise<void>;

/**
 * The value of `key` of a target: written inline (`key`), read from the environment
 * (`key_env: VAR`) or from a file (`key_file: PATH`, trailing newline dropped). A value read from
 * the environment or a file is a secret: it is remembered by the redactor.
 */
export function valueOf(ctx: Pick<SendContext, 'target' | 'env' | 'redactor'>, key: string, required = true): string | undefined {
  const raw = ctx.target.raw;
  const inline = raw[key];
  if (typeof inline === 'string' || typeof inline === 'number') return String(inline);
  const envName = raw[`${key}_env`];
  if (typeof envName === 'string') {
    const v = ctx.env[envName];
    if (v === undefined || v === '') throw new NotifyError(`\`${key}_env: ${envName}\`: the variable is not set`);
    ctx.redactor.add(v);
    return v;
  }
  const file = raw[`${key}_file`];
  if (typeof file === 'string') {
    let v: string;
    try {
      v = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
    } catch (e) {
      throw new NotifyError(`\`${key}_file: ${file}\`: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    ctx.redactor.add(v);
    return v;
  }
  if (required) throw new NotifyError(`no \`${key}\` (nor \`${key}_env\`, \`${key}_file\`)`);
  return undefined;
}

/** A URL shown in messages: its origin only (paths and queries of webhooks hold tokens). */
export function shownUrl(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return 'an invalid URL';
  }
}
