// The built-in `archive` kind (SPEC §4): tar + gzip of `paths`, with no external tool (./tar.ts
// writes the tar stream, node's zlib compresses it). Names are read and stored as bytes, so a
// name that is not UTF-8 is archived like any other. Each member's hash is that of the bytes
// written into the archive (a file changing while it is read cannot make the manifest disagree
// with the archive). Members are in byte order of their names. Entry names are the absolute
// paths without their leading `/`, as GNU tar stores them. Any read error (a missing path, a
// file that shrank or grew while being read) fails the archive: a copy that says it is whole
// holds everything that was asked for.
import { createHash } from 'node:crypto';
import { constants, lstatSync } from 'node:fs';
import { lstat, open, readdir, readlink } from 'node:fs/promises';
import { PassThrough, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { excludeMatcher } from './exclude';
import type { ManifestEntry } from './manifest';
import { displayName, joinBytes, nameBytes, nameString } from './names';
import { TAR_END, tarHeader, tarPadding } from './tar';

export class ArchiveError extends Error {}

export interface ArchiveSource {
  /** The gzip-compressed tar stream. */
  stream: Readable;
  /** The archived regular files with their sha256, in archive order (resolves at the end). */
  members: Promise<ManifestEntry[]>;
  /** Counts, final once `members` resolved. */
  stats: { files: number; directories: number; symlinks: number; skipped: string[]; bytes: number };
}

export interface ArchiveOptions {
  /** Absolute paths to archive. */
  paths: readonly string[];
  exclude: readonly string[];
  /** Absolute paths never read (the job's own output directory). */
  skip?: readonly string[];
}

function within(path: string, dir: string): boolean {
  return path === dir || path.startsWith(dir.endsWith('/') ? dir : `${dir}/`);
}

const CHUNK = 256 << 10;
const code = (e: unknown): string => (e as NodeJS.ErrnoException).code ?? (e as Error).message;

export function createArchive(opts: ArchiveOptions): ArchiveSource {
  for (const p of opts.paths) {
    if (!p.startsWith('/')) throw new ArchiveError(`${p}: archive paths must be absolute`);
    try {
      lstatSync(p);
    } catch (e) {
      throw new ArchiveError(`cannot read ${p}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
  }
  const excluded = excludeMatcher(opts.exclude);
  const skip = opts.skip ?? [];
  const stats: ArchiveSource['stats'] = { files: 0, directories: 0, symlinks: 0, skipped: [], bytes: 0 };
  const members: ManifestEntry[] = [];
  // Hard links: the first name of each (device, inode) seen, with its hash.
  const linked = new Map<string, { name: Buffer; sha256: string }>();
  let settle: { resolve(m: ManifestEntry[]): void; reject(e: Error): void };
  const membersDone = new Promise<ManifestEntry[]>((resolve, reject) => (settle = { resolve, reject }));
  // Nobody may be awaiting `members` yet when an error happens: the stream carries it too.
  membersDone.catch(() => undefined);

  /** One path (bytes, absolute) and everything under it; `rel` is its member name. */
  async function* walk(abs: Buffer, rel: Buffer): AsyncGenerator<Buffer> {
    const absName = `/${nameString(rel)}`;
    if (rel.length && (skip.some((d) => within(absName, d)) || excluded(absName))) return;
    let st;
    try {
      st = await lstat(abs, { bigint: false });
    } catch (e) {
      throw new ArchiveError(`cannot read ${displayName(absName)}: ${code(e)}`);
    }
    const head = { name: rel, mode: st.mode, uid: st.uid, gid: st.gid, mtime: Math.floor(st.mtimeMs / 1000) };
    if (st.isDirectory()) {
      let names: Buffer[];
      try {
        names = await readdir(abs, { encoding: 'buffer' });
      } catch (e) {
        throw new ArchiveError(`cannot read ${displayName(absName)}: ${code(e)}`);
      }
      // The root itself has no member name; everything else is stored relative to it.
      if (rel.length) {
        stats.directories++;
        yield tarHeader({ ...head, type: 'dir', size: 0 });
      }
      for (const n of names.sort(Buffer.compare)) yield* walk(joinBytes(abs, n), rel.length ? joinBytes(rel, n) : n);
    } else if (st.isSymbolicLink()) {
      let target: Buffer;
      try {
        target = await readlink(abs, { encoding: 'buffer' });
      } catch (e) {
        throw new ArchiveError(`cannot read ${displayName(absName)}: ${code(e)}`);
      }
      stats.symlinks++;
      yield tarHeader({ ...head, type: 'symlink', size: 0, linkname: target });
    } else if (st.isFile()) {
      const key = `${st.dev}:${st.ino}`;
      const first = st.nlink > 1 ? linked.get(key) : undefined;
      if (first) {
        stats.files++;
        members.push({ path: nameString(rel), sha256: first.sha256 });
        yield tarHeader({ ...head, type: 'link', size: 0, linkname: first.name });
        return;
      }
      let fd;
      try {
        fd = await open(abs, constants.O_RDONLY | constants.O_NOFOLLOW);
      } catch (e) {
        throw new ArchiveError(`cannot read ${displayName(absName)}: ${code(e)}`);
      }
      try {
        const h = createHash('sha256');
        yield tarHeader({ ...head, type: 'file', size: st.size });
        for (let left = st.size; left > 0; ) {
          const buf = Buffer.allocUnsafe(Math.min(CHUNK, left));
          const { bytesRead } = await fd.read(buf, 0, buf.length, null);
          if (bytesRead === 0) throw new ArchiveError(`${displayName(absName)} shrank while it was read`);
          const chunk = buf.subarray(0, bytesRead);
          h.update(chunk);
          left -= bytesRead;
          yield chunk;
        }
        if ((await fd.read(Buffer.alloc(1), 0, 1, null)).bytesRead > 0)
          throw new ArchiveError(`${displayName(absName)} grew while it was read`);
        yield tarPadding(st.size);
        const sha256 = h.digest('hex');
        members.push({ path: nameString(rel), sha256 });
        stats.files++;
        if (st.nlink > 1) linked.set(key, { name: rel, sha256 });
      } catch (e) {
        if (e instanceof ArchiveError) throw e;
        throw new ArchiveError(`cannot read ${displayName(absName)}: ${code(e)}`);
      } finally {
        await fd.close().catch(() => undefined);
      }
    } else stats.skipped.push(absName);
  }

  async function* all(): AsyncGenerator<Buffer> {
    let ended = false;
    try {
      for (const p of opts.paths) {
        const trimmed = p === '/' ? '/' : p.replace(/\/+$/, '');
        for await (const b of walk(nameBytes(trimmed), nameBytes(trimmed.slice(1)))) {
          stats.bytes += b.length;
          yield b;
        }
      }
      stats.bytes += TAR_END.length;
      yield TAR_END;
      ended = true;
      settle.resolve(members);
    } catch (e) {
      settle.reject(e as Error);
      throw e;
    } finally {
      // The consumer gave up (a failed stage, an interrupted run): nothing more is read.
      if (!ended) settle.reject(new ArchiveError('the archive was stopped before its end'));
    }
  }

  const tar = Readable.from(all(), { objectMode: false, highWaterMark: CHUNK });
  const out = new PassThrough();
  pipeline(tar, createGzip(), out).catch(() => undefined);
  return { stream: out, members: membersDone, stats };
}
