import { describe, expect, it } from 'vitest';
import { checkText } from '../../../engine/check';
import { rule, urlSecret } from '../../../engine/checks/notify-invalid';
import { rule as secretInline } from '../../../engine/checks/secret-inline';
import type { Finding } from '../../../engine/findings';

const run = (text: string) => checkText(text, { rules: [rule, secretInline] }).findings;
const slice = (text: string, f: Finding) => text.slice(f.range.start, f.range.end);
const applyFix = (text: string, f: Finding) =>
  [...f.fixes![0].edits].sort((a, b) => b.range.start - a.range.start).reduce((t, e) => t.slice(0, e.range.start) + e.newText + t.slice(e.range.end), text);

const JOB = `storage:
  nas: { path: /tmp/nas }
jobs:
  home:
    kind: archive
    paths: [/etc/hostname]
    to: nas
`;

describe('notify-invalid', () => {
  it('accepts well-formed targets of every type', () => {
    const text = `version: 1
notify:
  - { type: healthchecks, url_env: HC_URL }
  - { type: http, url_env: SLACK_URL, body: { text: "{{job}} {{event}}" }, on: [failure, late] }
  - { type: http, url: "https://ntfy.sh/backups", headers: { Authorization_env: NTFY_AUTH } }
  - { type: email, host: smtp.example.org, user: bp, password_env: SMTP_PW, to: [ops@example.org], on: [warning, failure] }
  - { type: apprise, urls_env: APPRISE_URLS }
  - { type: command, command: [/usr/local/bin/page, --team, infra], timeout: 30s }
${JOB}`;
    expect(run(text)).toEqual([]);
  });

  it('reports a target without its URL or recipient, at its type', () => {
    const text = `version: 1
notify:
  - type: http
  - type: email
    host: smtp.example.org
  - type: apprise
  - type: healthchecks
    on: [success]
${JOB}    notify:
      - type: command
`;
    const f = run(text);
    expect(f.map((x) => [x.rule, slice(text, x)])).toEqual([
      ['notify-invalid', 'http'],
      ['notify-invalid', 'email'],
      ['notify-invalid', 'apprise'],
      ['notify-invalid', 'healthchecks'],
      ['notify-invalid', 'command'],
    ]);
    expect(f[0].message).toContain('`notify[0]`');
    expect(f[0].message).toContain('url_env');
    expect(f[1].message).toContain('recipient');
    expect(f[4].message).toContain('`jobs.home.notify[0]`');
    expect(f.every((x) => x.severity === 'error')).toBe(true);
  });

  it('reports an unknown event at the event, with a did-you-mean fix', () => {
    const text = `version: 1
notify:
  - { type: http, url_env: HOOK, on: [failure, sucess, bogus] }
${JOB}`;
    const f = run(text);
    expect(f.map((x) => slice(text, x))).toEqual(['sucess', 'bogus']);
    expect(f[0].message).toContain('did you mean `success`');
    expect(applyFix(text, f[0])).toContain('on: [failure, success, bogus]');
    expect(f[1].fixes).toBeUndefined();
  });

  it('reports secrets written inline, never repeating them, once (not also as secret-inline)', () => {
    const text = `version: 1
notify:
  - type: http
    url: "https://hooks.example.org/notify?token=Tk9zzSECRET"
  - type: http
    url: "https://bot:Pw4SECRET@chat.example.org/hook"
  - type: http
    url: https://hooks.slack.com/services/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ET
    headers: { Authorization: "Bearer Hd5SECRET" }
  - type: email
    host: smtp.example.org
    to: ops@example.org
    user: backplan
    password: Em6SECRET
${JOB}`;
    const f = run(text);
    expect(f.every((x) => x.rule === 'notify-invalid')).toBe(true);
    expect(f.map((x) => [slice(text, x).replace(/^"|"$/g, '').slice(0, 12), x.severity])).toEqual([
      ['https://hook', 'error'],
      ['https://bot:', 'error'],
      ['https://hook', 'warning'],
      ['Bearer Hd5SE', 'error'],
      ['Em6SECRET', 'error'],
    ]);
    for (const x of f) {
      expect(x.message).not.toMatch(/SECRET/);
      expect(JSON.stringify(x.fixes ?? [])).not.toMatch(/SECRET/);
    }
    expect(applyFix(text, f[4])).toContain('password_env: EMAIL_PASSWORD');
    expect(applyFix(text, f[0])).toContain('url_env: HTTP_URL');
    expect(applyFix(text, f[3])).toContain('Authorization_env: HTTP_AUTHORIZATION');
  });

  it('tells token-looking URLs from plain ones', () => {
    expect(urlSecret('https://ntfy.sh/backups')).toBeUndefined();
    expect(urlSecret('http://127.0.0.1:8080/hook')).toBeUndefined();
    expect(urlSecret('https://hc-ping.com/0b7a0e4c-1f2a-4e55-9d1e-7f4a2f3b9c11')).toContain('path');
    expect(urlSecret('https://discord.com/api/webhooks/112233445566778899/AbCdEf123456GhIjKl789')).toContain('path');
    expect(urlSecret('https://x.example/h?apikey=1')).toContain('apikey');
    expect(urlSecret('smtp://u:p@mail.example')).toContain('password');
  });

  it('is off with checks: { notify-invalid: off }, and the schema accepts the keys', () => {
    const text = `version: 1
notify:
  - { type: http }
${JOB}checks:
  notify-invalid: off
`;
    const all = checkText(text).findings.filter((x) => x.rule === 'notify-invalid' || x.rule === 'schema');
    expect(all).toEqual([]);
    const bad = checkText(`version: 1\nnotify:\n  - { type: pager, url_env: X }\n${JOB}`).findings.filter((x) => x.rule === 'schema');
    expect(bad.length).toBeGreaterThan(0);
  });
});
