// How many ssh round trips one remote archive job costs: the real `backplan run` against an sshd
// host (test/helpers/sshd.ts), with an `ssh` first on its PATH that logs every call before
// running the real one. Each remote command is a round trip through the ControlMaster, and for
// a small job they are most of its time (bench/README.md "run: round trips"). The storage path
// is full of shell syntax and starts a component with a dash, so the one-call scripts of
// engine/run/exec/ssh-scripts.ts are also checked against injection here.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backplan, ensureBuilt } from '../helpers/cli';
import { sshHostsAvailable, startSshHosts, type SshHosts } from '../helpers/sshd';

const ok = sshHostsAvailable();

// The budget: connect (ControlMaster), preflight, one listing of the names already taken where
// the copy goes (so its name is decided before any work starts, issue #9), mkdir (the plan's
// setup step), the archive's dd, one call that writes the manifest and gives both their names,
// and one listing for the prune (which also removes leftovers of interrupted runs). Before the
// one-call scripts it was 16: two dd, test -e, ln + rm + sync twice, and test -e + find for two
// listings.
const PER_RUN = 7;

let dir = '';
let ssh: SshHosts;

beforeAll(async () => {
  if (!ok) return;
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'bp-trips-'));
  ssh = await startSshHosts(1);
}, 60_000);

afterAll(async () => {
  await ssh?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The remote commands logged since `from` (not the `-O exit` that closes the master). */
function remoteCalls(log: string, from: number): string[] {
  const lines = existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : [];
  return lines.slice(from).filter((l) => l.includes(` -- root@${ssh.hosts[0].address} `) && !l.includes(' -O exit '));
}

/** The program each call ran (`sh` for a script), to show where the trips go when it fails. */
function programs(calls: string[]): string {
  return calls.map((l) => l.split(` -- root@${ssh.hosts[0].address} `)[1].split(' ')[0].replace(/'/g, '')).join(', ');
}

describe.skipIf(!ok)('ssh round trips of a remote archive job', () => {
  it(`costs at most ${PER_RUN} remote calls per run (plus one rm per removed file), and hostile path names run nothing`, () => {
    const work = join(dir, 'archive');
    mkdirSync(join(work, 'data'), { recursive: true });
    mkdirSync(join(work, 'bin'));
    writeFileSync(join(work, 'data', 'f.txt'), 'remote data');
    const log = join(work, 'ssh.log');
    ssh.writeSshWrapper(join(work, 'bin', 'ssh'), log);
    const remote = join(work, "-rf $(touch CANARY) `touch CANARY`; touch CANARY 'q' \"dq\"");
    const plan = join(work, 'plan.backplan.yaml');
    writeFileSync(
      plan,
      [
        'version: 1',
        'hosts:',
        '  here: { site: home }',
        `  ${ssh.hostLine('vault', 0, 'site: away, role: storage')}`,
        'storage:',
        `  remote: { host: vault, media: hdd, path: ${JSON.stringify(remote)} }`,
        'jobs:',
        '  docs: { kind: archive, host: here, paths: [./data], to: remote, retention: { keep: { last: 1 } } }',
        'checks: { coverage-3-2-1: off, no-restore-test: off, offsite-unencrypted: off }',
        '',
      ].join('\n'),
    );
    const state = join(work, 'state');
    const env = { PATH: `${join(work, 'bin')}:${process.env.PATH}` };
    const run = () => backplan(['run', plan, '--state-dir', state, ...ssh.sshArgs()], { cwd: work, env });

    const r = run();
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const first = remoteCalls(log, 0);
    expect(first.length, programs(first)).toBeGreaterThan(0);
    expect(first.length, `${first.length} calls: ${programs(first)}`).toBeLessThanOrEqual(PER_RUN);
    const out = join(remote, 'docs');
    const [name] = readdirSync(out).filter((n) => n.endsWith('.tar.gz'));
    expect(readdirSync(out).sort()).toEqual([name, `${name}.sha256`]);

    // An older copy (archive + manifest) for the prune, and a leftover of an interrupted run:
    // each removal is its own journalled call, on top of the same budget, and the leftover is
    // still reported.
    const old = name.replace(/\d{8}T\d{6}Z/, '20200101T0000Z');
    renameSync(join(out, name), join(out, old));
    renameSync(join(out, `${name}.sha256`), join(out, `${old}.sha256`));
    writeFileSync(join(out, `${old}.partial`), 'left by an interrupted run');
    const seen = readFileSync(log, 'utf8').split('\n').filter(Boolean).length;
    const r2 = run();
    expect(r2.code, r2.stdout + r2.stderr).toBe(0);
    expect(r2.stderr).toContain(`backplan: docs: removed 1 leftover(s) of an interrupted run: ${old}.partial`);
    // keep last 1: only the second run's copy (named to its own second) is left.
    const [newer] = readdirSync(out).filter((n) => n.endsWith('.tar.gz'));
    expect(newer).not.toBe(old);
    expect(newer).toMatch(/^docs-\d{8}T\d{6}Z(-\d+)?\.tar\.gz$/);
    expect(readdirSync(out).sort()).toEqual([newer, `${newer}.sha256`]);
    const second = remoteCalls(log, seen);
    expect(second.length, `${second.length} calls: ${programs(second)}`).toBeLessThanOrEqual(PER_RUN + 3);

    expect(spawnSync('find', [dir, '-name', 'CANARY'], { encoding: 'utf8' }).stdout).toBe('');
    expect(existsSync(join(homedir(), 'CANARY'))).toBe(false);
  }, 120_000);
});
