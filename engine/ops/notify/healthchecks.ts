// `type: healthchecks`: the Healthchecks.io ping API (also self-hosted instances). `url` is the
// check's ping URL (`https://hc-ping.com/UUID` or `.../PING_KEY/SLUG`), better `url_env`.
// - start:   POST URL/start?rid=RID   (RID: a UUID per job and run, so Healthchecks measures
//            the run's duration and pairs the start with its end);
// - success: POST URL?rid=RID;
// - warning, failure: POST URL/fail?rid=RID (a warning is not a success: it must be looked at);
// - late:    not sent (Healthchecks tells lateness itself).
// The body is empty unless `send_log: true`; then it is the job's log tail (redacted like the
// journal), cut from the front to the ping body limit: 100 000 bytes on healthchecks.io, or what
// the instance answered in its `Ping-Body-Limit` header at the start ping, whichever is smaller.
import { NotifyError, valueOf, type SendContext } from './context';
import { request } from './http';

/** Healthchecks.io logs the first 100 kB (100 000 bytes) of a ping's body. */
export const PING_BODY_LIMIT = 100_000;

/** Limits announced by instances at their start ping, per ping URL origin. */
const announced = new Map<string, number>();

export function pingUrl(base: string, event: string, rid: string): string | undefined {
  const u = new URL(base.replace(/\/+$/, ''));
  const suffix = event === 'start' ? '/start' : event === 'success' ? '' : event === 'failure' || event === 'warning' ? '/fail' : undefined;
  if (suffix === undefined) return undefined;
  u.pathname = `${u.pathname.replace(/\/+$/, '')}${suffix}`;
  u.searchParams.set('rid', rid);
  return u.toString();
}

/** The end of `text` that fits in `limit` bytes of UTF-8 (a log's end says why it failed). */
export function tailBytes(text: string, limit: number): string {
  const buf = Buffer.from(text, 'utf8');
  if (buf.length <= limit) return text;
  let start = buf.length - limit;
  while (start < buf.length && (buf[start] & 0xc0) === 0x80) start++; // not inside a character
  return buf.subarray(start).toString('utf8');
}

export async function sendHealthchecks(ctx: SendContext): Promise<void> {
  const base = valueOf(ctx, 'url')!;
  let url: string | undefined;
  try {
    url = pingUrl(base, ctx.event.event, ctx.rid);
  } catch {
    throw new NotifyError('the ping URL is not a URL');
  }
  if (url === undefined) return;
  const origin = new URL(url).origin;
  const limit = Math.min(PING_BODY_LIMIT, announced.get(origin) ?? PING_BODY_LIMIT);
  const body = ctx.target.raw.send_log === true && ctx.event.logTail ? tailBytes(ctx.event.logTail, limit) : '';
  const res = await request(ctx, url, { method: 'POST', headers: { 'Content-Type': 'text/plain; charset=utf-8', 'User-Agent': 'backplan' }, body });
  const said = Number(res.headers.get('ping-body-limit'));
  if (Number.isFinite(said) && said > 0) announced.set(origin, said);
}
