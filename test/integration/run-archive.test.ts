// `backplan run` of the README's first plan (examples/local.backplan.yaml) through the built
// command, on real files, and the safety invariants of SPEC §8 that a local archive run can
// show: argv only (hostile names), prune only after a successful backup, the newest copy kept,
// one run at a time (live and stale locks), journal + partial-then-rename (kill -9), dry runs
// that change nothing, secrets never in the journal.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { backplan, CLI, ensureBuilt, ROOT } from '../helpers/cli';
import { hasTool, requireTools } from '../helpers/integration';
import { interruptedSteps, readJournal } from '../../engine/run/state/journal';

const JOB = 'docs-archive';
const temps: string[] = [];
const children: ChildProcess[] = [];

beforeAll(() => ensureBuilt(), 120_000);

afterEach(async () => {
  for (const c of children.splice(0)) {
    if (c.exitCode === null && c.signalCode === null) {
      c.kill('SIGKILL');
      await new Promise((r) => c.once('close', r));
    }
  }
  for (const d of temps.splice(0)) rmSync(d, { recursive: true, force: true });
});

interface Sandbox {
  dir: string;
  plan: string;
  state: string;
  backups: string;
  /** Run the built command with the sandbox's state dir. */
  run(...args: string[]): ReturnType<typeof backplan>;
}

/** examples/local.backplan.yaml copied to DIR/examples (so `../backups` is DIR/backups). */
function sandbox(edit: (yaml: string) => string = (y) => y): Sandbox {
  const dir = mkdtempSync(join(tmpdir(), 'bp-run-'));
  temps.push(dir);
  mkdirSync(join(dir, 'examples', 'sub'), { recursive: true });
  const plan = join(dir, 'examples', 'local.backplan.yaml');
  writeFileSync(plan, edit(readFileSync(join(ROOT, 'examples', 'local.backplan.yaml'), 'utf8')));
  writeFileSync(join(dir, 'examples', 'notes.txt'), 'hello\n');
  writeFileSync(join(dir, 'examples', 'sub', 'data.bin'), randomBytes(50_000));
  const state = join(dir, 'state');
  const backups = join(dir, 'backups', JOB);
  return {
    dir,
    plan,
    state,
    backups,
    run: (...args) => backplan([...args.slice(0, 1), plan, ...args.slice(1), '--state-dir', state]),
  };
}

const sha256 = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');
const archives = (dir: string) =>
  existsSync(dir)
    ? readdirSync(dir)
        .filter((n) => n.endsWith('.tar.gz'))
        .sort()
    : [];

function tree(root: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      const st = statSync(p);
      out.push(`${relative(root, p)} ${e.isDirectory() ? 'dir' : st.size} ${st.mtimeMs}`);
      if (e.isDirectory()) walk(p);
    }
  };
  walk(root);
  return out.sort();
}

/** `docs-archive-YYYYMMDDTHHMMZ.tar.gz` for a time `days` days before now. */
function nameDaysAgo(days: number): string {
  const t = new Date(Date.now() - days * 86_400_000);
  const p = (n: number) => String(n).padStart(2, '0');
  const day = `${t.getUTCFullYear()}${p(t.getUTCMonth() + 1)}${p(t.getUTCDate())}`;
  return `${JOB}-${day}T${p(t.getUTCHours())}${p(t.getUTCMinutes())}Z.tar.gz`;
}

/** Place an old copy (archive + manifest) made from `src` under `name`. */
function fakeCopy(backups: string, src: string, name: string): void {
  copyFileSync(join(backups, src), join(backups, name));
  copyFileSync(join(backups, `${src}.sha256`), join(backups, `${name}.sha256`));
}

function bigTree(s: Sandbox): void {
  for (let i = 0; i < 6; i++) writeFileSync(join(s.dir, 'examples', `big-${i}.bin`), randomBytes(16 << 20));
}

function start(s: Sandbox, ...args: string[]): ChildProcess {
  const c = spawn(process.execPath, [CLI, 'run', s.plan, '--state-dir', s.state, ...args], {
    env: { ...process.env, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(c);
  return c;
}

async function until(what: string, cond: () => boolean, ms = 20_000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const partials = (dir: string) => (existsSync(dir) ? readdirSync(dir).filter((n) => n.endsWith('.partial')) : []);

function exited(c: ChildProcess): Promise<{ code: number | null; out: string }> {
  let out = '';
  c.stdout!.on('data', (d) => (out += d));
  c.stderr!.on('data', (d) => (out += d));
  return new Promise((r) => c.once('close', (code) => r({ code, out })));
}

describe('backplan run examples/local.backplan.yaml', () => {
  it('writes a dated tar.gz with a sha256 manifest that standard tools agree with; verify passes, and fails on a ' +
    'tampered archive', () => {
    const s = sandbox();
    const r = s.run('run');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const [name] = archives(s.backups);
    expect(name).toMatch(/^docs-archive-\d{8}T\d{6}Z\.tar\.gz$/);
    expect(readdirSync(s.backups).sort()).toEqual([name, `${name}.sha256`]);
    expect(r.stdout).toContain(`ok      ${JOB}: wrote ${join(s.backups, name)}`);

    // The manifest, checked without Backplan: its first entry is the archive's sha256, and
    // every file GNU tar extracts has the sha256 the manifest lists.
    const archive = join(s.backups, name);
    const lines = readFileSync(`${archive}.sha256`, 'utf8')
      .split('\n')
      .filter((l) => l && !l.startsWith('#'));
    expect(lines[0]).toBe(`${sha256(archive)}  ${name}`);
    const out = join(s.dir, 'extracted');
    mkdirSync(out);
    expect(spawnSync('tar', ['-xzf', archive, '-C', out]).status).toBe(0);
    const members = new Map(lines.slice(1).map((l) => [l.slice(66), l.slice(0, 64)]));
    const root = join(s.dir, 'examples').slice(1);
    expect([...members.keys()].sort()).toEqual([
      `${root}/local.backplan.yaml`,
      `${root}/notes.txt`,
      `${root}/sub/data.bin`,
    ]);
    for (const [p, h] of members) expect(sha256(join(out, p)), p).toBe(h);
    // `sha256sum -c` checks the archive line with the manifest as it is.
    if (hasTool('sha256sum'))
      expect(spawnSync('sha256sum', ['-c', '--ignore-missing', `${name}.sha256`], { cwd: s.backups }).status).toBe(0);

    const v = s.run('verify', '--job', JOB);
    expect(v.code).toBe(0);
    expect(v.stdout).toContain(
      `verified ${JOB}: ${name} restored; archive sha256 matches its manifest and all 3 files are identical`,
    );

    // One byte changed in the middle of the archive.
    const bytes = readFileSync(archive);
    const original = Buffer.from(bytes);
    bytes[bytes.length >> 1] ^= 0xff;
    writeFileSync(archive, bytes);
    const bad = s.run('verify', '--job', JOB);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(
      /FAILED docs-archive[\s\S]*sha256 .* the manifest says .*: the file was changed or damaged/,
    );

    // Archive intact again, but the manifest lies about one member.
    writeFileSync(archive, original);
    const manifest = readFileSync(`${archive}.sha256`, 'utf8');
    const notes = members.get(`${root}/notes.txt`)!;
    writeFileSync(`${archive}.sha256`, manifest.replace(notes, '0'.repeat(64)));
    const lie = s.run('verify', '--job', JOB);
    expect(lie.code).toBe(1);
    expect(lie.stdout).toContain(`${root}/notes.txt: sha256 ${notes} differs from the manifest's ${'0'.repeat(64)}`);
  });

  it('a second run prunes by the policy (keep last 2), keeps what is not its own, and prune --dry-run changes ' +
    'nothing', () => {
    const s = sandbox((y) => y.replace('keep: { last: 3, daily: 7, weekly: 4 }', 'keep: { last: 2 }'));
    expect(s.run('run').code).toBe(0);
    const [first] = archives(s.backups);
    // Yesterday's and older runs, plus files the job never made.
    const [d1, d2, d3] = [nameDaysAgo(1), nameDaysAgo(2), nameDaysAgo(3)];
    fakeCopy(s.backups, first, d2);
    fakeCopy(s.backups, first, d3);
    renameSync(join(s.backups, first), join(s.backups, d1));
    renameSync(join(s.backups, `${first}.sha256`), join(s.backups, `${d1}.sha256`));
    writeFileSync(join(s.backups, 'docs-archive-handmade.tar.gz'), 'not a dated copy');
    writeFileSync(join(s.backups, 'other-20200101T0000Z.tar.gz'), 'another job');

    const before = tree(s.dir);
    const dry = s.run('prune', '--job', JOB, '--dry-run');
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(new RegExp(`keep  \\s+${d1}.*last snapshot`));
    expect(dry.stdout).toMatch(new RegExp(`keep  \\s+${d2}.*last snapshot`));
    expect(dry.stdout).toMatch(new RegExp(`remove\\s+${d3}`));
    expect(dry.stdout).toContain(
      'ignore  docs-archive-handmade.tar.gz (its name holds no time this job could have written)',
    );
    expect(dry.stdout).toContain('dry run: 1 of 3 copies would be removed; nothing was changed');
    expect(tree(s.dir)).toEqual(before);

    const r = s.run('run', '--format', 'json');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    const prune = report.jobs[0].steps.find((x: { phase: string }) => x.phase === 'prune');
    const [now] = archives(s.backups).filter(
      (n) => ![d1, d2, d3, 'docs-archive-handmade.tar.gz', 'other-20200101T0000Z.tar.gz'].includes(n),
    );
    expect(prune.detail.removed.sort()).toEqual([d2, d3].sort());
    expect(prune.detail.kept.map((k: { name: string }) => k.name)).toEqual([now, d1]);
    expect(readdirSync(s.backups).sort()).toEqual(
      ['docs-archive-handmade.tar.gz', 'other-20200101T0000Z.tar.gz', now, `${now}.sha256`, d1, `${d1}.sha256`].sort(),
    );
    // The journal has each removal before and after it happened.
    const j = readJournal(report.journal);
    expect(j.filter((l) => l.type === 'remove-start').length).toBe(4);
    expect(j.filter((l) => l.type === 'remove-end' && l.ok).length).toBe(4);
  });

  it('a job with a prune_schedule is not pruned by run (the simulation prunes it there too); backplan prune does ' +
    'it', () => {
    const s = sandbox((y) =>
      y
        .replace('keep: { last: 3, daily: 7, weekly: 4 }', 'keep: { last: 1 }')
        .replace('rpo: 1d', 'rpo: 1d\n    prune_schedule: "30 4 * * *"'),
    );
    expect(s.run('run').code).toBe(0);
    const [first] = archives(s.backups);
    const old = nameDaysAgo(2);
    renameSync(join(s.backups, first), join(s.backups, old));
    renameSync(join(s.backups, `${first}.sha256`), join(s.backups, `${old}.sha256`));
    writeFileSync(join(s.backups, `${nameDaysAgo(3)}.partial`), 'left by an interrupted run');

    const plan = backplan(['plan', s.plan]);
    expect(plan.stdout).toContain(
      'note: pruned on its prune_schedule (30 4 * * *): `backplan run` leaves it to `backplan prune`',
    );
    const r = s.run('run', '--format', 'json');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.jobs[0].status).toBe('ok');
    expect(report.jobs[0].steps.find((x: { phase: string }) => x.phase === 'prune')).toMatchObject({
      status: 'skipped',
      message: 'pruned on its prune_schedule (30 4 * * *), not after the backup',
    });
    // Both copies are still there; the leftover of an interrupted run is cleaned all the same.
    expect(archives(s.backups)).toHaveLength(2);
    expect(archives(s.backups)).toContain(old);
    expect(partials(s.backups)).toEqual([]);

    const p = s.run('prune', '--job', JOB);
    expect(p.code, p.stdout + p.stderr).toBe(0);
    expect(archives(s.backups)).toHaveLength(1);
    expect(archives(s.backups)).not.toContain(old);
  });

  it('never removes the newest copy: a policy that keeps nothing of what exists still keeps 1 (or `min`)', () => {
    const s = sandbox((y) => y.replace('keep: { last: 3, daily: 7, weekly: 4 }', 'keep: { within: 1d }'));
    expect(s.run('run').code).toBe(0);
    const [first] = archives(s.backups);
    const old = [nameDaysAgo(5), nameDaysAgo(4), nameDaysAgo(3)];
    for (const n of old.slice(1)) fakeCopy(s.backups, first, n);
    renameSync(join(s.backups, first), join(s.backups, old[0]));
    renameSync(join(s.backups, `${first}.sha256`), join(s.backups, `${old[0]}.sha256`));

    // Every copy is older than `within: 1d`: the policy alone would remove all three.
    const r = s.run('prune', '--job', JOB);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`keep  \\s+${old[2]}.*newest copy: never removed`));
    expect(archives(s.backups)).toEqual([old[2]]);
    expect(readdirSync(s.backups).sort()).toEqual([old[2], `${old[2]}.sha256`]);

    // With min: 2 and two old copies, both stay.
    const s2 = sandbox((y) =>
      y.replace('keep: { last: 3, daily: 7, weekly: 4 }', 'keep: { within: 1d }\n      min: 2'),
    );
    expect(s2.run('run').code).toBe(0);
    const [f2] = archives(s2.backups);
    renameSync(join(s2.backups, f2), join(s2.backups, nameDaysAgo(9)));
    renameSync(join(s2.backups, `${f2}.sha256`), join(s2.backups, `${nameDaysAgo(9)}.sha256`));
    fakeCopy(s2.backups, nameDaysAgo(9), nameDaysAgo(8));
    fakeCopy(s2.backups, nameDaysAgo(9), nameDaysAgo(7));
    const r2 = s2.run('prune', '--job', JOB);
    expect(r2.code).toBe(0);
    expect(archives(s2.backups)).toEqual([nameDaysAgo(8), nameDaysAgo(7)].sort());
    expect(r2.stdout).toContain('one of the 2 newest copies (min: 2)');
  });

  it('does not prune when the backup failed', () => {
    const s = sandbox((y) => y.replace('keep: { last: 3, daily: 7, weekly: 4 }', 'keep: { last: 1 }'));
    expect(s.run('run').code).toBe(0);
    const [first] = archives(s.backups);
    for (const d of [3, 2, 1]) fakeCopy(s.backups, first, nameDaysAgo(d));
    const kept = readdirSync(s.backups).sort();
    // Same plan, but one of its paths is gone: the backup fails.
    writeFileSync(s.plan, readFileSync(s.plan, 'utf8').replace('paths: [.]', 'paths: [., ./vanished]'));
    const r = s.run('run', '--format', 'json');
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout);
    const steps = report.jobs[0].steps;
    expect(steps.map((x: { phase: string; status: string }) => `${x.phase}:${x.status}`)).toEqual([
      'setup:ok',
      'backup:failed',
      'prune:skipped',
    ]);
    expect(steps[1].message).toMatch(/cannot read .*\/examples\/vanished: ENOENT/);
    expect(readdirSync(s.backups).sort()).toEqual(kept);
    const j = readJournal(report.journal);
    expect(j.some((l) => l.type === 'step-start' && l.phase === 'prune')).toBe(false);
    expect(j.some((l) => l.type === 'remove-start')).toBe(false);
  });

  it('kill -9 in the middle of a backup leaves no whole-looking file; the journal shows it; the stale lock is ' +
    'reported, then cleared on request, and the next run completes', async () => {
    const s = sandbox();
    bigTree(s);
    const c = start(s);
    const done = exited(c);
    await until('the .partial archive', () => partials(s.backups).length > 0);
    await new Promise((r) => setTimeout(r, 200));
    c.kill('SIGKILL');
    await done;
    // Nothing with a final name: only the partial.
    expect(archives(s.backups)).toEqual([]);
    expect(readdirSync(s.backups).every((n) => n.endsWith('.partial'))).toBe(true);
    const [journal] = readdirSync(join(s.state, 'runs'));
    const lines = readJournal(join(s.state, 'runs', journal));
    expect(interruptedSteps(lines)).toEqual([`${JOB}/2`]);
    expect(lines.some((l) => l.type === 'run-end')).toBe(false);

    // The lock of the killed run is stale: reported, not broken.
    const refused = s.run('run');
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(/job docs-archive has a stale lock: process \d+ no longer exists/);
    expect(refused.stdout).toContain('--break-stale-lock');
    expect(refused.stdout).toContain(journal);
    expect(existsSync(join(s.state, 'locks', `${JOB}.lock`))).toBe(true);

    const r = s.run('run', '--break-stale-lock');
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/broke the stale lock of job docs-archive \(process \d+ no longer exists/);
    expect(archives(s.backups)).toHaveLength(1);
    expect(partials(s.backups)).toEqual([]);
    expect(existsSync(join(s.state, 'locks', `${JOB}.lock`))).toBe(false);
    expect(s.run('verify', '--job', JOB).code).toBe(0);
  }, 60_000);

  it('SIGINT stops the run: the step fails as interrupted, its partial is removed, the lock released, the journal ' +
    'closed', async () => {
    const s = sandbox();
    bigTree(s);
    const c = start(s);
    const done = exited(c);
    await until('the .partial archive', () => partials(s.backups).length > 0);
    c.kill('SIGINT');
    const r = await done;
    expect(r.code).toBe(1);
    expect(r.out).toContain('docs-archive/2: interrupted (the run was stopped)');
    expect(readdirSync(s.backups)).toEqual([]);
    expect(readdirSync(join(s.state, 'locks'))).toEqual([]);
    const [journal] = readdirSync(join(s.state, 'runs'));
    const lines = readJournal(join(s.state, 'runs', journal));
    expect(interruptedSteps(lines)).toEqual([]);
    expect(lines.at(-1)).toMatchObject({ type: 'run-end', status: 'failed' });
  }, 60_000);

  it('two runs of the same job at once: the second refuses with the lock message', async () => {
    const s = sandbox();
    bigTree(s);
    const a = start(s);
    const done = exited(a);
    await until('the first run to hold the lock', () => partials(s.backups).length > 0);
    const b = s.run('run');
    expect(b.code).toBe(1);
    expect(b.stdout).toMatch(
      new RegExp(
        `job docs-archive is already running \\(pid ${a.pid} since \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z, run \\S+\\); wait ` +
          `for it to finish`,
      ),
    );
    const ra = await done;
    expect(ra.code).toBe(0);
    expect(archives(s.backups)).toHaveLength(1);
  }, 60_000);

  it('a stale lock left by a process that no longer exists is refused with how to clear it, and never removed ' +
    'silently', () => {
    const s = sandbox();
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const pid = Number(gone.stdout);
    mkdirSync(join(s.state, 'locks'), { recursive: true });
    const lock = join(s.state, 'locks', `${JOB}.lock`);
    writeFileSync(
      lock,
      JSON.stringify({
        job: JOB,
        pid,
        host: hostname(),
        since: '2024-01-01T00:00:00.000Z',
        run: 'old-run',
        command: 'run',
      }),
    );
    const r = s.run('run');
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(
      `job docs-archive has a stale lock: process ${pid} no longer exists (the run that took it, pid ${pid} since ` +
        `2024-01-01T00:00:00.000Z, run old-run, was interrupted)`,
    );
    expect(r.stdout).toContain(`run again with --break-stale-lock, or delete ${lock}`);
    expect(existsSync(lock)).toBe(true);
    expect(archives(s.backups)).toEqual([]);
    // prune and verify refuse the same way.
    expect(s.run('prune', '--job', JOB).stderr).toContain('has a stale lock');
    expect(s.run('run', '--break-stale-lock').code).toBe(0);
  });

  it('--dry-run (and prune --dry-run) change nothing anywhere: same tree, no state directory, no lock', () => {
    const s = sandbox();
    const state = join(s.dir, 'state-from-env');
    const home = join(s.dir, 'home');
    mkdirSync(home);
    const before = tree(s.dir);
    for (const env of [{ BACKPLAN_STATE_DIR: state }, { BACKPLAN_STATE_DIR: '', XDG_STATE_HOME: '', HOME: home }]) {
      const r = backplan(['run', s.plan, '--dry-run'], { env });
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`${JOB}/2 backup: archive ${join(s.dir, 'examples')} to ${s.backups}/docs-archive-`);
      expect(r.stdout).toContain('nothing was run or changed');
      const p = backplan(['prune', s.plan, '--job', JOB, '--dry-run'], { env });
      expect(p.code).toBe(0);
    }
    const r = s.run('run', '--dry-run', '--format', 'json');
    expect(JSON.parse(r.stdout).steps.map((x: { phase: string }) => x.phase)).toEqual(['setup', 'backup', 'prune']);
    expect(tree(s.dir)).toEqual(before);
    expect(existsSync(s.state)).toBe(false);
    expect(existsSync(state)).toBe(false);
    expect(existsSync(join(s.dir, 'backups'))).toBe(false);
  });

  it('refuses a plan with check errors (exit 1, listed) and bad usage (exit 2)', () => {
    const s = sandbox((y) => y.replace('schedule: "0 3 * * *"', 'schedule: "0 25 * * *"'));
    const r = s.run('run');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/local\.backplan\.yaml:\d+:\d+: .*\[cron-invalid\]/);
    expect(r.stderr).toContain('the plan has errors');
    expect(existsSync(s.state)).toBe(false);
    expect(backplan(['run']).code).toBe(2);
    expect(backplan(['run', s.plan, '--job', 'nope']).code).toBe(2);
    expect(backplan(['run', join(s.dir, 'missing.yaml')]).code).toBe(2);
    expect(backplan(['prune', s.plan]).code).toBe(2);
    expect(backplan(['run', s.plan, '--progress', 'xml']).code).toBe(2);
  });

  it('--progress json streams one JSON event per line, each step before and after, and a summary last', () => {
    const s = sandbox();
    const r = s.run('run', '--progress', 'json');
    expect(r.code).toBe(0);
    const events = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(events.map((e) => (e.step ? `${e.event} ${e.step}` : e.event))).toEqual([
      'run-start',
      'job-start',
      `step-start ${JOB}/1`,
      `step-end ${JOB}/1`,
      `step-start ${JOB}/2`,
      `step-end ${JOB}/2`,
      `step-start ${JOB}/3`,
      `step-end ${JOB}/3`,
      'job-end',
      'run-end',
      'summary',
    ]);
    expect(events.at(-1)).toMatchObject({ event: 'summary', ok: true, jobs: [{ job: JOB, status: 'ok' }] });
  });
});

describe('several jobs', () => {
  function multi(jobs: string): { plan: string; state: string; dir: string } {
    const dir = mkdtempSync(join(tmpdir(), 'bp-multi-'));
    temps.push(dir);
    for (const d of ['a', 'b']) {
      mkdirSync(join(dir, d));
      writeFileSync(join(dir, d, 'f.txt'), d);
    }
    const plan = join(dir, 'multi.backplan.yaml');
    writeFileSync(
      plan,
      [
        'version: 1',
        'hosts:',
        '  h1: { site: home }',
        '  h2: { site: home }',
        'storage:',
        '  disk: { host: h1, media: ssd, path: ./out }',
        'jobs:',
        jobs,
        'checks: { coverage-3-2-1: off, no-restore-test: off, unused: off }',
        '',
      ].join('\n'),
    );
    return { plan, state: join(dir, 'state'), dir };
  }

  it('a job whose prerequisite failed is skipped, and the run fails', () => {
    const m = multi(
      [
        '  first: { kind: archive, host: h1, paths: [./a, ./missing], to: disk }',
        '  second: { kind: archive, host: h1, paths: [./b], to: disk, after: [first] }',
        '  other: { kind: archive, host: h2, paths: [./b], to: disk }',
      ].join('\n'),
    );
    const r = backplan(['run', m.plan, '--state-dir', m.state, '--format', 'json']);
    expect(r.code).toBe(1);
    const jobs = Object.fromEntries(
      JSON.parse(r.stdout).jobs.map((j: { job: string; status: string; message?: string }) => [
        j.job,
        [j.status, j.message],
      ]),
    );
    expect(jobs.first[0]).toBe('failed');
    expect(jobs.second).toEqual(['skipped', 'skipped: prerequisite job first failed']);
    expect(jobs.other[0]).toBe('ok');
    expect(existsSync(join(m.dir, 'out', 'second'))).toBe(false);
  });

  it('jobs of different hosts run at the same time; jobs of one host one after the other (--per-host 1)', async () => {
    const m = multi(
      [
        '  j1: { kind: archive, host: h1, paths: [./a], to: disk }',
        '  j2: { kind: archive, host: h2, paths: [./a], to: disk }',
        '  j3: { kind: archive, host: h1, paths: [./b], to: disk }',
      ].join('\n'),
    );
    for (let i = 0; i < 3; i++) writeFileSync(join(m.dir, 'a', `big-${i}.bin`), randomBytes(8 << 20));
    const r = backplan(['run', m.plan, '--state-dir', m.state, '--progress', 'json']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const ev = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const at = (event: string, job: string) => ev.findIndex((e) => e.event === event && e.job === job);
    // j2 (host h2) starts before j1 (host h1) ends; j3 (host h1) starts only after j1 ended.
    expect(at('job-start', 'j2')).toBeLessThan(at('job-end', 'j1'));
    expect(at('job-start', 'j3')).toBeGreaterThan(at('job-end', 'j1'));
  }, 60_000);
});

describe('hostile plans', () => {
  it('paths, storage path, excludes and a gpg recipient that try to inject commands are passed as single arguments: ' +
    'the canary never appears', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bp-hostile-'));
    temps.push(dir);
    const names = [
      'a$(touch CANARY)',
      'b`touch CANARY`',
      'c; touch CANARY',
      "d' ; touch CANARY; '",
      'e && touch CANARY #',
      'f | touch CANARY',
    ];
    for (const n of names) {
      mkdirSync(join(dir, n));
      writeFileSync(join(dir, n, 'x.txt'), n);
    }
    const q = (v: string) => JSON.stringify(v);
    const plan = join(dir, 'hostile.backplan.yaml');
    writeFileSync(
      plan,
      [
        'version: 1',
        'hosts:',
        '  here: { site: home }',
        'storage:',
        '  odd:',
        '    host: here',
        '    media: ssd',
        `    path: ${q('./out$(touch CANARY)`touch CANARY`; touch CANARY')}`,
        'jobs:',
        '  inject:',
        '    kind: archive',
        '    host: here',
        `    paths: [${names.map((n) => q(`./${n}`)).join(', ')}]`,
        `    exclude: [${q('$(touch CANARY)')}, ${q('; touch CANARY')}]`,
        '    to: odd',
        '    retention: { keep: { last: 2 } }',
        '  inject-gpg:',
        '    kind: archive',
        '    host: here',
        `    paths: [${q('./a$(touch CANARY)')}]`,
        '    to: odd',
        `    encrypt: { gpg: { recipient: ${q('$(touch CANARY)`touch CANARY`; touch CANARY')} } }`,
        'checks: { coverage-3-2-1: off, no-restore-test: off, offsite-unencrypted: off }',
        '',
      ].join('\n'),
    );
    const state = join(dir, 'state');
    // An empty keyring of the test's own: gpg's words do not depend on the machine's ~/.gnupg.
    const gnupg = join(dir, 'gnupg');
    mkdirSync(gnupg, { mode: 0o700 });
    const r = backplan(['run', plan, '--state-dir', state], { cwd: dir, env: { GNUPGHOME: gnupg } });
    const canaries = () =>
      spawnSync('find', [dir, ROOT, '-maxdepth', '3', '-name', 'CANARY'], { encoding: 'utf8' }).stdout.trim();
    expect(canaries()).toBe('');
    // The plain archive succeeded with every odd name inside it, verbatim.
    const out = join(dir, 'out$(touch CANARY)`touch CANARY`; touch CANARY', 'inject');
    const [name] = archives(out);
    expect(name).toBeDefined();
    const manifest = readFileSync(join(out, `${name}.sha256`), 'utf8');
    for (const n of names) expect(manifest).toContain(`/${n}/x.txt`);
    expect(backplan(['verify', plan, '--job', 'inject', '--state-dir', state], { cwd: dir }).code).toBe(0);
    // gpg received the recipient as one argument (and found no such key) when it is installed.
    expect(r.code).toBe(1);
    if (hasTool('gpg')) {
      expect(r.stdout).toContain('inject-gpg/2: gpg exited with status 2: ');
      expect(r.stdout).toContain('gpg: $(touch CANARY)`touch CANARY`; touch CANARY: skipped: No public key');
    }
    expect(canaries()).toBe('');
  });
});

describe('secrets', () => {
  it.skipIf(!requireTools('restic'))(
    'a restic job gets its password by environment; the value never reaches the journal, the output or the progress ' +
      'events',
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'bp-secret-'));
      temps.push(dir);
      const secret = `pw-${randomBytes(12).toString('hex')}`;
      mkdirSync(join(dir, 'data'));
      writeFileSync(join(dir, 'data', 'f.txt'), 'data');
      const repo = join(dir, 'repo', 'files');
      const init = spawnSync('restic', ['init', '--repo', repo], {
        env: { ...process.env, RESTIC_PASSWORD: secret },
        encoding: 'utf8',
      });
      expect(init.status, init.stderr).toBe(0);
      const plan = join(dir, 'secret.backplan.yaml');
      writeFileSync(
        plan,
        [
          'version: 1',
          'hosts: { here: { site: home } }',
          `storage: { repo: { host: here, media: ssd, path: ./repo } }`,
          'jobs:',
          '  files:',
          '    kind: restic',
          '    host: here',
          '    paths: [./data]',
          '    to: repo',
          '    password_env: BP_TEST_RESTIC_PASSWORD',
          'checks: { coverage-3-2-1: off, no-restore-test: off }',
          '',
        ].join('\n'),
      );
      const state = join(dir, 'state');
      const ok = backplan(['run', plan, '--state-dir', state, '--progress', 'json'], {
        env: { BP_TEST_RESTIC_PASSWORD: secret, RESTIC_CACHE_DIR: join(dir, 'cache') },
      });
      expect(ok.code, ok.stdout + ok.stderr).toBe(0);
      const snaps = spawnSync('restic', ['snapshots', '--json', '--repo', repo, '--no-cache'], {
        env: { ...process.env, RESTIC_PASSWORD: secret },
        encoding: 'utf8',
      });
      expect(JSON.parse(snaps.stdout)).toHaveLength(1);
      // A wrong password: restic fails, and still nothing shows the value.
      const wrong = `${secret}-wrong`;
      const bad = backplan(['run', plan, '--state-dir', state], {
        env: { BP_TEST_RESTIC_PASSWORD: wrong, RESTIC_CACHE_DIR: join(dir, 'cache') },
      });
      expect(bad.code).toBe(1);
      // Not set at all: refused with the variable's name.
      const unset = backplan(['run', plan, '--state-dir', state], { env: { BP_TEST_RESTIC_PASSWORD: '' } });
      expect(unset.stdout).toContain('environment variable BP_TEST_RESTIC_PASSWORD is not set');
      const journals = readdirSync(join(state, 'runs'))
        .map((f) => readFileSync(join(state, 'runs', f), 'utf8'))
        .join('\n');
      // The journal shows the reference, as `plan` does.
      const starts = journals
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l))
        .filter((l) => l.type === 'step-start');
      expect(starts[0].display).toContain('RESTIC_PASSWORD="$BP_TEST_RESTIC_PASSWORD" restic --repo=');
      for (const text of [journals, ok.stdout, ok.stderr, bad.stdout, bad.stderr, unset.stdout, unset.stderr]) {
        expect(text).not.toContain(secret);
      }
    },
  );
});
