// zfs-snapshot and zfs-send for real through zfs-fuse (TESTING.md "ZFS"): a pool per "host",
// snapshots on 127.0.0.2 sent over ssh to 127.0.0.3 (zfs-fuse has no `receive -s`: the plan
// says `resumable: false`). Each run happens at a faked time (`faketime`). Proves: the first
// send is full and the next incremental (-i) with the data received; the source keeps the
// replication base when its policy alone would prune it; `prune --dry-run` lists the real
// snapshots; a run killed in the middle of an incremental send leaves nothing that looks whole
// and the re-run completes. Then simulate vs reality: 60 days of fires on a real dataset end
// with exactly the snapshots `backplan simulate` predicts.
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, ensureBuilt } from '../helpers/cli';
import { cliAt, faketimeEnv } from '../helpers/faketime';
import { requireTools } from '../helpers/integration';
import { dailyFires, defaultNameTime, iso, minuteName, simulatedHeld } from '../helpers/simulate-vs-reality';
import { sshHostsAvailable, startSshHosts, type SshHosts } from '../helpers/sshd';
import { startZfsFuse, type ZfsFuse } from '../helpers/zfs-fuse';

const ok = sshHostsAvailable() && requireTools('zfs', 'zpool', 'zfs-fuse', 'faketime');

let work = '';
let ssh: SshHosts | undefined;
let zfs: ZfsFuse | undefined;
const tag = randomBytes(3).toString('hex');
const SRC = `bpsrc${tag}`;
const DST = `bpdst${tag}`;
const SIM = `bpsim${tag}`;

function sh(argv: string[]): string {
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${argv.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** Snapshot names of exactly `dataset`, to the minute (runs start at a fire on a running clock). */
function snapshots(dataset: string): string[] {
  const r = spawnSync('zfs', ['list', '-H', '-o', 'name', '-t', 'snapshot', '-r', dataset], { encoding: 'utf8' });
  if (r.status !== 0) return [];
  return r.stdout
    .split('\n')
    .filter((l) => l.startsWith(`${dataset}@`))
    .map((l) => minuteName(l.slice(dataset.length + 1)))
    .sort();
}

function journalText(state: string): string {
  const runs = join(state, 'runs');
  return readdirSync(runs)
    .sort()
    .map((f) => readFileSync(join(runs, f), 'utf8'))
    .join('');
}

beforeAll(async () => {
  if (!ok) return;
  ensureBuilt();
  work = mkdtempSync(join(tmpdir(), 'bp-zfs-'));
  zfs = await startZfsFuse(work);
  zfs.pool(SRC, work, join(work, 'src'));
  zfs.pool(DST, work, join(work, 'dst'));
  zfs.pool(SIM, work, join(work, 'sim'));
  sh(['zfs', 'create', `${SRC}/data`]);
  sh(['zfs', 'create', `${SIM}/data`]);
  ssh = await startSshHosts(2);
}, 90_000);

afterAll(async () => {
  await ssh?.close();
  await zfs?.close();
  if (work) rmSync(work, { recursive: true, force: true });
}, 60_000);

const T0 = Date.parse('2027-01-01T00:00:00Z');
const HOUR = 3_600_000;

describe.skipIf(!ok)('zfs-snapshot → zfs-send across two hosts (zfs-fuse)', () => {
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
        '  tank: { host: beta, media: hdd }',
        'jobs:',
        '  snaps:',
        '    kind: zfs-snapshot',
        '    host: alpha',
        `    dataset: ${SRC}/data`,
        '    schedule: "0 */6 * * *"',
        `    retention: ${srcKeep}`,
        '  replica:',
        '    kind: zfs-send',
        '    from: snaps',
        '    to: tank',
        `    dataset: ${DST}/replica`,
        '    resumable: false',
        '    schedule: "0 */6 * * *"',
        `    retention: ${dstKeep}`,
        'checks: { coverage-3-2-1: off, no-restore-test: off, offsite-unencrypted: off }',
        '',
      ].join('\n'),
    );
  beforeAll(() => {
    if (!ok) return;
    plan = join(work, 'zfs.backplan.yaml');
    state = join(work, 'state');
    writePlan('{ keep: { last: 1 } }', '{ keep: { last: 1 } }');
  });
  const run = (ms: number, ...extra: string[]) => cliAt(ms, ['run', plan, '--state-dir', state, ...ssh!.sshArgs(), ...extra]);

  it('sends in full, then incrementally over ssh; the source keeps the base its policy would prune; prune --dry-run lists the real snapshots', async () => {
    writeFileSync(join(work, 'src', 'data', 'a.txt'), 'first');
    const r1 = await run(T0);
    expect(r1.code, r1.stdout + r1.stderr).toBe(0);
    expect(snapshots(`${SRC}/data`)).toEqual(['backplan-20270101T0000Z']);
    expect(snapshots(`${DST}/replica`)).toEqual(['backplan-20270101T0000Z']);
    expect(journalText(state)).not.toMatch(/zfs send -i/);

    writeFileSync(join(work, 'src', 'data', 'a.txt'), 'second');
    const r2 = await run(T0 + 6 * HOUR);
    expect(r2.code, r2.stdout + r2.stderr).toBe(0);
    expect(journalText(state)).toMatch(new RegExp(`zfs send -i ${SRC}/data@backplan-20270101T0000\\d\\dZ ${SRC}/data@backplan-20270101T0600\\d\\dZ`));
    expect(readFileSync(join(work, 'dst', 'replica', 'a.txt'), 'utf8')).toBe('second');
    // The source pruned before this send (the base was then 0000); the replica keeps its newest.
    expect(snapshots(`${SRC}/data`)).toEqual(['backplan-20270101T0000Z', 'backplan-20270101T0600Z']);
    expect(snapshots(`${DST}/replica`)).toEqual(['backplan-20270101T0600Z']);

    // The source alone: keep last 1 would drop 0600, the base with the replica.
    expect((await cliAt(T0 + 12 * HOUR, ['run', plan, '--job', 'snaps', '--state-dir', state, ...ssh!.sshArgs()])).code).toBe(0);
    expect(snapshots(`${SRC}/data`)).toEqual(['backplan-20270101T0600Z', 'backplan-20270101T1200Z']);
    const dry = await cliAt(T0 + 13 * HOUR, ['prune', plan, '--job', 'snaps', '--dry-run', ...ssh!.sshArgs()]);
    expect(dry.code, dry.stdout + dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/keep\s+backplan-20270101T0600\d\dZ .*replication base shared with replica/);
    expect(dry.stdout).toContain('dry run: 0 of 2 copies would be removed');
    // With the policy loosened, the dry run still lists what exists, and changes nothing.
    writePlan('{ keep: { last: 5 } }', '{ keep: { last: 1 } }');
    const dry2 = await cliAt(T0 + 13 * HOUR, ['prune', plan, '--job', 'replica', '--dry-run', ...ssh!.sshArgs()]);
    expect(dry2.code, dry2.stdout + dry2.stderr).toBe(0);
    expect(dry2.stdout).toMatch(/keep\s+backplan-20270101T0600\d\dZ/);
    expect(snapshots(`${DST}/replica`)).toEqual(['backplan-20270101T0600Z']);

    // Restore test: the common snapshot cloned on each side, every file's sha256 compared, the
    // scratch clones destroyed again.
    const v = await cliAt(T0 + 14 * HOUR, ['verify', plan, '--job', 'replica', '--state-dir', state, ...ssh!.sshArgs()]);
    expect(v.code, v.stdout + v.stderr).toBe(0);
    expect(v.stdout).toMatch(/snapshot backplan-20270101T0600\d\dZ: all 1 files of the replica are identical to the source/);
    expect(sh(['zfs', 'list', '-H', '-o', 'name']).split('\n').filter((n) => n.includes('bpv-verify'))).toEqual([]);
  }, 180_000);

  it('a run killed in the middle of an incremental send leaves nothing that looks whole; the re-run completes', async () => {
    const big = randomBytes(48 * 1024 * 1024);
    writeFileSync(join(work, 'src', 'data', 'big.bin'), big);
    const digest = createHash('sha256').update(big).digest('hex');
    const child = spawn(process.execPath, [CLI, 'run', plan, '--state-dir', state, ...ssh!.sshArgs()], {
      env: { ...process.env, ...faketimeEnv(T0 + 18 * HOUR) },
      stdio: 'ignore',
    });
    // Kill as soon as the send has started (its step is journalled before it runs).
    const t0 = Date.now();
    const newest = () => {
      const f = readdirSync(join(state, 'runs')).sort().pop();
      return f ? readFileSync(join(state, 'runs', f), 'utf8') : '';
    };
    const started = () => /"type":"step-start","job":"replica","step":"[^"]+","phase":"copy"/.test(newest());
    while (!started() && Date.now() - t0 < 60_000) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 300));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('close', r));
    await new Promise((r) => setTimeout(r, 1500));
    // The interrupted receive left no snapshot: the replica's newest is still 0600.
    expect(snapshots(`${DST}/replica`)).toEqual(['backplan-20270101T0600Z']);
    expect(existsSync(join(work, 'dst', 'replica', 'big.bin'))).toBe(false);

    const again = await run(T0 + 18 * HOUR + 2 * 60_000, '--break-stale-lock');
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(snapshots(`${DST}/replica`)).toEqual(['backplan-20270101T1802Z']);
    expect(journalText(state)).toMatch(new RegExp(`zfs send -i ${SRC}/data@backplan-20270101T0600\\d\\dZ ${SRC}/data@backplan-20270101T1802\\d\\dZ`));
    // zfs-fuse's kernel cache can keep stale entries of a dataset that `receive -F` rolled back
    // (a name listed that stat cannot find): remount it before reading what was received.
    spawnSync('zfs', ['unmount', `${DST}/replica`]);
    sh(['zfs', 'mount', `${DST}/replica`]);
    expect(createHash('sha256').update(readFileSync(join(work, 'dst', 'replica', 'big.bin'))).digest('hex')).toBe(digest);
  }, 150_000);
});

describe.skipIf(!ok)('simulate vs reality: zfs', () => {
  it('60 days of fires leave exactly the snapshots the simulator predicts', async () => {
    const plan = join(work, 'sim.backplan.yaml');
    writeFileSync(
      plan,
      [
        'version: 1',
        'timezone: America/New_York',
        'policies:',
        '  tiered:',
        '    tiers:',
        '      - { keep: all, until: 5d }',
        '      - { every: 1w, until: 1mo }',
        '      - { every: 1mo }',
        '    min: 2',
        'jobs:',
        '  snaps:',
        '    kind: zfs-snapshot',
        `    dataset: ${SIM}/data`,
        '    schedule: "0 6 * * *"',
        '    retention: tiered',
        'checks: { coverage-3-2-1: off, no-restore-test: off, offsite-unencrypted: off }',
        '',
      ].join('\n'),
    );
    const fires = dailyFires([6], 'America/New_York', '2027-02-01', 62);
    const state = join(work, 'sim-state');
    const t0 = performance.now();
    for (const t of fires) {
      const r = await cliAt(t, ['run', plan, '--state-dir', state]);
      expect(r.code, `${iso(t)}: ${r.stdout}${r.stderr}`).toBe(0);
    }
    console.log(`simulate-vs-reality zfs: ${fires.length} runs in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const real = snapshots(`${SIM}/data`).map(defaultNameTime).sort((a, b) => a - b);
    const predicted = await simulatedHeld(plan, 'snaps', fires[0], fires[fires.length - 1]);
    expect(real.map(iso)).toEqual(predicted.map(iso));
    expect(real.length).toBeGreaterThan(5);
  }, 200_000);
});
