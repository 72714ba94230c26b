// Files on a host, for outputs, inventories, prunes and restores. Locally through node's fs;
// on a remote host through fixed argv over ssh (GNU coreutils and findutils). Paths reaching
// here are absolute (the drivers refuse anything else), and every argv ends options with `--`.
//
// Outputs are written to their `.partial` name, fsynced, and then given their final name
// without ever replacing an existing copy: a file is hard-linked to its final name (which
// fails if that name exists) and the partial unlinked; a directory is renamed after checking
// the name is free (under the job's lock). The directory is fsynced after the rename.
//
// Removal is atomic from the point of view of every listing: each name is first renamed, in its
// own directory, to `.deleting-NAME` (which no listing takes for a copy), the directory fsynced,
// and only then deleted. A kill in the middle of a recursive delete leaves a `.deleting-` name,
// never a half-deleted tree under a copy's name; the next prune of the job removes it. Several
// names (an archive, then its manifest) are renamed in the order given before any is deleted.
//
// Over ssh each remote call is a round trip through the host's ControlMaster, which dominates a
// small job's time: listing, committing, and writing + committing a manifest with its output
// are each one call, a fixed script with the paths as positional arguments (ssh-scripts.ts).
import {
  closeSync,
  createReadStream,
  fsync,
  linkSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  renameSync,
  rmSync,
  unlinkSync,
  write,
} from 'node:fs';
import { dirname } from 'node:path';
import { PassThrough, Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fsyncDir } from '../state/dir';
import type { Hosts } from './hosts';
import { capture, describeExit, exitOk, spawnArgv, type Exit } from './process';
import { COMMIT_DIRECTORY, COMMIT_FILE, COMMIT_WITH_MANIFEST, EXIT, LIST, REMOVE_HIDDEN } from './ssh-scripts';

/** What a name being removed is renamed to first, in the same directory (ignored by listings). */
export const DELETING_PREFIX = '.deleting-';

/** `DIR/.deleting-NAME` for `DIR/NAME`. */
export function deletingName(path: string): string {
  const i = path.lastIndexOf('/');
  return `${path.slice(0, i + 1)}${DELETING_PREFIX}${path.slice(i + 1)}`;
}

export interface RemoveItem {
  path: string;
  type: 'file' | 'directory';
}

export interface DirEntry {
  name: string;
  type: 'file' | 'directory' | 'other';
}

export interface OutputWriter {
  stream: Writable;
  /** Flush, fsync and close. Rejects if anything failed. */
  finish(): Promise<void>;
  /** Close and remove the partial file (after a failure). */
  abort(): Promise<void>;
}

export interface HostFs {
  host: string;
  /** Entries of `dir`, or undefined when it does not exist. */
  list(dir: string): Promise<DirEntry[] | undefined>;
  exists(path: string): Promise<boolean>;
  mkdirp(dir: string): Promise<void>;
  /** Remove one name, atomically for listings (removeAll with one item). */
  remove(path: string, type: 'file' | 'directory'): Promise<void>;
  /**
   * Rename every item, in the order given, to its `.deleting-` name in the same directory (one
   * left there by an interrupted removal is deleted first), sync the directory, then delete
   * them. A name already gone is not an error. All items are in one directory.
   */
  removeAll(items: readonly RemoveItem[]): Promise<void>;
  /** Delete a name as it is (a `.deleting-` leftover: already hidden from listings). */
  purge(path: string, type: 'file' | 'directory'): Promise<void>;
  createWriter(partial: string): Promise<OutputWriter>;
  /** Give `partial` its final name; refuses to replace an existing `path`. */
  commit(partial: string, path: string, kind: 'file' | 'directory'): Promise<void>;
  /**
   * Write `text` as the manifest of the file `output` (under its partial name, fsynced), then
   * give the manifest its final name and the output its own, in that order; refuses when the
   * output's final name exists, and takes the manifest back if the output cannot get its name.
   * Both are in the same directory. On failure the output's partial is left to the caller.
   */
  commitWithManifest(output: NamePair, manifest: NamePair, text: string | Buffer): Promise<void>;
  read(path: string): Readable;
}

/** An output's partial name and its final name. */
export interface NamePair {
  partial: string;
  path: string;
}

export class FsError extends Error {}

/** The message of an output whose final name was taken while the job ran (another writer). */
function alreadyExists(path: string, where = ''): string {
  return (
    `${path} already exists${where}; a copy is never replaced ` +
    '(something else wrote that name while this run was writing)'
  );
}

function code(e: unknown): string {
  return (e as NodeJS.ErrnoException)?.code ?? String((e as Error)?.message ?? e);
}

export class LocalFs implements HostFs {
  readonly host = 'local';

  async list(dir: string): Promise<DirEntry[] | undefined> {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch (e) {
      if (code(e) === 'ENOENT') return undefined;
      throw new FsError(`cannot list ${dir}: ${code(e)}`);
    }
    return entries.map((d) => ({ name: d.name, type: d.isFile() ? 'file' : d.isDirectory() ? 'directory' : 'other' }));
  }

  async exists(path: string): Promise<boolean> {
    try {
      lstatSync(path);
      return true;
    } catch {
      return false;
    }
  }

  async mkdirp(dir: string): Promise<void> {
    mkdirSync(dir, { recursive: true });
  }

  async remove(path: string, type: 'file' | 'directory'): Promise<void> {
    await this.removeAll([{ path, type }]);
  }

  async removeAll(items: readonly RemoveItem[]): Promise<void> {
    if (!items.length) return;
    const hidden: RemoveItem[] = [];
    for (const it of items) {
      const to = deletingName(it.path);
      try {
        // A leftover of an earlier interrupted removal of the same name goes first (a
        // directory cannot be renamed over a non-empty one).
        if (await this.exists(to)) await this.purge(to, 'directory');
        renameSync(it.path, to);
        hidden.push({ path: to, type: it.type });
      } catch (e) {
        if (code(e) === 'ENOENT') continue;
        throw new FsError(`cannot rename ${it.path} to ${to} (to remove it): ${code(e)}`);
      }
    }
    fsyncDir(dirname(items[0].path));
    for (const h of hidden) await this.purge(h.path, h.type);
  }

  async purge(path: string, type: 'file' | 'directory'): Promise<void> {
    void type;
    try {
      rmSync(path, { recursive: true, force: true });
    } catch (e) {
      if (code(e) !== 'ENOENT') throw new FsError(`cannot remove ${path}: ${code(e)}`);
    }
    fsyncDir(dirname(path));
  }

  async createWriter(partial: string): Promise<OutputWriter> {
    let fd: number;
    try {
      // 'w' truncates a partial left by an interrupted run of the same name.
      fd = openSync(partial, 'w', 0o600);
    } catch (e) {
      throw new FsError(`cannot create ${partial}: ${code(e)}`);
    }
    let closed = false;
    const close = () => {
      if (!closed) {
        closed = true;
        try {
          closeSync(fd);
        } catch {
          // nothing more to do with it
        }
      }
    };
    const writeAll = (buf: Buffer, off: number, cb: (e?: Error | null) => void): void => {
      if (off >= buf.length) return cb();
      write(fd, buf, off, buf.length - off, null, (err, n) => (err ? cb(err) : writeAll(buf, off + n, cb)));
    };
    // A plain Writable over the descriptor: the data is fsynced in final(), before 'finish'.
    const stream = new Writable({
      write: (chunk: Buffer, _enc, cb) => writeAll(chunk, 0, cb),
      final: (cb) => fsync(fd, (e) => cb(e)),
    });
    let error: Error | undefined;
    stream.on('error', (e) => (error = e));
    return {
      stream,
      finish: () =>
        new Promise<void>((resolve, reject) => {
          const done = () => {
            close();
            if (error) reject(new FsError(`cannot write ${partial}: ${code(error)}`));
            else resolve();
          };
          if (stream.writableFinished || error) done();
          else {
            stream.once('finish', done);
            stream.once('error', done);
            if (!stream.writableEnded) stream.end();
          }
        }),
      abort: async () => {
        stream.destroy();
        close();
        try {
          unlinkSync(partial);
        } catch {
          // never created or already gone
        }
      },
    };
  }

  async commit(partial: string, path: string, kind: 'file' | 'directory'): Promise<void> {
    try {
      if (kind === 'file') {
        linkSync(partial, path);
        unlinkSync(partial);
      } else {
        if (await this.exists(path)) throw Object.assign(new Error('exists'), { code: 'EEXIST' });
        renameSync(partial, path);
      }
    } catch (e) {
      if (code(e) === 'EEXIST') throw new FsError(alreadyExists(path));
      throw new FsError(`cannot rename ${partial} to ${path}: ${code(e)}`);
    }
    fsyncDir(dirname(path));
  }

  async commitWithManifest(output: NamePair, manifest: NamePair, text: string | Buffer): Promise<void> {
    const w = await this.createWriter(manifest.partial);
    let manifestCommitted = false;
    try {
      const body = new PassThrough();
      const written = pipeline(body, w.stream);
      body.end(text);
      await written;
      await w.finish();
      if (await this.exists(output.path)) throw new FsError(alreadyExists(output.path));
      // The manifest gets its name first: a crash between the two renames leaves a manifest
      // without archive (ignored), never an archive that looks whole without its manifest.
      await this.commit(manifest.partial, manifest.path, 'file');
      manifestCommitted = true;
      await this.commit(output.partial, output.path, 'file');
    } catch (e) {
      await w.abort();
      if (manifestCommitted) await this.remove(manifest.path, 'file').catch(() => undefined);
      throw e;
    }
  }

  read(path: string): Readable {
    return createReadStream(path);
  }
}

/** Files on a remote host, through fixed argv over the run's ssh connection. */
export class SshFs implements HostFs {
  constructor(
    readonly host: string,
    private readonly hosts: Hosts,
  ) {}

  private async exec(argv: string[], input?: Buffer, maxOut?: number): Promise<Exit & { stdout: Buffer }> {
    await this.hosts.ready(this.host);
    return capture(this.hosts.argv(this.host, argv), { maxOut, input });
  }

  private async run(argv: string[], what: string, maxOut?: number): Promise<Buffer> {
    const r = await this.exec(argv, undefined, maxOut);
    if (!exitOk(r)) throw new FsError(`${what} on ${this.host}: ${describeExit(argv[0], r)}`);
    return r.stdout;
  }

  /**
   * Run one of ssh-scripts.ts's fixed scripts with `args` as its positional parameters: the
   * script's text is a constant and every path reaches it as "$1", "$2" ... (SPEC §8.1), never
   * pasted into it; hosts.argv quotes each word with the one quoting function.
   */
  private script(script: string, args: string[], input?: Buffer): Promise<Exit & { stdout: Buffer }> {
    return this.exec(['sh', '-c', script, 'sh', ...args], input);
  }

  /** `WHAT on HOST: why`, for a script that failed at the stage that ran `tool`. */
  private failure(what: string, tool: string, r: Exit): FsError {
    // A stage's own exit code says which tool failed (its stderr says why); any other code
    // is ssh's or the shell's, described as it is.
    const ours = r.code !== null && !r.signal && !r.spawnError && (Object.values(EXIT) as number[]).includes(r.code);
    const last = r.stderr.trim().split('\n').filter(Boolean).slice(-3).join(' | ');
    return new FsError(
      `${what} on ${this.host}: ${ours ? `${tool} failed${last ? `: ${last}` : ''}` : describeExit(tool, r)}`,
    );
  }

  async list(dir: string): Promise<DirEntry[] | undefined> {
    // One call: a missing directory exits EXIT.missing; a permission error (find) or an
    // unreachable host (ssh) is an error, never taken for "no copies yet".
    const r = await this.script(LIST, [dir]);
    if (r.code === EXIT.missing && !r.signal) return undefined;
    if (!exitOk(r)) throw this.failure(`cannot list ${dir}`, 'find', r);
    return r.stdout
      .toString('utf8')
      .split('\0')
      .filter(Boolean)
      .map((l) => ({ name: l.slice(2), type: l[0] === 'f' ? 'file' : l[0] === 'd' ? 'directory' : 'other' }));
  }

  async exists(path: string): Promise<boolean> {
    const r = await this.exec(['test', '-e', path]);
    if (r.code === 0) return true;
    if (r.code === 1) return false;
    throw new FsError(`cannot check ${path} on ${this.host}: ${describeExit('test', r)}`);
  }

  async mkdirp(dir: string): Promise<void> {
    await this.run(['mkdir', '-p', '--', dir], `cannot create ${dir}`);
  }

  async remove(path: string, type: 'file' | 'directory'): Promise<void> {
    await this.removeAll([{ path, type }]);
  }

  async removeAll(items: readonly RemoveItem[]): Promise<void> {
    if (!items.length) return;
    // One call: every rename (in order), the directory sync, then every delete.
    const r = await this.script(REMOVE_HIDDEN, [
      dirname(items[0].path),
      ...items.flatMap((it) => [it.path, deletingName(it.path)]),
    ]);
    if (exitOk(r)) return;
    const names = items.map((it) => it.path).join(', ');
    if (r.code === EXIT.link) throw this.failure(`cannot rename ${names} (to remove it)`, 'mv', r);
    throw this.failure(`cannot remove ${names}`, 'rm', r);
  }

  async purge(path: string, type: 'file' | 'directory'): Promise<void> {
    void type;
    await this.run(['rm', '-rf', '--', path], `cannot remove ${path}`);
  }

  async createWriter(partial: string): Promise<OutputWriter> {
    await this.hosts.ready(this.host);
    const p = spawnArgv(this.hosts.argv(this.host, ['dd', `of=${partial}`, 'bs=1M', 'conv=fsync', 'status=none']), {
      stdin: 'pipe',
      stdout: 'ignore',
    });
    return {
      stream: p.child.stdin!,
      finish: async () => {
        p.child.stdin!.end();
        const e = await p.done;
        if (!exitOk(e)) throw new FsError(`cannot write ${partial} on ${this.host}: ${describeExit('dd', e)}`);
      },
      abort: async () => {
        p.child.stdin!.destroy();
        await p.done;
        await this.remove(partial, 'file').catch(() => undefined);
      },
    };
  }

  async commit(partial: string, path: string, kind: 'file' | 'directory'): Promise<void> {
    // One call: link (a file) or rename (a directory), drop the partial name, sync the directory.
    const r = await this.script(kind === 'file' ? COMMIT_FILE : COMMIT_DIRECTORY, [partial, path, dirname(path)]);
    if (exitOk(r)) return;
    if (r.code === EXIT.exists) throw new FsError(`${path} already exists on ${this.host}; a copy is never replaced`);
    if (r.code === EXIT.unlink) throw this.failure(`cannot remove ${partial}`, 'rm', r);
    if (kind === 'file') throw this.failure(`cannot give ${partial} its final name ${path}`, 'ln', r);
    throw this.failure(`cannot rename ${partial} to ${path}`, 'mv', r);
  }

  async commitWithManifest(output: NamePair, manifest: NamePair, text: string | Buffer): Promise<void> {
    // One call for what took six: the existence check, writing the manifest, both links (the
    // manifest first), removing both partial names, and the directory sync.
    const r = await this.script(
      COMMIT_WITH_MANIFEST,
      [dirname(output.path), manifest.partial, manifest.path, output.partial, output.path],
      typeof text === 'string' ? Buffer.from(text, 'utf8') : text,
    );
    if (exitOk(r)) return;
    switch (r.code) {
      case EXIT.exists:
        throw new FsError(alreadyExists(output.path, ` on ${this.host}`));
      case EXIT.write:
        throw this.failure(`cannot write ${manifest.partial}`, 'dd', r);
      case EXIT.link:
        throw this.failure(`cannot give ${manifest.partial} its final name ${manifest.path}`, 'ln', r);
      case EXIT.linkSecond:
        throw this.failure(`cannot give ${output.partial} its final name ${output.path}`, 'ln', r);
      case EXIT.unlink:
        throw this.failure(`cannot remove ${manifest.partial} and ${output.partial}`, 'rm', r);
      default:
        // ssh or the shell failed: whether the names were given is unknown, so nothing is
        // taken back here (the next run's listing sees what is there).
        throw this.failure(`cannot give ${output.partial} and its manifest their final names`, 'sh', r);
    }
  }

  read(path: string): Readable {
    // Callers check the exit through the stream: a failed cat ends the stream early and the
    // content check (sha256) fails.
    const argv = this.hosts.argv(this.host, ['cat', '--', path]);
    const p = spawnArgv(argv, { stdin: 'ignore', stdout: 'pipe' });
    const out = p.child.stdout!;
    void p.done.then((e) => {
      if (!exitOk(e)) out.destroy(new FsError(`cannot read ${path} on ${this.host}: ${describeExit('cat', e)}`));
    });
    return out;
  }
}

export function fsFor(host: string, hosts: Hosts): HostFs {
  return hosts.isLocal(host) ? new LocalFs() : new SshFs(host, hosts);
}
