// `backplan restore` of restic and borg jobs through the built command and the real tools, with a
// repository on this machine: back up with `backplan run`, change and delete the source, restore
// to a new target and in place and compare byte for byte (hostile file names included: a
// backslash, a newline, a leading `-`, `; $()`); `--path` subsets (restic `--include`, borg
// `pp:` patterns); a non-empty target refused and left as it was; a damaged repository and a
// wrong password failing with one clear line and nothing at the target; the journal holding
// the restore's duration and bytes.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { backplanAsync } from '../helpers/cli-async';
import { ensureBuilt } from '../helpers/cli';
import {
  HOSTILE_DIR,
  HOSTILE_NAMES as HOSTILE,
  hostileTree,
  NON_UTF8_NAME,
  show,
  writeHostileTree,
} from '../helpers/hostile-names';
import { requireTools } from '../helpers/integration';
import { readJournal } from '../../engine/run/state/journal';

type Kind = 'restic' | 'borg';
const okRestic = requireTools('restic', 'find', 'mv');
const okBorg = requireTools('borg', 'find', 'mv');
const kinds = [...(okRestic ? ['restic' as const] : []), ...(okBorg ? ['borg' as const] : [])];
const temps: string[] = [];

beforeAll(() => ensureBuilt(), 120_000);
afterEach(() => {
  for (const d of temps.splice(0)) rmSync(d, { recursive: true, force: true });
});

const secret = `pw-${randomBytes(6).toString('hex')}'$(touch CANARY)`;

interface Box {
  kind: Kind;
  dir: string;
  src: string;
  repo: string;
  plan: string;
  state: string;
  env: NodeJS.ProcessEnv;
  cli(...args: string[]): ReturnType<typeof backplanAsync>;
}

function tool(b: Pick<Box, 'kind' | 'dir' | 'env'>, args: string[]) {
  const env = { ...process.env, ...b.env, RESTIC_PASSWORD: secret, BORG_PASSPHRASE: secret };
  const r = spawnSync(b.kind, args, { env, encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout;
}

/** The restic of this machine (its forget rules are declared on the host). */
const resticVersion = () => /restic (\d+\.\d+\.\d+)/.exec(spawnSync('restic', ['version'], { encoding: 'utf8' }).stdout)![1];

function box(kind: Kind, rto = '4h'): Box {
  const dir = mkdtempSync(join(tmpdir(), `bp-restore-${kind}-`));
  temps.push(dir);
  const src = join(dir, 'src');
  mkdirSync(join(src, 'sub', 'deep'), { recursive: true });
  mkdirSync(join(src, 'other'));
  writeFileSync(join(src, 'notes.txt'), 'hello\n');
  writeFileSync(join(src, 'sub', 'data.bin'), randomBytes(40_000));
  writeFileSync(join(src, 'sub', 'deep', 'x.txt'), 'deep\n');
  writeFileSync(join(src, 'other', 'y.txt'), 'other\n');
  writeHostileTree(src);
  const repos = join(dir, 'repos');
  mkdirSync(repos);
  const repo = join(repos, 'files');
  const env = { BP_TEST_PW: secret, RESTIC_CACHE_DIR: join(dir, 'cache'), BORG_BASE_DIR: join(dir, 'borg-home') };
  writeFileSync(join(dir, 'passphrase'), `${secret}\n`, { mode: 0o600 });
  if (kind === 'restic') tool({ kind, dir, env }, ['--repo', repo, 'init']);
  else tool({ kind, dir, env }, ['init', '--encryption=repokey', repo]);
  const plan = join(dir, 'p.backplan.yaml');
  writeFileSync(
    plan,
    [
      'version: 1',
      'hosts:',
      kind === 'restic' ? `  here: { site: home, tool_versions: { restic: "${resticVersion()}" } }` : '  here: { site: home }',
      'storage:',
      `  disk: { host: here, path: ${JSON.stringify(repos)} }`,
      'jobs:',
      '  files:',
      `    kind: ${kind}`,
      '    host: here',
      `    paths: [${JSON.stringify(src)}]`,
      '    to: disk',
      kind === 'restic' ? '    password_env: BP_TEST_PW' : `    passphrase_file: ${JSON.stringify(join(dir, 'passphrase'))}`,
      `    rto: ${rto}`,
      '    retention: { keep: { last: 3 } }',
      'checks: { coverage-3-2-1: off, no-restore-test: off, offsite-unencrypted: off }',
      '',
    ].join('\n'),
  );
  const state = join(dir, 'state');
  return {
    kind,
    dir,
    src,
    repo,
    plan,
    state,
    env,
    cli: (cmd, ...args) => backplanAsync([cmd, plan, ...args, '--state-dir', state], { env }),
  };
}

/** Every entry under `root` by its bytes: equal trees are a byte-for-byte round trip. */
const tree = hostileTree;

function endsOf(b: Box, command: 'restore' | 'verify'): Record<string, unknown>[] {
  const runs = join(b.state, 'runs');
  return readdirSync(runs)
    .sort()
    .map((f) => readJournal(join(runs, f)))
    .filter((j) => j.some((l) => l.type === 'run-start' && l.command === command))
    .map((j) => j.find((l) => l.type === 'step-end' && l.step === `files/${command}`) as unknown as Record<string, unknown>);
}
const restoreEnd = (b: Box) => endsOf(b, 'restore');

async function backup(b: Box): Promise<void> {
  const run = await b.cli('run');
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
}

/** The source changes after the backup: a file rewritten, a directory and a hostile name gone, a new file. */
function damageSource(b: Box): void {
  writeFileSync(join(b.src, 'notes.txt'), 'changed\n');
  rmSync(join(b.src, 'sub'), { recursive: true });
  rmSync(join(b.src, HOSTILE[0]));
  rmSync(join(b.src, HOSTILE_DIR), { recursive: true });
  writeFileSync(join(b.src, 'new.txt'), 'new\n');
}

describe.skipIf(kinds.length === 0).each(kinds)('backplan restore of a %s job', (kind) => {
  it('restores to a new target and in place, byte for byte, hostile names included; refuses a non-empty target', async () => {
    const b = box(kind);
    const before = tree(b.src);
    await backup(b);
    // verify measures its restore too: the line, and duration and bytes in the journal.
    const v = await b.cli('verify', '--job', 'files', '--scratch-dir', b.dir);
    expect(v.stderr).toBe('');
    expect(v.code).toBe(0);
    expect(v.stdout).toMatch(/\nverified \d+\.\d KiB in \d+(\.\d)? s \(RTO 4h: ok\)\n$/);
    const [vend] = endsOf(b, 'verify');
    expect(vend).toMatchObject({ status: 'ok' });
    const vdetail = vend.detail as { bytes: number; durationSeconds: number };
    expect(vdetail.bytes).toBeGreaterThan(40_000);
    expect(vdetail.bytes).toBeLessThan(45_000);
    expect(vdetail.durationSeconds).toBeGreaterThan(0);
    damageSource(b);

    const to = join(b.dir, 'restored');
    const r = await b.cli('restore', '--job', 'files', '--to', to);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^restored files: \S+ \(read from storage disk \(the job's own repository\)\) to /);
    expect(r.stdout).toMatch(/\nrestored \d+\.\d KiB in \d+(\.\d)? s \(RTO 4h: ok\)\n$/);
    expect(tree(join(to, b.src))).toEqual(before);
    expect(readdirSync(to)).toEqual([b.src.split('/')[1]]);
    expect(existsSync(`${to}.partial`)).toBe(false);
    expect(spawnSync('find', [b.dir, '/tmp', '-maxdepth', '3', '-name', 'pwned'], { encoding: 'utf8' }).stdout).toBe('');

    // Journalled, with duration and bytes; the password nowhere.
    const [end] = restoreEnd(b);
    expect(end).toMatchObject({ status: 'ok', detail: { target: to, movedAside: null } });
    const detail = end.detail as { bytes: number; durationSeconds: number };
    expect(detail.bytes).toBeGreaterThan(40_000);
    expect(detail.bytes).toBeLessThan(45_000);
    expect(typeof detail.durationSeconds).toBe('number');
    const all = readdirSync(join(b.state, 'runs')).map((f) => readFileSync(join(b.state, 'runs', f), 'utf8')).join('');
    expect(all).not.toContain(secret.slice(0, 12));

    // A non-empty target is refused, and left as it was.
    const again = await b.cli('restore', '--job', 'files', '--to', to);
    expect(again.code).toBe(1);
    expect(again.stderr).toBe(`backplan: ${to} exists and is not an empty directory: a restore never overwrites; choose a new --to (or --in-place --yes to move the job's own data aside first)\n`);
    expect(tree(join(to, b.src))).toEqual(before);

    // In place: the current data moved aside first, the copy restored as the job's path.
    const changed = tree(b.src);
    const ip = await b.cli('restore', '--job', 'files', '--in-place', '--yes', '--format', 'json');
    expect(ip.stderr).toBe('');
    expect(ip.code).toBe(0);
    const doc = JSON.parse(ip.stdout);
    expect(doc).toMatchObject({ job: 'files', storage: 'disk', target: b.src, result: 'ok' });
    expect(doc.movedAside).toMatch(new RegExp(`^${b.src}\\.before-restore-\\d{8}T\\d{6}Z$`));
    expect(tree(doc.movedAside)).toEqual(changed);
    expect(tree(b.src)).toEqual(before);
    expect(readdirSync(b.dir).filter((n) => n.endsWith('.partial'))).toEqual([]);
  }, 180_000);

  it('--path restores only those paths (hostile ones too), whole, and says when the copy has none', async () => {
    const b = box(kind);
    const before = tree(b.src);
    await backup(b);
    damageSource(b);
    const to = join(b.dir, 'subset');
    const hostileDir = join(b.src, HOSTILE_DIR);
    const r = await b.cli('restore', '--job', 'files', '--to', to, '--path', join(b.src, 'sub'), '--path', hostileDir, '--path', join(b.src, HOSTILE[0]));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(readdirSync(join(to, b.src)).sort()).toEqual([HOSTILE_DIR, HOSTILE[0], 'sub'].sort());
    const got = tree(join(to, b.src));
    const wanted = ['sub/', `${show(HOSTILE_DIR)}/`, `${show(HOSTILE[0])} `];
    expect(got).toEqual(before.filter((l) => wanted.some((w) => l.startsWith(w))));
    expect(got.length).toBe(7);

    // In place with --path: only that path is moved aside and restored.
    const ip = await b.cli('restore', '--job', 'files', '--in-place', '--yes', '--path', join(b.src, 'other'), '--format', 'json');
    expect(ip.stderr).toBe('');
    expect(ip.code).toBe(0);
    const doc = JSON.parse(ip.stdout);
    expect(doc.movedAside).toMatch(new RegExp(`^${b.src}/other\\.before-restore-`));
    expect(existsSync(join(b.src, 'sub'))).toBe(false);
    expect(readFileSync(join(b.src, 'notes.txt'), 'utf8')).toBe('changed\n');
    expect(readFileSync(join(b.src, 'other', 'y.txt'), 'utf8')).toBe('other\n');

    // A path the copy does not hold: refused, nothing left behind (with --to and in place).
    const none = join(b.dir, 'none');
    const missTo = await b.cli('restore', '--job', 'files', '--to', none, '--path', join(b.src, 'sub'), '--path', join(b.src, 'new.txt'));
    expect(missTo.code).toBe(1);
    expect(missTo.stderr).toMatch(new RegExp(`holds nothing at ${join(b.src, 'new.txt')}; nothing was changed`));
    expect(existsSync(`${none}.partial`)).toBe(false);
    const miss = await b.cli('restore', '--job', 'files', '--in-place', '--yes', '--path', join(b.src, 'new.txt'));
    expect(miss.code).toBe(1);
    expect(miss.stderr).toMatch(new RegExp(`holds nothing at ${join(b.src, 'new.txt')}; nothing was changed`));
    expect(readFileSync(join(b.src, 'new.txt'), 'utf8')).toBe('new\n');
    expect(readdirSync(b.src).filter((n) => n.includes('.partial') || n.includes('before-restore'))).toEqual(['other.before-restore-' + doc.movedAside.split('.before-restore-')[1]]);
    expect(existsSync(none)).toBe(false);
  }, 180_000);

  it('a name that is not UTF-8 backs up and restores byte for byte', async () => {
    const b = box(kind);
    const before = tree(b.src);
    expect(before.some((l) => l.startsWith(`${show(NON_UTF8_NAME)} `))).toBe(true);
    await backup(b);
    const to = join(b.dir, 'restored');
    const r = await b.cli('restore', '--job', 'files', '--to', to);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(tree(join(to, b.src))).toEqual(before);
  }, 180_000);

  // verify compares the restored tree with the source by the names' bytes (issue #16).
  it('a name that is not UTF-8 verifies', async () => {
    const b = box(kind);
    await backup(b);
    const v = await b.cli('verify', '--job', 'files', '--scratch-dir', b.dir);
    expect(v.code, v.stdout + v.stderr).toBe(0);
    // A change of that file is a problem named by its bytes, not a crash.
    writeFileSync(Buffer.concat([Buffer.from(`${b.src}/`), NON_UTF8_NAME]), 'changed\n');
    const bad = await b.cli('verify', '--job', 'files', '--scratch-dir', b.dir);
    expect(bad.code, bad.stdout + bad.stderr).toBe(1);
    expect(bad.stderr).toBe('');
    expect(bad.stdout).toContain(`${b.src}/latin1-\\xe9t\\xe9: differs from the source`);
  }, 180_000);

  it('a damaged repository and a wrong password fail in one clear line, with nothing at the target', async () => {
    const b = box(kind);
    await backup(b);
    const to = join(b.dir, 'restored');

    // Wrong password.
    if (kind === 'restic') b.env.BP_TEST_PW = 'not-the-password';
    else writeFileSync(join(b.dir, 'passphrase'), 'not-the-passphrase\n');
    const wrong = await b.cli('restore', '--job', 'files', '--to', to);
    expect(wrong.code).toBe(1);
    const line = wrong.stderr.trim();
    expect(line.split('\n')).toHaveLength(1);
    expect(line).toMatch(kind === 'restic' ? /wrong password/ : /passphrase supplied in BORG_PASSPHRASE.* is incorrect/);
    expect(line).toMatch(/^backplan: /);
    expect(existsSync(to)).toBe(false);
    expect(existsSync(`${to}.partial`)).toBe(false);
    if (kind === 'restic') b.env.BP_TEST_PW = secret;
    else writeFileSync(join(b.dir, 'passphrase'), `${secret}\n`);

    // Damaged data: the bytes of the repository's largest data file (the 40 kB file's contents)
    // flipped past its header; the snapshots and archives still list, the extract fails.
    const data = join(b.repo, 'data');
    const files: string[] = [];
    const walk = (d: string) => {
      for (const e of readdirSync(d, { withFileTypes: true }))
        if (e.isDirectory()) walk(join(d, e.name));
        else files.push(join(d, e.name));
    };
    walk(data);
    expect(files.length).toBeGreaterThan(0);
    files.sort((x, y) => statSync(y).size - statSync(x).size);
    expect(statSync(files[0]).size).toBeGreaterThan(40_000);
    for (const f of files.slice(0, 1)) {
      const bytes = readFileSync(f);
      for (let i = 16; i < bytes.length - 64; i++) bytes[i] ^= 0x5a;
      writeFileSync(f, bytes);
    }
    const bad = await b.cli('restore', '--job', 'files', '--to', to);
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/^backplan: restore of files failed: cannot (restore|extract) \S+: (restic|borg) exited with status \d+: /);
    expect(existsSync(to)).toBe(false);
    expect(existsSync(`${to}.partial`)).toBe(false);
    expect(statSync(b.dir).isDirectory()).toBe(true);
  }, 180_000);

  it('restore and verify say when the RTO is exceeded', async () => {
    const b = box(kind, '0min');
    await backup(b);
    const r = await b.cli('restore', '--job', 'files', '--to', join(b.dir, 'r'));
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\nrestored \d+\.\d KiB in \d+(\.\d)? s \(RTO 0min: exceeded\)\n$/);
    const v = await b.cli('verify', '--job', 'files', '--scratch-dir', b.dir);
    expect(v.code).toBe(0);
    expect(v.stdout).toMatch(/\nverified \d+\.\d KiB in \d+(\.\d)? s \(RTO 0min: exceeded\)\n$/);
    const j = await b.cli('verify', '--job', 'files', '--scratch-dir', b.dir, '--format', 'json');
    expect(JSON.parse(j.stdout)).toMatchObject({ ok: true, rto: { text: '0min', ok: false } });
    expect(JSON.parse(j.stdout).durationSeconds).toBeGreaterThan(0);
  }, 120_000);
});
