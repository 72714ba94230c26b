// A restic or borg repository on a filesystem that is read-only (a loop-mounted ext4 remounted
// ro): `backplan restore --list`, `restore` and `verify` read it without the tool's lock
// (restic --no-lock, borg --bypass-lock; engine/run/exec/read-only-repo.ts), where both tools
// would fail to create their lock. The restored tree is the source's, byte for byte; and the
// same repository made writable again is read with the lock as before. Needs root (mount).
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, ensureBuilt } from '../helpers/cli';
import { backplanAsync } from '../helpers/cli-async';
import { hostileTree, writeHostileTree } from '../helpers/hostile-names';
import { requireRoot, requireTools } from '../helpers/integration';
import { mountImage, unmount } from '../helpers/faults/fs-faults';
import { JOB, KINDS, planText, type KindCtx } from '../helpers/faults/kinds';

const ok = requireRoot('read-only loop-mounted repositories') && requireTools('mkfs.ext4', 'losetup', 'mount', 'umount', 'findmnt', 'restic', 'borg');
let work = '';
let cli = '';

beforeAll(() => {
  if (!ok) return;
  ensureBuilt();
  work = mkdtempSync(join(tmpdir(), 'bp-ro-repo-'));
  cli = join(work, 'cli.js');
  copyFileSync(CLI, cli);
});

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe.skipIf(!ok).each(['restic', 'borg'] as const)('a %s repository on a read-only filesystem', (kind) => {
  it('is listed, restored and verified without the tool lock', async () => {
    const def = KINDS[kind];
    const dir = join(work, kind);
    const mnt = join(dir, 'mnt');
    mkdirSync(join(dir, 'tmp'), { recursive: true });
    const base: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', TMPDIR: join(dir, 'tmp') };
    for (const k of ['RESTIC_PASSWORD', 'BORG_PASSPHRASE', 'BACKPLAN_STATE_DIR']) delete base[k];
    const secret = `ro-${kind}-secret`;
    const ctx: KindCtx = {
      kind,
      dir,
      src: join(dir, 'src'),
      store: mnt,
      target: join(mnt, JOB),
      state: join(dir, 'state'),
      plan: join(dir, 'ro.backplan.yaml'),
      secret,
      env: {},
      toolEnv: {},
    };
    ctx.env = { ...base, ...def.env(ctx).env, KC_SECRET: secret };
    mkdirSync(ctx.src);
    writeHostileTree(ctx.src);
    writeFileSync(ctx.plan, planText(def, ctx, { retention: '{ keep: { last: 2 } }' }));
    const bp = (...args: string[]) => backplanAsync(args, { cli, wholeEnv: ctx.env, timeoutMs: 300_000, killSignal: 'SIGKILL' });
    // borg repositories made by `backplan init` keep 2G free (additional_free_space): a sparse 3 GB image.
    mountImage(join(dir, 'repo.img'), mnt, kind === 'borg' ? 3072 : 256);
    try {
      expect((await bp('init', ctx.plan, '--state-dir', ctx.state)).code).toBe(0);
      const run = await bp('run', ctx.plan, '--job', JOB, '--state-dir', ctx.state);
      expect(run.code, run.stdout + run.stderr).toBe(0);
      const m = spawnSync('mount', ['-o', 'remount,ro', mnt], { encoding: 'utf8' });
      expect(m.status, m.stderr).toBe(0);
      expect(() => writeFileSync(join(mnt, 'probe'), 'x')).toThrow(/EROFS/);

      const t0 = performance.now();
      const list = await bp('restore', ctx.plan, '--job', JOB, '--list', '--format', 'json', '--state-dir', ctx.state);
      expect(list.code, list.stdout + list.stderr).toBe(0);
      const copies = (JSON.parse(list.stdout) as { copies: { name: string }[] }).copies;
      expect(copies).toHaveLength(1);
      // restic would retry its lock file for ~40 s before failing: the listing does not try.
      expect(performance.now() - t0).toBeLessThan(30_000);

      const to = join(dir, 'restored');
      const r = await bp('restore', ctx.plan, '--job', JOB, '--copy', copies[0].name, '--to', to, '--state-dir', ctx.state);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(hostileTree(join(to, ctx.src))).toEqual(hostileTree(ctx.src));

      mkdirSync(join(dir, 'scratch'), { recursive: true });
      const v = await bp('verify', ctx.plan, '--job', JOB, '--scratch-dir', join(dir, 'scratch'), '--state-dir', ctx.state);
      expect(v.code, v.stdout + v.stderr).toBe(0);
    } finally {
      unmount(mnt);
    }
  }, 600_000);
});
