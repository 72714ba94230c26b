// `backplan restore --path` of a zfs-snapshot job reads OpenZFS's snapshot directory
// (MOUNTPOINT/.zfs/snapshot/NAME/, as the MiNET procedure copies a VM folder by hand) when the
// dataset has one. zfs-fuse has none (restore-zfs.test.ts covers its scratch-clone path), so here
// `zfs` is a small script first on PATH that answers the two questions restore asks (the
// snapshots and the mountpoint) for a real directory tree with a `.zfs/snapshot/NAME`
// in it: the files are copied out of that directory by tar, no clone is made, a path outside
// the mountpoint is refused, and an in-place restore moves the current folder aside.
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../helpers/cli';
import { cliAt } from '../helpers/faketime';
import { requireTools } from '../helpers/integration';

const ok = requireTools('tar', 'sh');
const NAME = 'backplan-20270301T060000Z';
let dir = '';

beforeAll(() => {
  if (ok) ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'bp-restore-snapdir-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(!ok)('zfs restore by --path from .zfs/snapshot/NAME', () => {
  it('copies the folder out of the snapshot directory, into a new directory and in place', async () => {
    const mnt = join(dir, 'vz');
    const snap = join(mnt, '.zfs', 'snapshot', NAME, 'private', '108');
    mkdirSync(join(snap, 'etc'), { recursive: true });
    writeFileSync(join(snap, 'etc', 'hostname'), 'vm108\n');
    writeFileSync(join(snap, "it's $(odd)"), 'odd\n');
    mkdirSync(join(mnt, 'private', '108'), { recursive: true });
    writeFileSync(join(mnt, 'private', '108', 'broken'), 'broken\n');
    const calls = join(dir, 'calls.log');
    mkdirSync(join(dir, 'bin'));
    const fake = join(dir, 'bin', 'zfs');
    writeFileSync(
      fake,
      [
        '#!/bin/sh',
        `echo "$*" >> ${JSON.stringify(calls)}`,
        'case "$*" in',
        `  *" creation tank/vz") printf 'tank/vz@${NAME}\\t1803963600\\n' ;;`,
        `  *" mountpoint tank/vz") echo ${JSON.stringify(mnt)} ;;`,
        '  *) echo "unexpected: $*" >&2; exit 1 ;;',
        'esac',
        '',
      ].join('\n'),
    );
    chmodSync(fake, 0o755);
    const plan = join(dir, 'p.backplan.yaml');
    writeFileSync(
      plan,
      [
        'version: 1',
        'hosts:',
        '  nas1: { site: home }',
        'jobs:',
        '  vz:',
        '    kind: zfs-snapshot',
        '    host: nas1',
        '    dataset: tank/vz',
        '    schedule: "0 */6 * * *"',
        'checks: { coverage-3-2-1: off, no-restore-test: off, snapshot-not-backup: off }',
        '',
      ].join('\n'),
    );
    const state = join(dir, 'state');
    const env = { PATH: `${join(dir, 'bin')}:${process.env.PATH ?? ''}` };
    const cli = (...a: string[]) => cliAt(undefined, ['restore', plan, '--job', 'vz', ...a, '--state-dir', state], env);
    const vm = join(mnt, 'private', '108');
    const to = join(dir, 'out');

    const dry = await cli('--path', vm, '--to', to, '--dry-run');
    expect(dry.code, dry.stdout + dry.stderr).toBe(0);
    expect(dry.stdout).toContain(
      `tar -C ${join(mnt, '.zfs', 'snapshot', NAME)} --numeric-owner -cf - -- ./private/108`,
    );
    expect(dry.stdout).not.toContain('zfs clone');

    const r = await cli('--path', vm, '--to', to);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(readFileSync(join(to, vm, 'etc', 'hostname'), 'utf8')).toBe('vm108\n');
    expect(readFileSync(join(to, vm, "it's $(odd)"), 'utf8')).toBe('odd\n');
    expect(readdirSync(join(to, vm)).sort()).toEqual(['etc', "it's $(odd)"]);
    expect(readFileSync(calls, 'utf8')).not.toMatch(/clone|destroy|receive/);

    const outside = await cli('--path', '/etc', '--to', join(dir, 'out2'));
    expect(outside.code).toBe(1);
    expect(outside.stderr).toContain(`--path /etc is not under ${mnt}, the mountpoint of tank/vz`);

    const ip = await cli('--path', vm, '--in-place', '--yes');
    expect(ip.code, ip.stdout + ip.stderr).toBe(0);
    const aside = readdirSync(join(mnt, 'private')).find((n) => n.startsWith('108.before-restore-'))!;
    expect(readFileSync(join(mnt, 'private', aside, 'broken'), 'utf8')).toBe('broken\n');
    expect(readdirSync(vm).sort()).toEqual(['etc', "it's $(odd)"]);
  }, 60_000);
});
