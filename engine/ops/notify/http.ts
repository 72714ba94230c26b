// `type: http`: one request to a webhook (Slack, Discord, Mattermost, ntfy, Uptime Kuma, any
// endpoint). `url` (or `url_env`/`url_file`: a webhook URL holds its token), `method` (POST),
// `headers` (values are templates too; a header written `NAME_env: VAR` or `NAME_file: PATH` takes its value from there),
// `body` (a template over the event JSON, see events.ts; without one the body is the event JSON).
// Any answer other than 2xx is a failure.
import { renderBody, renderText } from './events';
import { NotifyError, shownUrl, valueOf, type SendContext } from './context';

export function headersOf(ctx: SendContext): Record<string, string> {
  const out: Record<string, string> = {};
  const h = ctx.target.raw.headers;
  if (!h || typeof h !== 'object' || Array.isArray(h)) return out;
  for (const [k, v] of Object.entries(h as Record<string, unknown>)) {
    const m = /^(.+)_(env|file)$/.exec(k);
    if (m) {
      const value = valueOf({ ...ctx, target: { ...ctx.target, raw: { [`h_${m[2]}`]: v } } }, 'h');
      out[m[1]] = value!;
    } else if (v !== null && v !== undefined) out[k] = renderText(String(v), ctx.event).replace(/[\r\n]+/g, ' ');
  }
  return out;
}

export async function request(
  ctx: SendContext,
  url: string,
  init: { method: string; headers: Record<string, string>; body?: string },
): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(url, { method: init.method, headers: init.headers, body: init.body, signal: ctx.signal, redirect: 'follow' });
  } catch (e) {
    if (ctx.signal.aborted) throw new NotifyError(`${init.method} ${shownUrl(url)}: no answer within ${ctx.timeoutMs / 1000} s`);
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    throw new NotifyError(`${init.method} ${shownUrl(url)}: ${cause?.code ?? cause?.message ?? (e as Error).message}`);
  }
  // Read (and drop) the body so the connection is released.
  await res.arrayBuffer().catch(() => undefined);
  if (!res.ok) throw new NotifyError(`${init.method} ${shownUrl(url)} answered ${res.status} ${res.statusText}`.trim());
  return res;
}

export async function sendHttp(ctx: SendContext): Promise<void> {
  const url = valueOf(ctx, 'url')!;
  const method = typeof ctx.target.raw.method === 'string' ? ctx.target.raw.method.toUpperCase() : 'POST';
  const headers = headersOf(ctx);
  const ctKey = Object.keys(headers).find((k) => k.toLowerCase() === 'content-type');
  const { body, contentType } = renderBody(ctx.target.raw.body, ctx.event, ctKey ? headers[ctKey] : undefined);
  if (!ctKey) headers['Content-Type'] = contentType;
  if (!headers['User-Agent'] && !Object.keys(headers).some((k) => k.toLowerCase() === 'user-agent')) headers['User-Agent'] = 'backplan';
  await request(ctx, url, { method, headers, body: method === 'GET' || method === 'HEAD' ? undefined : body });
}
