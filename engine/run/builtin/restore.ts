// Restore test of an archive (SPEC §4 `verify`): stream the archive file, hash it, restore it
// into a fresh scratch directory (through gpg --decrypt first for `.gpg` archives), hash every
// restored regular file and compare both with the manifest. The scratch directory is removed
// afterwards. The extractor never writes outside the scratch directory (absolute and `..`
// names are refused, as are writes through symbolic links) and does not restore owners.
// `backplan restore` (engine/run/restore/archive.ts) uses the same extraction and checks with
// `into`: the archive is extracted into the restore's `.partial` directory, which is kept only
// when every checksum matched (the caller renames it to the target), and `include` limits the
// restore to some members. Names are compared exactly as the manifest holds them (a `\` in a
// name is a character, not a separator).
import { createHash } from 'node:crypto';
import { createReadStream, lstatSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { Unpack } from 'tar';
import type { Manifest } from './manifest';
import { describeExit, exitOk, spawnArgv, type Exit } from '../exec/process';

export interface RestoreResult {
  ok: boolean;
  /** sha256 of the archive file as read. */
  archiveSha256: string;
  bytes: number;
  /** Members restored and found identical. */
  checked: number;
  problems: string[];
}

async function hashFile(path: string): Promise<string> {
  const h = createHash('sha256');
  await pipeline(createReadStream(path), h);
  return h.digest('hex');
}

function walkFiles(root: string): string[] {
  const out: string[] = [];
  const stack = [root];
  while (stack.length) {
    const dir = stack.pop()!;
    for (const d of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, d.name);
      if (d.isDirectory()) stack.push(p);
      else if (d.isFile()) out.push(p);
    }
  }
  return out;
}

export interface RestoreOptions {
  /** Where to make the scratch directory (default: the system's temporary directory). */
  scratchParent?: string;
  /**
   * Extract into this existing, empty directory instead of a scratch one, and keep it when the
   * restore is whole and every checksum matched (on failure it is left to the caller to remove).
   */
  into?: string;
  /** Only these member paths (as the archive names them, no leading `/`) and what is under them. */
  include?: readonly string[];
  /** The archive is gpg-encrypted: decrypt with `gpg` on this machine. */
  decrypt?: { argv: string[] };
}

export async function restoreAndCompare(
  archive: Readable,
  manifest: Manifest,
  opts: RestoreOptions = {},
): Promise<RestoreResult> {
  const problems: string[] = [];
  const scratch = opts.into ?? mkdtempSync(join(opts.scratchParent ?? tmpdir(), 'backplan-verify-'));
  const include = opts.include?.map((p) => p.replace(/^\/+|\/+$/g, ''));
  const wanted = (path: string): boolean =>
    !include || include.some((p) => p === '' || path === p || path.startsWith(`${p}/`));
  const h = createHash('sha256');
  let bytes = 0;
  try {
    const tee = new PassThrough();
    archive.on('data', (d: Buffer) => {
      h.update(d);
      bytes += d.length;
    });
    const unpack = new Unpack({
      cwd: scratch,
      strict: true,
      preserveOwner: false,
      preservePaths: false,
      unlink: true,
      ...(include ? { filter: (path: string) => wanted(path.replace(/\/+$/, '')) } : {}),
    });
    const restored = new Promise<void>((resolve, reject) => {
      unpack.on('close', () => resolve());
      unpack.on('error', (e: Error) => reject(e));
    });
    let extract: Promise<unknown>;
    if (opts.decrypt) {
      const gpg = spawnArgv(opts.decrypt.argv, { stdin: 'pipe', stdout: 'pipe' });
      const fed = pipeline(archive, tee, gpg.child.stdin!).catch(() => undefined);
      const plain = pipeline(gpg.child.stdout!, createGunzip(), unpack);
      // When gpg fails (no secret key, a damaged message) gunzip fails too, usually first:
      // gpg's own error is the one that says why.
      extract = Promise.allSettled([fed, plain, restored, gpg.done]).then(([, p, r, g]) => {
        const e = (g as PromiseFulfilledResult<Exit>).value;
        if (!exitOk(e)) throw new Error(describeExit('gpg', e));
        for (const x of [p, r]) if (x.status === 'rejected') throw x.reason;
      });
    } else {
      extract = Promise.all([pipeline(archive, tee, createGunzip(), unpack), restored]);
    }
    try {
      await extract;
    } catch (e) {
      problems.push(`cannot restore the archive: ${(e as Error).message}`);
    }
    const archiveSha256 = h.digest('hex');
    if (archiveSha256 !== manifest.archive.sha256)
      problems.unshift(
        `the archive's sha256 is ${archiveSha256}, the manifest says ${manifest.archive.sha256}: the file was ` +
          `changed or damaged`,
      );
    if (manifest.archive.bytes !== undefined && bytes !== manifest.archive.bytes && problems.length === 0)
      problems.push(`the archive holds ${bytes} bytes, the manifest says ${manifest.archive.bytes}`);

    let checked = 0;
    if (problems.length === 0) {
      const members = manifest.members.filter((m) => wanted(m.path));
      const expected = new Map(members.map((m) => [m.path, m.sha256]));
      const seen = new Set<string>();
      for (const file of walkFiles(scratch)) {
        // POSIX paths: `relative` already uses `/`; a `\` is part of a name and stays as it is.
        const rel = relative(scratch, file);
        const want = expected.get(rel);
        seen.add(rel);
        if (want === undefined) {
          problems.push(`${rel}: restored but not in the manifest`);
          continue;
        }
        const got = await hashFile(file);
        if (got !== want) problems.push(`${rel}: sha256 ${got} differs from the manifest's ${want}`);
        else checked++;
      }
      if (include && members.length === 0)
        problems.push(`the archive holds nothing under ${include.map((p) => `/${p}`).join(', ')}`);
      for (const m of members)
        if (!seen.has(m.path)) problems.push(`${m.path}: in the manifest but not restored`);
    }
    return { ok: problems.length === 0, archiveSha256, bytes, checked, problems };
  } finally {
    try {
      // A restored tree may hold read-only directories; make sure it can be removed.
      if (opts.into === undefined && lstatSync(scratch).isDirectory()) rmSync(scratch, { recursive: true, force: true });
    } catch {
      // already gone
    }
  }
}
