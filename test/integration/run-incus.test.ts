// incus-snapshot and incus-copy for real, against two LXD 5.0 daemons that the test starts itself
// (test/helpers/lxd.ts): a primary on its unix socket and a standby on a loopback address added
// as the remote `standby`. The plan sets `incus_binary: lxc`, so every command runs as LXD's
// `lxc`, with LXD_DIR and LXD_CONF from the environment the test gives `backplan`. Proven here:
// - the snapshot store lists an instance's snapshots with their creation times (local and on the
//   remote), says "no such instance" as undefined, removes one by name, and fails with the
//   client's own words when the remote is unreachable;
// - an `expiry` policy is handed to LXD (`snapshots.expiry`, read back, and the snapshot's own
//   `expires_at` is its creation + the expiry);
// - incus-copy brings the instance to the standby with `boot.autostart` false although the
//   source says true, reads it back, and a second run refreshes incrementally (the new snapshot
//   and the new data arrive, the copy still reads false); `backplan verify` restores the
//   standby's newest snapshot into a scratch instance (gone afterwards) and fails when the copy
//   reads autostart true;
// - native pruning on both sides, the replication base kept (SPEC §8.4), prune --dry-run;
// - an unknown remote or a daemon that is not there: one line in the client's words, exit 1.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { incusStore } from '../../engine/run/inventory/incus';
import { Hosts } from '../../engine/run/exec/hosts';
import type { PlanModel } from '../../engine/plan/model';
import { backplan, ensureBuilt } from '../helpers/cli';
import { backplanAt, lxdAvailable, startLxdPair, type LxdPair } from '../helpers/lxd';
import { minuteName } from '../helpers/simulate-vs-reality';

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

const HEADER = ['version: 1', 'hosts:', '  here: { site: home, role: primary, incus_binary: lxc }', '  standby: { address: 127.0.0.9, site: away, role: standby }'];
const CHECKS = 'checks: { coverage-3-2-1: off, no-restore-test: off, offsite-unencrypted: off, snapshot-not-backup: off, unused: off }';

function writePlan(name: string, lines: string[]): string {
  const path = join(lxd!.dir, `${name}.backplan.yaml`);
  writeFileSync(path, [...HEADER, ...lines, CHECKS, ''].join('\n'));
  return path;
}

/** Snapshot names of an instance, to the minute (runs start at a fire on a running faked clock). */
const snapsOf = (instance: string) => lxd!.snapshots(instance).map(minuteName);

function bp(args: string[]) {
  return backplan([...args, '--state-dir', join(lxd!.dir, 'state')], { env: lxd!.env });
}

/** The process environment `lxc` needs, for the store called in this process. */
function withEnv<T>(f: () => Promise<T>): Promise<T> {
  const saved = { LXD_DIR: process.env.LXD_DIR, LXD_CONF: process.env.LXD_CONF };
  Object.assign(process.env, lxd!.env);
  return f().finally(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });
}

const noHosts = { hosts: new Map(), storage: new Map(), policies: new Map(), jobs: new Map() } as unknown as PlanModel;

describe.skipIf(!ok)('Incus through LXD 5.0 (lxc), primary and standby', () => {
  it('the snapshot store lists, removes, and tells a missing instance from an unreachable remote', async () => {
    lxd!.lxc('init', '--empty', 'store1');
    lxd!.lxc('snapshot', 'store1', 'backplan-20260101T0000Z');
    lxd!.lxc('snapshot', 'store1', 'backplan-20260101T0600Z');
    lxd!.lxc('copy', 'store1', `${lxd!.remote}:store1`, '--mode', 'push');
    const hosts = new Hosts(noHosts);
    const store = (instance: string, binary = 'lxc') => incusStore({ type: 'incus-snapshots', host: 'local', binary, instance, match: 'backplan-*' }, { hosts });
    await withEnv(async () => {
      const t0 = Date.now();
      const local = await store('store1').list();
      expect(local?.map((s) => s.name)).toEqual(['backplan-20260101T0000Z', 'backplan-20260101T0600Z']);
      for (const s of local!) expect(Math.abs(s.created! - t0)).toBeLessThan(120_000);
      expect((await store(`${lxd!.remote}:store1`).list())?.map((s) => s.name)).toEqual(['backplan-20260101T0000Z', 'backplan-20260101T0600Z']);
      await store(`${lxd!.remote}:store1`).remove('backplan-20260101T0000Z');
      expect(lxd!.snapshots(`${lxd!.remote}:store1`)).toEqual(['backplan-20260101T0600Z']);
      expect(lxd!.snapshots('store1')).toHaveLength(2);
      await store('store1').remove('backplan-20260101T0600Z');
      expect(lxd!.snapshots('store1')).toEqual(['backplan-20260101T0000Z']);
      expect(await store('nosuch').list()).toBeUndefined();
      expect(await store(`${lxd!.remote}:nosuch`).list()).toBeUndefined();
      await expect(store('store1').remove('nosuch')).rejects.toThrow(/not found/);
      await expect(store('nowhere:store1').list()).rejects.toThrow(/cannot list the snapshots of nowhere:store1: lxc exited with status 1: Error: The remote "nowhere" doesn't exist/);
      await expect(store('store1', '/nonexistent/lxc').list()).rejects.toThrow(/command not found/);
    });
    await hosts.close();
  });

  it('incus-snapshot with an expiry policy: LXD gets snapshots.expiry and the snapshot expires at creation + expiry', () => {
    lxd!.lxc('init', '--empty', 'exp1');
    const plan = writePlan('expiry', [
      'storage: { pool: { host: here, media: ssd } }',
      'jobs:',
      '  snaps:',
      '    kind: incus-snapshot',
      '    host: here',
      '    instance: exp1',
      '    storage: pool',
      '    schedule: "0 */6 * * *"',
      '    retention: { expiry: 2d }',
    ]);
    const r = bp(['run', plan]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(lxd!.lxc('config', 'get', 'exp1', 'snapshots.expiry').trim()).toBe('2d');
    const [snap] = JSON.parse(lxd!.lxc('query', '/1.0/instances/exp1/snapshots?recursion=1')) as { name: string; created_at: string; expires_at: string }[];
    expect(snap.name).toMatch(/^backplan-\d{8}T\d{6}Z$/);
    // LXD reads its clock twice (creation, then expiry): a few milliseconds apart.
    expect(Math.abs(Date.parse(snap.expires_at) - Date.parse(snap.created_at) - 2 * 86_400_000)).toBeLessThan(5_000);
  });

  it('incus-snapshot pruned by Backplan: a snapshots.expiry left on the instance does not expire the new snapshot', () => {
    lxd!.lxc('init', '--empty', 'stale1');
    // Left over from an earlier expiry-only policy, or set by hand.
    lxd!.lxc('config', 'set', 'stale1', 'snapshots.expiry=1d');
    const plan = writePlan('stale-expiry', [
      'storage: { pool: { host: here, media: ssd } }',
      'jobs:',
      '  snaps:',
      '    kind: incus-snapshot',
      '    host: here',
      '    instance: stale1',
      '    storage: pool',
      '    schedule: "0 */6 * * *"',
      '    retention: { expiry: 1d, keep: { last: 5 } }',
    ]);
    const r = bp(['run', plan]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const [snap] = JSON.parse(lxd!.lxc('query', '/1.0/instances/stale1/snapshots?recursion=1')) as { name: string; expires_at: string }[];
    expect(snap.name).toMatch(/^backplan-\d{8}T\d{6}Z$/);
    // Go's zero time: no deadline, so only Backplan's policy removes it.
    expect(snap.expires_at).toBe('0001-01-01T00:00:00Z');
    // A snapshot made without the flag would carry the instance's deadline.
    lxd!.lxc('snapshot', 'stale1', 'by-hand');
    const byHand = JSON.parse(lxd!.lxc('query', '/1.0/instances/stale1/snapshots/by-hand')) as { expires_at: string };
    expect(byHand.expires_at).not.toBe('0001-01-01T00:00:00Z');
  });

  it('incus-copy: the standby copy reads boot.autostart false although the source says true; a second run refreshes incrementally', async () => {
    lxd!.lxc('init', '--empty', 'web1');
    lxd!.lxc('config', 'set', 'web1', 'boot.autostart=true');
    // An empty instance has no rootfs yet on a `dir` pool: give it one with a file.
    const rootfs = join(lxd!.primary.dir, 'storage-pools/default/containers/web1/rootfs');
    mkdirSync(rootfs);
    writeFileSync(join(rootfs, 'first.txt'), 'first');
    const plan = writePlan('copy', [
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
      '  copy:',
      '    kind: incus-copy',
      '    from: snaps',
      '    to: away',
      `    remote: ${lxd!.remote}`,
      '    autostart: false',
      '    schedule: "0 */6 * * *"',
    ]);
    const r = bp(['run', plan]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const target = `${lxd!.remote}:web1`;
    expect(lxd!.lxc('config', 'get', 'web1', 'boot.autostart').trim()).toBe('true');
    expect(lxd!.lxc('config', 'get', target, 'boot.autostart').trim()).toBe('false');
    const first = lxd!.snapshots('web1');
    expect(first).toHaveLength(1);
    expect(lxd!.snapshots(target)).toEqual(first);

    // New data, and a run six hours later (Backplan's clock names the snapshot): the refresh
    // brings the new snapshot with its data, and the copy still reads false although someone
    // turned it on by hand on the standby.
    writeFileSync(join(rootfs, 'second.txt'), 'second');
    lxd!.lxc('config', 'set', target, 'boot.autostart=true');
    const later = new Date(Date.now() + 6 * 3_600_000).toISOString();
    const r2 = await backplanAt(later, ['run', plan, '--state-dir', join(lxd!.dir, 'state')], lxd!.env);
    expect(r2.code, r2.stdout + r2.stderr).toBe(0);
    const both = lxd!.snapshots('web1');
    expect(both).toHaveLength(2);
    expect(both[1] > both[0]).toBe(true);
    expect(lxd!.snapshots(target)).toEqual(both);
    expect(lxd!.lxc('config', 'get', target, 'boot.autostart').trim()).toBe('false');
    const standbySnaps = join(lxd!.standby.dir, 'storage-pools/default/containers-snapshots/web1');
    expect(readFileSync(join(standbySnaps, both[1], 'rootfs/second.txt'), 'utf8')).toBe('second');
    expect(existsSync(join(standbySnaps, both[0], 'rootfs/second.txt'))).toBe(false);
    expect(readFileSync(join(lxd!.standby.dir, 'storage-pools/default/containers/web1/rootfs/second.txt'), 'utf8')).toBe('second');

    // verify: the newest standby snapshot restores into a scratch instance (deleted again) and
    // boot.autostart reads false; turned on by hand, verify fails and says why.
    const instances = () => (JSON.parse(lxd!.lxc('query', `${lxd!.remote}:/1.0/instances`)) as string[]).map((u) => u.slice(u.lastIndexOf('/') + 1)).sort();
    const before = instances();
    const v = bp(['verify', plan, '--job', 'copy']);
    expect(v.code, v.stdout + v.stderr).toBe(0);
    expect(v.stdout).toContain(`verified copy: ${both[1]} on ${target} restored into a scratch instance (deleted again); boot.autostart reads false; the standby holds the newest snapshot of snaps`);
    // LXD copies snapshots with the source's config: the standby's snapshots say autostart true.
    expect(JSON.parse(lxd!.lxc('query', `${lxd!.remote}:/1.0/instances/web1/snapshots/${both[1]}`)).config['boot.autostart']).toBe('true');
    expect(v.stdout).toContain(`note: the snapshot itself carries boot.autostart=true from the source, so restoring it on the standby turns autostart on again: set boot.autostart=false on ${target} after such a restore`);
    expect(instances()).toEqual(before);
    lxd!.lxc('config', 'set', target, 'boot.autostart=true');
    const bad = bp(['verify', plan, '--job', 'copy']);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain(`boot.autostart of ${target} reads \`true\`, the job sets \`false\``);
    expect(instances()).toEqual(before);
    lxd!.lxc('config', 'set', target, 'boot.autostart=false');

    // A remote the client does not know, a daemon that is not there: one clear line, exit 1.
    // (`nowhere` is a host of the plan, so the plan checks; the lxc client has no such remote.)
    const lost = writePlan('lost', [
      '  nowhere: { address: 127.0.0.10, site: away, role: standby }',
      ...readFileSync(plan, 'utf8').split('\n').slice(HEADER.length, -2).map((l) => l.replace(`remote: ${lxd!.remote}`, 'remote: nowhere')),
    ]);
    const v2 = bp(['verify', lost, '--job', 'copy']);
    expect(v2.code).toBe(1);
    expect(v2.stderr.trim()).toBe('backplan: cannot list the snapshots of nowhere:web1: lxc exited with status 1: Error: The remote "nowhere" doesn\'t exist');
  });

  it('prunes natively on the primary and on the standby, and the replication base survives a policy that would prune it', async () => {
    lxd!.lxc('init', '--empty', 'app1');
    const plan = writePlan('prune', [
      'storage:',
      '  pool: { host: here, media: ssd }',
      '  away: { host: standby, media: hdd }',
      'policies:',
      '  one: { keep: { last: 1 } }',
      'jobs:',
      '  snaps:',
      '    kind: incus-snapshot',
      '    host: here',
      '    instance: app1',
      '    storage: pool',
      '    schedule: "0 * * * *"',
      '    retention: one',
      '  copy:',
      '    kind: incus-copy',
      '    from: snaps',
      '    to: away',
      `    remote: ${lxd!.remote}`,
      '    autostart: false',
      '    schedule: "30 * * * *"',
      '    retention: one',
    ]);
    const target = `${lxd!.remote}:app1`;
    const state = join(lxd!.dir, 'state-prune');
    const at = async (iso: string, ...args: string[]) => {
      const r = await backplanAt(iso, ['run', plan, '--state-dir', state, '--format', 'json', ...args], lxd!.env);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      return JSON.parse(r.stdout) as { jobs: { job: string; steps: { phase: string; detail?: { kept?: { name: string; reasons: string[] }[]; removed?: string[] } }[] }[] };
    };
    const S = (hhmm: string) => `backplan-20300101T${hhmm}Z`;
    await at('2030-01-01T01:00:00Z');
    expect(snapsOf('app1')).toEqual([S('0100')]);
    expect(snapsOf(target)).toEqual([S('0100')]);

    // keep last 1 on the source would remove 0100, but it is the newest snapshot the standby has.
    const r2 = await at('2030-01-01T02:00:00Z', '--job', 'snaps');
    expect(snapsOf('app1')).toEqual([S('0100'), S('0200')]);
    const kept = r2.jobs[0].steps.find((x) => x.phase === 'prune')!.detail!.kept!;
    expect(kept.find((k) => minuteName(k.name) === S('0100'))!.reasons.join(' ')).toMatch(/replication base shared with copy/);

    // The copy brings 0200; on the standby keep last 1 removes 0100 (0200 is the base now).
    const r3 = await at('2030-01-01T02:30:00Z', '--job', 'copy');
    expect(snapsOf(target)).toEqual([S('0200')]);
    expect(r3.jobs[0].steps.find((x) => x.phase === 'prune')!.detail!.removed!.map(minuteName)).toEqual([S('0100')]);
    expect(lxd!.lxc('config', 'get', target, 'boot.autostart').trim()).toBe('false');

    // Next source run: 0100 is no base any more and goes; 0200 stays as the base.
    await at('2030-01-01T03:00:00Z', '--job', 'snaps');
    expect(snapsOf('app1')).toEqual([S('0200'), S('0300')]);

    // backplan prune --dry-run lists the standby from live inventory and changes nothing.
    const dry = backplan(['prune', plan, '--job', 'copy', '--dry-run', '--format', 'json', '--state-dir', state], { env: lxd!.env });
    expect(dry.code, dry.stdout + dry.stderr).toBe(0);
    const decided = JSON.parse(dry.stdout) as { keep: { name: string }[]; remove: unknown[] };
    expect({ keep: decided.keep.map((k) => minuteName(k.name)), remove: decided.remove }).toEqual({ keep: [S('0200')], remove: [] });
    expect(snapsOf(target)).toEqual([S('0200')]);

    // The client without its remote, or without a daemon: one clear line, exit 1, nothing removed.
    const noRemote = backplan(['prune', plan, '--job', 'copy', '--state-dir', state], { env: { ...lxd!.env, LXD_CONF: join(lxd!.dir, 'no-such-client') } });
    expect(noRemote.code).toBe(1);
    expect(noRemote.stderr).toBe('backplan: cannot list the snapshots of standby:app1: lxc exited with status 1: Error: The remote "standby" doesn\'t exist\n');
    const noDaemon = backplan(['prune', plan, '--job', 'snaps', '--state-dir', state], { env: { ...lxd!.env, LXD_DIR: join(lxd!.dir, 'no-such-daemon') } });
    expect(noDaemon.code).toBe(1);
    expect(noDaemon.stderr).toMatch(/^backplan: cannot list the snapshots of app1: lxc exited with status 1: Error: Get "http:\/\/unix.socket\/1.0": dial unix .*no-such-daemon\/unix.socket: connect: no such file or directory\n$/);
    expect(snapsOf('app1')).toEqual([S('0200'), S('0300')]);
  });

  it('refresh: false copies the newest snapshot into a new standby instance, found from live state when the copy runs alone, and refuses an existing target clearly', async () => {
    lxd!.lxc('init', '--empty', 'full1');
    lxd!.lxc('config', 'set', 'full1', 'boot.autostart=true');
    const plan = writePlan('full', [
      'storage:',
      '  pool: { host: here, media: ssd }',
      '  away: { host: standby, media: hdd }',
      'jobs:',
      '  snaps:',
      '    kind: incus-snapshot',
      '    host: here',
      '    instance: full1',
      '    storage: pool',
      '    schedule: "0 * * * *"',
      '  copy:',
      '    kind: incus-copy',
      '    from: snaps',
      '    to: away',
      `    remote: ${lxd!.remote}`,
      '    autostart: false',
      '    refresh: false',
      '    schedule: "30 * * * *"',
    ]);
    const state = join(lxd!.dir, 'state-full');
    const run = (iso: string, job: string) => backplanAt(iso, ['run', plan, '--state-dir', state, '--job', job], lxd!.env);
    expect((await run('2031-01-01T01:00:00Z', 'snaps')).code).toBe(0);
    expect((await run('2031-01-01T02:00:00Z', 'snaps')).code).toBe(0);
    const r = await run('2031-01-01T02:30:00Z', 'copy');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const copied = JSON.parse(lxd!.lxc('query', `${lxd!.remote}:/1.0/instances/full1`)) as { config: Record<string, string> };
    expect(copied.config['boot.autostart']).toBe('false');
    const journal = readdirSync(join(state, 'runs')).map((f) => readFileSync(join(state, 'runs', f), 'utf8')).join('');
    expect(journal).toMatch(/full1\/backplan-20310101T0200\d\dZ/);
    const again = await run('2031-01-01T03:30:00Z', 'copy');
    expect(again.code).toBe(1);
    expect(again.stdout).toContain(`cannot plan with the live state of its hosts: ${lxd!.remote}:full1 exists already`);
  });
});
