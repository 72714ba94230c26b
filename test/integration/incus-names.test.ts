// Incus naming, copying and expiry against two real LXD 5.0 daemons (test/helpers/lxd.ts),
// started with TZ=Europe/Paris:
// - snapshots.pattern: the names the daemon gives to unnamed snapshots (`lxc snapshot c1`) are
//   the names Backplan renders (engine/run/steps/incus-pattern.ts) at their creation time in the
//   daemon's zone — Go layouts, the `%d` counter, the `-0`/`-1` of a name taken — and `backplan
//   run` of a job with the Incus guide's pattern names its snapshot the same way;
// - incus-copy copies the `from` job's instance to a differently named standby instance;
// - expiry: with `snapshots.schedule: * * * * *` and `snapshots.expiry: 1M` (expiry equal to the
//   interval), the daemon's own task keeps the instance from ever being without a snapshot, as
//   `backplan simulate` (1 held) and `backplan check` (no expiry-gap) say.
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nextIncusName, parseIncusPattern, renderIncusPattern } from '../../engine/run/steps/incus-pattern';
import { backplan, ensureBuilt } from '../helpers/cli';
import { lxdAvailable, startLxdPair, type LxdPair } from '../helpers/lxd';

const ok = lxdAvailable();
let lxd: LxdPair | undefined;
const ZONE = 'Europe/Paris';

beforeAll(async () => {
  if (!ok) return;
  ensureBuilt();
  lxd = await startLxdPair({ daemonEnv: { TZ: ZONE } });
}, 120_000);

afterAll(async () => {
  await lxd?.close();
}, 120_000);

const CHECKS = 'checks: { coverage-3-2-1: off, no-restore-test: off, offsite-unencrypted: off, snapshot-not-backup: off, unused: off }';
const GUIDE = "rockylinux-test-9{{ creation_date|date:'2006-01-02_15-04-05' }}";

function listing(instance: string): { name: string; created_at: string }[] {
  const [r, name] = instance.includes(':') ? [`${instance.split(':')[0]}:`, instance.split(':')[1]] : ['', instance];
  return JSON.parse(lxd!.lxc('query', `${r}/1.0/instances/${name}/snapshots?recursion=1`));
}

/** Backplan's name for `pattern` given the names before, at a time up to 2 s before `created` (the daemon names first). */
function backplanNames(pattern: string, before: string[], created: number): string[] {
  const parsed = parseIncusPattern(pattern);
  if (!parsed.ok) throw new Error(parsed.message);
  const out: string[] = [];
  for (let dt = 0; dt <= 2000; dt += 1000) out.push(nextIncusName(renderIncusPattern(parsed.parts, created - dt, ZONE), before));
  return out;
}

describe.skipIf(!ok)('Incus names, copies and expiry on LXD 5.0 (lxc)', () => {
  it("names unnamed snapshots as Backplan renders snapshots.pattern, in the daemon's zone", () => {
    lxd!.lxc('init', '--empty', 'names1');
    const patterns = [
      GUIDE,
      GUIDE, // the same second again, or the next: `-0` when taken
      "d-{{ creation_date|date:\"Jan2-Monday-06.002-3pm-MST\" }}",
      'fixed',
      'fixed',
      'fixed',
      'n%d-a',
      'n%d-a',
      '', // Incus's default, snap%d
      '',
    ];
    for (const p of patterns) {
      if (p === '') lxd!.tryLxc('config', 'unset', 'names1', 'snapshots.pattern');
      else lxd!.lxc('config', 'set', 'names1', `snapshots.pattern=${p}`);
      const before = listing('names1').map((s) => s.name);
      lxd!.lxc('snapshot', 'names1');
      const after = listing('names1');
      const made = after.find((s) => !before.includes(s.name))!;
      expect(made, p).toBeDefined();
      expect(backplanNames(p, before, Date.parse(made.created_at)), `${p}: LXD named it ${made.name}`).toContain(made.name);
    }
    expect(listing('names1').map((s) => s.name).filter((n) => !n.startsWith('rocky') && !n.startsWith('d-'))).toEqual(['fixed', 'fixed-0', 'fixed-1', 'n0-a', 'n1-a', 'snap0', 'snap1']);
    // The zone is the daemon's: Paris is an hour or two ahead of UTC.
    const guide = listing('names1')[0];
    expect(guide.name).toBe(backplanNames(GUIDE, [], Date.parse(guide.created_at)).find((n) => n === guide.name));
    expect(guide.name.slice('rockylinux-test-9'.length, -6)).not.toBe(guide.created_at.slice(0, 13).replace('T', '_'));
  });

  it("backplan run takes the guide's pattern and names the snapshot as the daemon would; a copy keeps a name of its own on the standby", () => {
    lxd!.lxc('init', '--empty', 'rocky');
    const plan = join(lxd!.dir, 'names.backplan.yaml');
    writeFileSync(
      plan,
      [
        'version: 1',
        'hosts:',
        `  here: { site: home, role: primary, incus_binary: lxc, timezone: ${ZONE} }`,
        '  standby: { address: 127.0.0.9, site: away, role: standby }',
        'storage: { pool: { host: here, media: ssd }, standby-pool: { host: standby, media: hdd } }',
        'jobs:',
        '  snaps:',
        '    kind: incus-snapshot',
        '    host: here',
        '    instance: rocky',
        '    storage: pool',
        `    pattern: "${GUIDE.replace(/"/g, '\\"')}"`,
        '    schedule: "0 3 * * *"',
        '    retention: { keep: { last: 5 } }',
        '  copy:',
        '    kind: incus-copy',
        '    from: snaps',
        '    host: here',
        `    remote: ${lxd!.remote}`,
        '    instance: rocky-standby',
        '    to: standby-pool',
        '    autostart: false',
        '    schedule: "30 3 * * *"',
        '    retention: { keep: { last: 5 } }',
        CHECKS,
        '',
      ].join('\n'),
    );
    const check = backplan(['check', plan]);
    expect(check.stdout + check.stderr).not.toMatch(/job-not-runnable/);
    const r = backplan(['run', plan, '--state-dir', join(lxd!.dir, 'state')], { env: lxd!.env });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const [snap] = listing('rocky');
    expect(backplanNames(GUIDE, [], Date.parse(snap.created_at))).toContain(snap.name);
    // Source `rocky`, copy `standby:rocky-standby`, with the snapshot.
    expect(listing(`${lxd!.remote}:rocky-standby`).map((s) => s.name)).toEqual([snap.name]);
    expect(lxd!.tryLxc('info', `${lxd!.remote}:rocky`).status).not.toBe(0);
    // The snapshot's time is read back from its name: a second run prunes nothing it needs and keeps both.
    const v = backplan(['verify', plan, '--job', 'copy', '--state-dir', join(lxd!.dir, 'state')], { env: lxd!.env });
    expect(v.code, v.stdout + v.stderr).toBe(0);
  }, 120_000);

  it('expiry equal to the interval: the daemon never leaves the instance without a snapshot, as simulate and check say', async () => {
    lxd!.lxc('init', '--empty', 'exp1');
    for (const kv of ['snapshots.schedule=* * * * *', 'snapshots.schedule.stopped=true', 'snapshots.expiry=1M'])
      lxd!.lxc('config', 'set', 'exp1', kv);
    const counts: number[] = [];
    const seen = new Set<string>();
    const count = () =>
      new Promise<string[]>((resolve, reject) =>
        execFile('lxc', ['query', '/1.0/instances/exp1/snapshots'], { env: { ...process.env, ...lxd!.env } }, (e, out) =>
          e ? reject(e) : resolve(JSON.parse(out) as string[]),
        ),
      );
    const t0 = Date.now();
    // Until four snapshots have been made (the task runs a minute after the daemon starts, then every minute).
    while (seen.size < 4 && Date.now() - t0 < 330_000) {
      const names = await count();
      names.forEach((n) => seen.add(n));
      if (seen.size > 0) counts.push(names.length);
      await new Promise((r) => setTimeout(r, 1000));
    }
    expect(seen.size).toBeGreaterThanOrEqual(4);
    // Never none once the first exists, and the older one goes within a minute of the next.
    expect(Math.min(...counts)).toBe(1);
    expect(Math.max(...counts)).toBeLessThanOrEqual(2);

    const plan = join(lxd!.dir, 'expiry.backplan.yaml');
    writeFileSync(plan, ['version: 1', 'hosts: { here: { site: home, role: primary, incus_binary: lxc } }', 'storage: { pool: { host: here, media: ssd } }', 'jobs:', '  exp:', '    kind: incus-snapshot', '    host: here', '    instance: exp1', '    storage: pool', '    schedule: "* * * * *"', '    retention: { expiry: 1min }', CHECKS, ''].join('\n'));
    const s = backplan(['simulate', plan, '--horizon', '1h', '--format', 'json']);
    expect(s.code, s.stderr).toBe(0);
    expect(JSON.parse(s.stdout).jobs[0].stats).toMatchObject({ minCount: 1, maxCount: 1 });
    expect(backplan(['check', plan]).stdout).not.toMatch(/expiry-gap/);
  }, 400_000);
});
