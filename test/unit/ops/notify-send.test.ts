// The senders against a real loopback receiver: bodies and templates (Slack, Discord, ntfy
// shapes), the healthchecks ping API (paths, rid, body limit), timeout and the one retry.
import { afterEach, describe, expect, it } from 'vitest';
import { Redactor } from '../../../engine/run/exec/redact';
import { renderBody, type NotifyEvent, type TargetSpec } from '../../../engine/ops/notify/events';
import { deliver } from '../../../engine/ops/notify/send';
import { pingUrl, tailBytes, PING_BODY_LIMIT } from '../../../engine/ops/notify/healthchecks';
import { refusedPort, startRecorder, type Recorder } from '../../helpers/recorder';

const servers: Recorder[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});
const recorder = async (...a: Parameters<typeof startRecorder>) => {
  const s = await startRecorder(...a);
  servers.push(s);
  return s;
};

const EVENT: NotifyEvent = {
  event: 'failure',
  plan: 'local',
  job: 'docs-archive',
  kind: 'archive',
  host: 'this-machine',
  runId: '20250101T030000Z-1-abcd',
  time: '2025-01-01T03:00:01.000Z',
  durationSeconds: 1.25,
  message: 'docs-archive/backup: tar said "no such file"\nline two',
  logTail: 'line 1\nline 2',
};
const target = (raw: Record<string, unknown>): TargetSpec => ({ raw, at: ['notify', 0], type: String(raw.type), on: ['failure'], label: '`notify[0]`' });
const opts = (env: NodeJS.ProcessEnv = {}) => ({ env, redactor: new Redactor(), rid: '6f1c7e57-8f4e-4b59-9d54-0c1f3b2a9e10', retryDelayMs: 10 });

describe('http targets', () => {
  it('posts the event JSON without a template', async () => {
    const s = await recorder();
    const r = await deliver(target({ type: 'http', url: `${s.base}/hook` }), EVENT, opts());
    expect(r).toEqual({ ok: true, attempts: 1 });
    expect(s.requests).toHaveLength(1);
    expect(s.requests[0].method).toBe('POST');
    expect(s.requests[0].headers['content-type']).toBe('application/json');
    expect(JSON.parse(s.requests[0].body)).toEqual(EVENT);
  });

  it('fills a Slack/Discord-shaped mapping template with JSON-escaped values, URL from the environment', async () => {
    const s = await recorder();
    const r = await deliver(
      target({ type: 'http', url_env: 'HOOK', body: { text: 'Backup {{job}} {{event}}: {{message}}', attachments: [{ ts: '{{durationSeconds}}' }] } }),
      EVENT,
      opts({ HOOK: `${s.base}/services/T0/B0/tok` }),
    );
    expect(r.ok).toBe(true);
    expect(s.requests[0].url).toBe('/services/T0/B0/tok');
    const body = JSON.parse(s.requests[0].body);
    expect(body.text).toBe(`Backup docs-archive failure: ${EVENT.message}`);
    expect(body.attachments[0].ts).toBe(1.25);
    const discord = renderBody({ content: '**{{job}}** {{event}}' }, EVENT);
    expect(JSON.parse(discord.body)).toEqual({ content: '**docs-archive** failure' });
  });

  it('sends an ntfy-shaped text body with headers, one taken from the environment; a JSON string template is escaped', async () => {
    const s = await recorder();
    await deliver(
      target({ type: 'http', url: `${s.base}/backups`, headers: { Title: 'backplan {{job}}', Priority: 'high', Authorization_env: 'NTFY_AUTH' }, body: '{{job}}: {{event}} ({{host}})' }),
      EVENT,
      opts({ NTFY_AUTH: 'Bearer tk_123' }),
    );
    const q = s.requests[0];
    expect(q.body).toBe('docs-archive: failure (this-machine)');
    expect(q.headers['content-type']).toMatch(/^text\/plain/);
    expect(q.headers.authorization).toBe('Bearer tk_123');
    expect(q.headers.priority).toBe('high');
    expect(q.headers.title).toBe('backplan docs-archive');
    const j = renderBody('{"text":"{{message}}"}', EVENT, 'application/json');
    expect(JSON.parse(j.body).text).toBe(EVENT.message);
  });

  it('retries once after a 500, then reports the failure without the URL path', async () => {
    const s = await recorder(() => ({ status: 500 }));
    const r = await deliver(target({ type: 'http', url: `${s.base}/secret-token-path` }), EVENT, opts());
    expect(s.requests).toHaveLength(2);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.message).toContain('500');
      expect(r.message).not.toContain('secret-token-path');
    }
  });

  it('succeeds on the retry when the first attempt fails', async () => {
    let n = 0;
    const s = await recorder(() => ({ status: n++ === 0 ? 503 : 200 }));
    expect(await deliver(target({ type: 'http', url: `${s.base}/x` }), EVENT, opts())).toEqual({ ok: true, attempts: 2 });
  });

  it('is bounded by the timeout on a slow target, and reports a refused one', async () => {
    const s = await recorder(() => ({ delayMs: 5000 }));
    const t0 = Date.now();
    const r = await deliver(target({ type: 'http', url: `${s.base}/slow`, timeout: '1s' }), EVENT, opts());
    expect(r.ok).toBe(false);
    expect(Date.now() - t0).toBeLessThan(4000);
    expect(s.requests).toHaveLength(2);
    const port = await refusedPort();
    const refused = await deliver(target({ type: 'http', url: `http://127.0.0.1:${port}/x` }), EVENT, opts());
    expect(refused.ok).toBe(false);
    if (!refused.ok) expect(refused.message).toContain('ECONNREFUSED');
  }, 15_000);

  it('does not retry a target written wrong, and redacts secrets read from the environment', async () => {
    const r = await deliver(target({ type: 'http', url_env: 'UNSET_HOOK' }), EVENT, opts({}));
    expect(r).toMatchObject({ ok: false, attempts: 1 });
  });
});

describe('healthchecks targets', () => {
  it('pings /start, success, /fail with one rid, the log only with send_log', async () => {
    const s = await recorder();
    const base = `${s.base}/ping/0b7a0e4c-1f2a-4e55-9d1e-7f4a2f3b9c11`;
    const o = opts();
    await deliver(target({ type: 'healthchecks', url: base }), { ...EVENT, event: 'start' }, o);
    await deliver(target({ type: 'healthchecks', url: base }), { ...EVENT, event: 'success' }, o);
    await deliver(target({ type: 'healthchecks', url: base, send_log: true }), { ...EVENT, event: 'failure' }, o);
    await deliver(target({ type: 'healthchecks', url: base }), { ...EVENT, event: 'warning' }, o);
    const paths = s.requests.map((q) => q.url);
    expect(paths).toEqual([
      `/ping/0b7a0e4c-1f2a-4e55-9d1e-7f4a2f3b9c11/start?rid=${o.rid}`,
      `/ping/0b7a0e4c-1f2a-4e55-9d1e-7f4a2f3b9c11?rid=${o.rid}`,
      `/ping/0b7a0e4c-1f2a-4e55-9d1e-7f4a2f3b9c11/fail?rid=${o.rid}`,
      `/ping/0b7a0e4c-1f2a-4e55-9d1e-7f4a2f3b9c11/fail?rid=${o.rid}`,
    ]);
    expect(s.requests.map((q) => q.method)).toEqual(['POST', 'POST', 'POST', 'POST']);
    expect(s.requests[1].body).toBe('');
    expect(s.requests[2].body).toBe('line 1\nline 2');
    expect(s.requests[3].body).toBe('');
  });

  it('cuts the log to the ping body limit, keeping its end', async () => {
    expect(PING_BODY_LIMIT).toBe(100_000);
    const s = await recorder();
    const long = `${'x'.repeat(150_000)}\nTHE END`;
    await deliver(target({ type: 'healthchecks', url: `${s.base}/p/k`, send_log: true }), { ...EVENT, logTail: long }, opts());
    expect(Buffer.byteLength(s.requests[0].body)).toBe(100_000);
    expect(s.requests[0].body.endsWith('THE END')).toBe(true);
    expect(tailBytes('ééé', 3)).toBe('é');
    expect(pingUrl('https://hc-ping.com/KEY/slug/', 'start', 'r')).toBe('https://hc-ping.com/KEY/slug/start?rid=r');
    expect(pingUrl('https://hc-ping.com/u', 'late', 'r')).toBeUndefined();
  });
});

describe('command targets', () => {
  it('runs an argv with the event JSON on stdin; a failing program is reported', async () => {
    const s = await recorder();
    const script = `const c=[];process.stdin.on('data',d=>c.push(d)).on('end',async()=>{await fetch(process.argv[1],{method:'POST',body:Buffer.concat(c)});})`;
    const r = await deliver(target({ type: 'command', command: [process.execPath, '-e', script, `${s.base}/cmd`] }), EVENT, opts());
    expect(r.ok).toBe(true);
    expect(JSON.parse(s.requests[0].body)).toEqual(EVENT);
    const bad = await deliver(target({ type: 'command', command: [process.execPath, '-e', 'console.error("boom"); process.exit(3)'] }), EVENT, opts());
    expect(bad).toMatchObject({ ok: false, attempts: 2 });
    if (!bad.ok) expect(bad.message).toContain('exited with 3: boom');
  });
});
