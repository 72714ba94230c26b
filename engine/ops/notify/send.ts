// Delivering one event to one target: bounded (the target's `timeout:`, default 10 s, per
// attempt) and retried once after a failure. Never throws: the result says what went wrong,
// with every secret of the target redacted, and the caller journals it and prints one warning.
import type { Redactor } from '../../run/exec/redact';
import { parseTimeout, type NotifyEvent, type TargetSpec } from './events';
import { NotifyError, type SendContext, type Sender } from './context';
import { sendHttp } from './http';
import { sendHealthchecks } from './healthchecks';
import { sendEmail } from './email';
import { sendApprise } from './apprise';
import { sendCommand } from './command';

export const SENDERS: Record<string, Sender> = {
  http: sendHttp,
  healthchecks: sendHealthchecks,
  email: sendEmail,
  apprise: sendApprise,
  command: sendCommand,
};

export const DEFAULT_TIMEOUT_MS = 10_000;
/** Pause before the one retry. */
export const RETRY_DELAY_MS = 500;

export function timeoutOf(t: TargetSpec): number {
  return parseTimeout(t.raw.timeout) ?? DEFAULT_TIMEOUT_MS;
}

export interface DeliverOptions {
  env: NodeJS.ProcessEnv;
  redactor: Redactor;
  rid: string;
  /** Overrides for tests. */
  retryDelayMs?: number;
}

export type Delivery = { ok: true; attempts: number } | { ok: false; attempts: number; message: string };

async function attempt(sender: Sender, t: TargetSpec, e: NotifyEvent, o: DeliverOptions, timeoutMs: number): Promise<void> {
  const ac = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const ctx: SendContext = { target: t, event: e, signal: ac.signal, env: o.env, redactor: o.redactor, rid: o.rid, timeoutMs };
  // The sender honours the signal; the race bounds it even if a library does not.
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      ac.abort();
      // Give the sender a moment to report its own, more precise, reason.
      setTimeout(() => reject(new NotifyError(`no answer within ${timeoutMs / 1000} s`)), 200).unref();
    }, timeoutMs);
    timer.unref();
  });
  try {
    await Promise.race([sender(ctx), deadline]);
  } finally {
    clearTimeout(timer);
    ac.abort();
  }
}

export async function deliver(t: TargetSpec, e: NotifyEvent, o: DeliverOptions): Promise<Delivery> {
  const sender = SENDERS[t.type];
  if (!sender) return { ok: false, attempts: 0, message: `unknown target type \`${t.type}\`` };
  const timeoutMs = timeoutOf(t);
  let last = '';
  for (let i = 1; i <= 2; i++) {
    try {
      await attempt(sender, t, e, o, timeoutMs);
      return { ok: true, attempts: i };
    } catch (err) {
      last = o.redactor.text(err instanceof Error ? err.message : String(err));
      // A target written wrong (a variable not set, no recipient) fails the same way twice.
      if (err instanceof NotifyError && /^(`|no `|no recipient|no Apprise|no program|unknown target)/.test(err.message)) {
        return { ok: false, attempts: i, message: last };
      }
      if (i === 1) await new Promise((r) => setTimeout(r, o.retryDelayMs ?? RETRY_DELAY_MS));
    }
  }
  return { ok: false, attempts: 2, message: last };
}
