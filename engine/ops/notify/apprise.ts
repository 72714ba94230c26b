// `type: apprise`: hand the message to the `apprise` program (Debian `apprise`), which speaks to
// 100+ services (Slack, Discord, Telegram, Matrix, e-mail, ntfy, Gotify ...). `urls` (a list of
// Apprise URLs), better `urls_env: VAR` (URLs separated by spaces, commas or newlines) or
// `urls_file: PATH` (one per line, an Apprise text configuration). The URLs carry tokens: they
// are never put in argv (visible in `ps`) but written to a temporary configuration file (mode
// 0600, in a private directory, removed afterwards) given with `--config`; the body goes by
// stdin; the title names the job and the event, the notification type follows the event.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { textBody, title } from './events';
import { NotifyError, valueOf, type SendContext } from './context';
import { runProgram } from './process';

export function appriseUrls(ctx: SendContext): string[] {
  const raw = ctx.target.raw;
  if (Array.isArray(raw.urls)) return raw.urls.map(String).filter((u) => u.trim() !== '');
  const v = valueOf(ctx, 'urls')!;
  const urls = v.split(/[\s,]+/).filter((u) => u !== '' && !u.startsWith('#'));
  for (const u of urls) ctx.redactor.add(u);
  return urls;
}

const TYPE = { start: 'info', success: 'success', warning: 'warning', failure: 'failure', late: 'warning' } as const;

export async function sendApprise(ctx: SendContext): Promise<void> {
  const urls = appriseUrls(ctx);
  if (urls.length === 0) throw new NotifyError('no Apprise URL');
  const program = typeof ctx.target.raw.program === 'string' ? ctx.target.raw.program : 'apprise';
  const dir = mkdtempSync(join(tmpdir(), 'backplan-apprise-'));
  try {
    const config = join(dir, 'apprise.txt');
    writeFileSync(config, `${urls.join('\n')}\n`, { mode: 0o600 });
    await runProgram(ctx, [program, '--config', config, '-n', TYPE[ctx.event.event], '-t', title(ctx.event)], textBody(ctx.event), ctx.env);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
