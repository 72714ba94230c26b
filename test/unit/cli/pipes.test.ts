// Output into a pipe whose reader went away (`backplan simulate PLAN | head -1`) ends the command
// quietly with 141, as `ls | head` gives in bash — no EPIPE stack trace.
import { spawnSync } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLOSED_PIPE_EXIT, guardPipes, setChangingThings } from '../../../cli/pipes';
import { CLI, ensureBuilt, ROOT } from '../../helpers/cli';

const dir = mkdtempSync(join(tmpdir(), 'backplan-pipes-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A plan whose `simulate` text is a few hundred KB: far more than a pipe buffer (64 KB). */
function bigPlan(): string {
  const lines = ['version: 1', 'timezone: UTC', 'hosts:', '  here: { site: home, role: primary }', 'storage:', '  disk: { host: here, media: ssd, path: ./backups }', 'checks:', '  coverage-3-2-1: off', 'jobs:'];
  for (let i = 0; i < 20; i++) {
    lines.push(`  job-${i}:`, '    kind: archive', '    host: here', `    paths: [./data-${i}]`, '    to: disk', '    schedule: "0 * * * *"', '    retention:', '      keep: { last: 200 }');
  }
  const file = join(dir, 'big.backplan.yaml');
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

/**
 * `node dist/cli.js ARGS | head -1` in bash: a real pipe whose reader leaves after the first line
 * (a Node parent's stdio "pipe" is a socket pair whose buffers can swallow the whole output).
 * Returns head's line, the CLI's own stderr, and its exit status as bash reports it.
 */
function pipedIntoHead(args: string[], redirect = ''): { first: string; stderr: string; status: number } {
  ensureBuilt();
  const script = `node "$@" ${redirect} | head -1; echo "status \${PIPESTATUS[0]}" >&3`;
  const r = spawnSync('bash', ['-c', `exec 3>"$0"; ${script}`, join(dir, 'status.txt'), CLI, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
    timeout: 60_000,
  });
  const status = Number(/status (\d+)/.exec(readFileSync(join(dir, 'status.txt'), 'utf8'))?.[1]);
  return { first: r.stdout.replace(/\n$/, ''), stderr: r.stderr, status };
}

describe('a closed pipe', () => {
  const plan = bigPlan();

  it('`backplan simulate PLAN | head -1`: one line, no EPIPE, no stack trace, exit 141 as `ls | head`', () => {
    const r = pipedIntoHead(['simulate', plan]);
    expect(r.first).toMatch(/^job-0 \(native rules/);
    expect(r.stderr).not.toMatch(/EPIPE/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(CLOSED_PIPE_EXIT);
  });

  it('the same with stderr into the same pipe (`2>&1 | head -1`), and with --format json', () => {
    for (const [args, redirect] of [[['simulate', plan], '2>&1'], [['simulate', plan, '--format', 'json'], '']] as const) {
      const r = pipedIntoHead([...args], redirect);
      expect(r.first, args.join(' ')).toMatch(/^(job-0 |\{)/);
      expect(r.stderr, args.join(' ')).toBe('');
      expect(r.status, args.join(' ')).toBe(CLOSED_PIPE_EXIT);
    }
  });

  it('an EPIPE on stdout or stderr ends the process with 141; other write errors with 2', () => {
    const fake = () => Object.assign(new EventEmitter(), { write: () => true }) as unknown as NodeJS.WritableStream & EventEmitter;
    const epipe = Object.assign(new Error('write EPIPE'), { code: 'EPIPE' });
    for (const which of ['stdout', 'stderr'] as const) {
      const out = fake();
      const err = fake();
      const exits: number[] = [];
      guardPipes(out, err, (c) => exits.push(c));
      (which === 'stdout' ? out : err).emit('error', epipe);
      expect(exits, which).toEqual([CLOSED_PIPE_EXIT]);
    }
    const out = fake();
    const written: string[] = [];
    const err = Object.assign(new EventEmitter(), { write: (t: string) => written.push(t) > 0 }) as unknown as NodeJS.WritableStream & EventEmitter;
    const exits: number[] = [];
    guardPipes(out, err, (c) => exits.push(c));
    out.emit('error', Object.assign(new Error('no space'), { code: 'ENOSPC' }));
    expect(exits).toEqual([2]);
    expect(written).toEqual(['backplan: cannot write the output: ENOSPC\n']);
  });

  it('a command that is changing things (a real run) is not stopped halfway when its reader leaves', () => {
    const out = Object.assign(new EventEmitter(), { write: () => true }) as unknown as NodeJS.WritableStream & EventEmitter;
    const exits: number[] = [];
    guardPipes(out, out, (c) => exits.push(c));
    setChangingThings(true);
    try {
      out.emit('error', Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
    } finally {
      setChangingThings(false);
    }
    expect(exits).toEqual([]);
  });
});
