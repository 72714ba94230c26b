// `backplan restore` of zfs-snapshot and zfs-send jobs through the built command, on real ZFS
// (zfs-fuse, TESTING.md "ZFS"), with the plan an admin following the MiNET page would write: the
// VMs' dataset snapshotted every 6 hours on one NAS, sent to a `_back` dataset on the other
// (two ssh hosts on loopback). Back up, change and delete a VM's folder, then: restore it by
// --path into a new directory and in place (the current folder moved aside, said where), byte
// for byte; a non-empty --to refused; the source's snapshot destroyed and the folder restored
// from the `_back` replica, the report naming it; a whole dataset cloned, and received from the
// replica, into new datasets; an existing dataset refused; --dry-run changes nothing.
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  lstatSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../helpers/cli';
import { cliAt } from '../helpers/faketime';
import { requireTools } from '../helpers/integration';
import { sshHostsAvailable, startSshHosts, type SshHosts } from '../helpers/sshd';
import { startZfsFuse, type ZfsFuse } from '../helpers/zfs-fuse';
import { readJournal } from '../../engine/run/state/journal';

const ok = sshHostsAvailable() && requireTools('zfs', 'zpool', 'zfs-fuse', 'faketime', 'tar');

let work = '';
let ssh: SshHosts | undefined;
let zfs: ZfsFuse | undefined;
const tag = randomBytes(3).toString('hex');
const NAS1 = `bprn1${tag}`;
const NAS2 = `bprn2${tag}`;
const T0 = Date.parse('2027-03-01T00:00:00Z');
const HOUR = 3_600_000;
// The copies' names, read after each run (names follow the clock to the second).
let FIRST = '';
let SECOND = '';

/** Snapshot names of exactly `dataset`, oldest first. */
function snapshots(dataset: string): string[] {
  return sh(['zfs', 'list', '-H', '-o', 'name', '-t', 'snapshot', '-r', dataset])
    .split('\n')
    .filter((l) => l.startsWith(`${dataset}@`))
    .map((l) => l.slice(dataset.length + 1))
    .sort();
}

function sh(argv: string[]): string {
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${argv.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** Every entry under `root`: relative path, type, and for files their sha256. */
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

const datasets = () => sh(['zfs', 'list', '-H', '-o', 'name']).split('\n').filter(Boolean);

beforeAll(async () => {
  if (!ok) return;
  ensureBuilt();
  work = mkdtempSync(join(tmpdir(), 'bp-restore-zfs-'));
  zfs = await startZfsFuse(work);
  zfs.pool(NAS1, work, join(work, 'nas1'));
  zfs.pool(NAS2, work, join(work, 'nas2'));
  sh(['zfs', 'create', `${NAS1}/vz`]);
  ssh = await startSshHosts(2);
}, 90_000);

/** zfs-fuse keeps datasets just read busy for a while: unmount this test's own, then destroy its pools. */
async function destroyPools(): Promise<void> {
  for (const pool of [NAS1, NAS2]) {
    for (let i = 0; i < 20; i++) {
      const names = spawnSync('zfs', ['list', '-H', '-o', 'name', '-r', pool], { encoding: 'utf8' });
      if (names.status !== 0) break;
      for (const ds of names.stdout.split('\n').filter(Boolean).reverse()) spawnSync('zfs', ['unmount', '-f', ds]);
      if (spawnSync('zpool', ['destroy', '-f', pool]).status === 0) break;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

afterAll(async () => {
  await ssh?.close();
  if (zfs) await destroyPools();
  await zfs?.close();
  if (work) rmSync(work, { recursive: true, force: true });
}, 60_000);

describe.skipIf(!ok)('restore of zfs-snapshot and zfs-send jobs (the MiNET plan, zfs-fuse over ssh)', () => {
  let plan = '';
  let state = '';
  let vz = '';
  let vm = '';
  let original: string[] = [];
  const cli = (...args: string[]) =>
    cliAt(undefined, [args[0], plan, ...args.slice(1), '--state-dir', state, ...ssh!.sshArgs()]);

  beforeAll(async () => {
    if (!ok) return;
    plan = join(work, 'minet.backplan.yaml');
    state = join(work, 'state');
    vz = join(work, 'nas1', 'vz');
    vm = join(vz, 'private', '108');
    writeFileSync(
      plan,
      [
        'version: 1',
        'timezone: UTC',
        'hosts:',
        `  ${ssh!.hostLine('nas1', 0)}`,
        `  ${ssh!.hostLine('nas2', 1)}`,
        'storage:',
        '  nas2-back: { host: nas2, media: hdd }',
        'jobs:',
        '  vz:',
        '    kind: zfs-snapshot',
        '    host: nas1',
        `    dataset: ${NAS1}/vz`,
        '    schedule: "0 */6 * * *"',
        '    retention: { keep: { last: 8 } }',
        '    rto: 4h',
        '  vz-back:',
        '    kind: zfs-send',
        '    from: vz',
        '    to: nas2-back',
        `    dataset: ${NAS2}/vz_back`,
        '    resumable: false',
        '    schedule: "0 */6 * * *"',
        '    retention: { keep: { last: 28 } }',
        'checks: { coverage-3-2-1: off, no-restore-test: off, offsite-unencrypted: off, snapshot-not-backup: off }',
        '',
      ].join('\n'),
    );
    mkdirSync(join(vm, 'root', 'etc'), { recursive: true });
    mkdirSync(join(vz, 'private', '109'), { recursive: true });
    writeFileSync(join(vm, 'root.hdd'), randomBytes(300_000));
    writeFileSync(join(vm, 'root', 'etc', 'hostname'), 'vm108\n');
    writeFileSync(join(vm, "name with 'quote' and $(x)"), 'odd\n');
    writeFileSync(join(vz, 'private', '109', 'root.hdd'), randomBytes(50_000));
    original = tree(vm);
    const r = await cliAt(T0, ['run', plan, '--state-dir', state, ...ssh!.sshArgs()]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(datasets()).toContain(`${NAS2}/vz_back`);
    FIRST = snapshots(`${NAS1}/vz`)[0];
    expect(FIRST).toMatch(/^backplan-20270301T0000\d\dZ$/);
    expect(snapshots(`${NAS2}/vz_back`)).toEqual([FIRST]);
    // The VM breaks: its disk changes, a file is deleted, another appears.
    writeFileSync(join(vm, 'root.hdd'), randomBytes(1000));
    rmSync(join(vm, 'root', 'etc', 'hostname'));
    writeFileSync(join(vm, 'junk'), 'junk\n');
  }, 120_000);

  it('restores a VM folder by --path into a new directory, byte for byte, and refuses a non-empty one', async () => {
    const dry = await cli('restore', '--job', 'vz', '--path', vm, '--to', join(work, 'out-dry'), '--dry-run');
    expect(dry.code, dry.stdout + dry.stderr).toBe(0);
    expect(dry.stdout).toContain(`${FIRST}, read from storage nas1`);
    // zfs-fuse has no .zfs directory: the snapshot is read from a scratch clone.
    expect(dry.stdout).toMatch(
      new RegExp(`\\[nas1\\] zfs clone -- ${NAS1}/vz@${FIRST} ${NAS1}/bp-restore-[0-9a-f]{8}`),
    );
    expect(dry.stdout).toMatch(/\[nas1\] tar -C \S+ --numeric-owner -cf - -- \.\/private\/108 \| \[nas1\] tar -C /);
    expect(existsSync(join(work, 'out-dry'))).toBe(false);
    const scratch = /bp-restore-[0-9a-f]{8}/.exec(dry.stdout)![0];

    const to = join(work, 'out1');
    const r = await cli('restore', '--job', 'vz', '--path', vm, '--to', to);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/restored \d+(\.\d)? KiB in .* \(RTO 4h: ok\)/);
    expect(tree(join(to, vm))).toEqual(original);
    expect(existsSync(`${to}.partial`)).toBe(false);
    expect(datasets().filter((d) => d.includes('bp-restore-'))).toEqual([]);
    // The journal holds the steps, the duration and the bytes.
    const runs = join(state, 'runs');
    const journals = readdirSync(runs)
      .sort()
      .map((f) => readJournal(join(runs, f)));
    const restore = journals.filter((j) => j.some((l) => l.type === 'run-start' && l.command === 'restore')).pop()!;
    const end = restore.find((l) => l.type === 'step-end' && l.step === 'vz/restore');
    expect(end).toMatchObject({ status: 'ok', detail: { target: to, movedAside: null, storage: 'nas1' } });
    expect((end as unknown as { detail: { bytes: number } }).detail.bytes).toBeGreaterThan(300_000);
    expect(restore.filter((l) => l.type === 'step-start').length).toBeGreaterThan(4);
    // The dry run showed the very argv that ran (the scratch clone's name included).
    expect(JSON.stringify(restore)).toContain(`zfs clone -- ${NAS1}/vz@${FIRST} ${NAS1}/${scratch}`);

    const full = join(work, 'full');
    mkdirSync(full);
    writeFileSync(join(full, 'keep.txt'), 'mine\n');
    const refused = await cli('restore', '--job', 'vz', '--path', vm, '--to', full);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/exists and is not an empty directory: a restore never overwrites/);
    expect(readdirSync(full)).toEqual(['keep.txt']);
  }, 120_000);

  it('restores the folder in place with --yes, moving the current one aside beside it', async () => {
    const no = await cli('restore', '--job', 'vz', '--path', vm, '--in-place');
    expect(no.code).toBe(1);
    expect(no.stderr).toContain('add --yes');
    expect(readFileSync(join(vm, 'junk'), 'utf8')).toBe('junk\n');

    const r = await cli('restore', '--job', 'vz', '--path', vm, '--in-place', '--yes');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const aside = readdirSync(join(vz, 'private')).find((n) => n.startsWith('108.before-restore-'));
    expect(aside).toMatch(/^108\.before-restore-\d{8}T\d{6}Z$/);
    expect(r.stdout).toContain(`the data that was there is now at ${join(vz, 'private', aside!)}`);
    expect(tree(vm)).toEqual(original);
    expect(readFileSync(join(vz, 'private', aside!, 'junk'), 'utf8')).toBe('junk\n');
    // The other VM was not touched.
    expect(readdirSync(join(vz, 'private')).sort()).toEqual(['108', aside!, '109'].sort());
  }, 120_000);

  it("falls back to the `_back` replica on the other NAS when the source's snapshot is gone", async () => {
    sh(['zfs', 'destroy', `${NAS1}/vz@${FIRST}`]);
    rmSync(join(vm, 'root.hdd'));
    const to = join(work, 'out2');
    const r = await cli('restore', '--job', 'vz', '--path', vm, '--to', to);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain(`storage nas1 holds no copy`);
    expect(r.stdout).toContain('read from storage nas2-back (the replica written by zfs-send job vz-back)');
    expect(tree(join(to, vm))).toEqual(original);
    // --from-storage names the replica directly; a storage without copies is refused.
    const named = await cli(
      'restore',
      '--job',
      'vz',
      '--path',
      vm,
      '--to',
      join(work, 'out3'),
      '--from-storage',
      'nas2-back',
      '--dry-run',
    );
    expect(named.code, named.stdout + named.stderr).toBe(0);
    expect(named.stdout).toMatch(new RegExp(`\\[nas2\\] zfs clone -- ${NAS2}/vz_back@${FIRST} `));
    expect(named.stdout).toMatch(/\| \[nas1\] tar -C /);
    // The job's own storage (named by its host) holds no such copy any more: refused, nothing written.
    const own = await cli('restore', '--job', 'vz', '--path', vm, '--to', join(work, 'out5'), '--from-storage', 'nas1');
    expect(own.code).toBe(1);
    expect(own.stderr).toContain('storage nas1 holds no copy');
    expect(existsSync(join(work, 'out5'))).toBe(false);
    // A failed copy (a path the snapshot does not hold) leaves nothing: no target, no .partial, no scratch clone.
    const missing = await cli(
      'restore',
      '--job',
      'vz',
      '--path',
      join(vz, 'private', '999'),
      '--to',
      join(work, 'out6'),
    );
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/restore of vz failed: cannot copy private\/999 out of /);
    expect(existsSync(join(work, 'out6'))).toBe(false);
    expect(existsSync(join(work, 'out6.partial'))).toBe(false);
    expect(datasets().filter((d) => d.includes('bp-restore-'))).toEqual([]);
    const none = await cli(
      'restore',
      '--job',
      'vz',
      '--path',
      vm,
      '--to',
      join(work, 'out4'),
      '--from-storage',
      'nowhere',
    );
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/storage nowhere holds no copy of job vz/);
  }, 120_000);

  it('restores a whole dataset into a new one: received from the replica, or cloned', async () => {
    const refused = await cli('restore', '--job', 'vz', '--to', `${NAS1}/vz`);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`${NAS1}/vz exists on nas1: a restore never receives into or replaces a dataset`);
    const inPlace = await cli('restore', '--job', 'vz', '--in-place', '--yes');
    expect(inPlace.code).toBe(1);
    expect(inPlace.stderr).toContain('an in-place restore of a whole dataset is refused');

    // The source's snapshot is gone: the replica's is received into a new dataset on nas1.
    const r = await cli('restore', '--job', 'vz', '--to', `${NAS1}/vz_restored`);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain(`received whole from ${NAS2}/vz_back@${FIRST} on nas2`);
    expect(datasets()).toContain(`${NAS1}/vz_restored`);
    expect(datasets()).not.toContain(`${NAS1}/vz_restored.partial`);
    expect(tree(join(work, 'nas1', 'vz_restored', 'private', '108'))).toEqual(original);

    // A new snapshot on nas1, then a clone of it (instant, same pool). (The send cannot run any more:
    // its base was the snapshot destroyed above.)
    const run = await cliAt(T0 + 6 * HOUR, ['run', plan, '--job', 'vz', '--state-dir', state, ...ssh!.sshArgs()]);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    SECOND = snapshots(`${NAS1}/vz`).pop()!;
    expect(SECOND).toMatch(/^backplan-20270301T0600\d\dZ$/);
    const now = tree(vm);
    const c = await cli('restore', '--job', 'vz', '--copy', SECOND, '--to', `${NAS1}/vz_clone`);
    expect(c.code, c.stdout + c.stderr).toBe(0);
    expect(c.stdout).toContain(`${NAS1}/vz_clone on nas1 is a clone of ${NAS1}/vz@${SECOND}`);
    const j = await cli('restore', '--job', 'vz', '--to', `${NAS1}/vz_json`, '--dry-run', '--format', 'json');
    expect(j.code, j.stdout + j.stderr).toBe(0);
    expect(JSON.parse(j.stdout)).toMatchObject({ job: 'vz', copy: SECOND, storage: 'nas1', target: `${NAS1}/vz_json` });
    expect(tree(join(work, 'nas1', 'vz_clone', 'private', '108'))).toEqual(now);
    // The zfs-send job restores the same way, from its own replica.
    const s = await cli('restore', '--job', 'vz-back', '--to', `${NAS1}/vz_fromback`, '--dry-run');
    expect(s.code, s.stdout + s.stderr).toBe(0);
    expect(s.stdout).toContain(`${FIRST}, read from storage nas2-back (the job's own replica)`);
    expect(s.stdout).toContain(
      `[nas2] zfs send ${NAS2}/vz_back@${FIRST} | [nas1] zfs receive -u ${NAS1}/vz_fromback.partial`,
    );
    expect(datasets()).not.toContain(`${NAS1}/vz_fromback.partial`);
  }, 180_000);
});
