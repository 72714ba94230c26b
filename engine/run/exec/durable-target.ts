// duplicity writes its volumes, manifests and signatures to a file:// target without fsync: a
// set that had just finished when the machine crashed (or its disk failed into read-only) can
// come back from fsck as empty files under their final names, and duplicity then lists it as a
// whole set. After a duplicity backup step to a file:// target succeeds, every file it wrote
// there (new, or changed in size or time) and the directory itself are fsynced before the step
// counts as done. On a remote host (duplicity running there, writing its own disk) that is
// `sync -f DIR` over the run's ssh connection: syncfs of the target's filesystem.
import { closeSync, fsyncSync, openSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { CommandStep } from '../steps/step';
import type { ExecEnv } from './exec-env';
import { capture, describeExit, exitOk } from './process';

/** The target directory of a duplicity backup step writing to a file:// url, or undefined. */
export function duplicityFileTarget(step: CommandStep): string | undefined {
  if (step.phase !== 'backup' || basename(step.argv[0]) !== 'duplicity') return undefined;
  const url = step.argv[step.argv.length - 1];
  if (!url.startsWith('file://')) return undefined;
  // file:///abs/path or file://relative/path (duplicity's own two forms).
  return url.slice('file://'.length);
}

type Listing = Map<string, string>;

/** Each file of `dir` with its size and modification time (empty when dir does not exist yet). */
export function listFiles(dir: string): Listing {
  const out: Listing = new Map();
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return out;
  }
  for (const n of names) {
    try {
      const st = statSync(join(dir, n));
      if (st.isFile()) out.set(n, `${st.size}:${st.mtimeMs}`);
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** How a file is made durable (a seam: the tests record the calls). */
export interface SyncIo {
  fsync(path: string): void;
}

export const nodeSyncIo: SyncIo = {
  fsync(path) {
    const fd = openSync(path, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  },
};

/** fsync every file of `dir` that is not in `before` as it was, then `dir`; the files synced. */
export function syncWritten(dir: string, before: Listing, io: SyncIo = nodeSyncIo): string[] {
  const now = listFiles(dir);
  const written = [...now].filter(([n, v]) => before.get(n) !== v).map(([n]) => n).sort();
  for (const n of written) io.fsync(join(dir, n));
  io.fsync(dir);
  return written;
}

/** The remote form: syncfs of the target's filesystem on `host`; an error message, or undefined. */
export async function syncRemoteTarget(host: string, dir: string, x: ExecEnv): Promise<string | undefined> {
  const r = await capture(x.hosts.argv(host, ['sync', '-f', '--', dir]), { signal: x.signal });
  return exitOk(r) ? undefined : `[${host}] ${describeExit('sync', r)}`;
}
