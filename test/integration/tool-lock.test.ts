// The tools' own locks outlive a killed run (issue #16, item 2). A restic run killed with SIGKILL
// in the middle of its backup leaves Backplan's job lock and restic's lock in the repository;
// `restic forget --prune` (an exclusive lock) then fails on it. Without --break-stale-lock the
// run refuses to start and says which repository holds the tool's lock and which command clears
// it; with it, Backplan breaks its own stale lock (which proves no run of the job is alive) and
// runs `restic unlock` (which removes only stale locks) before the job's steps: the run succeeds.
// A restic lock found without a stale Backplan lock (the job lock deleted by hand) fails the step
// with a message that names the repository and the unlock command.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, ensureBuilt } from '../helpers/cli';
import { backplanAsync as backplan } from '../helpers/cli-async';
import { requireTools } from '../helpers/integration';
import { REAPER } from '../helpers/reaper';
import { readJournal } from '../../engine/run/state/journal';

const ok = requireTools('restic', 'pgrep', 'python3');

const CHECKS = 'checks: { coverage-3-2-1: off, no-restore-test: off, offsite-unencrypted: off, unused: off }';
const secret = 'tool-lock-test-password';
let work = '';

beforeAll(() => {
  if (!ok) return;
  ensureBuilt();
  work = mkdtempSync(join(tmpdir(), 'bp-tool-lock-'));
}, 120_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe.skipIf(!ok)('restic killed in the middle of a backup', () => {
  it('without --break-stale-lock the failure names the repository and the command; with it restic unlock runs ' +
    'and the run succeeds', async () => {
    const data = join(work, 'data');
    mkdirSync(data, { recursive: true });
    writeFileSync(join(data, 'small.txt'), 'small\n');
    // Random bytes restic cannot deduplicate: the backup takes seconds, time to kill it.
    writeFileSync(join(data, 'big.bin'), randomBytes(300 << 20));
    const repo = join(work, 'store', 'files');
    const plan = join(work, 'plan.backplan.yaml');
    writeFileSync(
      plan,
      [
        'version: 1',
        "hosts: { me: { site: home, tool_versions: { restic: '0.14.0' } } }",
        `storage: { disk: { host: me, media: hdd, path: ${join(work, 'store')} } }`,
        'jobs:',
        `  files: { kind: restic, host: me, paths: [${data}], to: disk, password_env: BP_TOOL_LOCK_PW, ` +
          'retention: { keep: { last: 1 } } }',
        CHECKS,
        '',
      ].join('\n'),
    );
    const state = join(work, 'state');
    const env = { BP_TOOL_LOCK_PW: secret, RESTIC_CACHE_DIR: join(work, 'cache') };
    const init = await backplan(['init', plan, '--state-dir', state], { env });
    expect(init.code, init.stdout + init.stderr).toBe(0);

    // Kill the run (and the restic it started) with SIGKILL while restic holds its lock.
    // The run starts under a subreaper: the restic it leaves behind when killed is reaped, as a
    // real init does. Without one (a container whose pid 1 never waits) the killed restic stays a
    // zombie, restic's own staleness test (is its pid alive?) says yes, and no unlock may remove
    // its lock.
    const argv = [process.execPath, CLI, 'run', plan, '--state-dir', state, '--progress', 'json'];
    const c = spawn('python3', ['-c', REAPER, ...argv], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const started = new Promise<void>((resolve) =>
      c.stdout!.on('data', (d: Buffer) => {
        out += d;
        if (/"event":"step-start"[^\n]*"phase":"backup"/.test(out)) resolve();
      }),
    );
    await started;
    // Kill as soon as restic holds its lock (polled: a fixed wait lets a fast machine finish).
    const locks = join(repo, 'locks');
    const holding = () => { try { return readdirSync(locks).length > 0; } catch { return false; } };
    for (let i = 0; i < 400 && !holding(); i++) await new Promise((r) => setTimeout(r, 25));
    const pgrep = (parent: number) => spawnSync('pgrep', ['-P', String(parent)], { encoding: 'utf8' }).stdout;
    const run = Number(pgrep(c.pid!).trim().split('\n')[0]);
    const kids = pgrep(run)
      .split('\n')
      .filter(Boolean)
      .map(Number);
    expect(kids.length, 'restic was not running').toBeGreaterThan(0);
    const closed = new Promise((r) => c.once('close', r));
    process.kill(run, 'SIGKILL');
    // Each child of a run leads its own process group (restic may sit under a wrapper in it):
    // the whole group is killed, so no restic outlives the run and keeps its lock alive.
    for (const k of kids) {
      for (const target of [-k, k]) {
        try {
          process.kill(target, 'SIGKILL');
        } catch {
          // already gone, or not a group leader
        }
      }
    }
    await closed;
    const resticLocks = readdirSync(join(repo, 'locks'));
    expect(resticLocks.length, 'restic left no lock').toBeGreaterThan(0);
    const saved = join(work, 'saved-lock');
    copyFileSync(join(repo, 'locks', resticLocks[0]), saved);
    rmSync(join(data, 'big.bin'));

    // Without the flag: refused, naming the repository and what clears its lock.
    const refused = await backplan(['run', plan, '--state-dir', state, '--format', 'json'], { env });
    expect(refused.code).toBe(1);
    const msg = JSON.parse(refused.stdout).jobs[0].message as string;
    expect(msg).toContain('stale lock');
    expect(msg).toContain(`repository ${repo}`);
    expect(msg).toContain('`restic unlock`');
    expect(msg).toContain('--break-stale-lock');

    // With it: Backplan's lock broken, restic unlock run first, then the backup and the prune.
    const r = await backplan(['run', plan, '--state-dir', state, '--break-stale-lock', '--format', 'json'], { env });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const steps = JSON.parse(r.stdout).jobs[0].steps as { id: string; status: string; phase: string }[];
    expect(steps[0]).toMatchObject({ id: 'files/unlock', status: 'ok' });
    expect(steps.find((s) => s.phase === 'prune')?.status).toBe('ok');
    expect(readdirSync(join(repo, 'locks'))).toEqual([]);
    const runs = readdirSync(join(state, 'runs')).sort();
    const journal = readJournal(join(state, 'runs', runs[runs.length - 1]));
    expect(journal.some((l) => l.type === 'lock-broken')).toBe(true);
    expect(journal.find((l) => l.type === 'step-start' && l.step === 'files/unlock')).toMatchObject({
      display: expect.stringContaining(`--repo=${repo} unlock`),
    });

    // restic's lock without a stale Backplan lock (its lock deleted by hand after a kill): the
    // step that meets it fails saying which repository and which command.
    copyFileSync(saved, join(repo, 'locks', resticLocks[0]));
    const locked = await backplan(['run', plan, '--state-dir', state, '--format', 'json'], { env });
    expect(locked.code).toBe(1);
    const m = JSON.parse(locked.stdout).jobs[0].message as string;
    expect(m).toContain(`the restic repository ${repo} is locked`);
    expect(m).toContain(`restic --repo=${repo} unlock`);
    expect(m).not.toContain('\n');
    // The same from prune --dry-run, whose restic dry run needs the repository's exclusive lock.
    const dry = await backplan(['prune', plan, '--job', 'files', '--dry-run', '--format', 'json'], { env });
    expect(dry.code).toBe(1);
    const failed = (JSON.parse(dry.stdout) as { failed: string[] }).failed.join(' ');
    expect(failed).toContain(`the restic repository ${repo} is locked`);
    expect(failed).toContain(`restic --repo=${repo} unlock`);

    // A verify, or a restore, with --break-stale-lock after a killed run (a stale Backplan lock
    // and restic's): it clears restic's lock too, as run does, before restoring. (They used to
    // break Backplan's lock and leave restic's, and the next run then failed on it.)
    const gone = spawnSync('true');
    const staleJobLock = () =>
      writeFileSync(
        join(state, 'locks', 'files.lock'),
        `${JSON.stringify({ job: 'files', pid: gone.pid, host: hostname(), since: new Date().toISOString(), run: 'killed', command: 'run' })}\n`,
      );
    for (const op of [['verify', '--scratch-dir', work], ['restore', '--to', join(work, 'restored')]]) {
      staleJobLock();
      copyFileSync(saved, join(repo, 'locks', resticLocks[0]));
      const r2 = await backplan([op[0], plan, '--job', 'files', ...op.slice(1), '--state-dir', state, '--break-stale-lock', '--format', 'json'], { env });
      expect(r2.code, `${op[0]}: ${r2.stdout}${r2.stderr}`).toBe(0);
      expect(readdirSync(join(repo, 'locks')), op[0]).toEqual([]);
      expect(existsSync(join(state, 'locks', 'files.lock'))).toBe(false);
      const runs2 = readdirSync(join(state, 'runs')).sort();
      const j2 = readJournal(join(state, 'runs', runs2[runs2.length - 1]));
      expect(j2.find((l) => l.type === 'step-end' && l.step === 'files/unlock'), op[0]).toMatchObject({ status: 'ok' });
    }
    // The next run needs no flag: nothing is locked any more.
    const next = await backplan(['run', plan, '--state-dir', state, '--format', 'json'], { env });
    expect(next.code, next.stdout + next.stderr).toBe(0);
  }, 240_000);
});
