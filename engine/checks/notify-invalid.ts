// notify-invalid (SPEC §6, §10): a notification target that cannot work or that leaks a secret.
// - a target without what it sends to: an http/healthchecks target without `url`/`url_env`/
//   `url_file`, an e-mail without `host` or `to`, an apprise target without `urls`/`urls_env`/
//   `urls_file`, a command target without `command`;
// - an event in `on:` that is none of start, success, warning, failure, late (did you mean);
// - a secret written inline: a URL with a password in its user info, a URL whose query holds a
//   token-like parameter (token, key, apikey, secret, password, sig ...), a webhook URL whose
//   path is its token (Slack, Discord, Mattermost, Telegram, healthchecks' UUID and ping key ...),
//   Apprise URLs written in `urls`, an inline `password` or a header that carries credentials.
// The findings sit on the key or value at fault and never repeat the secret (SPEC §8.8).
// (secret-inline leaves the `notify:` lists to this rule, so nothing is reported twice.)
import type { Fix, OffsetRange } from '../findings';
import { closest } from '../plan/did-you-mean';
import { allTargets, NOTIFY_EVENTS, parseTimeout, type TargetSpec } from '../ops/notify/events';
import type { CheckContext, Rule, RuleFinding } from './rule';

const URL_USERINFO_PASSWORD = /^[a-z][a-z0-9+.-]*:\/\/[^/@\s:]*:[^/@\s]+@/i;
const TOKEN_QUERY = /^(token|access_token|auth|auth_token|key|apikey|api_key|api-key|secret|password|pass|passwd|sig|signature|code)$/i;
/** A path segment that reads as a credential: long, mixing letters and digits (UUIDs, webhook tokens, bot tokens). */
const TOKEN_SEGMENT = /^(?=[^/]*\d)(?=[^/]*[A-Za-z])[A-Za-z0-9_:.-]{16,}$/;
const SECRET_HEADER = /^(authorization|proxy-authorization|x-api-key|api-key|x-auth-token|x-gotify-key|x-access-token|private-token|cookie)$/i;

/** Why an inline URL is a secret, or undefined. Exported for tests. */
export function urlSecret(url: string): string | undefined {
  if (URL_USERINFO_PASSWORD.test(url)) return 'carries a password in its user info';
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return undefined;
  }
  for (const k of u.searchParams.keys()) if (TOKEN_QUERY.test(k)) return `holds a \`${k}\` parameter in its query`;
  const segments = u.pathname.split('/').filter((s) => s !== '');
  if (segments.some((s) => TOKEN_SEGMENT.test(decodeURIComponent(s)))) return 'holds a token in its path';
  return undefined;
}

const envName = (t: TargetSpec, what: string) =>
  `${t.at[0] === 'jobs' ? `${String(t.at[1])}_` : ''}${t.type || 'notify'}_${what}`.toUpperCase().replace(/[^A-Z0-9]+/g, '_');

function renameFix(ctx: CheckContext, t: TargetSpec, key: string, newKey: string, value: string, wasBlock: boolean): Fix {
  return {
    title: `Read it from the environment: \`${newKey}: ${value}\``,
    edits: [
      { range: ctx.locate([...t.at, key], 'key'), newText: newKey },
      { range: ctx.locate([...t.at, key], 'value'), newText: value + (wasBlock ? '\n' : '') },
    ],
    preferred: true,
  };
}

function has(t: TargetSpec, key: string): boolean {
  const v = t.raw[key];
  return v !== undefined && v !== null && v !== '' && !(Array.isArray(v) && v.length === 0);
}

function checkTarget(ctx: CheckContext, t: TargetSpec, out: RuleFinding[]): void {
  const at = (path: (string | number)[], part: 'key' | 'value' = 'value'): OffsetRange => ctx.locate([...t.at, ...path], part);
  const typeAt = ctx.has([...t.at, 'type']) ? at(['type']) : ctx.locate(t.at);
  const where = t.label;

  // What it sends to.
  const missing = (keys: string, add: string) =>
    out.push({ range: typeAt, message: `the ${t.type} target ${where} has no ${keys}: add ${add}` });
  if (t.type === 'http' || t.type === 'healthchecks') {
    if (!has(t, 'url') && !has(t, 'url_env') && !has(t, 'url_file'))
      missing('URL', `\`url_env: ${envName(t, 'url')}\` (the URL in that environment variable) or \`url_file: PATH\``);
  } else if (t.type === 'email') {
    if (!has(t, 'host') && !has(t, 'host_env')) missing('SMTP server', '`host: smtp.example.org` (and `port`)');
    if (!has(t, 'to')) missing('recipient', '`to: [ops@example.org]`');
    if (has(t, 'user') && !has(t, 'password_env') && !has(t, 'password_file') && !has(t, 'password'))
      out.push({ range: at(['user'], 'key'), message: `the e-mail target ${where} names a \`user\` without its password: add \`password_env: ${envName(t, 'password')}\` or \`password_file: PATH\`` });
  } else if (t.type === 'apprise') {
    if (!has(t, 'urls') && !has(t, 'urls_env') && !has(t, 'urls_file'))
      missing('Apprise URL', `\`urls_env: ${envName(t, 'urls')}\` (the URLs in that variable) or \`urls_file: PATH\``);
  } else if (t.type === 'command') {
    if (!has(t, 'command')) missing('program', '`command: [/usr/local/bin/notify, --flag]` (an argv list; the event JSON comes on its stdin)');
  }

  // Events.
  const on = t.raw.on;
  const list = Array.isArray(on) ? on : typeof on === 'string' ? [on] : [];
  list.forEach((ev, i) => {
    if (typeof ev === 'string' && (NOTIFY_EVENTS as readonly string[]).includes(ev)) return;
    const path = Array.isArray(on) ? ['on', i] : ['on'];
    const guess = typeof ev === 'string' ? closest(ev, NOTIFY_EVENTS) : undefined;
    const range = at(path);
    out.push({
      range,
      message: `\`${String(ev)}\` is not a notification event (target ${where}): use ${NOTIFY_EVENTS.join(', ')}${guess ? ` (did you mean \`${guess}\`?)` : ''}`,
      ...(guess ? { fixes: [{ title: `Change to \`${guess}\``, edits: [{ range, newText: guess }], preferred: true }] } : {}),
    });
  });
  if (list.includes('late') && t.type === 'healthchecks')
    out.push({ severity: 'info', range: at(['on']), message: `healthchecks targets are not sent \`late\`: Healthchecks tells lateness itself from the pings (target ${where})` });

  if (t.raw.timeout !== undefined && parseTimeout(t.raw.timeout) === undefined)
    out.push({ range: at(['timeout']), message: `the timeout of the ${t.type} target ${where} does not parse: write seconds (\`10s\`, \`30\`) or a duration (\`2min\`)` });

  // Secrets written inline.
  const url = t.raw.url;
  if (typeof url === 'string') {
    const why = urlSecret(url);
    if (why) {
      const name = envName(t, 'url');
      out.push({
        // A token in the path is a guess (a long word with digits); a password or a token parameter is not.
        severity: why.includes('path') ? 'warning' : 'error',
        range: at(['url']),
        message: `the URL of the ${t.type} target ${where} ${why}: whoever reads the plan can use it. Put the URL in an environment variable and write \`url_env: ${name}\` (or \`url_file: PATH\`)`,
        fixes: [renameFix(ctx, t, 'url', 'url_env', name, false)],
      });
    }
  }
  if (Array.isArray(t.raw.urls) && t.raw.urls.some((u) => typeof u === 'string' && /:\/\/./.test(u))) {
    const secretOnes = t.raw.urls.filter((u) => typeof u === 'string' && (urlSecret(u) !== undefined || /^[a-z0-9+]+:\/\/[^/]*[A-Za-z0-9_-]{12,}/i.test(u)));
    if (secretOnes.length)
      out.push({
        severity: 'warning',
        range: at(['urls']),
        message: `the Apprise URLs of ${where} carry their service's tokens: put them in an environment variable and write \`urls_env: ${envName(t, 'urls')}\` (or \`urls_file: PATH\`, one URL per line)`,
      });
  }
  for (const key of ['password', 'pass', 'token', 'secret']) {
    if (t.raw[key] === undefined || t.raw[key] === null || t.raw[key] === '') continue;
    const name = envName(t, key === 'pass' ? 'password' : key);
    out.push({
      range: at([key]),
      message: `the ${key} of the ${t.type} target ${where} is written in the plan: a secret must not be. Write \`${key}_env: ${name}\` and export ${name} (or \`${key}_file: PATH\`)`,
      fixes: [renameFix(ctx, t, key, `${key}_env`, name, false)],
    });
  }
  const headers = t.raw.headers;
  if (headers && typeof headers === 'object' && !Array.isArray(headers)) {
    for (const [k, v] of Object.entries(headers as Record<string, unknown>)) {
      if (!SECRET_HEADER.test(k) || typeof v !== 'string' || v.trim() === '') continue;
      const name = envName(t, k);
      out.push({
        range: at(['headers', k]),
        message: `the \`${k}\` header of the ${t.type} target ${where} carries a credential written in the plan: write \`${k}_env: ${name}\` and export ${name}`,
        fixes: [
          {
            title: `Read it from the environment: \`${k}_env: ${name}\``,
            edits: [
              { range: at(['headers', k], 'key'), newText: `${k}_env` },
              { range: at(['headers', k], 'value'), newText: name },
            ],
            preferred: true,
          },
        ],
      });
    }
  }
}

export const rule: Rule = {
  id: 'notify-invalid',
  defaultSeverity: 'error',
  summary: 'A notification target lacks its URL/recipient, names an unknown event, or holds a secret inline.',
  check(ctx) {
    const out: RuleFinding[] = [];
    for (const t of allTargets(ctx.model)) checkTarget(ctx, t, out);
    return out;
  },
};
