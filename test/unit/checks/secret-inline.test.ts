import { describe, expect, it } from 'vitest';
import { checkText } from '../../../engine/check';
import { isSecretKey, rule } from '../../../engine/checks/secret-inline';
import type { Finding } from '../../../engine/findings';
import { parsePlan } from '../../../engine/plan/parse';

const run = (text: string) => checkText(text, { rules: [rule] });
const slice = (text: string, r: { start: number; end: number }) => text.slice(r.start, r.end);
const applyFix = (text: string, f: Finding) =>
  [...f.fixes![0].edits].sort((a, b) => b.range.start - a.range.start).reduce((t, e) => t.slice(0, e.range.start) + e.newText + t.slice(e.range.end), text);

const SECRETS = ['hunter2-Zq9', 's3cr3t-Bx7', 'AKIAEXAMPLE42', 'wJalrEXAMPLEKEY', 'tok-Pp0', 'pgPass-77', 'MIIEexampleKEYdata'];

const PLAN = `version: 1
hosts:
  db1: { address: 10.0.0.5, password: hunter2-Zq9 }
storage:
  s3:
    url: s3:https://s3.example.com/bucket
    access_key: AKIAEXAMPLE42
    secret_key: "wJalrEXAMPLEKEY"
  rest: { url: "rest:https://backup:tok-Pp0@rest.example.com/repo" }
jobs:
  files:
    kind: restic
    host: db1
    paths: [/srv]
    to: s3
    password: s3cr3t-Bx7
  dump:
    kind: pg-dump
    host: db1
    database: app
    env:
      PGPASSWORD: pgPass-77
  tarball:
    kind: archive
    paths: [/etc]
    encrypt:
      gpg:
        private_key: |
          MIIEexampleKEYdata
    description: done
`;

describe('secret-inline', () => {
  const findings = run(PLAN).findings;

  it('reports each literal secret at its value', () => {
    expect(findings.map((f) => slice(PLAN, f.range))).toEqual([
      'hunter2-Zq9',
      'AKIAEXAMPLE42',
      '"wJalrEXAMPLEKEY"',
      'tok-Pp0',
      's3cr3t-Bx7',
      'pgPass-77',
      '|\n          MIIEexampleKEYdata\n',
    ]);
    expect(findings.every((f) => f.severity === 'error')).toBe(true);
  });

  it('never repeats a secret in a message, a fix title or a fix edit (SPEC §8.8)', () => {
    const shown = JSON.stringify(findings.map((f) => ({ m: f.message, r: f.related, t: f.fixes?.map((x) => [x.title, x.edits.map((e) => e.newText)]) })));
    for (const s of SECRETS) expect(shown).not.toContain(s);
  });

  it('tells what to export, with a conventional variable name where the tool has one', () => {
    const byValue = (v: string) => findings.find((f) => slice(PLAN, f.range).includes(v))!;
    expect(byValue('s3cr3t').message).toBe(
      '`password` of job `files` is written in the plan: a secret must not be. Replace it with `password_env: RESTIC_PASSWORD` ' +
        'and export RESTIC_PASSWORD before running backplan (or `password_file: PATH` to read it from a file)',
    );
    expect(byValue('hunter2').message).toContain('`password_env: DB1_PASSWORD`');
    expect(byValue('AKIA').message).toContain('`access_key_env: AWS_ACCESS_KEY_ID`');
    expect(byValue('wJalr').message).toContain('`secret_key_env: AWS_SECRET_ACCESS_KEY`');
    expect(byValue('MIIE').message).toContain('`encrypt.gpg.private_key` of job `tarball`');
    expect(byValue('MIIE').message).toContain('`private_key_env: TARBALL_ENCRYPT_GPG_PRIVATE_KEY`');
    expect(byValue('pgPass').message).toBe(
      'the secret `env.PGPASSWORD` of job `dump` is written in the plan: remove it and export `PGPASSWORD` in the environment that runs backplan (secrets come from `*_env` or `*_file`)',
    );
    expect(byValue('pgPass').fixes).toBeUndefined();
    expect(byValue('tok-').message).toBe(
      '`url` of storage `rest` carries a password in its user info: remove it from the URL and pass it through `password_env` or `password_file`',
    );
  });

  it('fixes produce a valid plan with *_env keys, block scalars included', () => {
    let text = PLAN;
    for (let i = 0; i < 10; i++) {
      const f = run(text).findings.find((x) => x.fixes);
      if (!f) break;
      text = applyFix(text, f);
      expect(parsePlan(text).findings).toEqual([]);
    }
    const v = parsePlan(text).value as any;
    expect(v.jobs.files.password_env).toBe('RESTIC_PASSWORD');
    expect(v.jobs.files.password).toBeUndefined();
    expect(v.hosts.db1.password_env).toBe('DB1_PASSWORD');
    expect(v.storage.s3).toMatchObject({ access_key_env: 'AWS_ACCESS_KEY_ID', secret_key_env: 'AWS_SECRET_ACCESS_KEY' });
    expect(v.jobs.tarball.encrypt.gpg).toEqual({ private_key_env: 'TARBALL_ENCRYPT_GPG_PRIVATE_KEY' });
    expect(v.jobs.tarball.description).toBe('done');
    // Only the two without an automatic fix remain.
    expect(run(text).findings.map((f) => slice(text, f.range))).toEqual(['tok-Pp0', 'pgPass-77']);
  });

  it('prefixes the entity when two places would want the same variable', () => {
    const text = `version: 1
jobs:
  a: { kind: restic, password: one-1 }
  b: { kind: restic, password: two-2 }
`;
    expect(run(text).findings.map((f) => f.message.match(/`password_env: (\w+)`/)![1])).toEqual(['A_RESTIC_PASSWORD', 'B_RESTIC_PASSWORD']);
  });

  it('reports a secret in an anchor once, where it is written', () => {
    const text = `version: 1
x-base: &base { kind: borg, passphrase: xyz-1 }
jobs:
  a: { <<: *base, paths: [/a] }
  b: { <<: *base, paths: [/b] }
`;
    const f = run(text).findings;
    expect(f.map((x) => slice(text, x.range))).toEqual(['xyz-1']);
    expect(f[0].message).toContain('`x-base.passphrase`');
  });

  it('is quiet for *_env / *_file, paths, key ids, booleans, empty values and the checks section', () => {
    const text = `version: 1
hosts:
  h: { identity: /root/.ssh/id_ed25519, password_file: /etc/backplan/pw }
storage:
  s3: { url: "s3:https://s3.example.com/b", access_key_env: AWS_ACCESS_KEY_ID, secret_key_file: /etc/s3 }
checks:
  secret-inline: error
  token: warning
jobs:
  j:
    kind: restic
    password_env: RESTIC_PASSWORD
    ssh_key: ~/.ssh/backup
    encrypt: { gpg: { recipient: ops@example.com, key: 0xDEADBEEF12345678 } }
    token: ""
    secret: true
    keep_key: abc
`;
    expect(run(text).findings).toEqual([]);
  });

  it('recognises secret-looking key names', () => {
    for (const k of ['password', 'Passphrase', 'api_key', 'RESTIC_PASSWORD', 'AWS_SECRET_ACCESS_KEY', 'aws_access_key_id', 'client-secret', 'auth_token', 'key']) {
      expect(isSecretKey(k), k).toBe(true);
    }
    for (const k of ['password_env', 'passphrase_file', 'keep', 'ssh_key', 'host_key', 'identity', 'monkey', 'tokens_used', 'RESTIC_PASSWORD_FILE']) {
      expect(isSecretKey(k), k).toBe(false);
    }
  });
});
