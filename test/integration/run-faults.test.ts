// Faults of a real run, each checked for "nothing is lost, nothing unsafe is pruned":
// - a storage host that goes down in the middle of a plan whose jobs span three sshd hosts
//   (test/helpers/sshd.ts): its jobs fail with its name in the message, the other hosts' jobs
//   finish and prune, nothing of it is pruned, the run exits 1 and the journal says why; once
//   it is back, the next run completes;
// - a full target (a tiny loop-mounted ext4, here and on an ssh host): the backup fails with
//   ENOSPC, leaves no final-named or partial file, the older copies are not pruned, and a re-run
//   after freeing space succeeds;
// - an unreachable address and a changed host key: one clear line, no stack trace;
// - velero, openstack-image and vzdump with their program absent (the job stops before running
//   anything, naming the program and the host) and present as a stub that records its argv.
// (kill -9 mid-backup, two runs at once and the hostile-name canary are in run-archive.test.ts.)
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statfsSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backplan, CLI, ensureBuilt } from '../helpers/cli';
import { requireTools } from '../helpers/integration';
import { sshHostsAvailable, startSshHosts, type SshHosts } from '../helpers/sshd';
import { readJournal, type JournalLine } from '../../engine/run/state/journal';

const ok = sshHostsAvailable() && requireTools('mkfs.ext4', 'losetup', 'mount', 'umount');

let ssh: SshHosts;
let work = '';
const mounts: string[] = [];

beforeAll(async () => {
  if (!ok) return;
  ensureBuilt();
  work = mkdtempSync(join(tmpdir(), 'bp-faults-'));
  ssh = await startSshHosts(3);
}, 60_000);

afterAll(async () => {
  for (const m of mounts.splice(0)) unmount(m);
  await ssh?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

const CHECKS = 'checks: { coverage-3-2-1: off, no-restore-test: off, offsite-unencrypted: off, unused: off }';
const STAMP = /\d{8}T\d{4}(\d{2})?Z/;

function archivesIn(dir: string): string[] {
  return existsSync(dir)
    ? readdirSync(dir)
        .filter((n) => n.endsWith('.tar.gz'))
        .sort()
    : [];
}

function leftovers(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).filter((n) => n.endsWith('.partial')) : [];
}

/** Turn every copy in `dir` into one made on 2020-01-01 (so a keep-last-1 prune removes it). */
function ageCopies(dir: string, stamp = '20200101T0000Z'): string[] {
  const out: string[] = [];
  for (const n of archivesIn(dir)) {
    const old = n.replace(STAMP, stamp);
    renameSync(join(dir, n), join(dir, old));
    renameSync(join(dir, `${n}.sha256`), join(dir, `${old}.sha256`));
    out.push(old);
  }
  return out;
}

interface Run {
  code: number | null;
  out: string;
  events: Record<string, unknown>[];
}

/** `backplan run --progress json`, asynchronously, calling `onEvent` on each event as it comes. */
function runAsync(
  plan: string,
  state: string,
  onEvent: (e: Record<string, unknown>) => void = () => undefined,
  extra: string[] = [],
): Promise<Run> {
  const c = spawn(
    process.execPath,
    [CLI, 'run', plan, '--state-dir', state, '--progress', 'json', ...ssh.sshArgs(), ...extra],
    { env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let buf = '';
  const events: Record<string, unknown>[] = [];
  c.stdout!.on('data', (d: Buffer) => {
    out += d;
    buf += d;
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      try {
        const e = JSON.parse(line) as Record<string, unknown>;
        events.push(e);
        onEvent(e);
      } catch {
        // not an event line
      }
    }
  });
  c.stderr!.on('data', (d) => (out += d));
  return new Promise((resolve) => c.once('close', (code) => resolve({ code, out, events })));
}

function journalOf(state: string): JournalLine[] {
  const runs = join(state, 'runs');
  const files = readdirSync(runs).sort((a, b) => statSync(join(runs, a)).mtimeMs - statSync(join(runs, b)).mtimeMs);
  return readJournal(join(runs, files[files.length - 1]));
}

function noStackTrace(text: string): void {
  expect(text).not.toMatch(/\n\s+at .+:\d+:\d+/);
  expect(text).not.toMatch(/(TypeError|ReferenceError|Error):.*\n\s+at /);
}

describe.skipIf(!ok)('a host down in the middle of a plan', () => {
  it('its jobs fail naming the host, the other hosts finish and prune, nothing of it is pruned, exit 1, journalled; ' +
    'back up, the next run completes', async () => {
    const dir = join(work, 'down');
    const data = join(dir, 'data');
    mkdirSync(data, { recursive: true });
    writeFileSync(join(data, 'small.txt'), 'keep me\n');
    // The first job on vault-a is slow enough for the test to stop vault-b while it runs.
    const big = join(dir, 'big');
    mkdirSync(big);
    writeFileSync(join(big, 'b.bin'), randomBytes(4 << 20));
    const names = ['a', 'b', 'c'];
    const store = (h: string) => join(dir, `store-${h}`);
    const plan = join(dir, 'plan.backplan.yaml');
    const lines = ['version: 1', 'hosts:'];
    // Three sources on this machine (hosts without an address) so the jobs run in parallel,
    // each writing to its own storage host.
    for (const h of names) lines.push(`  src-${h}: { site: home }`);
    names.forEach((h, i) => lines.push(`  ${ssh.hostLine(`vault-${h}`, i, 'site: away, role: storage')}`));
    lines.push('storage:');
    for (const h of names) lines.push(`  st-${h}: { host: vault-${h}, media: hdd, path: ${store(h)} }`);
    lines.push('jobs:');
    // a1 and c1 on vault-a and vault-c; b1 and b2 on vault-b wait for a1, so they start only
    // once vault-b is down.
    const jobs: [string, string, string][] = [
      ['a1', big, ''],
      ['b1', data, ', after: [a1]'],
      ['b2', data, ', after: [a1]'],
      ['c1', data, ''],
    ];
    for (const [j, paths, after] of jobs) {
      lines.push(
        `  ${j}: { kind: archive, host: src-${j[0]}, paths: [${paths}], to: st-${j[0]}, retention: { keep: { last: 1 ` +
          `} }${after} }`,
      );
    }
    const up = ['a1', 'c1'];
    lines.push(CHECKS, '');
    writeFileSync(plan, lines.join('\n'));
    const state = join(dir, 'state');
    const jobDir = (j: string) => join(store(j[0]), j);

    // First run, every host up: one copy per job; then make them old enough to be pruned.
    const first = await runAsync(plan, state);
    expect(first.code, first.out).toBe(0);
    const old = new Map<string, string[]>();
    for (const [j] of jobs) old.set(j, ageCopies(jobDir(j)));
    for (const [, v] of old) expect(v).toHaveLength(1);

    // Second run: vault-b goes down while a1 runs.
    let stopped: Promise<void> | undefined;
    const r = await runAsync(plan, state, (e) => {
      if (e.event === 'job-start' && e.job === 'a1' && !stopped) stopped = ssh.hosts[1].stop();
    });
    await stopped;
    expect(stopped, 'the test never saw a1 start').toBeDefined();
    expect(r.code, r.out).toBe(1);
    const summary = r.events.find((e) => e.event === 'summary') as {
      jobs: { job: string; status: string; message?: string }[];
    };
    const byJob = Object.fromEntries(summary.jobs.map((j) => [j.job, j]));
    for (const j of up) expect(byJob[j].status, `${j}: ${byJob[j].message}`).toBe('ok');
    for (const j of ['b1', 'b2']) {
      expect(byJob[j].status).toBe('failed');
      expect(byJob[j].message).toMatch(
        /cannot reach host vault-b\b.*(Connection refused|connect to host 127\.0\.0\.3)/,
      );
      expect(byJob[j].message).not.toContain('\n');
    }
    noStackTrace(r.out);
    // The hosts that were up pruned their old copy and hold exactly the new one.
    for (const j of up) {
      const now = archivesIn(jobDir(j));
      expect(now).toHaveLength(1);
      expect(now[0]).not.toBe(old.get(j)![0]);
    }
    // Nothing of vault-b was pruned or half-written: its old copies are all there, with their
    // manifests, byte for byte.
    for (const j of ['b1', 'b2']) {
      expect(archivesIn(jobDir(j))).toEqual(old.get(j));
      expect(existsSync(join(jobDir(j), `${old.get(j)![0]}.sha256`))).toBe(true);
      expect(leftovers(jobDir(j))).toEqual([]);
    }
    // The journal: each of vault-b's jobs ended failed with the host in the message, no step
    // of theirs started, no removal touched their directory, and the run ended failed.
    const journal = journalOf(state);
    for (const j of ['b1', 'b2']) {
      const end = journal.find((l) => l.type === 'job-end' && l.job === j) as Extract<JournalLine, { type: 'job-end' }>;
      expect(end.status).toBe('failed');
      expect(end.message).toContain('vault-b');
      expect(journal.filter((l) => l.type === 'step-start' && l.job === j)).toEqual([]);
    }
    const removedBy = new Set(journal.filter((l) => l.type === 'remove-start').map((l) => (l as { job: string }).job));
    expect([...removedBy].sort()).toEqual(up);
    expect(journal[journal.length - 1]).toMatchObject({ type: 'run-end', status: 'failed' });

    // vault-b comes back: the next run completes, and only now are its old copies pruned.
    // (The copies of this minute are aged first: a copy's name has minute precision.)
    for (const j of up) ageCopies(jobDir(j), '20210101T0000Z');
    await ssh.hosts[1].start();
    const again = await runAsync(plan, state);
    expect(again.code, again.out).toBe(0);
    for (const j of ['b1', 'b2']) {
      const now = archivesIn(jobDir(j));
      expect(now).toHaveLength(1);
      expect(now[0]).not.toBe(old.get(j)![0]);
    }
  }, 240_000);
});

describe.skipIf(!ok)('a host that hangs in the middle of a backup', () => {
  it('connections open but nothing answers: ssh keep-alives give up, the job fails in one line naming the host, the ' +
    'other host finishes, nothing looks whole; thawed, the next run completes', async () => {
    const dir = join(work, 'hung');
    const big = join(dir, 'big');
    const small = join(dir, 'small');
    mkdirSync(big, { recursive: true });
    mkdirSync(small, { recursive: true });
    writeFileSync(join(big, 'b.bin'), randomBytes(48 << 20));
    writeFileSync(join(small, 's.txt'), 'small\n');
    const store = (h: string) => join(dir, `store-${h}`);
    const plan = join(dir, 'plan.backplan.yaml');
    writeFileSync(
      plan,
      [
        'version: 1',
        'hosts:',
        '  src-a: { site: home }',
        '  src-c: { site: home }',
        `  ${ssh.hostLine('vault-a', 0, 'site: away, role: storage')}`,
        `  ${ssh.hostLine('vault-c', 2, 'site: away, role: storage')}`,
        'storage:',
        `  st-a: { host: vault-a, media: hdd, path: ${store('a')} }`,
        `  st-c: { host: vault-c, media: hdd, path: ${store('c')} }`,
        'jobs:',
        `  a1: { kind: archive, host: src-a, paths: [${big}], to: st-a, retention: { keep: { last: 1 } } }`,
        `  c1: { kind: archive, host: src-c, paths: [${small}], to: st-c, retention: { keep: { last: 1 } } }`,
        CHECKS,
        '',
      ].join('\n'),
    );
    const state = join(dir, 'state');
    // Keep-alives every second, given up after two unanswered: the user's -o options win over
    // Backplan's defaults (15 s × 4), which would make this test take a minute.
    const fast = ['--ssh-option', 'ServerAliveInterval=1', '--ssh-option', 'ServerAliveCountMax=2'];
    let frozen = false;
    const t0 = Date.now();
    let r: Run;
    try {
      r = await runAsync(
        plan,
        state,
        (e) => {
          // Freeze vault-a as a1's archive starts (its connection is open: the setup step ran
          // over it); 48 MB of random data take far longer to stream than this takes to arrive.
          if (e.event === 'step-start' && e.job === 'a1' && e.phase === 'backup' && !frozen) {
            frozen = true;
            ssh.hosts[0].freeze();
          }
        },
        fast,
      );
    } finally {
      ssh.hosts[0].thaw();
    }
    const took = Date.now() - t0;
    expect(frozen, 'the test never saw a1 start its backup').toBe(true);
    expect(r.code, r.out).toBe(1);
    // Given up within seconds, not the kernel's TCP timeout.
    expect(took).toBeLessThan(60_000);
    const summary = r.events.find((e) => e.event === 'summary') as {
      jobs: { job: string; status: string; message?: string }[];
    };
    const byJob = Object.fromEntries(summary.jobs.map((j) => [j.job, j]));
    expect(byJob.c1.status, byJob.c1.message).toBe('ok');
    expect(byJob.a1.status).toBe('failed');
    expect(byJob.a1.message).toContain('vault-a');
    expect(byJob.a1.message).not.toContain('\n');
    noStackTrace(r.out);
    // Nothing of a1 looks whole on vault-a.
    expect(archivesIn(join(store('a'), 'a1'))).toEqual([]);

    // Thawed: the next run completes and leaves one whole copy, the leftover of the hang gone.
    // (c1's copy of this minute is aged first: a copy's name has minute precision.)
    ageCopies(join(store('c'), 'c1'), '20210101T0000Z');
    const again = await runAsync(plan, state, undefined, fast);
    expect(again.code, again.out).toBe(0);
    expect(archivesIn(join(store('a'), 'a1'))).toHaveLength(1);
    expect(leftovers(join(store('a'), 'a1'))).toEqual([]);
  }, 180_000);
});

// ---------------------------------------------------------------------------------------------

/** A `mb` MB ext4 filesystem mounted from a file (cleaned up in afterAll). */
function tinyFs(name: string, mb: number): string {
  const img = join(work, `${name}.img`);
  const mnt = join(work, `${name}.mnt`);
  mkdirSync(mnt, { recursive: true });
  expect(spawnSync('truncate', ['-s', `${mb}M`, img]).status).toBe(0);
  const mk = spawnSync('mkfs.ext4', ['-q', '-F', '-m', '0', img], { encoding: 'utf8' });
  expect(mk.status, mk.stderr).toBe(0);
  const m = spawnSync('mount', ['-o', 'loop', img, mnt], { encoding: 'utf8' });
  expect(m.status, m.stderr).toBe(0);
  mounts.push(mnt);
  return mnt;
}

function unmount(mnt: string): void {
  const dev = spawnSync('findmnt', ['-n', '-o', 'SOURCE', '--target', mnt], { encoding: 'utf8' }).stdout.trim();
  spawnSync('umount', [mnt]);
  if (dev.startsWith('/dev/loop')) spawnSync('losetup', ['-d', dev]);
}

describe.skipIf(!ok)('a full target', () => {
  for (const where of ['local', 'ssh'] as const) {
    it(`${where === 'local' ? 'on this machine' : 'on an ssh storage host'}: ENOSPC fails the backup clearly, leaves ` +
      `no final-named or partial file, prunes nothing; after freeing space the re-run succeeds`, async () => {
      const dir = join(work, `full-${where}`);
      const data = join(dir, 'data');
      mkdirSync(data, { recursive: true });
      writeFileSync(join(data, 'small.txt'), 'small\n');
      const mnt = tinyFs(`full-${where}`, 8);
      const plan = join(dir, 'plan.backplan.yaml');
      const storeHost =
        where === 'local' ? '  here: { site: home }' : `  ${ssh.hostLine('vault', 0, 'site: away, role: storage')}`;
      writeFileSync(
        plan,
        [
          'version: 1',
          'hosts:',
          '  src: { site: home }',
          storeHost,
          'storage:',
          `  tiny: { host: ${where === 'local' ? 'here' : 'vault'}, media: hdd, path: ${mnt} }`,
          'jobs:',
          `  docs: { kind: archive, host: src, paths: [${data}], to: tiny, retention: { keep: { last: 1 } } }`,
          CHECKS,
          '',
        ].join('\n'),
      );
      const state = join(dir, 'state');
      const out = join(mnt, 'docs');
      // Two good copies, old enough that a successful run would prune the older (keep last 1).
      const r0 = backplan(['run', plan, '--state-dir', state, ...ssh.sshArgs()]);
      expect(r0.code, r0.stdout + r0.stderr).toBe(0);
      const [old] = ageCopies(out);
      const older = old.replace('20200101', '20190101');
      for (const ext of ['', '.sha256']) writeFileSync(join(out, older + ext), readFileSync(join(out, old + ext)));
      const kept = [older, old].sort();
      const oldBytes = readFileSync(join(out, old));

      // 3 MB of random data (gzip cannot shrink it); a filler leaves 1 MB free on the target.
      for (let i = 0; i < 3; i++) writeFileSync(join(data, `r${i}.bin`), randomBytes(1 << 20));
      const filler = join(mnt, 'filler');
      const free = () => {
        const st = statfsSync(mnt);
        return st.bavail * st.bsize;
      };
      writeFileSync(filler, Buffer.alloc(free() - (1 << 20)));
      expect(free()).toBeLessThan(2 << 20);
      const r = backplan(['run', plan, '--state-dir', state, '--format', 'json', ...ssh.sshArgs()]);
      expect(r.code, r.stdout + r.stderr).toBe(1);
      const job = JSON.parse(r.stdout).jobs[0] as {
        status: string;
        message: string;
        steps: { phase: string; status: string }[];
      };
      expect(job.status).toBe('failed');
      // Node says `ENOSPC: no space left on device`; dd on the remote host says `No space left on device`.
      expect(job.message).toMatch(
        where === 'local'
          ? /writing the output failed: ENOSPC: no space left on device/
          : /cannot write .*\.partial on vault: dd exited with status 1: .*No space left on device$/,
      );
      expect(job.message).not.toContain('\n');
      noStackTrace(r.stdout + r.stderr);
      // The prune step never ran; the old copy is intact; nothing new looks whole or is left over.
      expect(archivesIn(out)).toEqual(kept);
      expect(readdirSync(out).sort()).toEqual([older, `${older}.sha256`, old, `${old}.sha256`].sort());
      expect(readFileSync(join(out, old)).equals(oldBytes)).toBe(true);
      expect(job.steps.find((s) => s.phase === 'prune')?.status).toBe('skipped');
      const journal = journalOf(state);
      expect(journal.filter((l) => l.type === 'remove-start')).toEqual([]);
      expect(journal.find((l) => l.type === 'step-end' && l.status === 'failed')).toMatchObject({
        message: expect.stringMatching(/ENOSPC|No space left on device/),
      });

      // Space freed: the same run succeeds, and only now is the old copy pruned.
      rmSync(filler);
      const r2 = backplan(['run', plan, '--state-dir', state, ...ssh.sshArgs()]);
      expect(r2.code, r2.stdout + r2.stderr).toBe(0);
      const now = archivesIn(out);
      expect(now).toHaveLength(1);
      expect(kept).not.toContain(now[0]);
      expect(leftovers(out)).toEqual([]);
      const v = backplan(['verify', plan, '--job', 'docs', '--state-dir', state, ...ssh.sshArgs()]);
      expect(v.code, v.stdout + v.stderr).toBe(0);
    }, 150_000);
  }
});

// ---------------------------------------------------------------------------------------------

describe.skipIf(!ok)('hosts that cannot be used', () => {
  function remotePlan(name: string, hostLine: string): { plan: string; state: string; store: string } {
    const dir = join(work, name);
    mkdirSync(join(dir, 'data'), { recursive: true });
    writeFileSync(join(dir, 'data', 'f.txt'), 'x');
    const store = join(dir, 'store');
    const plan = join(dir, 'plan.backplan.yaml');
    writeFileSync(
      plan,
      [
        'version: 1',
        'hosts:',
        '  src: { site: home }',
        `  ${hostLine}`,
        'storage:',
        `  away: { host: vault, media: hdd, path: ${store} }`,
        'jobs:',
        `  docs: { kind: archive, host: src, paths: [${join(dir, 'data')}], to: away }`,
        CHECKS,
        '',
      ].join('\n'),
    );
    return { plan, state: join(dir, 'state'), store };
  }

  it('an address where nothing listens: one clear line naming the host, no stack trace, exit 1, nothing ' +
    'written', () => {
    // 127.0.0.9 is loopback; no sshd of this test listens there.
    const p = remotePlan('unreachable', ssh.hostLine('vault', 0).replace(/address: [0-9.]+/, 'address: 127.0.0.9'));
    const r = backplan(['run', p.plan, '--state-dir', p.state, ...ssh.sshArgs()]);
    expect(r.code).toBe(1);
    const lines = (r.stdout + r.stderr).split('\n').filter((l) => l.includes('vault'));
    expect(lines.length).toBeGreaterThan(0);
    expect(r.stdout).toMatch(
      new RegExp(
        '^\\s+cannot reach host vault: ssh exited with status 255: ' +
          'ssh: connect to host 127\\.0\\.0\\.9 port \\d+: Connection refused$',
        'm',
      ),
    );
    noStackTrace(r.stdout + r.stderr);
    expect(existsSync(p.store)).toBe(false);
  });

  it('a host whose key changed: refused with one clear line (ssh says the identification changed), nothing ' +
    'written', () => {
    const p = remotePlan('hostkey', ssh.hostLine('vault', 0));
    // A known_hosts that holds another key for this host, as after a reinstall or an attack.
    const dir = join(work, 'hostkey');
    expect(spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'other')]).status).toBe(0);
    const other = readFileSync(join(dir, 'other.pub'), 'utf8').trim().split(' ').slice(0, 2).join(' ');
    const known = join(dir, 'known_hosts');
    writeFileSync(known, `[${ssh.hosts[0].address}]:${ssh.port} ${other}\n`);
    const r = backplan([
      'run',
      p.plan,
      '--state-dir',
      p.state,
      '--ssh-option',
      `UserKnownHostsFile=${known}`,
      '--ssh-option',
      'StrictHostKeyChecking=accept-new',
    ]);
    expect(r.code).toBe(1);
    const msg = r.stdout.split('\n').find((l) => l.includes('cannot reach host vault'));
    expect(msg, r.stdout + r.stderr).toBeDefined();
    expect(msg).toMatch(/cannot reach host vault safely: its host key does not match known_hosts/);
    expect(msg).toMatch(/Host key verification failed/);
    // ssh's own remedy (ssh-keygen -R) is part of the line.
    expect(msg).toMatch(/ssh-keygen -f .* -R /);
    noStackTrace(r.stdout + r.stderr);
    expect(existsSync(p.store)).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------
// velero, openstack-image, vzdump: no Kubernetes, OpenStack or Proxmox can run on this machine,
// so `run` is checked at its two edges: with the program absent it stops before running
// anything, with one clear line per job; with a stub program (it records its argv and nothing
// else) the exact argv of the plan reaches it, locally through PATH and on an ssh host through
// `hosts.X.tools`.

describe.skipIf(!ok)('kinds whose tool cannot run here (velero, openstack-image, vzdump)', () => {
  function toolPlan(name: string): { dir: string; plan: string; state: string; stubs: string } {
    const dir = join(work, name);
    const stubs = join(dir, 'stubs');
    mkdirSync(stubs, { recursive: true });
    const plan = join(dir, 'plan.backplan.yaml');
    writeFileSync(
      plan,
      [
        'version: 1',
        'hosts:',
        '  here: { site: home }',
        `  ${ssh.hostLine('pve', 0, `site: away, role: primary, tools: { vzdump: ${join(stubs, 'vzdump')} }`)}`,
        'storage:',
        '  pbs: { host: pve, media: hdd }',
        'jobs:',
        '  k8s: { kind: velero, host: here, namespaces: [app, db], cluster: prod-ctx, retention: { expiry: 30d } }',
        '  osc: { kind: openstack-image, host: here, flavor: compute, server: vm1, volume: data1, cloud: prod, force: true }',
        '  vz: { kind: vzdump, host: pve, vmid: [100, 101], to: pbs, retention: { keep: { last: 2, daily: 7 } } }',
        CHECKS,
        '',
      ].join('\n'),
    );
    return { dir, plan, state: join(dir, 'state'), stubs };
  }

  // A PATH with the system's programs and none of the three tools.
  const basePath = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

  it('absent: each job fails before running anything, naming the program and where it is missing; exit 1', () => {
    for (const t of ['velero', 'openstack', 'vzdump'])
      expect(spawnSync('sh', ['-c', 'command -v "$1"', 'sh', t], { env: { PATH: basePath } }).status).not.toBe(0);
    const p = toolPlan('tools-absent');
    const r = backplan(['run', p.plan, '--state-dir', p.state, '--format', 'json', ...ssh.sshArgs()], {
      env: { PATH: basePath },
    });
    expect(r.code, r.stdout + r.stderr).toBe(1);
    const jobs = Object.fromEntries(
      (JSON.parse(r.stdout).jobs as { job: string; status: string; message: string; steps: unknown[] }[]).map((j) => [
        j.job,
        j,
      ]),
    );
    expect(jobs.k8s).toMatchObject({ status: 'failed', steps: [] });
    expect(jobs.k8s.message).toMatch(
      /^velero is not installed on this machine: `command -v velero` finds nothing on its PATH .*; nothing was run$/,
    );
    expect(jobs.osc).toMatchObject({ status: 'failed', steps: [] });
    expect(jobs.osc.message).toMatch(/^openstack is not installed on this machine: /);
    expect(jobs.vz).toMatchObject({ status: 'failed', steps: [] });
    expect(jobs.vz.message).toContain(`${join(p.stubs, 'vzdump')} is not installed on host pve: `);
    noStackTrace(r.stdout + r.stderr);
    const journal = journalOf(p.state);
    expect(journal.filter((l) => l.type === 'step-start')).toEqual([]);
    expect(
      journal
        .filter((l) => l.type === 'job-end')
        .map((l) => [(l as { job: string }).job, (l as { status: string }).status])
        .sort(),
    ).toEqual([
      ['k8s', 'failed'],
      ['osc', 'failed'],
      ['vz', 'failed'],
    ]);
    // The text report: one line per failed job with its reason, no stack trace.
    const text = backplan(['run', p.plan, '--state-dir', p.state, ...ssh.sshArgs()], { env: { PATH: basePath } });
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/^failed  k8s\n\s+velero is not installed on this machine: .*nothing was run$/m);
  }, 60_000);

  it('present (a stub that records its argv): the exact documented argv reaches the program, locally and on the ssh ' +
    'host', () => {
    const p = toolPlan('tools-present');
    // Each call appends its arguments, NUL-separated, as one line of `<program>.calls`.
    const stub = '#!/bin/sh\n{ for a in "$@"; do printf "%s\\0" "$a"; done; printf "\\n"; } >> "$0.calls"\n';
    for (const t of ['velero', 'openstack', 'vzdump']) writeFileSync(join(p.stubs, t), stub, { mode: 0o755 });
    const r = backplan(['run', p.plan, '--state-dir', p.state, '--format', 'json', ...ssh.sshArgs()], {
      env: { PATH: `${p.stubs}:${basePath}` },
    });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const calls = (t: string) =>
      readFileSync(join(p.stubs, `${t}.calls`), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split('\0').slice(0, -1));
    const [velero] = calls('velero');
    expect(calls('velero')).toHaveLength(1);
    // velero backup create NAME --include-namespaces ... --ttl ... --kubecontext ... --wait
    expect(velero[2]).toMatch(/^k8s-\d{8}-\d{4}$/);
    expect(velero).toEqual([
      'backup',
      'create',
      velero[2],
      '--include-namespaces=app,db',
      '--ttl=720h0m0s',
      '--kubecontext=prod-ctx',
      '--wait',
    ]);
    // openstack server image create --name NAME --wait SERVER; then the attached data volume (force: true):
    // openstack image create --volume VOL --disk-format qcow2 --force NAME
    const os = calls('openstack');
    expect(os).toHaveLength(2);
    const image = os[0][5];
    expect(image).toMatch(/^osc-\d{8}T\d{6}Z$/);
    expect(os).toEqual([
      ['--os-cloud=prod', 'server', 'image', 'create', '--name', image, '--wait', 'vm1'],
      ['--os-cloud=prod', 'image', 'create', '--volume', 'data1', '--disk-format', 'qcow2', '--force', `${image}-v1`],
    ]);
    // vzdump VMID... --storage ID --mode snapshot --prune-backups keep-...=N,... (on host pve, over ssh)
    expect(calls('vzdump')).toEqual([
      ['100', '101', '--storage', 'pbs', '--mode', 'snapshot', '--prune-backups', 'keep-last=2,keep-daily=7'],
    ]);
    const jobs = JSON.parse(r.stdout).jobs as { job: string; status: string }[];
    expect(jobs.map((j) => [j.job, j.status]).sort()).toEqual([
      ['k8s', 'ok'],
      ['osc', 'ok'],
      ['vz', 'ok'],
    ]);
  }, 60_000);
});
