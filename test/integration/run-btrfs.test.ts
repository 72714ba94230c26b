// btrfs-snapshot and btrfs-send for real (TESTING.md "btrfs"): two loop-device filesystems, one
// per sshd host (snapshots on 127.0.0.2, sent over ssh to 127.0.0.3). Each run happens at a
// faked time (`faketime`), so names differ and the policy sees time pass. Proves: the first send
// is full and the next ones incremental (-p); the replication base survives a policy that would
// prune it, on both sides, and a prune that cannot see the other side is refused; `prune
// --dry-run` lists the real snapshots; a snapshot made by a run whose clock went back is not
// pruned by that run; a run killed mid-send leaves a half-received subvolume
// that is never counted as a copy and is removed (journalled) by the next run, which completes;
// directory names full of shell syntax never run anything. Then "simulate vs reality": 60 days
// of schedule fires against real btrfs end with exactly the snapshots `backplan simulate` predicts.
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, ensureBuilt } from '../helpers/cli';
import { cliAt, faketimeEnv } from '../helpers/faketime';
import { requireTools } from '../helpers/integration';
import { sshHostsAvailable, startSshHosts, type SshHosts } from '../helpers/sshd';
import { btrfsAt, sh, unmountAll } from '../helpers/btrfs';
import { minuteName } from '../helpers/simulate-vs-reality';

const ok = sshHostsAvailable() && requireTools('btrfs', 'mkfs.btrfs', 'losetup', 'mount', 'faketime');

let work = '';
let ssh: SshHosts | undefined;
beforeAll(async () => {
  if (!ok) return;
  ensureBuilt();
  work = mkdtempSync(join(tmpdir(), 'bp-btrfs-'));
  ssh = await startSshHosts(2);
}, 60_000);

afterAll(async () => {
  unmountAll();
  await ssh?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

const T0 = Date.parse('2027-01-01T00:00:00Z');
const HOUR = 3_600_000;
function journalText(state: string): string {
  const runs = join(state, 'runs');
  return readdirSync(runs)
    .sort()
    .map((f) => readFileSync(join(runs, f), 'utf8'))
    .join('');
}

/** Read-only subvolumes directly in `dir` (name to the minute → received uuid or '-'). */
function subvolumes(dir: string): Map<string, { ro: boolean; received: string }> {
  const out = new Map<string, { ro: boolean; received: string }>();
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    const r = spawnSync('btrfs', ['subvolume', 'show', join(dir, name)], { encoding: 'utf8' });
    if (r.status !== 0) continue;
    out.set(minuteName(name), { ro: /Flags:\s+readonly/.test(r.stdout), received: /Received UUID:\s+(\S+)/.exec(r.stdout)?.[1] ?? '-' });
  }
  return out;
}

const names = (dir: string) => [...subvolumes(dir).keys()].sort();
/** The entry of `dir` whose name is `minute` to the minute (its real name has the run's seconds). */
const real = (dir: string, minute: string) => readdirSync(dir).find((n) => minuteName(n) === minute) ?? minute;

describe.skipIf(!ok)('btrfs-snapshot → btrfs-send across two hosts', () => {
  let srcMnt = '';
  let dstMnt = '';
  let snapDir = '';
  let replicaDir = '';
  let plan = '';
  let state = '';

  const writePlan = (srcKeep: string, dstKeep: string) =>
    writeFileSync(
      plan,
      [
        'version: 1',
        'timezone: UTC',
        'hosts:',
        `  ${ssh!.hostLine('alpha', 0)}`,
        `  ${ssh!.hostLine('beta', 1)}`,
        'storage:',
        `  vault: { host: beta, media: hdd, path: ${JSON.stringify(`${dstMnt}/vault $(touch CANARY)`)} }`,
        'jobs:',
        '  snaps:',
        '    kind: btrfs-snapshot',
        '    host: alpha',
        `    subvolume: ${JSON.stringify(`${srcMnt}/vol`)}`,
        `    snapshot_dir: ${JSON.stringify(snapDir)}`,
        '    schedule: "0 */6 * * *"',
        `    retention: ${srcKeep}`,
        '  replica:',
        '    kind: btrfs-send',
        '    from: snaps',
        '    to: vault',
        '    schedule: "0 */6 * * *"',
        `    retention: ${dstKeep}`,
        'checks: { coverage-3-2-1: off, no-restore-test: off, offsite-unencrypted: off }',
        '',
      ].join('\n'),
    );

  beforeAll(() => {
    if (!ok) return;
    srcMnt = join(work, 'alpha');
    dstMnt = join(work, 'beta');
    btrfsAt(srcMnt, '400M');
    btrfsAt(dstMnt, '400M');
    sh(['btrfs', 'subvolume', 'create', `${srcMnt}/vol`]);
    snapDir = `${srcMnt}/snaps; touch CANARY \`touch CANARY\` 'q'`;
    mkdirSync(snapDir);
    mkdirSync(`${dstMnt}/vault $(touch CANARY)`);
    replicaDir = `${dstMnt}/vault $(touch CANARY)/replica`;
    plan = join(work, 'btrfs.backplan.yaml');
    state = join(work, 'state');
    writePlan('{ keep: { last: 1 } }', '{ keep: { last: 1 } }');
  });

  const run = (ms: number, ...extra: string[]) => cliAt(ms, ['run', plan, '--state-dir', state, ...ssh!.sshArgs(), ...extra]);

  it('sends in full, then incrementally over ssh; keeps the base on both sides; refuses a prune that cannot see the other side', async () => {
    writeFileSync(`${srcMnt}/vol/a.txt`, 'first');
    const r1 = await run(T0);
    expect(r1.code, r1.stdout + r1.stderr).toBe(0);
    expect(names(snapDir)).toEqual(['backplan-20270101T0000Z']);
    const got = subvolumes(replicaDir);
    expect([...got.keys()]).toEqual(['backplan-20270101T0000Z']);
    expect(got.get('backplan-20270101T0000Z')).toMatchObject({ ro: true });
    expect(got.get('backplan-20270101T0000Z')!.received).not.toBe('-');
    expect(journalText(state)).not.toMatch(/btrfs send -p/);

    writeFileSync(`${srcMnt}/vol/a.txt`, 'second');
    const r2 = await run(T0 + 6 * HOUR);
    expect(r2.code, r2.stdout + r2.stderr).toBe(0);
    // Incremental: the parent is the snapshot both sides hold.
    expect(journalText(state)).toMatch(/btrfs send -p [^|]*backplan-20270101T0000\d\dZ[^|]* [^|]*backplan-20270101T0600\d\dZ/);
    expect(readFileSync(`${replicaDir}/${real(replicaDir, 'backplan-20270101T0600Z')}/a.txt`, 'utf8')).toBe('second');
    // keep last 1 on both sides. The source pruned before this send, when the replica held 0000
    // only: 0000 was the base and stays; the replica's base is its newest, 0600.
    expect(names(snapDir)).toEqual(['backplan-20270101T0000Z', 'backplan-20270101T0600Z']);
    expect(names(replicaDir)).toEqual(['backplan-20270101T0600Z']);

    // The source runs alone twice: its policy (last 1) would drop 0600, the base with the replica.
    expect((await cliAt(T0 + 12 * HOUR, ['run', plan, '--job', 'snaps', '--state-dir', state, ...ssh!.sshArgs()])).code).toBe(0);
    const r3 = await cliAt(T0 + 18 * HOUR, ['run', plan, '--job', 'snaps', '--state-dir', state, ...ssh!.sshArgs(), '--format', 'json']);
    expect(r3.code, r3.stdout + r3.stderr).toBe(0);
    expect(names(snapDir)).toEqual(['backplan-20270101T0600Z', 'backplan-20270101T1800Z']);
    expect(r3.stdout).toContain('replication base shared with replica');

    // Dry run of the policy as it stands now: the real snapshots, nothing changed.
    const dry = await cliAt(T0 + 19 * HOUR, ['prune', plan, '--job', 'snaps', '--dry-run', ...ssh!.sshArgs()]);
    expect(dry.code, dry.stdout + dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/keep\s+backplan-20270101T1800\d\dZ .*last snapshot/);
    expect(dry.stdout).toMatch(/keep\s+backplan-20270101T0600\d\dZ .*replication base shared with replica/);
    expect(dry.stdout).toContain('dry run: 0 of 2 copies would be removed');

    // The whole plan again: the source keeps its newest and the base (0600, still the newest
    // snapshot on the replica when the source prunes); the send goes from 0600.
    const r4 = await run(T0 + 24 * HOUR);
    expect(r4.code, r4.stdout + r4.stderr).toBe(0);
    expect(journalText(state)).toMatch(/btrfs send -p [^|]*backplan-20270101T0600\d\dZ[^|]* [^|]*backplan-20270102T0000\d\dZ/);
    expect(names(replicaDir)).toEqual(['backplan-20270102T0000Z']);
    expect(names(snapDir)).toEqual(['backplan-20270101T0600Z', 'backplan-20270102T0000Z']);

    // The other side cannot be listed (its host is down): the prune is refused, nothing removed.
    writePlan('{ keep: { last: 1 } }', '{ keep: { last: 1 } }');
    await ssh!.hosts[0].stop();
    try {
      const refused = await cliAt(T0 + 25 * HOUR, ['prune', plan, '--job', 'replica', '--state-dir', state, ...ssh!.sshArgs()]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/cannot list the snapshots of snaps .*prune refused, nothing was removed/);
      expect(refused.stderr).not.toMatch(/\n\s+at /);
    } finally {
      await ssh!.hosts[0].start();
    }
    expect(names(replicaDir)).toEqual(['backplan-20270102T0000Z']);

    // Restore test: the newest common snapshot is the same on both sides, file by file.
    const verify = () => cliAt(T0 + 26 * HOUR, ['verify', plan, '--job', 'replica', '--state-dir', state, ...ssh!.sshArgs()]);
    const v = await verify();
    expect(v.code, v.stdout + v.stderr).toBe(0);
    expect(v.stdout).toMatch(/snapshot backplan-20270102T0000\d\dZ: all 1 files of the replica are identical to the source/);
    // A snapshot changed behind Backplan's back (made writable, edited, read-only again) fails it.
    const changed = `${snapDir}/${real(snapDir, 'backplan-20270102T0000Z')}`;
    sh(['btrfs', 'property', 'set', '-ts', changed, 'ro', 'false']);
    writeFileSync(`${changed}/a.txt`, 'changed later');
    sh(['btrfs', 'property', 'set', '-ts', changed, 'ro', 'true']);
    const bad = await verify();
    expect(bad.code, bad.stdout + bad.stderr).toBe(1);
    expect(bad.stdout).toContain('./a.txt: differs from the source\'s snapshot');
    expect(spawnSync('find', [work, '-name', 'CANARY'], { encoding: 'utf8' }).stdout).toBe('');
  }, 180_000);

  it('keeps the base on the replica side when the policy alone would remove it', async () => {
    writePlan('{ keep: { last: 5 } }', '{ keep: { last: 5 } }');
    writeFileSync(`${srcMnt}/vol/a.txt`, 'third');
    expect((await run(T0 + 30 * HOUR)).code).toBe(0);
    // The replica holds 0600 and 0700; then 0700 is removed on the source by hand: the base is 0600.
    sh(['btrfs', 'subvolume', 'snapshot', '-r', `${srcMnt}/vol`, `${snapDir}/backplan-20270102T0700Z`]);
    expect((await cliAt(T0 + 31 * HOUR, ['run', plan, '--job', 'replica', '--state-dir', state, ...ssh!.sshArgs()])).code).toBe(0);
    sh(['btrfs', 'subvolume', 'delete', `${snapDir}/backplan-20270102T0700Z`]);
    expect(names(replicaDir)).toEqual(['backplan-20270102T0000Z', 'backplan-20270102T0600Z', 'backplan-20270102T0700Z']);
    // keep last 1 on the replica would keep 0700 only.
    writePlan('{ keep: { last: 5 } }', '{ keep: { last: 1 } }');
    const p = await cliAt(T0 + 32 * HOUR, ['prune', plan, '--job', 'replica', '--state-dir', state, ...ssh!.sshArgs()]);
    expect(p.code, p.stdout + p.stderr).toBe(0);
    expect(p.stdout).toMatch(/keep\s+backplan-20270102T0600\d\dZ .*replication base shared with snaps/);
    expect(names(replicaDir)).toEqual(['backplan-20270102T0600Z', 'backplan-20270102T0700Z']);

    // The clock went back: this run's snapshot has the oldest name, and keep last 1 would drop
    // it at once. What a run made is never removed by that run.
    writePlan('{ keep: { last: 1 } }', '{ keep: { last: 1 } }');
    const back = await cliAt(T0 + 20 * HOUR, ['run', plan, '--job', 'snaps', '--state-dir', state, ...ssh!.sshArgs(), '--format', 'json']);
    expect(back.code, back.stdout + back.stderr).toBe(0);
    expect(back.stdout).toContain('made by this run');
    expect(names(snapDir)).toEqual(['backplan-20270101T2000Z', 'backplan-20270102T0600Z']);
  }, 90_000);

  it('a run killed mid-send leaves no copy that looks whole; the next run removes the leftover (journalled) and completes', async () => {
    writePlan('{ keep: { last: 5 } }', '{ keep: { last: 5 } }');
    // Enough data that the send takes a while.
    const big = randomBytes(64 * 1024 * 1024);
    writeFileSync(`${srcMnt}/vol/big.bin`, big);
    spawnSync('sync');
    const digest = createHash('sha256').update(big).digest('hex');
    const child = spawn(process.execPath, [CLI, 'run', plan, '--state-dir', state, ...ssh!.sshArgs()], {
      env: { ...process.env, ...faketimeEnv(T0 + 36 * HOUR) },
      stdio: 'ignore',
    });
    const started = () => existsSync(replicaDir) && readdirSync(replicaDir).some((n) => minuteName(n) === 'backplan-20270102T1200Z');
    const t0 = Date.now();
    while (!started() && Date.now() - t0 < 60_000) await new Promise((r) => setTimeout(r, 5));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('close', r));
    await new Promise((r) => setTimeout(r, 1500)); // the receive sees its input end
    const half = subvolumes(replicaDir).get('backplan-20270102T1200Z');
    expect(half, 'the receive had started').toBeDefined();
    expect(half!.ro).toBe(false);
    // Never counted as a copy.
    const dry = await cliAt(T0 + 36 * HOUR + 60_000, ['prune', plan, '--job', 'replica', '--dry-run', ...ssh!.sshArgs()]);
    expect(dry.stdout).not.toMatch(/backplan-20270102T1200\d\dZ/);

    const again = await run(T0 + 36 * HOUR + 2 * 60_000, '--break-stale-lock');
    expect(again.code, again.stdout + again.stderr).toBe(0);
    const done = subvolumes(replicaDir).get('backplan-20270102T1200Z');
    // The send of the re-run is the snapshot of this run (1202); the half 1200 was removed first.
    expect(done).toBeUndefined();
    const full = subvolumes(replicaDir).get('backplan-20270102T1202Z');
    expect(full).toMatchObject({ ro: true });
    expect(full!.received).not.toBe('-');
    expect(createHash('sha256').update(readFileSync(`${replicaDir}/${real(replicaDir, 'backplan-20270102T1202Z')}/big.bin`)).digest('hex')).toBe(digest);
    expect(journalText(state)).toMatch(/left by an interrupted receive/);
  }, 120_000);
});
