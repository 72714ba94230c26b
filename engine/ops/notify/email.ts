// `type: email`: one e-mail through an SMTP server (nodemailer). `host`, `port` (465 with
// `secure: true`, else 587), `secure` (TLS from the first byte), `starttls` (true: required,
// false: never; absent: used when the server offers it), `user` with `password_env` or
// `password_file`, `from` (default backplan@<this host>), `to` (an address or a list).
// The subject names the job and the event: `backplan: job home FAILED`.
import { hostname } from 'node:os';
import { createTransport } from 'nodemailer';
import { textBody, title } from './events';
import { NotifyError, valueOf, type SendContext } from './context';

export function recipients(raw: Record<string, unknown>): string[] {
  const to = raw.to;
  return (Array.isArray(to) ? to : to === undefined || to === null ? [] : [to]).map(String).filter((s) => s.trim() !== '');
}

export async function sendEmail(ctx: SendContext): Promise<void> {
  const raw = ctx.target.raw;
  const host = valueOf(ctx, 'host')!;
  const secure = raw.secure === true;
  const port = typeof raw.port === 'number' ? raw.port : secure ? 465 : 587;
  const to = recipients(raw);
  if (to.length === 0) throw new NotifyError('no recipient (`to`)');
  const user = valueOf(ctx, 'user', false);
  const pass = user !== undefined ? valueOf(ctx, 'password', false) : undefined;
  const from = typeof raw.from === 'string' ? raw.from : `backplan@${hostname()}`;
  const transport = createTransport({
    host,
    port,
    secure,
    ...(raw.starttls === true ? { requireTLS: true } : raw.starttls === false ? { ignoreTLS: true } : {}),
    ...(user !== undefined ? { auth: { user, pass: pass ?? '' } } : {}),
    connectionTimeout: ctx.timeoutMs,
    greetingTimeout: ctx.timeoutMs,
    socketTimeout: ctx.timeoutMs,
  });
  const onAbort = () => transport.close();
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  try {
    await transport.sendMail({
      from,
      to,
      subject: title(ctx.event),
      text: textBody(ctx.event),
      headers: { 'X-Backplan-Event': ctx.event.event, 'X-Backplan-Job': ctx.event.job },
    });
  } catch (e) {
    if (ctx.signal.aborted) throw new NotifyError(`SMTP ${host}:${port}: no answer within ${ctx.timeoutMs / 1000} s`);
    const err = e as { code?: string; message?: string; response?: string };
    throw new NotifyError(`SMTP ${host}:${port}: ${err.response ?? err.message ?? err.code ?? 'failed'}`);
  } finally {
    ctx.signal.removeEventListener('abort', onAbort);
    transport.close();
  }
}
