// duplicity jobs run, verified and restored through the built command and real duplicity 0.8.22
// (with gpg symmetric encryption by a passphrase from the environment): a full then an
// incremental into a file:// target, `backplan verify` restoring the newest set with its chain and
// comparing it with the source, `backplan restore` of the newest set, of the older set (`--at`),
// and of one `--path`; the passphrase never in argv, output or the journal; a wrong passphrase
// failing verify.
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCollectionStatus } from '../../engine/run/inventory/duplicity';
import { backplanAsync } from '../helpers/cli-async';
import { ensureBuilt } from '../helpers/cli';
import { requireTools } from '../helpers/integration';

const ok = requireTools('duplicity', 'gpg');
const secret = `pw-${randomBytes(6).toString('hex')}'$(touch CANARY)`;
let dir = '';
let src = '';
let plan = '';
let env: NodeJS.ProcessEnv = {};

/** Every entry under `root`: relative path, and for files their sha256. */
function tree(root: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) {
        out.push(`${relative(root, p)}/`);
        walk(p);
      } else out.push(`${relative(root, p)} ${createHash('sha256').update(readFileSync(p)).digest('hex')}`);
    }
  };
  walk(root);
  return out.sort();
}

const cli = (cmd: string, ...args: string[]) =>
  backplanAsync([cmd, plan, ...args, '--state-dir', join(dir, 'state')], { env });

beforeAll(() => {
  if (!ok) return;
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'bp-dup-'));
  src = join(dir, 'src');
  mkdirSync(join(src, 'sub'), { recursive: true });
  writeFileSync(join(src, 'notes.txt'), 'hello\n');
  writeFileSync(join(src, 'sub', 'data.bin'), randomBytes(50_000));
  writeFileSync(join(src, '; $(touch pwned) -x'), 'hostile\n');
  const gnupg = join(dir, 'gnupg');
  mkdirSync(gnupg, { mode: 0o700 });
  env = { BP_DUP_PW: secret, GNUPGHOME: gnupg, XDG_CACHE_HOME: join(dir, 'cache') };
  plan = join(dir, 'p.backplan.yaml');
  writeFileSync(
    plan,
    [
      'version: 1',
      `storage: { disk: { path: ${JSON.stringify(join(dir, 'store'))}, media: hdd } }`,
      'jobs:',
      '  files:',
      '    kind: duplicity',
      `    paths: [${JSON.stringify(src)}]`,
      '    to: disk',
      '    full_every: 1w',
      '    passphrase_env: BP_DUP_PW',
      '    retention: { keep: { full: 2 } }',
      'checks: { coverage-3-2-1: off, no-restore-test: off }',
      '',
    ].join('\n'),
  );
  mkdirSync(join(dir, 'store'));
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!ok)('duplicity: run, verify, restore', () => {
  let first: string[] = [];
  let second: string[] = [];

  it('runs a full, then an incremental, encrypted, the passphrase only in the environment', async () => {
    const a = await cli('run');
    expect(a.code, a.stdout + a.stderr).toBe(0);
    const filesA = readdirSync(join(dir, 'store', 'files'));
    first = tree(src);
    await new Promise((r) => setTimeout(r, 1100)); // duplicity's set times are whole seconds
    writeFileSync(join(src, 'notes.txt'), 'hello again\n');
    writeFileSync(join(src, 'sub', 'new.txt'), 'new\n');
    const b = await cli('run');
    expect(b.code, b.stdout + b.stderr).toBe(0);
    second = tree(src);
    const files = readdirSync(join(dir, 'store', 'files'));
    expect(files.some((f) => /^duplicity-full\..*\.vol1\.difftar\.gpg$/.test(f))).toBe(true);
    expect(files.some((f) => /^duplicity-inc\..*\.vol1\.difftar\.gpg$/.test(f))).toBe(true);
    const status = spawnSync(
      'duplicity',
      ['collection-status', '--log-fd=1', '--name=backplan-files', `file://${join(dir, 'store', 'files')}`],
      { env: { ...process.env, ...env, PASSPHRASE: secret }, encoding: 'utf8' },
    );
    expect(parseCollectionStatus(status.stdout).map((s) => s.type)).toEqual(['full', 'incremental']);
    const journals = readdirSync(join(dir, 'state', 'runs')).map((f) =>
      readFileSync(join(dir, 'state', 'runs', f), 'utf8'),
    );
    expect(journals.join('')).not.toContain(secret);
    // Every file each backup wrote to the file:// target was fsynced before the step counted as
    // done (engine/run/exec/durable-target.ts): the full's files, then the incremental's.
    const synced = readdirSync(join(dir, 'state', 'runs'))
      .sort()
      .flatMap((f) => readFileSync(join(dir, 'state', 'runs', f), 'utf8').trim().split('\n'))
      .map((l) => JSON.parse(l) as { type: string; step?: string; phase?: string; detail?: { synced?: { files: number } } });
    const backups = new Set(synced.filter((r) => r.type === 'step-start' && r.phase === 'backup').map((r) => r.step));
    const counts = synced.filter((r) => r.type === 'step-end' && backups.has(r.step)).map((r) => r.detail?.synced?.files);
    expect(counts).toEqual([filesA.length, files.length - filesA.length]);
    expect(files.length - filesA.length).toBeGreaterThanOrEqual(3);
    expect(a.stdout + b.stdout + a.stderr + b.stderr).not.toContain(secret);
    const shown = await backplanAsync(['plan', plan], { env });
    expect(shown.stdout).toContain('PASSPHRASE="$BP_DUP_PW" duplicity --name=backplan-files --full-if-older-than=1W');
    expect(shown.stdout).toContain('duplicity remove-all-but-n-full 2 --force');
  }, 120_000);

  it('verify restores the newest set with its chain and finds it identical to the source', async () => {
    const v = await cli('verify', '--job', 'files');
    expect(v.code, v.stdout + v.stderr).toBe(0);
    expect(v.stdout).toMatch(/all 4 files are identical to the source/);
  }, 120_000);

  it('restores the newest set, the older one, and one path', async () => {
    writeFileSync(join(src, 'notes.txt'), 'changed after the backups\n');
    const newest = join(dir, 'r-newest');
    const r1 = await cli('restore', '--job', 'files', '--to', newest);
    expect(r1.code, r1.stdout + r1.stderr).toBe(0);
    expect(tree(join(newest, src))).toEqual(second);
    const older = join(dir, 'r-older');
    const firstSet = readdirSync(join(dir, 'store', 'files')).find(
      (f) => f.startsWith('duplicity-full.') && f.endsWith('.manifest.gpg'),
    )!;
    const stamp = /duplicity-full\.(\d{8}T\d{6}Z)\./.exec(firstSet)![1];
    const r2 = await cli('restore', '--job', 'files', '--copy', stamp, '--to', older);
    expect(r2.code, r2.stdout + r2.stderr).toBe(0);
    expect(tree(join(older, src))).toEqual(first);
    const part = join(dir, 'r-part');
    const r3 = await cli('restore', '--job', 'files', '--path', join(src, 'sub'), '--to', part);
    expect(r3.code, r3.stdout + r3.stderr).toBe(0);
    expect(tree(join(part, src))).toEqual(second.filter((l) => l.startsWith('sub')));
    expect(tree(join(part, src, 'sub')).length).toBe(2);
  }, 180_000);

  it("a wrong passphrase fails verify with duplicity's reason, not the secret", async () => {
    const saved = env;
    env = { ...env, BP_DUP_PW: 'wrong' };
    try {
      const v = await cli('verify', '--job', 'files');
      expect(v.code).not.toBe(0);
      expect(v.stdout + v.stderr).not.toContain(secret);
    } finally {
      env = saved;
    }
  }, 120_000);
});
