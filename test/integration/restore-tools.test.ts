// `backplan restore` of velero, openstack-image and vzdump jobs: no Kubernetes, OpenStack or
// Proxmox runs on this machine, so the tools are stub programs on PATH (as in run-faults) that
// record their argv and print canned listings. Checked: the copies each kind lists (Velero
// backups by name and phase, OpenStack images or snapshots of one run, vzdump archives in the
// dump directory), the exact restore argv --dry-run prints and a real restore runs, the
// refusals (--in-place, a bad --to, a job of several guests without --copy), and a missing
// program (one line, nothing run; a dry run with --copy still shows the argv).
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backplan, ensureBuilt } from '../helpers/cli';

const BASE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const CHECKS = 'checks: { coverage-3-2-1: off, no-restore-test: off, offsite-unencrypted: off, unused: off }';

// Records its argv (NUL-separated, one line a call) and prints $0.out.<the words that are not
// --opt=value, joined by dots> when that file exists.
const STUB = [
  '#!/bin/sh',
  '{ for a in "$@"; do printf "%s\\0" "$a"; done; printf "\\n"; } >> "$0.calls"',
  'key=; for a in "$@"; do case $a in --*=*) ;; *) key="$key$a.";; esac; done',
  '[ -f "$0.out.$key" ] && cat "$0.out.$key"',
  'exit 0',
  '',
].join('\n');

let dir: string;
let stubs: string;
let plan: string;
let state: string;
let dump: string;

function calls(tool: string): string[][] {
  const f = join(stubs, `${tool}.calls`);
  if (!existsSync(f)) return [];
  return readFileSync(f, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split('\0').slice(0, -1));
}

function clearCalls(): void {
  for (const t of ['velero', 'openstack', 'qmrestore', 'pct']) rmSync(join(stubs, `${t}.calls`), { force: true });
}

function cli(args: string[], withTools = true) {
  return backplan(['restore', plan, '--state-dir', state, ...args], {
    env: { PATH: withTools ? `${stubs}:${BASE_PATH}` : BASE_PATH, TZ: 'UTC' },
  });
}

const backup = (name: string, phase: string, start: string) => ({
  kind: 'Backup',
  metadata: { name, creationTimestamp: start },
  status: { phase, startTimestamp: start },
});

beforeAll(() => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'bp-restore-tools-'));
  stubs = join(dir, 'stubs');
  dump = join(dir, 'pve', 'dump');
  mkdirSync(stubs, { recursive: true });
  mkdirSync(dump, { recursive: true });
  for (const t of ['velero', 'openstack', 'qmrestore', 'pct']) writeFileSync(join(stubs, t), STUB, { mode: 0o755 });
  plan = join(dir, 'plan.backplan.yaml');
  state = join(dir, 'state');
  writeFileSync(
    plan,
    [
      'version: 1',
      'hosts:',
      '  here: { site: home }',
      'storage:',
      '  bsl: { host: here, media: object }',
      `  pve-dump: { host: here, media: hdd, path: ${join(dir, 'pve')} }`,
      '  cinder: { host: here, media: ssd }',
      'jobs:',
      '  k8s: { kind: velero, host: here, namespaces: [app], cluster: prod-ctx, to: bsl, retention: { expiry: 30d } }',
      '  k8s2: { kind: velero, host: here, namespaces: [app, db] }',
      '  osc: { kind: openstack-image, host: here, flavor: compute, server: vm1, volume: data1, cloud: prod, ' +
        'force: true, restore: { flavor: m1.small, network: [private, storage-net] } }',
      '  osc-bare: { kind: openstack-image, host: here, flavor: compute, server: vm2, cloud: prod }',
      '  vols: { kind: openstack-image, host: here, flavor: persistent, volume: vol1, storage: cinder, cloud: prod }',
      '  vz: { kind: vzdump, host: here, vmid: [100, 101], to: pve-dump }',
      '  vz1: { kind: vzdump, host: here, vmid: 100, to: pve-dump }',
      CHECKS,
      '',
    ].join('\n'),
  );
  // velero backup get -o json: a BackupList; the newest Completed backup of k8s is 0300.
  writeFileSync(
    join(stubs, 'velero.out.backup.get.-o.json.'),
    JSON.stringify({
      kind: 'BackupList',
      items: [
        backup('k8s-20260101-0100', 'Completed', '2026-01-01T01:00:00Z'),
        backup('k8s-20260101-0300', 'Completed', '2026-01-01T03:00:01Z'),
        backup('k8s-20260101-0400', 'PartiallyFailed', '2026-01-01T04:00:00Z'),
        backup('other-20260101-0500', 'Completed', '2026-01-01T05:00:00Z'),
        backup('k8s2-20260101-0200', 'Completed', '2026-01-01T02:00:00Z'),
      ],
    }),
  );
  // openstack image list: run 0200 of osc is whole; run 0300 lacks its volume image; 0400's is still saving.
  writeFileSync(
    join(stubs, 'openstack.out.image.list.-f.json.'),
    JSON.stringify([
      { ID: '1', Name: 'osc-20260101T020000Z', Status: 'active' },
      { ID: '2', Name: 'osc-20260101T020000Z-v1', Status: 'active' },
      { ID: '3', Name: 'osc-20260101T030000Z', Status: 'active' },
      { ID: '4', Name: 'osc-20260101T040000Z', Status: 'active' },
      { ID: '5', Name: 'osc-20260101T040000Z-v1', Status: 'saving' },
      { ID: '6', Name: 'unrelated', Status: 'active' },
    ]),
  );
  writeFileSync(
    join(stubs, 'openstack.out.image.show.-f.json.osc-20260101T020000Z-v1.'),
    JSON.stringify({ name: 'osc-20260101T020000Z-v1', min_disk: 20, virtual_size: 10 * 2 ** 30, size: 3 * 2 ** 30 }),
  );
  writeFileSync(
    join(stubs, 'openstack.out.volume.snapshot.list.-f.json.'),
    JSON.stringify([
      { ID: 'a', Name: 'vols-20260102T000000Z', Status: 'available' },
      { ID: 'b', Name: 'vols-20260103T000000Z', Status: 'error' },
      { ID: 'c', Name: 'vols-2026', Status: 'available' },
    ]),
  );
  for (const f of [
    'vzdump-qemu-100-2026_01_04-01_00_02.vma.zst',
    'vzdump-qemu-100-2026_01_04-01_00_02.log',
    'vzdump-lxc-101-2026_01_04-01_20_00.tar.zst',
    'vzdump-qemu-100-2026_01_03-01_00_00.vma.gz',
    'vzdump-qemu-102-2026_01_05-01_00_00.vma.zst',
  ])
    writeFileSync(join(dump, f), 'x');
}, 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('velero', () => {
  it('dry run: the newest Completed backup of the job, restored into the namespace --to names', () => {
    clearCalls();
    const r = cli(['--job', 'k8s', '--to', 'app-restored', '--dry-run', '--format', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.copy).toBe('k8s-20260101-0300');
    expect(j.target).toBe('namespaces app → app-restored');
    expect(j.steps.map((s: { argv: string[] }) => s.argv)).toEqual([
      [
        'velero',
        'restore',
        'create',
        expect.stringMatching(/^k8s-20260101-0300-restore-\d{8}t\d{6}z$/),
        '--from-backup=k8s-20260101-0300',
        '--namespace-mappings=app:app-restored',
        '--wait',
        '--kubecontext=prod-ctx',
      ],
    ]);
    // The dry run listed the backups and created nothing.
    expect(calls('velero')).toEqual([['backup', 'get', '-o', 'json', '--kubecontext=prod-ctx']]);
  });

  it('restores for real: the argv reaches velero, journalled; in place without mappings', () => {
    clearCalls();
    const r = cli(['--job', 'k8s', '--copy', 'k8s-20260101-0100', '--to', 'app-old', '--format', 'json']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      copy: 'k8s-20260101-0100',
      result: 'ok',
      target: 'namespaces app → app-old',
    });
    const create = calls('velero').filter((c) => c[0] === 'restore');
    expect(create).toHaveLength(1);
    expect(create[0].slice(3)).toEqual([
      '--from-backup=k8s-20260101-0100',
      '--namespace-mappings=app:app-old',
      '--wait',
      '--kubecontext=prod-ctx',
    ]);
    // Journalled like a run: the restore step with its argv and its measured duration.
    const journal = readFileSync(join(state, 'runs', newestRun()), 'utf8');
    expect(journal).toContain('"phase":"restore"');
    expect(journal).toContain('--namespace-mappings=app:app-old');
    expect(journal).toMatch(/"durationSeconds":/);
    clearCalls();
    const p = cli(['--job', 'k8s', '--in-place', '--yes']);
    expect(p.code, p.stdout + p.stderr).toBe(0);
    // How much Velero wrote is not Backplan's to say: only the time.
    expect(p.stdout).toMatch(/^restored in \d+(\.\d)? s$/m);
    expect(
      calls('velero')
        .filter((c) => c[0] === 'restore')[0]
        .slice(3),
    ).toEqual(['--from-backup=k8s-20260101-0300', '--wait', '--kubecontext=prod-ctx']);
  });

  it('a job of several namespaces needs OLD:NEW pairs; a namespace it does not back up is refused', () => {
    const one = cli(['--job', 'k8s2', '--to', 'restored', '--dry-run']);
    expect(one.code).toBe(1);
    expect(one.stderr).toMatch(
      /backs up namespaces app, db: give --to as OLD:NEW pairs \(e\.g\. app:app-restored,db:db-restored\)/,
    );
    const pairs = cli(['--job', 'k8s2', '--to', 'app:app2,db:db2', '--dry-run', '--format', 'json']);
    expect(pairs.code, pairs.stderr).toBe(0);
    expect(JSON.parse(pairs.stdout).steps[0].argv).toContain('--namespace-mappings=app:app2,db:db2');
    const other = cli(['--job', 'k8s2', '--to', 'web:web2', '--dry-run']);
    expect(other.code).toBe(1);
    expect(other.stderr).toMatch(/namespace web is not one the job backs up/);
  });

  it('velero absent: a restore fails in one line and runs nothing; a dry run with --copy still shows the argv', () => {
    const r = cli(['--job', 'k8s', '--to', 'x'], false);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/velero is not installed on this machine/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    const d = cli(['--job', 'k8s', '--copy', 'k8s-20260101-0300', '--to', 'x', '--dry-run'], false);
    expect(d.code, d.stderr).toBe(0);
    expect(d.stdout).toMatch(/not listed \(velero is not installed/);
    expect(d.stdout).toMatch(
      new RegExp(
        'velero restore create k8s-20260101-0300-restore-\\S+ --from-backup=k8s-20260101-0300 ' +
          '--namespace-mappings=app:x --wait',
      ),
    );
  });
});

describe('openstack-image', () => {
  it('compute: the newest whole run, a server from its instance snapshot and a volume from its data image', () => {
    clearCalls();
    const r = cli(['--job', 'osc', '--to', 'vm1-restored', '--dry-run', '--format', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.copy).toBe('osc-20260101T020000Z');
    expect(j.target).toBe('server vm1-restored, volume vm1-restored-v1');
    expect(j.steps.map((s: { argv: string[] }) => s.argv)).toEqual([
      [
        'openstack',
        '--os-cloud=prod',
        'server',
        'create',
        '--image',
        'osc-20260101T020000Z',
        '--flavor',
        'm1.small',
        '--network',
        'private',
        '--network',
        'storage-net',
        '--wait',
        'vm1-restored',
      ],
      [
        'openstack',
        '--os-cloud=prod',
        'volume',
        'create',
        '--image',
        'osc-20260101T020000Z-v1',
        '--size',
        '20',
        'vm1-restored-v1',
      ],
    ]);
    // Listing and reading the image's size are all a dry run does.
    expect(calls('openstack').map((c) => c.slice(1, 3))).toEqual([
      ['image', 'list'],
      ['image', 'show'],
    ]);
    clearCalls();
    const real = cli(['--job', 'osc', '--to', 'vm1-restored']);
    expect(real.code, real.stdout + real.stderr).toBe(0);
    expect(
      calls('openstack')
        .filter((c) => c[2] === 'create')
        .map((c) => c.slice(1, 3)),
    ).toEqual([
      ['server', 'create'],
      ['volume', 'create'],
    ]);
  });

  it('persistent with Cinder snapshots: the newest available snapshot becomes a volume (--snapshot)', () => {
    const r = cli(['--job', 'vols', '--to', 'db', '--dry-run', '--format', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.copy).toBe('vols-20260102T000000Z');
    expect(j.steps.map((s: { argv: string[] }) => s.argv)).toEqual([
      ['openstack', '--os-cloud=prod', 'volume', 'create', '--snapshot', 'vols-20260102T000000Z', 'db'],
    ]);
  });

  it('refusals: --in-place, a server without restore.flavor', () => {
    const ip = cli(['--job', 'osc', '--in-place', '--yes', '--dry-run']);
    expect(ip.code).toBe(1);
    expect(ip.stderr).toMatch(/--in-place is refused for openstack-image/);
    writeFileSync(
      join(stubs, 'openstack.out.image.list.-f.json.'),
      JSON.stringify([{ Name: 'osc-bare-20260101T020000Z', Status: 'active' }]),
    );
    const bare = cli(['--job', 'osc-bare', '--to', 'vm2-new', '--dry-run']);
    expect(bare.code).toBe(1);
    expect(bare.stderr).toMatch(/needs its Nova flavor: set `restore.flavor`/);
  });
});

describe('vzdump', () => {
  it("lists the archives of the job's guests in the dump directory; one guest restores the newest by default", () => {
    const r = cli(['--job', 'vz1', '--to', '200', '--dry-run', '--format', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.copy).toBe('vzdump-qemu-100-2026_01_04-01_00_02.vma.zst');
    expect(j.target).toBe('VM 200 (from guest 100)');
    expect(j.steps.map((s: { argv: string[] }) => s.argv)).toEqual([['qmrestore', join(dump, j.copy), '200']]);
  });

  it('a job of several guests restores the archive --copy names: qmrestore a VM, pct restore a container', () => {
    const none = cli(['--job', 'vz', '--to', '200', '--dry-run']);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/backs up guests 100, 101, one archive each: name the archive to restore with --copy/);
    // Guest 102 is not the job's: its archive is not a copy of it.
    const foreign = cli([
      '--job',
      'vz',
      '--copy',
      'vzdump-qemu-102-2026_01_05-01_00_00.vma.zst',
      '--to',
      '200',
      '--dry-run',
    ]);
    expect(foreign.code).toBe(1);
    clearCalls();
    const ct = cli(['--job', 'vz', '--copy', 'vzdump-lxc-101-2026_01_04-01_20_00.tar.zst', '--to', '201']);
    expect(ct.code, ct.stdout + ct.stderr).toBe(0);
    expect(calls('pct')).toEqual([['restore', '201', join(dump, 'vzdump-lxc-101-2026_01_04-01_20_00.tar.zst')]]);
    clearCalls();
    const vm = cli(['--job', 'vz', '--copy', 'vzdump-qemu-100-2026_01_03-01_00_00.vma.gz', '--to', '300']);
    expect(vm.code, vm.stdout + vm.stderr).toBe(0);
    expect(calls('qmrestore')).toEqual([[join(dump, 'vzdump-qemu-100-2026_01_03-01_00_00.vma.gz'), '300']]);
  });

  it('refusals: --in-place, a --to that is not a guest id', () => {
    const ip = cli(['--job', 'vz1', '--in-place', '--yes', '--dry-run']);
    expect(ip.code).toBe(1);
    expect(ip.stderr).toMatch(/--in-place is refused for vzdump/);
    const bad = cli(['--job', 'vz1', '--to', '42', '--dry-run']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/--to "42" is not a Proxmox guest id/);
  });
});

function newestRun(): string {
  return readdirSync(join(state, 'runs'))
    .filter((n) => n.endsWith('.jsonl'))
    .sort()
    .at(-1)!;
}

describe('the runbook', () => {
  it('gives the tool argv of a vzdump restore, the copy and the new guest id as placeholders', () => {
    const p = join(dir, 'runbook.backplan.yaml');
    writeFileSync(
      p,
      [
        'version: 1',
        'hosts:',
        '  pve: { address: 10.0.0.5, site: a, role: primary }',
        '  nas: { address: 10.0.0.6, site: b, role: storage }',
        'storage:',
        '  nfs: { host: nas, media: nas, path: /mnt/pve/nfs }',
        'jobs:',
        '  vz: { kind: vzdump, host: pve, vmid: [100], to: nfs, schedule: "0 1 * * 0" }',
        CHECKS,
        '',
      ].join('\n'),
    );
    const r = backplan(['runbook', p, '--lost', 'pve', '--at', '2026-06-01T00:00Z']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`--job vz --from-storage nfs --to '<free guest id>' --dry-run`);
    expect(r.stdout).toContain(`[pve] qmrestore '<newest copy>' '<free guest id>'`);
    expect(r.stdout).toContain('`<free guest id>` stands for its name, choose one that is free');
  });
});
