// The built-in `archive` kind (SPEC §4): tar + gzip of `paths`, with no external tool (the npm
// `tar` package writes the tar stream, node's zlib compresses it). The uncompressed stream is
// also parsed as it is produced, so the manifest's member hashes are those of the bytes really
// archived (a file changing while it is read cannot make the manifest disagree with the
// archive). Entry names are the absolute paths without their leading `/`, as GNU tar stores
// them. Any read error (a missing path, a file that shrank or grew while being read) fails the
// archive: a copy that says it is whole holds everything that was asked for.
import { createHash } from 'node:crypto';
import { lstatSync, type Stats } from 'node:fs';
import { PassThrough, type Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import { Pack, Parser, type ReadEntry } from 'tar';
import { excludeMatcher } from './exclude';
import type { ManifestEntry } from './manifest';

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
  const filter = (rel: string, st: Stats | ReadEntry): boolean => {
    const abs = `/${rel.replace(/\/+$/, '')}`;
    if (skip.some((d) => within(abs, d))) return false;
    if (excluded(abs)) return false;
    const s = st as Stats;
    if (typeof s.isFile === 'function' && !s.isFile() && !s.isDirectory() && !s.isSymbolicLink()) {
      stats.skipped.push(abs);
      return false;
    }
    return true;
  };
  // cwd '/' with relative names: entries are stored as `etc/hosts`, never with a leading '/'.
  const pack = new Pack({ cwd: '/', filter, strict: true, portable: false });
  const parser = new Parser({ strict: true });
  const gzip = createGzip();
  const out = new PassThrough();

  const hashes = new Map<string, string>();
  const members: ManifestEntry[] = [];
  const membersDone = new Promise<ManifestEntry[]>((resolve, reject) => {
    parser.on('entry', (entry: ReadEntry) => {
      const path = entry.path.replace(/\/+$/, '');
      if (entry.type === 'File' || entry.type === 'OldFile' || entry.type === 'ContiguousFile') {
        const h = createHash('sha256');
        entry.on('data', (d: Buffer) => h.update(d));
        entry.on('end', () => {
          const sha256 = h.digest('hex');
          hashes.set(path, sha256);
          members.push({ path, sha256 });
          stats.files++;
        });
      } else {
        if (entry.type === 'Link') {
          const target = hashes.get(String(entry.linkpath).replace(/\/+$/, ''));
          if (target) {
            members.push({ path, sha256: target });
            stats.files++;
          }
        } else if (entry.type === 'Directory') stats.directories++;
        else if (entry.type === 'SymbolicLink') stats.symlinks++;
        entry.resume();
      }
    });
    parser.on('end', () => resolve(members));
    parser.on('error', (e: Error) => reject(e));
    pack.on('error', (e: unknown) => reject(new ArchiveError(`archive failed: ${(e as Error).message}`)));
    gzip.on('error', (e: Error) => reject(e));
  });
  // Nobody may be awaiting `members` yet when an error happens: the stream carries it too.
  membersDone.catch(() => undefined);

  pack.on('data', (chunk: Buffer) => {
    stats.bytes += chunk.length;
    parser.write(chunk);
    if (!gzip.write(chunk)) pack.pause();
  });
  gzip.on('drain', () => pack.resume());
  pack.on('end', () => {
    parser.end();
    gzip.end();
  });
  pack.on('error', (e: unknown) => out.destroy(new ArchiveError(`archive failed: ${(e as Error).message}`)));
  gzip.pipe(out);
  // The consumer gave up (a failed stage, an interrupted run): stop reading files.
  out.on('close', () => {
    if (out.readableEnded) return;
    pack.pause();
    gzip.destroy();
  });

  for (const p of opts.paths) pack.add(p === '/' ? '.' : p.slice(1));
  pack.end();
  return { stream: out, members: membersDone, stats };
}
