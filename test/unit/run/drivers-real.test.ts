// The generated argv of the drivers whose tools are on this machine, executed for real (locally,
// as a runner would for a local host): the syntax is the tools' own, not our belief about it.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireTools } from '../../helpers/integration';
import { DRIVERS } from '../../../engine/run/drivers/index';
import type { CommandStep, EnvValue, Step } from '../../../engine/run/steps/step';
import { NOW, job, plan, policy, storage } from './helpers';

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'bp-run-'));
  mkdirSync(join(dir, 'data/sub'), { recursive: true });
  writeFileSync(join(dir, 'data/a.txt'), 'alpha\n');
  writeFileSync(join(dir, 'data/sub/b.tmp'), 'excluded\n');
  writeFileSync(join(dir, "data/sub/it's $(x).txt"), 'hostile name\n');
  mkdirSync(join(dir, 'store'));
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Resolve env references as a runner does (from this process's environment or a file). */
function envOf(e: Record<string, EnvValue> | undefined): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...process.env };
  for (const [k, v] of Object.entries(e ?? {})) {
    out[k] =
      'fromEnv' in v ? process.env[v.fromEnv] : 'fromFile' in v ? readFileSync(v.fromFile, 'utf8').trim() : v.value;
  }
  return out;
}

function exec(step: CommandStep, argv = step.argv, input?: Buffer, extraEnv: NodeJS.ProcessEnv = {}): Buffer {
  const r = spawnSync(argv[0], argv.slice(1), { env: { ...envOf(step.env), ...extraEnv }, input });
  if (r.status !== 0) throw new Error(`${argv.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

function commands(steps: Step[]): CommandStep[] {
  return steps.filter((s): s is CommandStep => s.type === 'command');
}

describe.skipIf(!requireTools('restic'))('restic argv against restic', () => {
  it('backs up, then the guard and the forget keep exactly what the policy keeps', () => {
    process.env.BP_TEST_RESTIC_PW = 'test-password';
    const j = job('files', {
      kind: 'restic',
      paths: [join(dir, 'data')],
      exclude: ['*.tmp'],
      to: 'store',
      password_env: 'BP_TEST_RESTIC_PW',
      retention: policy(undefined, { keep: { last: 1, daily: 2, within: '1d' } }),
    });
    const p = plan({ storage: [storage('store', { path: join(dir, 'store') })], jobs: [j] });
    const r = DRIVERS.restic(j, p, { now: NOW });
    expect(r.errors).toEqual([]);
    const [backup, prune] = commands(r.steps);
    const repo = join(dir, 'store/files');
    const resticJson = (args: string[]) =>
      JSON.parse(execFileSync('restic', ['--repo', repo, ...args, '--json'], { env: envOf(backup.env) }).toString());
    execFileSync('restic', ['--repo', repo, 'init', '-q'], { env: envOf(backup.env) });
    // The generated backup argv, at chosen past times (hours before the newest, March 5 06:00
    // UTC). Each rule keeps its own: `last: 1` the newest; `within: 1d` (restic: of the newest
    // snapshot) also the one 2 h older; `daily: 2` the newest of March 5 and of March 4 (26 h,
    // not 30 h). Restic keeps their union, the other three go.
    const newest = Date.UTC(2024, 2, 5, 6, 0, 0);
    const ages = [240, 72, 30, 26, 2, 0].map((h) => newest - h * 3_600_000);
    for (const t of ages) {
      const at = backup.argv.indexOf('--');
      const when = new Date(t).toISOString().replace('T', ' ').slice(0, 19);
      exec(backup, [...backup.argv.slice(0, at), `--time=${when}`, ...backup.argv.slice(at)], undefined, { TZ: 'UTC' });
    }
    type Snap = { id: string; time: string; tags: string[] };
    const snaps: Snap[] = resticJson(['snapshots']);
    expect(snaps.map((s) => Date.parse(s.time)).sort((a, b) => a - b)).toEqual(ages);
    for (const s of snaps) expect(s.tags).toEqual(['backplan:files']);
    const files = execFileSync('restic', ['--repo', repo, 'ls', 'latest'], {
      env: envOf(backup.env),
      encoding: 'utf8',
    });
    expect(files).toContain("it's $(x).txt");
    expect(files).not.toContain('b.tmp');
    const idAt = (t: number) => snaps.find((s) => Date.parse(s.time) === t)!.id;
    const kept = [ages[3], ages[4], ages[5]].map(idAt).sort();
    const removed = [ages[0], ages[1], ages[2]].map(idAt).sort();
    // the guard's dry run: one group (no grouping), the same split
    const dry = JSON.parse(exec(prune, prune.guard!.argv).toString());
    expect(dry).toHaveLength(1);
    expect(dry[0].keep.map((s: Snap) => s.id).sort()).toEqual(kept);
    expect(dry[0].remove.map((s: Snap) => s.id).sort()).toEqual(removed);
    exec(prune);
    expect(resticJson(['snapshots']).map((s: Snap) => s.id).sort()).toEqual(kept);
  }, 60_000);
});

describe.skipIf(!requireTools('borg'))('borg argv against borg', () => {
  it('creates an archive, then prune (guard and real) and compact', () => {
    process.env.BP_TEST_BORG_PW = 'test-passphrase';
    const j = job('b', {
      kind: 'borg',
      paths: [join(dir, 'data')],
      exclude: ['*.tmp'],
      to: 'store',
      passphrase_env: 'BP_TEST_BORG_PW',
      retention: policy(undefined, { keep: { within: '2d', daily: 3 } }),
    });
    const p = plan({ storage: [storage('store', { path: join(dir, 'store') })], jobs: [j] });
    const r = DRIVERS.borg(j, p, { now: NOW });
    expect(r.errors).toEqual([]);
    const [create, prune, compact] = commands(r.steps);
    const repo = join(dir, 'store/b');
    execFileSync('borg', ['init', '--encryption=repokey', repo], {
      env: { ...envOf(create.env), BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK: 'yes' },
    });
    exec(create);
    const list = execFileSync('borg', ['list', '--short', repo], { env: envOf(create.env), encoding: 'utf8' });
    expect(list.trim()).toBe('b-20240305T060700Z');
    const dry = spawnSync(prune.guard!.argv[0], prune.guard!.argv.slice(1), {
      env: envOf(prune.env),
      encoding: 'utf8',
    });
    expect(dry.status).toBe(0);
    expect(dry.stderr).toMatch(/Keeping archive.*b-20240305T060700Z/);
    exec(prune);
    exec(compact);
  }, 60_000);
});

describe.skipIf(!requireTools('gpg'))('gpg stage against gpg', () => {
  it('encrypts a stream for the recipient; the key holder decrypts it', () => {
    const home = join(dir, 'gnupg');
    mkdirSync(home, { mode: 0o700 });
    const env = { ...process.env, GNUPGHOME: home };
    execFileSync(
      'gpg',
      ['--batch', '--passphrase', '', '--quick-gen-key', 'bp-test@example.net', 'default', 'default', 'never'],
      { env, stdio: 'ignore' },
    );
    const j = job('db', {
      kind: 'pg-dump',
      database: 'app',
      to: 'store',
      encrypt: { gpg: { recipient: 'bp-test@example.net' } },
    });
    const p = plan({ storage: [storage('store', { path: join(dir, 'store') })], jobs: [j] });
    const r = DRIVERS['pg-dump'](j, p, { now: NOW });
    expect(r.errors).toEqual([]);
    const gpg = commands(r.steps)[1].pipe![0];
    const enc = spawnSync(gpg.argv[0], gpg.argv.slice(1), { env, input: Buffer.from('dump bytes\n') });
    expect(enc.status).toBe(0);
    const dec = execFileSync('gpg', ['--batch', '--quiet', '--decrypt'], {
      env,
      input: enc.stdout,
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    expect(dec.toString()).toBe('dump bytes\n');
  }, 60_000);
});
