// runTool on a plan host (exec/guard.ts): the command goes through ssh, with the step's secrets
// sent on stdin rather than on the command line. A fake `ssh` on PATH runs the remote words with
// `sh -c`, as sshd hands them to the login shell, and fails for a host that is down.
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTool } from '../../../engine/run/exec/guard';
import { Hosts } from '../../../engine/run/exec/hosts';
import { Redactor } from '../../../engine/run/exec/redact';
import { host, plan } from './helpers';

describe('runTool on a plan host', () => {
  let dir = '';
  const oldPath = process.env.PATH;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'bp-fakessh-'));
    writeFileSync(
      join(dir, 'ssh'),
      [
        '#!/bin/sh',
        'while [ "$1" != "--" ]; do shift; done',
        'shift',
        `echo "$1" >> '${join(dir, 'log')}'`,
        'case "$1" in *down*) echo "ssh: connect to host down: Connection refused" >&2; exit 255 ;; esac',
        'shift',
        'exec sh -c "$*"',
        '',
      ].join('\n'),
    );
    chmodSync(join(dir, 'ssh'), 0o755);
    process.env.PATH = `${dir}:${oldPath}`;
  });
  afterAll(() => {
    process.env.PATH = oldPath;
    rmSync(dir, { recursive: true, force: true });
  });

  const P = plan({
    jobs: [],
    hosts: [host('nas', { address: 'nas.example', user: 'backup' }), host('down', { address: 'down.example' })],
  });
  const x = (env: NodeJS.ProcessEnv = {}) => ({
    hosts: new Hosts(P, { multiplex: false }),
    redactor: new Redactor(),
    env,
  });

  it('runs the command through ssh on the host, its words intact', async () => {
    const r = await runTool({ host: 'nas', argv: ['printf', '%s|', 'a b', "it's", '$HOME'] }, x());
    expect(r).toEqual({ code: 0, stdout: "a b|it's|$HOME|", stderr: '' });
    expect(readFileSync(join(dir, 'log'), 'utf8').trim().split('\n')).toContain('backup@nas.example');
  });

  it("passes the step's secrets on stdin, never in the ssh argv", async () => {
    const cmd = {
      host: 'nas',
      argv: ['sh', '-c', 'printf %s "$RESTIC_PASSWORD"'],
      env: { RESTIC_PASSWORD: { fromEnv: 'BP_TEST_SECRET' } },
    };
    const r = await runTool(cmd, x({ BP_TEST_SECRET: 'p4ss w0rd' }));
    expect(r).toEqual({ code: 0, stdout: 'p4ss w0rd', stderr: '' });
    expect(readFileSync(join(dir, 'log'), 'utf8')).not.toContain('p4ss');
  });

  it('an unreachable host is an error naming it, and the tool does not run', async () => {
    const r = await runTool({ host: 'down', argv: ['true'] }, x());
    expect(r.code).toBeNull();
    expect(r.stdout).toBe('');
    expect(r.error).toMatch(/^cannot reach host down: .*Connection refused/);
  });
});
