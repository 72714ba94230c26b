// `backplan run --job X` through the built command, on real files: a job with `from: X` and no
// schedule of its own follows X (it runs after X every time X runs, so X's exported timer runs
// it too); a job with its own schedule, or one that only lists X in `after`, does not ride along;
// a failed X skips its followers.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backplan, ensureBuilt } from '../helpers/cli';

const dir = mkdtempSync(join(tmpdir(), 'bp-run-followers-'));
beforeAll(() => ensureBuilt(), 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function sandbox(name: string, docsPaths: string): { plan: string; root: string; run: (...a: string[]) => ReturnType<typeof backplan> } {
  const root = join(dir, name);
  mkdirSync(join(root, 'examples'), { recursive: true });
  writeFileSync(join(root, 'examples', 'notes.txt'), 'hello\n');
  const plan = join(root, 'examples', 'chain.backplan.yaml');
  writeFileSync(
    plan,
    [
      'version: 1',
      'timezone: UTC',
      'hosts:',
      '  this-machine: { site: home, role: primary }',
      'storage:',
      '  local-backups: { host: this-machine, media: ssd, path: ../backups }',
      '  copies: { host: this-machine, media: hdd, path: ../copies }',
      'jobs:',
      '  docs:',
      '    kind: archive',
      '    host: this-machine',
      `    paths: [${docsPaths}]`,
      '    to: local-backups',
      '    schedule: "0 3 * * *"',
      '    retention: { keep: { last: 3 } }',
      // The archive of docs' output directory, with no schedule: it follows docs.
      '  docs-copy:',
      '    kind: archive',
      '    host: this-machine',
      '    from: docs',
      '    paths: [../backups/docs]',
      '    to: copies',
      '    retention: { keep: { last: 3 } }',
      // Its own schedule: not pulled in by `--job docs`.
      '  docs-weekly:',
      '    kind: archive',
      '    host: this-machine',
      '    from: docs',
      '    paths: [../backups/docs]',
      '    to: copies',
      '    schedule: "0 4 * * 0"',
      '    retention: { keep: { last: 3 } }',
      // `after` orders, it does not pull in.
      '  notes:',
      '    kind: archive',
      '    host: this-machine',
      '    paths: [notes.txt]',
      '    to: copies',
      '    after: [docs]',
      '    retention: { keep: { last: 3 } }',
      'checks: { coverage-3-2-1: off, no-restore-test: off }',
      '',
    ].join('\n'),
  );
  const state = join(root, 'state');
  return { plan, root, run: (...a) => backplan([a[0], plan, ...a.slice(1), '--state-dir', state]) };
}

const files = (d: string) => (existsSync(d) ? readdirSync(d).filter((n) => n.endsWith('.tar.gz')) : []);

describe('backplan run --job X runs the jobs that follow X', () => {
  it('runs the follower after X, on what X just wrote; not the jobs with a schedule of their own', () => {
    const s = sandbox('ok', '.');
    const dry = s.run('run', '--job', 'docs', '--dry-run', '--format', 'json');
    expect(dry.code, dry.stderr).toBe(0);
    expect([...new Set(JSON.parse(dry.stdout).steps.map((x: { job: string }) => x.job))]).toEqual(['docs', 'docs-copy']);

    const r = s.run('run', '--job', 'docs', '--format', 'json');
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.jobs.map((j: { job: string; status: string }) => [j.job, j.status])).toEqual([
      ['docs', 'ok'],
      ['docs-copy', 'ok'],
    ]);
    const [made] = files(join(s.root, 'backups', 'docs'));
    const [copy] = files(join(s.root, 'copies', 'docs-copy'));
    expect(made).toMatch(/^docs-\d{8}T\d{4,6}Z\.tar\.gz$/);
    // The follower archived the directory after docs wrote into it: today's archive is inside.
    const listed = spawnSync('tar', ['-tzf', join(s.root, 'copies', 'docs-copy', copy)], { encoding: 'utf8' });
    expect(listed.status, listed.stderr).toBe(0);
    expect(listed.stdout).toContain(made);
    expect(files(join(s.root, 'copies', 'docs-weekly'))).toEqual([]);
    expect(files(join(s.root, 'copies', 'notes'))).toEqual([]);
  });

  it('skips the follower when X fails', () => {
    const s = sandbox('failed', 'missing-folder');
    const r = s.run('run', '--job', 'docs', '--format', 'json');
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout);
    const status = Object.fromEntries(report.jobs.map((j: { job: string; status: string; message?: string }) => [j.job, [j.status, j.message]]));
    expect(status.docs[0]).toBe('failed');
    expect(status['docs-copy']).toEqual(['skipped', 'skipped: prerequisite job docs failed']);
    expect(files(join(s.root, 'copies', 'docs-copy'))).toEqual([]);
  });
});
