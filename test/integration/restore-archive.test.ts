// `backplan restore` of archive and rsync jobs through the built command, on real files: back up
// with `backplan run`, change and delete the source, restore to a new target and in place, and
// compare byte for byte; the refusals (a non-empty target, --in-place without --yes), a restore
// killed with SIGKILL halfway (target absent, nothing looking whole), a corrupted archive (clear
// message, nothing at the target), a prune started during a restore (refused by the lock),
// hostile file names, a dump copy read from an rsync replica, and --dry-run changing nothing.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  lstatSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { backplan, CLI, ensureBuilt } from '../helpers/cli';
import { HOSTILE_NAMES as HOSTILE, hostileTree, NON_UTF8_NAME, show, writeHostileTree } from '../helpers/hostile-names';
import { requireTools } from '../helpers/integration';
import { readJournal } from '../../engine/run/state/journal';

const ok = requireTools('rsync', 'find', 'mv');
const temps: string[] = [];
const children: ChildProcess[] = [];

beforeAll(() => ensureBuilt(), 120_000);
afterEach(async () => {
  for (const c of children.splice(0)) {
    if (c.exitCode === null && c.signalCode === null) {
      try {
        process.kill(-c.pid!, 'SIGKILL');
      } catch {
        // gone
      }
      await new Promise((r) => c.once('close', r));
    }
  }
  for (const d of temps.splice(0)) rmSync(d, { recursive: true, force: true });
});


interface Box {
  dir: string;
  src: string;
  plan: string;
  state: string;
  cli(...args: string[]): ReturnType<typeof backplan>;
}

function box(kind: 'archive' | 'rsync', extra = ''): Box {
  const dir = mkdtempSync(join(tmpdir(), 'bp-restore-'));
  temps.push(dir);
  const src = join(dir, 'src');
  mkdirSync(join(src, 'sub'), { recursive: true });
  writeFileSync(join(src, 'notes.txt'), 'hello\n');
  writeFileSync(join(src, 'sub', 'data.bin'), randomBytes(40_000));
  writeHostileTree(src);
  const plan = join(dir, 'p.backplan.yaml');
  writeFileSync(
    plan,
    [
      'version: 1',
      'hosts:',
      '  here: { site: home }',
      'storage:',
      `  disk: { host: here, path: ${JSON.stringify(join(dir, 'backups'))} }`,
      'jobs:',
      '  files:',
      `    kind: ${kind}`,
      '    host: here',
      `    paths: [${JSON.stringify(src)}]`,
      '    to: disk',
      '    rto: 4h',
      '    retention: { keep: { last: 1 } }',
      extra,
      'checks: { coverage-3-2-1: off, no-restore-test: off, db-without-dump: off }',
      '',
    ].join('\n'),
  );
  const state = join(dir, 'state');
  return { dir, src, plan, state, cli: (cmd, ...args) => backplan([cmd, plan, ...args, '--state-dir', state]) };
}

/** Every entry under `root` by its bytes: equal trees are a byte-for-byte round trip. */
const tree = hostileTree;

function backupDir(b: Box): string {
  return join(b.dir, 'backups', 'files');
}

describe.skipIf(!ok).each(['archive', 'rsync'] as const)('backplan restore of an %s job', (kind) => {
  it('restores to a new target and in place, byte for byte, hostile names included; refuses a non-empty target', () => {
    const b = box(kind);
    const before = tree(b.src);
    const run = b.cli('run');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    // verify restores the copy and checks it, hostile names included
    const v = b.cli('verify', '--job', 'files', '--scratch-dir', b.dir);
    expect(v.stderr).toBe('');
    expect(v.code, v.stdout).toBe(0);
    // The source changes and loses files after the backup.
    writeFileSync(join(b.src, 'notes.txt'), 'changed\n');
    rmSync(join(b.src, 'sub'), { recursive: true });
    rmSync(join(b.src, HOSTILE[0]));
    writeFileSync(join(b.src, 'new.txt'), 'new\n');

    const to = join(b.dir, 'restored');
    const r = b.cli('restore', '--job', 'files', '--to', to);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/restored files: \S+ \(read from storage disk \(the job's own storage\)\) to /);
    expect(r.stdout).toMatch(/\nrestored \d+\.\d KiB in \d+(\.\d)? s \(RTO 4h: ok\)\n$/);
    expect(tree(join(to, b.src))).toEqual(before);
    expect(existsSync(`${to}.partial`)).toBe(false);
    expect(existsSync(join(b.dir, 'pwned'))).toBe(false);

    // Journalled like a run, with duration and bytes.
    const state = join(b.state, 'runs');
    const journals = readdirSync(state).map((f) => readJournal(join(state, f)));
    const restore = journals.find((j) => j.some((l) => l.type === 'run-start' && l.command === 'restore'))!;
    const end = restore.find((l) => l.type === 'step-end' && l.step === 'files/restore');
    expect(end).toMatchObject({ status: 'ok', detail: { target: to, movedAside: null } });
    expect((end as unknown as { detail: { bytes: number } }).detail.bytes).toBeGreaterThan(40_000);

    // A non-empty target is refused, and left as it was.
    const again = b.cli('restore', '--job', 'files', '--to', to);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`${to} exists and is not an empty directory: a restore never overwrites`);
    expect(tree(join(to, b.src))).toEqual(before);
    // An empty directory is a valid target; JSON as SPEC §11.
    const empty = join(b.dir, 'empty');
    mkdirSync(empty);
    const j = b.cli('restore', '--job', 'files', '--to', empty, '--format', 'json', '--path', join(b.src, 'sub'));
    expect(j.code).toBe(0);
    const doc = JSON.parse(j.stdout);
    expect(Object.keys(doc)).toEqual(['job', 'copy', 'storage', 'target', 'movedAside', 'durationSeconds', 'bytes', 'result']);
    expect(doc).toMatchObject({ job: 'files', storage: 'disk', target: empty, movedAside: null, bytes: 40_000, result: 'ok' });
    expect(readdirSync(join(empty, b.src))).toEqual(['sub']);

    // In place: refused without --yes; with it the current data is moved aside first.
    const noYes = b.cli('restore', '--job', 'files', '--in-place');
    expect(noYes.code).toBe(1);
    expect(noYes.stderr).toContain('add --yes');
    const changed = tree(b.src);
    const dry = b.cli('restore', '--job', 'files', '--in-place', '--dry-run');
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain(`mv -T -- ${b.src} ${b.src}.before-restore-`);
    expect(tree(b.src)).toEqual(changed);
    const ip = b.cli('restore', '--job', 'files', '--in-place', '--yes', '--format', 'json');
    expect(ip.stderr).toBe('');
    expect(ip.code).toBe(0);
    const moved = JSON.parse(ip.stdout).movedAside as string;
    expect(moved).toMatch(new RegExp(`^${b.src}\\.before-restore-\\d{8}T\\d{6}Z$`));
    expect(tree(moved)).toEqual(changed);
    expect(tree(b.src)).toEqual(before);
    expect(readdirSync(b.dir).filter((n) => n.endsWith('.partial'))).toEqual([]);
  }, 120_000);

  // Names are bytes from the source to the archive, its manifest, verify and restore (issue #16).
  it('a name that is not UTF-8 backs up, verifies and restores byte for byte', () => {
    const b = box(kind);
    const before = tree(b.src);
    expect(before).toContain(`${show(NON_UTF8_NAME)} ${createHash('sha256').update('not utf-8\n').digest('hex')}`);
    const run = b.cli('run');
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const v = b.cli('verify', '--job', 'files', '--scratch-dir', b.dir);
    expect(v.code, v.stdout + v.stderr).toBe(0);
    const to = join(b.dir, 'restored');
    expect(b.cli('restore', '--job', 'files', '--to', to).code).toBe(0);
    expect(tree(join(to, b.src))).toEqual(before);
  }, 120_000);

  it('a restore killed with SIGKILL halfway leaves the target absent and nothing looking whole', async () => {
    const b = box(kind);
    for (let i = 0; i < 6; i++) writeFileSync(join(b.src, `big-${i}.bin`), randomBytes(24 << 20));
    expect(b.cli('run').code).toBe(0);
    const to = join(b.dir, 'target');
    const c = spawn(process.execPath, [CLI, 'restore', b.plan, '--job', 'files', '--to', to, '--state-dir', b.state], {
      detached: true,
      stdio: 'ignore',
    });
    children.push(c);
    const t0 = Date.now();
    const size = () => {
      try {
        let n = 0;
        const walk = (d: string) => {
          for (const e of readdirSync(d, { withFileTypes: true })) {
            const p = join(d, e.name);
            if (e.isDirectory()) walk(p);
            else n += lstatSync(p).size;
          }
        };
        walk(`${to}.partial`);
        return n;
      } catch {
        return 0;
      }
    };
    while (size() < 4 << 20) {
      if (Date.now() - t0 > 60_000) throw new Error('the restore did not start writing');
      await new Promise((r) => setTimeout(r, 5));
    }
    process.kill(-c.pid!, 'SIGKILL');
    await new Promise((r) => c.once('close', r));
    expect(existsSync(to)).toBe(false);
    expect(readdirSync(b.dir).filter((n) => n.startsWith('target'))).toEqual(['target.partial']);
    expect(c.signalCode).toBe('SIGKILL');
    // The next restore says what was left and why it does not start.
    const again = b.cli('restore', '--job', 'files', '--to', to, '--break-stale-lock');
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`${to}.partial exists (left by an interrupted restore?)`);
  }, 180_000);
});

describe.skipIf(!ok).each(['archive', 'rsync'] as const)('backplan restore of an %s job, with hooks', (kind) => {
  it('holds the job lock while restoring: a prune started meanwhile is refused and removes nothing', async () => {
    const b = box(kind, "    restore: { before: [sleep, \"3\"], after: [\"true\"] }");
    expect(b.cli('run').code).toBe(0);
    const to = join(b.dir, 'target');
    const c = spawn(process.execPath, [CLI, 'restore', b.plan, '--job', 'files', '--to', to, '--state-dir', b.state], {
      detached: true,
      stdio: 'ignore',
    });
    children.push(c);
    const lock = join(b.state, 'locks', 'files.lock');
    const t0 = Date.now();
    while (!existsSync(lock)) {
      if (Date.now() - t0 > 30_000) throw new Error('the restore did not take the lock');
      await new Promise((r) => setTimeout(r, 20));
    }
    const copies = readdirSync(backupDir(b)).sort();
    const prune = b.cli('prune', '--job', 'files');
    expect(prune.code).toBe(1);
    expect(prune.stderr).toContain('files');
    expect(prune.stderr).toContain('backplan: job files is already running');
    expect(readdirSync(backupDir(b)).sort()).toEqual(copies);
    const code = await new Promise((r) => c.once('close', r));
    expect(code).toBe(0);
    expect(existsSync(join(to, b.src, 'notes.txt'))).toBe(true);
  }, 60_000);
});

describe.skipIf(!ok)('backplan restore of an archive: damaged copies and replicas', () => {
  it('a corrupted archive fails with a clear message and leaves nothing at the target', () => {
    const b = box('archive', '    restore: { after: [sh, -c, \'touch "$0/after-ran"; exit 3\', DIR] }');
    writeFileSync(b.plan, readFileSync(b.plan, 'utf8').replace(', DIR]', `, ${JSON.stringify(b.dir)}]`));
    expect(b.cli('run').code).toBe(0);
    const name = readdirSync(backupDir(b)).find((n) => n.endsWith('.tar.gz'))!;
    const path = join(backupDir(b), name);
    const bytes = readFileSync(path);
    for (let i = 200; i < 260; i++) bytes[i] ^= 0xff;
    writeFileSync(path, bytes);
    const to = join(b.dir, 'restored');
    const r = b.cli('restore', '--job', 'files', '--to', to);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`backplan: restore of files failed: ${name} does not match its manifest, nothing was restored`);
    expect(existsSync(to)).toBe(false);
    expect(existsSync(`${to}.partial`)).toBe(false);
    // restore.after runs even when the restore failed; a failing hook is reported.
    expect(existsSync(join(b.dir, 'after-ran'))).toBe(true);
    expect(r.stderr).toContain('the restore.after hook failed');
  }, 60_000);

  it('reads the copy from an rsync replica when it is gone from the job\'s own storage, and says so', () => {
    const b = box(
      'archive',
      [
        '  files-offsite:',
        '    kind: rsync',
        '    host: here',
        '    from: files',
        '    to: other',
      ].join('\n'),
    );
    // The replica copies the archive job's directory; it is on another storage.
    const text = readFileSync(b.plan, 'utf8')
      .replace('  disk:', `  other: { host: here, path: ${JSON.stringify(join(b.dir, 'offsite'))} }\n  disk:`)
      .replace('    from: files\n', `    from: files\n    paths: [${JSON.stringify(backupDir(b))}]\n`);
    writeFileSync(b.plan, text);
    const run = b.cli('run');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const before = tree(b.src);
    rmSync(backupDir(b), { recursive: true });
    const to = join(b.dir, 'restored');
    const r = b.cli('restore', '--job', 'files', '--to', to);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('read from storage other (the replica written by rsync job files-offsite)');
    expect(tree(join(to, b.src))).toEqual(before);
    const bad = b.cli('restore', '--job', 'files', '--to', join(b.dir, 'x'), '--from-storage', 'nowhere');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('storage nowhere holds no copy of job files');
  }, 90_000);
});
