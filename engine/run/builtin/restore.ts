// Restore test of an archive (SPEC §4 `verify`): stream the archive file, hash it, restore it
// into a fresh scratch directory (through gpg --decrypt first for `.gpg` archives), hash every
// restored regular file and compare both with the manifest. The scratch directory is removed
// afterwards. The extractor never writes outside the scratch directory (absolute and `..`
// names are refused, as are writes through symbolic links) and does not restore owners.
// `backplan restore` (engine/run/restore/archive.ts) uses the same extraction and checks with
// `into`: the archive is extracted into the restore's `.partial` directory, which is kept only
// when every checksum matched (the caller renames it to the target), and `include` limits the
// restore to some members. Names are bytes from the tar stream to the disk and compared exactly
// as the manifest holds them (a `\` in a name is a character, not a separator; a name that is
// not UTF-8 is restored with its bytes).
import { createHash } from 'node:crypto';
import { chmodSync, createReadStream, lstatSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { chmod, link, lstat, mkdir, open, symlink, unlink, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import type { Manifest } from './manifest';
import { displayName, joinBytes, nameBytes, nameString } from './names';
import { readTar, TarError } from './tar';
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

// Larger buffers than Node's defaults (16 KiB out of gunzip, 64 KiB per read): every chunk
// gunzip yields is one awaited write, so with 16 KiB ones extracting a 1 GiB archive took about
// twice as long as GNU tar (bench/README.md, restore).
const GUNZIP_CHUNK = 256 << 10;
const READ_CHUNK = 1 << 20;

async function hashFile(path: Buffer): Promise<string> {
  const h = createHash('sha256');
  await pipeline(createReadStream(path, { highWaterMark: READ_CHUNK }), h);
  return h.digest('hex');
}

/** Every regular file under `root`, by its name relative to it (a string of its bytes, see names.ts). */
function walkFiles(root: string): { rel: string; path: Buffer }[] {
  const out: { rel: string; path: Buffer }[] = [];
  const stack: [Buffer, Buffer | undefined][] = [[nameBytes(root), undefined]];
  while (stack.length) {
    const [dir, rel] = stack.pop()!;
    for (const name of readdirSync(dir, { encoding: 'buffer' })) {
      const p = joinBytes(dir, name);
      const r = rel ? joinBytes(rel, name) : name;
      const st = lstatSync(p);
      if (st.isDirectory()) stack.push([p, r]);
      else if (st.isFile()) out.push({ rel: nameString(r), path: p });
    }
  }
  return out;
}

/** A member name as path components, refusing what would leave the target. */
function components(name: Buffer): Buffer[] {
  if (name[0] === 0x2f) throw new TarError(`${displayName(name)}: an absolute member name (refused)`);
  const parts: Buffer[] = [];
  let start = 0;
  for (let i = 0; i <= name.length; i++) {
    if (i < name.length && name[i] !== 0x2f) continue;
    const c = name.subarray(start, i);
    start = i + 1;
    if (c.length === 0 || (c.length === 1 && c[0] === 0x2e)) continue;
    if (c.length === 2 && c[0] === 0x2e && c[1] === 0x2e)
      throw new TarError(`${displayName(name)}: a member name with \`..\` (refused)`);
    parts.push(c);
  }
  return parts;
}

const errno = (e: unknown): string | undefined => (e as NodeJS.ErrnoException).code;

/**
 * Extracts an uncompressed tar stream under `root`, names as bytes. Never writes outside `root`:
 * absolute and `..` names are refused, and so is a member whose parent is not a directory this
 * extraction made or found (a symbolic link). A directory is never replaced; another member of
 * the same name replaces the earlier one, as tar does. Modes (without setuid/setgid: owners are
 * not restored) and modification times are restored, directories' once everything is in them.
 */
async function extract(source: AsyncIterable<Buffer>, root: string, wanted?: (name: string) => boolean): Promise<void> {
  const base = nameBytes(root);
  // By the latin1 form of the name's bytes (one char per byte): what this extraction knows.
  const dirs = new Set<string>(['']);
  const files = new Set<string>();
  const dirModes: { path: Buffer; mode: number; mtime: number }[] = [];
  const at = (parts: Buffer[]) => (parts.length ? joinBytes(base, ...parts) : base);
  const key = (parts: Buffer[]) => (parts.length ? joinBytes(parts[0], ...parts.slice(1)).toString('latin1') : '');

  async function parents(parts: Buffer[], name: Buffer): Promise<void> {
    for (let i = 1; i < parts.length; i++) {
      const k = key(parts.slice(0, i));
      if (dirs.has(k)) continue;
      const p = at(parts.slice(0, i));
      const st = await lstat(p).catch((e: unknown) => {
        if (errno(e) === 'ENOENT') return undefined;
        throw e;
      });
      if (!st) await mkdir(p, 0o755);
      else if (!st.isDirectory()) {
        const what = st.isSymbolicLink() ? 'symbolic link' : 'file';
        throw new TarError(`${displayName(name)}: refused, it would be written through a ${what}`);
      }
      dirs.add(k);
      files.delete(k);
    }
  }

  /** Makes room for a member that is not a directory; false when a directory holds the name. */
  async function clear(p: Buffer, k: string): Promise<boolean> {
    if (dirs.has(k)) return false;
    const st = await lstat(p).catch(() => undefined);
    if (st?.isDirectory()) return false;
    if (st) await unlink(p);
    files.delete(k);
    return true;
  }

  const shown = (parts: Buffer[]) => displayName(Buffer.from(key(parts), 'latin1'));
  // Hard links waiting for their target, by the target's key.
  const pending = new Map<string, Buffer[][]>();
  async function hardLink(target: Buffer[], parts: Buffer[]): Promise<void> {
    const p = at(parts);
    const k = key(parts);
    if (!(await clear(p, k))) throw new TarError(`${shown(parts)}: a directory was restored under that name`);
    await link(at(target), p);
    files.add(k);
  }

  for await (const e of readTar(source)) {
    const parts = components(e.name);
    if (parts.length === 0) continue;
    if (wanted && !wanted(nameString(Buffer.from(key(parts), 'latin1')))) continue;
    await parents(parts, e.name);
    const p = at(parts);
    const k = key(parts);
    const mode = e.mode & 0o1777;
    if (e.type === 'dir') {
      const st = await lstat(p).catch(() => undefined);
      if (st && !st.isDirectory()) await unlink(p);
      if (!st?.isDirectory()) await mkdir(p, 0o700);
      dirs.add(k);
      files.delete(k);
      dirModes.push({ path: p, mode, mtime: e.mtime });
      continue;
    }
    if (e.type === 'other') continue;
    if (!(await clear(p, k))) throw new TarError(`${displayName(e.name)}: a directory was restored under that name`);
    if (e.type === 'file') {
      const fd = await open(p, 'wx', 0o600);
      try {
        for await (const chunk of e.body())
          for (let off = 0; off < chunk.length; ) off += (await fd.write(chunk, off)).bytesWritten;
        await fd.chmod(mode);
        await fd.utimes(e.mtime, e.mtime);
      } finally {
        await fd.close();
      }
      files.add(k);
      for (const l of pending.get(k) ?? []) await hardLink(parts, l);
      pending.delete(k);
    } else if (e.type === 'link') {
      const target = components(e.linkname ?? Buffer.alloc(0));
      const t = key(target);
      // Archives of earlier versions (the npm tar package) may hold a link before its target.
      if (files.has(t)) await hardLink(target, parts);
      else pending.set(t, [...(pending.get(t) ?? []), parts]);
    } else {
      await symlink(e.linkname ?? Buffer.alloc(0), p);
    }
  }
  for (const [t, links] of pending)
    throw new TarError(`${shown(links[0])}: a hard link to ${displayName(Buffer.from(t, 'latin1'))}, not restored`);
  // Deepest first, so a read-only directory is made read-only after what is under it.
  for (const d of dirModes.reverse()) {
    await chmod(d.path, d.mode);
    await utimes(d.path, d.mtime, d.mtime);
  }
}

/**
 * `extract` from a stream; on failure what is left of the stream is still read (so that the
 * archive's sha256 says whether the file is damaged) before the failure is passed on.
 */
function extractor(root: string, wanted?: (name: string) => boolean) {
  return async (source: AsyncIterable<Buffer>): Promise<void> => {
    const it = source[Symbol.asyncIterator]();
    // readTar only calls next(): ending early must not destroy the stream.
    const once: AsyncIterable<Buffer> = { [Symbol.asyncIterator]: () => ({ next: () => it.next() }) };
    try {
      await extract(once, root, wanted);
    } catch (e) {
      try {
        while (!(await it.next()).done);
      } catch {
        // the stream's own error: the one thrown below says what went wrong first
      }
      throw e;
    }
  };
}

/** Removes a restored tree even when it holds read-only directories. */
function removeTree(path: string): void {
  try {
    rmSync(path, { recursive: true, force: true });
    return;
  } catch {
    // below
  }
  const stack = [nameBytes(path)];
  while (stack.length) {
    const dir = stack.pop()!;
    try {
      chmodSync(dir, 0o700);
      for (const n of readdirSync(dir, { encoding: 'buffer' })) {
        const p = joinBytes(dir, n);
        if (lstatSync(p).isDirectory()) stack.push(p);
      }
    } catch {
      // gone, or not ours to change
    }
  }
  rmSync(path, { recursive: true, force: true });
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
    const unpack = extractor(scratch, include ? wanted : undefined);
    let extract: Promise<unknown>;
    if (opts.decrypt) {
      const gpg = spawnArgv(opts.decrypt.argv, { stdin: 'pipe', stdout: 'pipe' });
      const fed = pipeline(archive, tee, gpg.child.stdin!).catch(() => undefined);
      const plain = pipeline(gpg.child.stdout!, createGunzip({ chunkSize: GUNZIP_CHUNK }), unpack);
      // When gpg fails (no secret key, a damaged message) gunzip fails too, usually first:
      // gpg's own error is the one that says why.
      extract = Promise.allSettled([fed, plain, gpg.done]).then(([, p, g]) => {
        const e = (g as PromiseFulfilledResult<Exit>).value;
        if (!exitOk(e)) throw new Error(describeExit('gpg', e));
        if (p.status === 'rejected') throw p.reason;
      });
    } else {
      extract = pipeline(archive, tee, createGunzip({ chunkSize: GUNZIP_CHUNK }), unpack);
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
      // Names as the manifest holds them: bytes, a `\` part of a name, never a separator.
      let restored: { rel: string; path: Buffer }[] = [];
      try {
        restored = walkFiles(scratch);
      } catch (e) {
        problems.push(`cannot read the restored tree: ${errno(e) ?? (e as Error).message}`);
      }
      for (const { rel, path } of restored) {
        const want = expected.get(rel);
        seen.add(rel);
        if (want === undefined) {
          problems.push(`${displayName(rel)}: restored but not in the manifest`);
          continue;
        }
        let got;
        try {
          got = await hashFile(path);
        } catch (e) {
          problems.push(`${displayName(rel)}: restored but cannot be read (${errno(e) ?? (e as Error).message})`);
          continue;
        }
        if (got !== want) problems.push(`${displayName(rel)}: sha256 ${got} differs from the manifest's ${want}`);
        else checked++;
      }
      if (include && members.length === 0)
        problems.push(`the archive holds nothing under ${include.map((p) => `/${p}`).join(', ')}`);
      for (const m of members)
        if (!seen.has(m.path)) problems.push(`${displayName(m.path)}: in the manifest but not restored`);
    }
    return { ok: problems.length === 0, archiveSha256, bytes, checked, problems };
  } finally {
    try {
      // A restored tree may hold read-only directories; make sure it can be removed.
      if (opts.into === undefined && lstatSync(scratch).isDirectory()) removeTree(scratch);
    } catch {
      // already gone
    }
  }
}
