// `backplan status --live` (SPEC §10): the real copies of a job, listed where they are stored,
// compared with what the plan projects for now. An archive job keeping the last 2 copies of a
// daily 03:00 schedule is run once for real; two older copies are then placed beside it under
// the names a 03:00 run would have given them (five and four days before today). The job's
// retention would already have removed the oldest (extra), and the copies of yesterday's and
// older fires within the kept set that no run made are missing. Each is named, the exit code is
// 1, and Nagios says WARNING; without --live no host is read and the job is ok.
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backplan, ensureBuilt } from '../helpers/cli';

let dir = '';
beforeAll(() => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'bp-status-live-'));
}, 120_000);
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** `YYYYMMDDT030000Z` of the day `days` before today (UTC). */
function at3(days: number): { name: string; iso: string } {
  const d = new Date();
  d.setUTCHours(3, 0, 0, 0);
  d.setUTCDate(d.getUTCDate() - days);
  const iso = d.toISOString();
  return { name: `${iso.slice(0, 10).replace(/-/g, '')}T030000Z`, iso };
}

describe('backplan status --live', () => {
  it('names the copies that should not be there and those that should and are not', () => {
    mkdirSync(join(dir, 'src'));
    writeFileSync(join(dir, 'src', 'a.txt'), 'a\n');
    const plan = join(dir, 'p.backplan.yaml');
    writeFileSync(
      plan,
      [
        'version: 1',
        'timezone: UTC',
        'hosts: { me: { site: home } }',
        'storage: { disk: { host: me, media: hdd, path: ./store } }',
        'jobs:',
        '  files: { kind: archive, host: me, paths: [./src], to: disk, schedule: "0 3 * * *", retention: { keep: { last: 2 } } }',
        'checks: { coverage-3-2-1: off, no-restore-test: off }',
        '',
      ].join('\n'),
    );
    const state = join(dir, 'state');
    const run = backplan(['run', plan, '--state-dir', state]);
    expect(run.code, run.stdout + run.stderr).toBe(0);

    // Journals only: one good copy, fresh; nothing listed.
    const quiet = backplan(['status', plan, '--state-dir', state]);
    expect(quiet.code, quiet.stdout + quiet.stderr).toBe(0);
    expect(quiet.stdout).not.toContain('drift');

    const store = join(dir, 'store', 'files');
    const [made] = readdirSync(store).filter((f) => f.endsWith('.tar.gz'));
    const older = at3(5);
    const kept = at3(4);
    for (const c of [older, kept]) {
      copyFileSync(join(store, made), join(store, `files-${c.name}.tar.gz`));
      copyFileSync(join(store, `${made}.sha256`), join(store, `files-${c.name}.tar.gz.sha256`));
    }

    const json = backplan(['status', plan, '--state-dir', state, '--live', '--format', 'json']);
    expect(json.code, json.stderr).toBe(1);
    const job = JSON.parse(json.stdout).jobs[0];
    expect(job.copies).toBe(3);
    expect(job.drift.extra).toEqual([`files-${older.name}.tar.gz`]);
    // Yesterday's 03:00 copy is one of the last two the schedule would have made: missing.
    expect(job.drift.missing).toContain(at3(1).iso);
    expect(job.drift.missing).not.toContain(kept.iso);
    expect(job.drift.missing).not.toContain(older.iso);

    const text = backplan(['status', plan, '--state-dir', state, '--live'], { env: { NO_COLOR: '1' } });
    expect(text.code).toBe(1);
    expect(text.stdout).toContain(`extra: files-${older.name}.tar.gz`);
    expect(text.stdout).toContain(`missing: the copy of ${at3(1).iso.slice(0, 16).replace('T', ' ')}Z`);
    expect(text.stdout).toMatch(/1 with copies that differ from the plan\n$/);

    const nagios = backplan(['status', plan, '--state-dir', state, '--live', '--format', 'nagios']);
    expect(nagios.code).toBe(1);
    expect(nagios.stdout).toMatch(/^BACKPLAN WARNING - copies differ from the plan: files \|/);
  }, 60_000);
});
