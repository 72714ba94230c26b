// A full target and a target that turns read-only in the middle of a backup, for every kind the
// kill campaign drives (test/helpers/faults/fs-faults.ts; issue #16, item 5). Full: the run fails
// in one line naming ENOSPC and the target, no copy appears under a final name, none is pruned,
// the lock is released, the repository stays sound, and once space is freed the next run
// succeeds and restore-tests. Read-only: the run ends within the job's stall timeout (5 s here,
// plus the SIGTERM grace), the lock is released, no copy is lost, and after fsck the next run
// succeeds without any flag: restic, stopped at its stall timeout, died holding its own lock, which
// it could not remove from the read-only repository; Backplan stopped that step itself, so the
// next run clears the lock first (restic unlock) and says so. The archive kind's full target,
// locally and over ssh, is also in test/integration/run-faults.test.ts.
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, ensureBuilt } from '../helpers/cli';
import { requireRoot, requireTools } from '../helpers/integration';
import { fsFault, type FsFault } from '../helpers/faults/fs-faults';
import { KIND_NAMES } from '../helpers/faults/kinds';

const ok =
  requireRoot('loop-mounted target filesystems') &&
  requireTools('mkfs.ext4', 'e2fsck', 'losetup', 'mount', 'umount', 'findmnt', 'fallocate', 'rsync', 'restic', 'borg', 'duplicity', 'gpg');
let work = '';
let cli = '';

beforeAll(() => {
  if (!ok) return;
  ensureBuilt();
  work = mkdtempSync(join(tmpdir(), 'bp-fs-faults-'));
  // A copy of the CLI: a rebuild of dist/ by another test run meanwhile cannot break it.
  cli = join(work, 'cli.js');
  copyFileSync(CLI, cli);
});

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe.skipIf(!ok)('a full target and a target turned read-only mid-run', () => {
  for (const kind of KIND_NAMES)
    for (const fault of ['full', 'read-only'] as FsFault[])
      it(`${kind}, ${fault}: fails cleanly, ends in time, releases its lock, loses nothing; the next run succeeds`, async () => {
        const r = await fsFault(kind, fault, { work, cli, seed: 20261207, stallS: 5 });
        expect(r.skipped).toBeUndefined();
        expect(r.problems).toEqual([]);
        expect(r.message).toMatch(fault === 'full' ? /ENOSPC|no space left on device/i : /read-only file system|stall timeout/i);
        if (fault === 'read-only') expect(r.endedAfterMs).toBeLessThan(25_000);
        if (fault === 'read-only' && kind === 'restic') {
          expect(r.message).toMatch(/stall timeout/);
          expect(r.notes).toContain("the next run cleared the stopped tool step's lock by itself");
        }
      }, 600_000);
});
