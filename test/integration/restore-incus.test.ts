// `backplan restore` of incus-snapshot jobs through the built command, against two real LXD 5.0
// daemons (test/helpers/lxd.ts: a primary and a standby remote; the plan says `incus_binary:
// lxc`, as the drivers pick the client). The instance's files are written into its rootfs on the
// `dir` pool, snapshotted and copied to the standby by `backplan run`, then changed. Proven: a
// new instance from the snapshot, byte for byte, with boot.autostart as the source has it (said);
// an existing instance refused; in place, the current state kept as a snapshot first; the
// primary's snapshot deleted and a new instance made on the standby from its copy, the report
// naming the replica; the primary daemon gone (the source host lost) and the standby's copy
// restored there with boot.autostart as the snapshot carries it from the source.
import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../helpers/cli';
import { backplanAt, lxdAvailable, startLxdPair, type LxdPair } from '../helpers/lxd';

const ok = lxdAvailable();
let lxd: LxdPair | undefined;

beforeAll(async () => {
  if (!ok) return;
  ensureBuilt();
  lxd = await startLxdPair();
}, 120_000);

afterAll(async () => {
  await lxd?.close();
}, 120_000);

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

describe.skipIf(!ok)('restore of an incus-snapshot job (LXD as lxc, a standby copy)', () => {
  let plan = '';
  let state = '';
  let rootfs = '';
  let snap = '';
  let original: string[] = [];
  const rootfsOf = (daemonDir: string, name: string) =>
    join(daemonDir, 'storage-pools/default/containers', name, 'rootfs');
  const cli = (...args: string[]) =>
    backplanAt(new Date().toISOString(), [args[0], plan, ...args.slice(1), '--state-dir', state], lxd!.env);

  beforeAll(async () => {
    if (!ok) return;
    lxd!.lxc('init', '--empty', 'web1');
    lxd!.lxc('config', 'set', 'web1', 'boot.autostart=true');
    rootfs = rootfsOf(lxd!.primary.dir, 'web1');
    mkdirSync(join(rootfs, 'etc'), { recursive: true });
    writeFileSync(join(rootfs, 'etc', 'hostname'), 'web1\n');
    writeFileSync(join(rootfs, 'index.html'), '<p>first</p>\n');
    original = tree(rootfs);
    plan = join(lxd!.dir, 'restore.backplan.yaml');
    state = join(lxd!.dir, 'state');
    writeFileSync(
      plan,
      [
        'version: 1',
        'hosts:',
        '  here: { site: home, role: primary, incus_binary: lxc }',
        '  standby: { address: 127.0.0.9, site: away, role: standby }',
        'storage:',
        '  pool: { host: here, media: ssd }',
        '  away: { host: standby, media: hdd }',
        'jobs:',
        '  snaps:',
        '    kind: incus-snapshot',
        '    host: here',
        '    instance: web1',
        '    storage: pool',
        '    schedule: "0 */6 * * *"',
        '    retention: { keep: { last: 4 } }',
        '  copy:',
        '    kind: incus-copy',
        '    from: snaps',
        '    to: away',
        `    remote: ${lxd!.remote}`,
        '    autostart: false',
        '    schedule: "0 */6 * * *"',
        'checks: { coverage-3-2-1: off, no-restore-test: off, offsite-unencrypted: off, snapshot-not-backup: off }',
        '',
      ].join('\n'),
    );
    const r = await backplanAt('2027-05-01T00:00:00Z', ['run', plan, '--state-dir', state], lxd!.env);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    snap = lxd!.snapshots('web1')[0];
    expect(lxd!.snapshots(`${lxd!.remote}:web1`)).toEqual([snap]);
    writeFileSync(join(rootfs, 'index.html'), '<p>defaced</p>\n');
    rmSync(join(rootfs, 'etc', 'hostname'));
  }, 120_000);

  it('makes a new instance from the snapshot, autostart as the source has it; refuses an existing one', async () => {
    const dry = await cli('restore', '--job', 'snaps', '--to', 'web1-restored', '--dry-run');
    expect(dry.code, dry.stdout + dry.stderr).toBe(0);
    expect(dry.stdout).toContain(`[local] lxc copy web1/${snap} web1-restored-partial -c boot.autostart=true`);
    expect(dry.stdout).toContain('[local] lxc move web1-restored-partial web1-restored');
    expect(lxd!.tryLxc('query', '/1.0/instances/web1-restored-partial').status).not.toBe(0);

    const r = await cli('restore', '--job', 'snaps', '--to', 'web1-restored');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain(`${snap} (read from storage pool (the job's own snapshots)`);
    expect(r.stdout).toContain('boot.autostart=true as the source instance web1 has it');
    expect(tree(rootfsOf(lxd!.primary.dir, 'web1-restored'))).toEqual(original);
    expect(lxd!.lxc('config', 'get', 'web1-restored', 'boot.autostart').trim()).toBe('true');
    expect(lxd!.tryLxc('query', '/1.0/instances/web1-restored-partial').status).not.toBe(0);

    const refused = await cli('restore', '--job', 'snaps', '--to', 'web1');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('web1 exists: a restore never replaces an instance');
    const bad = await cli('restore', '--job', 'snaps', '--to', 'no;such');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/--to .*is not an Incus instance/);
  }, 120_000);

  it('restores in place, keeping the current state as a snapshot first', async () => {
    const r = await cli('restore', '--job', 'snaps', '--in-place', '--yes');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const kept = lxd!.snapshots('web1').find((n) => n.startsWith('before-restore-'));
    expect(kept).toMatch(/^before-restore-\d{8}T\d{6}Z$/);
    expect(r.stdout).toContain(`the data that was there is now at web1/${kept} (a snapshot of the instance)`);
    expect(tree(rootfs)).toEqual(original);
    const aside = join(lxd!.primary.dir, 'storage-pools/default/containers-snapshots/web1', kept!, 'rootfs');
    expect(readFileSync(join(aside, 'index.html'), 'utf8')).toBe('<p>defaced</p>\n');
  }, 120_000);

  it("makes the instance on the standby from its copy when the primary's snapshot is gone", async () => {
    lxd!.lxc('delete', `web1/${snap}`);
    const r = await cli('restore', '--job', 'snaps', '--to', 'web1-back');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('storage pool holds no copy');
    expect(r.stdout).toContain('read from storage away (the replica written by incus-copy job copy)');
    expect(r.stdout).toContain(`${lxd!.remote}:web1-back is a new, stopped instance on ${lxd!.remote}`);
    expect(tree(rootfsOf(lxd!.standby.dir, 'web1-back'))).toEqual(original);
    expect(lxd!.lxc('config', 'get', `${lxd!.remote}:web1-back`, 'boot.autostart').trim()).toBe('true');
    // The incus-copy job restores from its own copy on the standby, beside it.
    const c = await cli('restore', '--job', 'copy', '--to', 'web1-c', '--dry-run');
    expect(c.code, c.stdout + c.stderr).toBe(0);
    expect(c.stdout).toContain(`${snap}, read from storage away (the job's own replica)`);
    expect(c.stdout).toContain(
      `[local] lxc copy ${lxd!.remote}:web1/${snap} ${lxd!.remote}:web1-c-partial -c boot.autostart=true`,
    );
  }, 120_000);

  it('restores on the standby when the source host is gone, boot.autostart as the snapshot carries it', async () => {
    const down = spawnSync('lxd', ['shutdown', '--timeout', '30'], {
      env: { ...process.env, LXD_DIR: lxd!.primary.dir },
    });
    expect(down.status).toBe(0);
    const r = await cli('restore', '--job', 'snaps', '--to', 'web1-dr');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/storage pool cannot be read: .*; read from storage away/);
    expect(r.stdout).toContain(`boot.autostart=true as the source had it when ${snap} was taken`);
    expect(tree(rootfsOf(lxd!.standby.dir, 'web1-dr'))).toEqual(original);
  }, 120_000);
});
