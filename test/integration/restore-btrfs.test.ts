// `backplan restore` of btrfs-snapshot and btrfs-send jobs through the built command, on real
// btrfs (two loop-device filesystems, one per sshd host on loopback, TESTING.md "btrfs"): back
// up, change and delete data, then restore a folder by --path into a new directory and in place,
// the whole subvolume as a writable snapshot at a new path and in place (the current one moved
// aside beside it), byte for byte; a non-empty --to refused and left as it was; the source's
// snapshot deleted and the subvolume restored from the btrfs-send replica on the other host
// (received, snapshotted writable, the received one removed), the report naming the replica; a
// restore killed with SIGKILL during the copy leaves the current folder as it was (a stale lock
// and a `.partial`, both refused until dealt with).
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, ensureBuilt } from '../helpers/cli';
import { cliAt } from '../helpers/faketime';
import { requireTools } from '../helpers/integration';
import { sshHostsAvailable, startSshHosts, type SshHosts } from '../helpers/sshd';
import { btrfsAt, sh, unmountAll } from '../helpers/btrfs';

const ok = sshHostsAvailable() && requireTools('btrfs', 'mkfs.btrfs', 'losetup', 'mount', 'faketime', 'tar');

let work = '';
let ssh: SshHosts | undefined;
const T0 = Date.parse('2027-04-01T00:00:00Z');
// The copy's name, read after the first run (names follow the clock to the second).
let FIRST = '';

function tree(root: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const n of readdirSync(d).sort()) {
      const p = join(d, n);
      const st = lstatSync(p);
      if (st.isDirectory()) {
        out.push(`${relative(root, p)}/`);
        walk(p);
      } else out.push(`${relative(root, p)} ${createHash('sha256').update(readFileSync(p)).digest('hex')}`);
    }
  };
  walk(root);
  return out;
}

/** Whether `path` is a btrfs subvolume, and read-only. */
function subvolume(path: string): { ro: boolean } | undefined {
  const r = spawnSync('btrfs', ['subvolume', 'show', path], { encoding: 'utf8' });
  if (r.status !== 0) return undefined;
  return { ro: /Flags:\s+readonly/.test(r.stdout) };
}

beforeAll(async () => {
  if (!ok) return;
  ensureBuilt();
  work = mkdtempSync(join(tmpdir(), 'bp-restore-btrfs-'));
  ssh = await startSshHosts(2);
}, 60_000);

afterAll(async () => {
  unmountAll();
  await ssh?.close();
  if (work) rmSync(work, { recursive: true, force: true });
}, 60_000);

describe.skipIf(!ok)('restore of btrfs-snapshot and btrfs-send jobs (two hosts over ssh)', () => {
  let plan = '';
  let state = '';
  let vol = '';
  let original: string[] = [];
  let www0: string[] = [];
  let alpha = '';
  const cli = (...args: string[]) =>
    cliAt(undefined, [args[0], plan, ...args.slice(1), '--state-dir', state, ...ssh!.sshArgs()]);

  beforeAll(async () => {
    if (!ok) return;
    alpha = btrfsAt(join(work, 'alpha'));
    const beta = btrfsAt(join(work, 'beta'));
    vol = join(alpha, 'vol');
    sh(['btrfs', 'subvolume', 'create', vol]);
    mkdirSync(join(alpha, 'snaps'));
    plan = join(work, 'btrfs.backplan.yaml');
    state = join(work, 'state');
    writeFileSync(
      plan,
      [
        'version: 1',
        'timezone: UTC',
        'hosts:',
        `  ${ssh!.hostLine('alpha', 0)}`,
        `  ${ssh!.hostLine('beta', 1)}`,
        'storage:',
        `  vault: { host: beta, media: hdd, path: ${JSON.stringify(join(beta, 'vault'))} }`,
        'jobs:',
        '  snaps:',
        '    kind: btrfs-snapshot',
        '    host: alpha',
        `    subvolume: ${JSON.stringify(vol)}`,
        `    snapshot_dir: ${JSON.stringify(join(alpha, 'snaps'))}`,
        '    schedule: "0 */6 * * *"',
        '    retention: { keep: { last: 4 } }',
        '  replica:',
        '    kind: btrfs-send',
        '    from: snaps',
        '    to: vault',
        '    schedule: "0 */6 * * *"',
        '    retention: { keep: { last: 8 } }',
        'checks: { coverage-3-2-1: off, no-restore-test: off, offsite-unencrypted: off, snapshot-not-backup: off }',
        '',
      ].join('\n'),
    );
    mkdirSync(join(vol, 'www', 'img'), { recursive: true });
    writeFileSync(join(vol, 'www', 'index.html'), '<h1>hello</h1>\n');
    writeFileSync(join(vol, 'www', 'img', 'logo.png'), randomBytes(120_000));
    writeFileSync(join(vol, 'db.bin'), randomBytes(200_000));
    writeFileSync(join(vol, '-dash; $(touch pwned)'), 'odd\n');
    original = tree(vol);
    www0 = tree(join(vol, 'www'));
    const r = await cliAt(T0, ['run', plan, '--state-dir', state, ...ssh!.sshArgs()]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    FIRST = readdirSync(join(alpha, 'snaps'))[0];
    expect(FIRST).toMatch(/^backplan-20270401T0000\d\dZ$/);
    expect(subvolume(join(beta, 'vault', 'replica', FIRST))?.ro).toBe(true);
    writeFileSync(join(vol, 'db.bin'), 'broken');
    rmSync(join(vol, 'www', 'img'), { recursive: true });
    writeFileSync(join(vol, 'new.txt'), 'new\n');
  }, 120_000);

  it('restores a folder by --path into a new directory and in place, and refuses a non-empty target', async () => {
    const www = join(vol, 'www');
    const to = join(work, 'out1');
    const r = await cli('restore', '--job', 'snaps', '--path', www, '--to', to);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain(`${FIRST} (read from storage alpha (the job's own snapshots))`);
    expect(tree(join(to, www))).toEqual(www0);

    const full = join(work, 'full');
    mkdirSync(full);
    writeFileSync(join(full, 'mine'), 'mine\n');
    const refused = await cli('restore', '--job', 'snaps', '--path', www, '--to', full);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('exists and is not an empty directory: a restore never overwrites');
    expect(readdirSync(full)).toEqual(['mine']);

    const ip = await cli('restore', '--job', 'snaps', '--path', www, '--in-place', '--yes');
    expect(ip.code, ip.stdout + ip.stderr).toBe(0);
    const aside = readdirSync(vol).find((n) => n.startsWith('www.before-restore-'));
    expect(aside).toBeDefined();
    expect(ip.stdout).toContain(`the data that was there is now at ${join(vol, aside!)}`);
    expect(existsSync(join(vol, 'www', 'img', 'logo.png'))).toBe(true);
    rmSync(join(vol, aside!), { recursive: true });
    expect(existsSync(join(work, 'pwned'))).toBe(false);
  }, 120_000);

  it('restores the whole subvolume as a writable snapshot, at a new path and in place', async () => {
    const to = join(alpha, 'vol-restored');
    const dry = await cli('restore', '--job', 'snaps', '--to', to, '--dry-run');
    expect(dry.code, dry.stdout + dry.stderr).toBe(0);
    expect(dry.stdout).toContain(`[alpha] btrfs subvolume snapshot ${join(alpha, 'snaps', FIRST)} ${to}.partial`);
    expect(existsSync(`${to}.partial`)).toBe(false);
    const r = await cli('restore', '--job', 'snaps', '--to', to);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(subvolume(to)).toEqual({ ro: false });
    expect(tree(to)).toEqual(original);
    writeFileSync(join(to, 'writable'), 'yes');

    const refused = await cli('restore', '--job', 'snaps', '--to', to);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`${to} exists and is not an empty directory`);

    const ip = await cli('restore', '--job', 'snaps', '--in-place', '--yes');
    expect(ip.code, ip.stdout + ip.stderr).toBe(0);
    const aside = readdirSync(alpha).find((n) => n.startsWith('vol.before-restore-'));
    expect(aside).toMatch(/^vol\.before-restore-\d{8}T\d{6}Z$/);
    expect(ip.stdout).toContain(`the data that was there is now at ${join(alpha, aside!)}`);
    expect(subvolume(vol)).toEqual({ ro: false });
    expect(tree(vol)).toEqual(original);
    expect(readFileSync(join(alpha, aside!, 'new.txt'), 'utf8')).toBe('new\n');
  }, 120_000);

  it("falls back to the btrfs-send replica when the source's snapshot is gone", async () => {
    sh(['btrfs', 'subvolume', 'delete', join(alpha, 'snaps', FIRST)]);
    const to = join(alpha, 'from-replica');
    const r = await cli('restore', '--job', 'snaps', '--to', to);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('storage alpha holds no copy');
    expect(r.stdout).toContain('read from storage vault (the replica written by btrfs-send job replica)');
    expect(r.stdout).toContain(`received from beta`);
    expect(subvolume(to)).toEqual({ ro: false });
    expect(tree(to)).toEqual(original);
    expect(existsSync(`${to}.partial`)).toBe(false);
    expect(existsSync(`${to}.partial.receive`)).toBe(false);
    // The btrfs-send job restores from its own replica the same way (received where the data belongs).
    const dry = await cli('restore', '--job', 'replica', '--to', join(alpha, 'vol2'), '--dry-run');
    expect(dry.code, dry.stdout + dry.stderr).toBe(0);
    expect(dry.stdout).toContain(`${FIRST}, read from storage vault (the job's own replica)`);
    expect(dry.stdout).toContain(`[beta] btrfs send ${join(work, 'beta', 'vault', 'replica', FIRST)} | [alpha] btrfs`);
    expect(dry.stdout).toContain(`btrfs receive ${join(alpha, 'vol2')}.partial.receive`);
    // A folder by --path from the replica, over the tar stream.
    const out = join(work, 'out-replica');
    const p = await cli('restore', '--job', 'snaps', '--path', join(vol, 'www'), '--to', out);
    expect(p.code, p.stdout + p.stderr).toBe(0);
    expect(tree(join(out, vol, 'www'))).toEqual(www0);
  }, 120_000);
  it('a restore killed with SIGKILL during the copy leaves the current data as it was', async () => {
    mkdirSync(join(vol, 'big'));
    writeFileSync(join(vol, 'big', 'blob'), randomBytes(96 * 1024 * 1024));
    const want = createHash('sha256')
      .update(readFileSync(join(vol, 'big', 'blob')))
      .digest('hex');
    const run = await cliAt(T0 + 6 * 3_600_000, [
      'run',
      plan,
      '--job',
      'snaps',
      '--state-dir',
      state,
      ...ssh!.sshArgs(),
    ]);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const second = readdirSync(join(alpha, 'snaps')).sort().pop()!;
    writeFileSync(join(vol, 'big', 'blob'), 'changed\n');
    const args = [
      'restore',
      plan,
      '--job',
      'snaps',
      '--copy',
      second,
      '--path',
      join(vol, 'big'),
      '--in-place',
      '--yes',
    ];
    // The restore's journal is the one that was not there before (names sort by the clock, faked for runs).
    const runs = join(state, 'runs');
    const before = new Set(readdirSync(runs));
    const newest = () => {
      const f = readdirSync(runs).find((n) => !before.has(n));
      return f ? readFileSync(join(runs, f), 'utf8') : '';
    };
    const child = spawn(process.execPath, [CLI, ...args, '--state-dir', state, ...ssh!.sshArgs()], {
      detached: true,
      stdio: 'ignore',
    });
    // Killed once the tar copy has started (its step is journalled before it runs).
    const t0 = Date.now();
    while (!/"phase":"restore","description":"copy /.test(newest()) && Date.now() - t0 < 60_000)
      await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 150));
    expect(child.exitCode, 'the restore ended before it could be killed').toBe(null);
    process.kill(-child.pid!, 'SIGKILL');
    await new Promise((r) => child.once('close', r));
    await new Promise((r) => setTimeout(r, 500));
    expect(readFileSync(join(vol, 'big', 'blob'), 'utf8')).toBe('changed\n');
    expect(readdirSync(vol).filter((n) => n.startsWith('big.before-restore-'))).toEqual([]);
    // What it left is a stale lock (reported, broken only when asked) and only a `.partial`, which the
    // next restore will not take for a result.
    const big = ['--job', 'snaps', '--copy', second, '--path', join(vol, 'big'), '--in-place', '--yes'];
    const locked = await cli('restore', ...big);
    expect(locked.code).toBe(1);
    expect(locked.stderr).toContain('stale lock');
    const again = await cli('restore', ...big, '--break-stale-lock');
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('big.partial exists (left by an interrupted restore?)');
    expect(readFileSync(join(vol, 'big', 'blob'), 'utf8')).toBe('changed\n');
    rmSync(join(vol, 'big.partial'), { recursive: true });
    const third = await cli('restore', ...big);
    expect(third.code, third.stdout + third.stderr).toBe(0);
    expect(
      createHash('sha256')
        .update(readFileSync(join(vol, 'big', 'blob')))
        .digest('hex'),
    ).toBe(want);
  }, 180_000);
});
