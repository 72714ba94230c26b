// rsync for real: this machine's files to a storage host over ssh (test/helpers/sshd.ts), one
// dated directory per run written as `NAME.partial` and renamed when whole, `--link-dest` to the
// previous complete directory found by the live-state reader (unchanged files share an inode
// with the previous copy, a changed one does not), a native prune of old directories, and
// `backplan verify` comparing the newest copy with the source by checksum.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backplanAsync as backplan } from '../helpers/cli-async';
import { requireTools } from '../helpers/integration';
import { sshHostsAvailable, startSshHosts, type SshHosts } from '../helpers/sshd';

const ok = sshHostsAvailable() && requireTools('rsync');

let work = '';
let hosts: SshHosts | undefined;

const dest = () => join(work, 'vault', 'home');
/** The job's directories on the storage, oldest first. */
const dirs = () => readdirSync(dest()).sort();
const src = () => join(work, 'src');
/** A file of the source as it sits inside a copy (rsync --relative keeps the full path). */
const inCopy = (copy: string, rel: string) => join(dest(), copy, src(), rel);

function writePlan(): string {
  const plan = join(work, 'plan.backplan.yaml');
  writeFileSync(
    plan,
    [
      'version: 1',
      'hosts:',
      // This machine, with an ssh wrapper that knows the test's host keys (rsync spawns ssh itself).
      `  me: { address: localhost, tools: { ssh: ${join(work, 'ssh')} } }`,
      `  ${hosts!.hostLine('vault', 0)}`,
      `storage: { vault-disk: { host: vault, media: hdd, path: ${join(work, 'vault')} } }`,
      'jobs:',
      '  home:',
      '    kind: rsync',
      '    host: me',
      `    paths: [${src()}]`,
      "    exclude: ['*.tmp']",
      '    to: vault-disk',
      '    retention: { keep: { last: 2 } }',
      'checks: { coverage-3-2-1: off, no-restore-test: off, offsite-unencrypted: off }',
      '',
    ].join('\n'),
  );
  return plan;
}

const run = async () => {
  const r = await backplan(['run', writePlan(), '--state-dir', join(work, 'state'), '--format', 'json', ...hosts!.sshArgs()]);
  expect(r.code, r.stdout + r.stderr).toBe(0);
  return JSON.parse(r.stdout);
};

beforeAll(async () => {
  if (!ok) return;
  work = mkdtempSync(join(tmpdir(), 'bp-rsync-'));
  hosts = await startSshHosts(1);
  hosts.writeSshWrapper(join(work, 'ssh'), join(work, 'ssh.log'));
  mkdirSync(join(src(), 'sub'), { recursive: true });
  writeFileSync(join(src(), 'same.txt'), 'unchanged\n');
  writeFileSync(join(src(), 'sub', 'deep.bin'), Buffer.alloc(200_000, 7));
  writeFileSync(join(src(), 'changes.txt'), 'first\n');
  writeFileSync(join(src(), 'scratch.tmp'), 'excluded\n');
  // Two directories left by runs long ago (old enough to be pruned by `last: 2`).
  for (const old of ['20200101T0000Z', '20200102T0000Z']) mkdirSync(join(dest(), old, 'x'), { recursive: true });
}, 60_000);

afterAll(async () => {
  await hosts?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe.skipIf(!ok)('rsync to a storage host', () => {
  it('runs twice: dated directories, hard links to the previous one, old ones pruned, verify by checksum', async () => {
    const first = await run();
    const [d1] = dirs().filter((d) => !d.startsWith('2020'));
    expect(d1).toMatch(/^\d{8}T\d{6}Z$/);
    // Pruned by `last: 2`: the oldest directory went, the newest old one stayed.
    expect(dirs()).toEqual(['20200102T0000Z', d1]);
    expect(first.jobs[0].steps.at(-1).detail.removed).toEqual(['20200101T0000Z']);
    expect(readFileSync(inCopy(d1, 'same.txt'), 'utf8')).toBe('unchanged\n');
    expect(() => statSync(inCopy(d1, 'scratch.tmp'))).toThrow();
    // rsync went through the storage host's ssh.
    expect(readFileSync(join(work, 'ssh.log'), 'utf8')).toContain(`-l root ${hosts!.hosts[0].address} rsync --server`);

    writeFileSync(join(src(), 'changes.txt'), 'second\n');
    // Directories are named by the minute (UTC): the second run waits for the next one.
    await new Promise((r) => setTimeout(r, 60_500 - (Date.now() % 60_000)));
    await run();
    const d2 = dirs().at(-1)!;
    expect(dirs()).toEqual([d1, d2]);
    expect(dirs().some((d) => d.endsWith('.partial'))).toBe(false);
    // --link-dest to the previous complete directory: unchanged files are the same inode.
    expect(statSync(inCopy(d2, 'same.txt')).ino).toBe(statSync(inCopy(d1, 'same.txt')).ino);
    expect(statSync(inCopy(d2, 'sub/deep.bin')).ino).toBe(statSync(inCopy(d1, 'sub/deep.bin')).ino);
    expect(statSync(inCopy(d2, 'changes.txt')).ino).not.toBe(statSync(inCopy(d1, 'changes.txt')).ino);
    expect(readFileSync(inCopy(d2, 'changes.txt'), 'utf8')).toBe('second\n');

    const v = await backplan(['verify', writePlan(), '--job', 'home', '--state-dir', join(work, 'state'), ...hosts!.sshArgs()]);
    expect(v.code, v.stdout + v.stderr).toBe(0);
    expect(v.stdout).toContain(`verified home: ${d2} compared with the source by checksum: all 3 files are identical`);
    // A copy that no longer matches its source fails verify, naming the file.
    rmSync(inCopy(d2, 'changes.txt'));
    writeFileSync(inCopy(d2, 'changes.txt'), 'SECOND\n');
    const bad = await backplan(['verify', writePlan(), '--job', 'home', '--state-dir', join(work, 'state'), ...hosts!.sshArgs()]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(new RegExp(`FAILED home: ${d2}\\n  ${src()}/changes.txt: differs from the source`));
    expect(spawnSync('find', [dest(), '-name', '*.partial'], { encoding: 'utf8' }).stdout).toBe('');
  }, 150_000);
});
