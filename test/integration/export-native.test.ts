// `backplan export` checked by the schedulers' own tools: every OnCalendar= the systemd target
// writes fires, per `systemd-analyze calendar`, at exactly the instants Backplan's cron model
// gives (outside DST changes, where cron and systemd differ on purpose); unit names match
// `systemd-escape`; the borgmatic file passes Debian's `validate-borgmatic-config`.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { onCalendar } from '../../engine/export/on-calendar';
import { unitEscape } from '../../engine/export/systemd';
import { schedule } from '../../engine/time/schedule';
import { backplan } from '../helpers/cli';
import { requireTools } from '../helpers/integration';

const dir = mkdtempSync(join(tmpdir(), 'bp-export-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The next `n` elapse times of an OnCalendar expression after `base`, from systemd itself. */
function systemdElapses(expr: string, base: number, n: number): number[] {
  const r = spawnSync('systemd-analyze', ['calendar', `--iterations=${n}`, `--base-time=@${Math.floor(base / 1000)}`, expr], { encoding: 'utf8', env: { ...process.env, TZ: 'UTC' } });
  expect(r.status, r.stderr).toBe(0);
  return [...r.stdout.matchAll(/(?:Next elapse|Iter\. #\d+): \w{3} (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) UTC/g)].map((m) => Date.parse(`${m[1].replace(' ', 'T')}Z`));
}

const CRONS = [
  '30 2 * * *',
  '*/15 * * * *',
  '0 */6 * * *',
  '5 4 * * 0,6',
  '0 9-17 * * 1-5',
  '0 3 1,15 * 1-5', // cron's OR of day fields: two OnCalendar lines
  '0 3 */2 * 1', // a `*` day field: AND, as in systemd
  '15 1 1 */3 *',
  '@monthly',
  '@weekly',
  '0 0 29 2 *',
  '7,37 */4 10-20 * *',
];
const ZONES = ['UTC', 'Europe/Berlin', 'America/New_York', 'Australia/Lord_Howe'];

describe.skipIf(!requireTools('systemd-analyze', 'systemd-escape'))('export --to systemd against systemd itself', () => {
  it.each(ZONES)('OnCalendar= fires when the cron does, in %s', (zone) => {
    // Mid-June and mid-December windows hold no DST change in these zones.
    for (const base of [Date.UTC(2027, 5, 10), Date.UTC(2027, 11, 1)]) {
      for (const cron of CRONS) {
        const cal = onCalendar(cron, zone);
        expect(cal.ok).toBe(true);
        if (!cal.ok) continue;
        const n = 12;
        const theirs = [...new Set(cal.values.flatMap((v) => systemdElapses(v, base, n)))].sort((a, b) => a - b).slice(0, n);
        const ours = schedule(cron, zone).nextRuns(base, n);
        expect(theirs.map((t) => new Date(t).toISOString()), `${cron} in ${zone}: ${cal.values.join(' | ')}`).toEqual(ours.map((t) => new Date(t).toISOString()));
      }
    }
  });

  it('names units as systemd-escape does', () => {
    for (const name of ['db-dump', 'web.snap', 'a_b', 'x/y z', 'été', '.hidden']) {
      const r = spawnSync('systemd-escape', ['--', name], { encoding: 'utf8' });
      expect(unitEscape(name)).toBe(r.stdout.trim());
    }
  });
});

describe.skipIf(!requireTools('validate-borgmatic-config', 'borg'))('export --to borgmatic against borgmatic', () => {
  it('writes a configuration borgmatic accepts, with the job\'s sources, repository and rules', () => {
    const plan = join(dir, 'borg.backplan.yaml');
    writeFileSync(
      plan,
      [
        'version: 1',
        'timezone: Europe/Berlin',
        'hosts: { files: { address: files.example.net, site: home } }',
        'storage: { vault: { host: files, media: hdd, path: /srv/borg } }',
        'jobs:',
        '  home:',
        '    kind: borg',
        '    host: files',
        '    paths: [/home, /etc]',
        '    exclude: ["*.cache"]',
        '    to: vault',
        '    schedule: "30 1 * * *"',
        '    passphrase_file: /etc/backplan/borg.pass',
        '    retention: { keep: { daily: 7, weekly: 4, monthly: 6, within: 2d } }',
        '',
      ].join('\n'),
    );
    const r = backplan(['export', plan, '--to', 'borgmatic', '--format', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.files).toHaveLength(1);
    expect(out.files[0]).toMatchObject({ host: 'files', path: '/etc/borgmatic.d/home.yaml', jobs: ['home'] });
    const content: string = out.files[0].content;
    for (const s of ['- /home', '- /etc', '/srv/borg/home', 'keep_daily: 7', 'keep_weekly: 4', 'keep_monthly: 6', 'keep_within: 2d', 'encryption_passcommand: cat /etc/backplan/borg.pass', '"*.cache"']) {
      expect(content).toContain(s);
    }
    const file = join(dir, 'home.yaml');
    writeFileSync(file, content);
    const v = spawnSync('validate-borgmatic-config', ['-c', file], { encoding: 'utf8' });
    expect(v.status, v.stdout + v.stderr).toBe(0);
  });
});
