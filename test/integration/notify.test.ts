// Notifications end to end (SPEC §10): real `backplan run` of a local archive job, with real
// receivers started here: a loopback HTTP server (webhook shapes, the healthchecks ping API,
// what the real `apprise` CLI posts through a json:// URL) and a real SMTP server (aiosmtpd).
// A notification never changes the outcome: unreachable, refusing, slow and 500-answering
// targets leave the exit code and the journal's outcome as they were, with a `notify-failed`
// record and one warning line each.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../helpers/cli';
import { backplanAsync } from '../helpers/cli-async';
import { requireTools } from '../helpers/integration';
import { refusedPort, startRecorder, type Recorder } from '../helpers/recorder';
import { readJournal, type JournalLine } from '../../engine/run/state/journal';

const temps: string[] = [];
const servers: Recorder[] = [];
const children: ChildProcess[] = [];

beforeAll(() => ensureBuilt(), 120_000);
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
  for (const d of temps.splice(0)) rmSync(d, { recursive: true, force: true });
});

function setup(notify: string, paths = '[data]'): { plan: string; state: string; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'backplan-notify-'));
  temps.push(dir);
  mkdirSync(join(dir, 'data'));
  writeFileSync(join(dir, 'data', 'a.txt'), 'hello\n');
  const plan = join(dir, 'local.backplan.yaml');
  writeFileSync(
    plan,
    `version: 1
timezone: UTC
hosts:
  this-machine: { site: home, role: primary }
storage:
  local-backups: { host: this-machine, media: ssd, path: backups }
notify:
${notify}
jobs:
  docs:
    kind: archive
    host: this-machine
    paths: ${paths}
    to: local-backups
    schedule: "0 3 * * *"
    retention: { keep: { last: 3 } }
    verify: { schedule: "0 5 * * 0", restore: latest }
checks:
  coverage-3-2-1: off
`,
  );
  return { plan, state: join(dir, 'state'), dir };
}

function journalOf(state: string): JournalLine[] {
  const runs = readdirSync(join(state, 'runs')).filter((f) => f.endsWith('.jsonl'));
  expect(runs).toHaveLength(1);
  return readJournal(join(state, 'runs', runs[0]));
}

const recorder = async (...a: Parameters<typeof startRecorder>) => {
  const s = await startRecorder(...a);
  servers.push(s);
  return s;
};

describe('notifications of backplan run', () => {
  it('a successful run: start and success to a Slack-shaped webhook, start and finishing healthchecks pings with one rid; no failure sent', async () => {
    const s = await recorder();
    const { plan, state } = setup(`  - type: http
    url_env: SLACK_URL
    on: [start, success, warning, failure]
    body: { text: "Backup {{job}} on {{host}}: {{event}} ({{message}})" }
  - type: healthchecks
    url_env: HC_URL
  - type: http
    url: ${s.base}/only-failures`);
    const r = await backplanAsync(['run', plan, '--state-dir', state], {
      env: { SLACK_URL: `${s.base}/services/T0/B0/SLACKTOKEN`, HC_URL: `${s.base}/hc/0b7a0e4c-1f2a-4e55-9d1e-7f4a2f3b9c11` },
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const slack = s.requests.filter((q) => q.url.startsWith('/services/'));
    expect(slack.map((q) => JSON.parse(q.body).text)).toEqual([
      'Backup docs on this-machine: start (job docs started)',
      expect.stringMatching(/^Backup docs on this-machine: success \(\d+ step\(s\) ok; wrote .*docs-\d{8}T\d{6}Z\.tar\.gz/),
    ]);
    const hc = s.requests.filter((q) => q.url.startsWith('/hc/')).map((q) => q.url);
    expect(hc).toHaveLength(2);
    const rid = /rid=([0-9a-f-]{36})$/.exec(hc[0])![1];
    expect(hc).toEqual([`/hc/0b7a0e4c-1f2a-4e55-9d1e-7f4a2f3b9c11/start?rid=${rid}`, `/hc/0b7a0e4c-1f2a-4e55-9d1e-7f4a2f3b9c11?rid=${rid}`]);
    expect(s.requests.some((q) => q.url === '/only-failures')).toBe(false);
    expect(journalOf(state).some((l) => l.type === 'notify-failed')).toBe(false);
  }, 60_000);

  it('a failing run (a path that does not exist) sends failure and never success; the event JSON as SPEC §10 says, the log only with send_log', async () => {
    const s = await recorder();
    const { plan, state, dir } = setup(
      `  - { type: http, url: "${s.base}/json", on: [success, warning, failure] }
  - { type: http, url: "${s.base}/json-log", on: [failure], send_log: true }
  - { type: healthchecks, url: "${s.base}/hc/ping", send_log: true }`,
      '[does-not-exist]',
    );
    const r = await backplanAsync(['run', plan, '--state-dir', state], { env: {} });
    expect(r.code).toBe(1);
    const events = s.requests.filter((q) => q.url === '/json').map((q) => JSON.parse(q.body));
    expect(events).toHaveLength(1);
    const e = events[0];
    expect(Object.keys(e)).toEqual(['event', 'plan', 'job', 'kind', 'host', 'runId', 'time', 'durationSeconds', 'message']);
    expect(e).toMatchObject({ event: 'failure', plan: 'local', job: 'docs', kind: 'archive', host: 'this-machine' });
    expect(e.message).toContain('does-not-exist');
    const lines = journalOf(state);
    expect(e.runId).toBe(lines[0].run);
    expect(typeof e.durationSeconds).toBe('number');
    const withLog = JSON.parse(s.requests.find((q) => q.url === '/json-log')!.body);
    expect(withLog.logTail).toMatch(/step-end docs\/2 failed/);
    expect(withLog.logTail).toContain('does-not-exist');
    const hc = s.requests.filter((q) => q.url.startsWith('/hc/'));
    expect(hc.map((q) => q.url.replace(/rid=.*/, 'rid='))).toEqual(['/hc/ping/start?rid=', '/hc/ping/fail?rid=']);
    expect(hc[0].url.split('rid=')[1]).toBe(hc[1].url.split('rid=')[1]);
    expect(hc[1].body).toContain('does-not-exist');
    expect(hc[0].body).toBe('');
    expect(s.requests.some((q) => q.url.startsWith('/hc/ping?'))).toBe(false);
    expect(dir).toBeTruthy();
  }, 60_000);

  it('unreachable, refusing, slow and 500-answering targets change neither the exit code nor the journal outcome', async () => {
    const good = await recorder();
    const failing = await recorder(() => ({ status: 500 }));
    const slow = await recorder(() => ({ delayMs: 8000 }));
    const refused = await refusedPort();
    const { plan, state } = setup(`  - { type: http, name: refusing, url: "http://127.0.0.1:${refused}/x", on: [success] }
  - { type: http, name: unreachable, url: "http://unreachable.invalid/x", on: [success] }
  - { type: http, name: slow, url: "${slow.base}/slow", timeout: 1s, on: [success] }
  - { type: http, name: broken, url_env: BROKEN_URL, on: [success] }
  - { type: http, name: good, url: "${good.base}/good", on: [success] }`);
    const t0 = Date.now();
    const r = await backplanAsync(['run', plan, '--state-dir', state], { env: { BROKEN_URL: `${failing.base}/hook/SECRETTOKEN42` } });
    expect(r.code).toBe(0);
    expect(Date.now() - t0).toBeLessThan(20_000);
    expect(good.requests).toHaveLength(1);
    expect(failing.requests).toHaveLength(2); // one retry
    const warnings = r.stderr.trim().split('\n');
    expect(warnings).toHaveLength(4);
    for (const name of ['refusing', 'unreachable', 'slow', 'broken']) expect(warnings.filter((w) => w.includes(`\`${name}\``))).toHaveLength(1);
    expect(r.stderr).not.toContain('SECRETTOKEN42');
    expect(r.stdout).toMatch(/^ok\s+docs/m);
    const lines = journalOf(state);
    expect(lines.find((l) => l.type === 'run-end')).toMatchObject({ status: 'ok' });
    expect(lines.find((l) => l.type === 'job-end')).toMatchObject({ status: 'ok' });
    const failed = lines.filter((l) => l.type === 'notify-failed');
    expect(failed.map((l) => (l as { target: string }).target).sort()).toEqual(['`broken` (notify[3])', '`refusing` (notify[0])', '`slow` (notify[2])', '`unreachable` (notify[1])']);
    expect(JSON.stringify(lines)).not.toContain('SECRETTOKEN42');
    expect(failed.every((l) => (l as { event: string }).event === 'success')).toBe(true);
  }, 60_000);
});

const hasApprise = requireTools('apprise');
describe.skipIf(!hasApprise)('apprise', () => {
  it('the real apprise CLI posts the event through a json:// URL given by the environment (a 0600 config file, not argv)', async () => {
    const s = await recorder();
    const { plan, state } = setup(`  - { type: apprise, urls_env: APPRISE_URLS, on: [success] }`);
    const r = await backplanAsync(['run', plan, '--state-dir', state], { env: { APPRISE_URLS: `json://127.0.0.1:${s.port}/apprise` } });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(s.requests).toHaveLength(1);
    expect(s.requests[0].url).toBe('/apprise');
    const body = JSON.parse(s.requests[0].body);
    expect(body.title).toBe('backplan: job docs succeeded');
    expect(body.type).toBe('success');
    expect(body.message).toContain('job: docs (archive)');
  }, 60_000);
});

async function waitForPort(port: number, ms: number): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const c = connect(port, '127.0.0.1');
      c.once('connect', () => (c.end(), resolve(true)));
      c.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > end) throw new Error(`nothing listens on ${port}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const hasSmtp = requireTools('aiosmtpd');
describe.skipIf(!hasSmtp)('email', () => {
  it('a real SMTP server receives the e-mail: subject naming job and event, the recipients, the message', async () => {
    const port = await refusedPort();
    const smtp = spawn('/usr/bin/python3', ['-u', '-m', 'aiosmtpd', '-n', '-l', `127.0.0.1:${port}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(smtp);
    let received = '';
    smtp.stdout!.setEncoding('utf8').on('data', (d: string) => (received += d));
    await waitForPort(port, 10_000);
    const { plan, state } = setup(`  - type: email
    host: 127.0.0.1
    port: ${port}
    from: backplan@example.org
    to: [ops@example.org, oncall@example.org]
    on: [failure]`, '[missing-dir]');
    const r = await backplanAsync(['run', plan, '--state-dir', state]);
    expect(r.code).toBe(1);
    expect(r.stderr).not.toMatch(/could not notify/);
    const end = Date.now() + 5000;
    while (!received.includes('END MESSAGE') && Date.now() < end) await new Promise((res) => setTimeout(res, 100));
    expect(received).toContain('Subject: backplan: job docs FAILED');
    expect(received).toContain('To: ops@example.org, oncall@example.org');
    expect(received).toContain('From: backplan@example.org');
    expect(received).toContain('missing-dir');
    expect(received).toContain('event: failure');
  }, 60_000);
});
