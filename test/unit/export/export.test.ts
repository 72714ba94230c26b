// `backplan export` through the built CLI: what each target writes for a plan, how it quotes
// what it hands to a shell or to systemd, and how it refuses what the target cannot express.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { execWord } from '../../../engine/export/systemd';
import { backplan } from '../../helpers/cli';

const dir = mkdtempSync(join(tmpdir(), 'bp-export-unit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function planFile(name: string, lines: string[]): string {
  const p = join(dir, name);
  writeFileSync(p, ['version: 1', 'timezone: Europe/Berlin', ...lines, 'checks: { coverage-3-2-1: off, no-restore-test: off, snapshot-not-backup: off, unused: off }', ''].join('\n'));
  return p;
}

const FLEET = [
  'hosts:',
  '  pve: { address: pve.example.net, site: home, timezone: UTC }',
  '  k8s: { address: k8s.example.net, site: home }',
  '  incus1: { address: incus1.example.net, site: home }',
  'storage:',
  '  nas: { host: pve, media: hdd, path: /srv/backup }',
];

function json(args: string[]): { code: number; out: any; stderr: string } {
  const r = backplan([...args, '--format', 'json']);
  return { code: r.code, out: r.code !== 2 ? JSON.parse(r.stdout) : undefined, stderr: r.stderr };
}

describe('backplan export', () => {
  const plan = planFile('fleet.backplan.yaml', [
    ...FLEET,
    'jobs:',
    '  tank:',
    '    kind: zfs-snapshot',
    '    host: pve',
    '    dataset: tank/vm',
    '    recursive: true',
    '    schedule: "*/15 * * * *"',
    '    retention: { keep: { hourly: 24, daily: 7, monthly: 3 } }',
    '  web:',
    '    kind: incus-snapshot',
    '    host: incus1',
    '    instance: web',
    '    schedule: "0 */6 * * *"',
    '    retention: { expiry: 7d }',
    '  apps:',
    '    kind: velero',
    '    host: k8s',
    '    namespaces: [shop, auth]',
    '    schedule: "0 3 * * *"',
    '    retention: { expiry: 30d }',
    '  db:',
    '    kind: pg-dump',
    '    host: pve',
    '    database: app',
    '    to: nas',
    '    schedule: "30 2 * * *"',
    '    prune_schedule: "0 5 * * 0"',
    '    verify: { schedule: "0 6 1 * *" }',
    '    retention: { keep: { daily: 14 } }',
    '  manual:',
    '    kind: pg-dump',
    '    host: pve',
    '    database: other',
    '    to: nas',
  ]);

  it('systemd: a service and a timer per scheduled command, in the job\'s zone', () => {
    const r = json(['export', plan, '--to', 'systemd']);
    expect(r.code, r.stderr).toBe(0);
    const paths = r.out.files.map((f: { path: string }) => f.path);
    expect(paths).toContain('/etc/systemd/system/backplan-db.timer');
    expect(paths).toContain('/etc/systemd/system/backplan-db-prune.timer');
    expect(paths).toContain('/etc/systemd/system/backplan-db-verify.service');
    const timer = r.out.files.find((f: { path: string }) => f.path.endsWith('backplan-tank.timer')).content;
    // The pve host's own zone (UTC), not the plan's.
    expect(timer).toContain('OnCalendar=*-*-* *:00/15:00 UTC');
    const svc = r.out.files.find((f: { path: string }) => f.path.endsWith('backplan-db-prune.service')).content;
    expect(svc).toMatch(/^ExecStart=backplan prune \/\S+fleet\.backplan\.yaml --job db$/m);
    expect(r.out.skipped).toContainEqual({ job: 'manual', reason: expect.stringContaining('no schedule') });
  });

  it('a job that follows another (from, no schedule) rides in its unit; only unscheduled roots are skipped', () => {
    const chain = planFile('chain.backplan.yaml', [
      ...FLEET,
      'jobs:',
      '  db:',
      '    kind: pg-dump',
      '    host: pve',
      '    database: app',
      '    to: nas',
      '    schedule: "30 2 * * *"',
      '  db-offsite:',
      '    kind: restic',
      '    host: pve',
      '    from: db',
      '    paths: [/srv/backup/db]',
      '    password_env: RESTIC_PW',
      '    to: nas',
      '    prune_schedule: "0 5 * * 0"',
      '  db-tape:',
      '    kind: restic',
      '    host: pve',
      '    from: db-offsite',
      '    paths: [/srv/backup/db]',
      '    password_env: RESTIC_PW',
      '    to: nas',
      '  manual:',
      '    kind: pg-dump',
      '    host: pve',
      '    database: other',
      '    to: nas',
    ]);
    const sd = json(['export', chain, '--to', 'systemd']);
    expect(sd.code, sd.stderr).toBe(0);
    const file = (path: string) => sd.out.files.find((f: { path: string }) => f.path === path);
    const service = file('/etc/systemd/system/backplan-db.service');
    expect(service.content).toMatch(/^ExecStart=backplan run \/\S+chain\.backplan\.yaml --job db$/m);
    expect(service.content).toContain('# Also runs, after db and every time it runs: `db-offsite`, `db-tape`');
    expect(file('/etc/systemd/system/backplan-db.timer').content).toContain('`db-offsite`, `db-tape`');
    expect(service.jobs).toEqual(['db', 'db-offsite', 'db-tape']);
    // Its own prune_schedule still gets its own unit; no run unit of its own.
    expect(file('/etc/systemd/system/backplan-db\\x2doffsite-prune.timer')).toBeDefined();
    expect(file('/etc/systemd/system/backplan-db\\x2doffsite.timer')).toBeUndefined();
    expect(sd.out.skipped).toEqual([{ job: 'manual', reason: 'no schedule: runs only when started by hand' }]);

    const cron = backplan(['export', chain, '--to', 'cron']);
    expect(cron.code, cron.stderr).toBe(0);
    expect(cron.stdout).toMatch(/# Also runs, after db and every time it runs: `db-offsite`, `db-tape`.*\n30 2 \* \* \* root backplan run \S+ --job db\n/);
    expect(cron.stderr).not.toContain('db-offsite');

    // Exported alone, a follower says where it runs.
    const alone = json(['export', chain, '--to', 'systemd', '--job', 'db-tape']);
    expect(alone.out.skipped).toEqual([
      { job: 'db-tape', reason: expect.stringContaining('runs after `db` (`backplan run --job db`)') },
    ]);
  });

  it('systemd quoting: % and $ are escaped, words with spaces are quoted', () => {
    expect(execWord('/srv/plans/a b.yaml')).toBe('"/srv/plans/a b.yaml"');
    expect(execWord('50%$HOME')).toBe('"50%%$$HOME"');
    expect(execWord('plain-word_1.yaml')).toBe('plain-word_1.yaml');
  });

  it('cron: CRON_TZ per zone, % escaped, the plan path shell-quoted', () => {
    const odd = planFile("odd 100% $(x).backplan.yaml", [...FLEET, 'jobs:', '  db:', '    kind: pg-dump', '    host: pve', '    database: app', '    to: nas', '    schedule: "30 2 * * 1-5"']);
    const r = backplan(['export', odd, '--to', 'cron']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('CRON_TZ=UTC\n30 2 * * 1-5 root backplan run ');
    expect(r.stdout).toContain("odd 100\\% $(x).backplan.yaml' --job db");
    expect(r.stdout).toContain("'/");
  });

  it('incus: config set lines on the instance\'s host; sanoid: counts per period with the others at 0', () => {
    const inc = json(['export', plan, '--to', 'incus']);
    expect(inc.code, inc.stderr).toBe(0);
    expect(inc.out.files).toHaveLength(1);
    expect(inc.out.files[0].host).toBe('incus1');
    expect(inc.out.files[0].content).toContain("incus config set web 'snapshots.schedule=0 */6 * * *'");
    expect(inc.out.files[0].content).toContain('incus config set web snapshots.expiry=7d');
    const san = json(['export', plan, '--to', 'sanoid']);
    expect(san.code, san.stderr).toBe(0);
    expect(san.out.files[0]).toMatchObject({ host: 'pve', path: '/etc/sanoid/sanoid.conf' });
    expect(san.out.files[0].content).toContain('[tank/vm]\n\tfrequently = 0\n\thourly = 24\n\tdaily = 7\n\tweekly = 0\n\tmonthly = 3\n\tyearly = 0\n\tfrequent_period = 15\n\tautosnap = yes\n\tautoprune = yes\n\trecursive = yes');
  });

  it('velero: a Schedule resource with the zone, namespaces and TTL', () => {
    const r = json(['export', plan, '--to', 'velero']);
    expect(r.code, r.stderr).toBe(0);
    const doc = parseYaml(r.out.files[0].content);
    expect(doc).toMatchObject({
      apiVersion: 'velero.io/v1',
      kind: 'Schedule',
      metadata: { name: 'apps', namespace: 'velero' },
      spec: { schedule: 'CRON_TZ=Europe/Berlin 0 3 * * *', template: { includedNamespaces: ['shop', 'auth'], ttl: '720h0m0s' } },
    });
  });

  it('refuses what a target cannot express (exit 1, the job named), and bad usage (exit 2)', () => {
    const tiers = planFile('tiers.backplan.yaml', [...FLEET, 'jobs:', '  tank:', '    kind: zfs-snapshot', '    host: pve', '    dataset: tank/vm', '    schedule: "0 * * * *"', '    retention: { tiers: [{ keep: all, until: 1d }, { every: 1d, until: 30d }] }']);
    const r = backplan(['export', tiers, '--to', 'sanoid']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('tank: cannot export to sanoid');
    expect(backplan(['export', plan]).code).toBe(2);
    const bad = backplan(['export', plan, '--to', 'launchd']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--to must be one of systemd, cron, incus, sanoid, velero, borgmatic');
    expect(bad.stderr).not.toMatch(/\n\s+at /);
  });
});
