// Files on a host, for outputs, inventories, prunes and restores. Locally through node's fs;
// on a remote host through fixed argv over ssh (GNU coreutils and findutils). Paths reaching
// here are absolute (the drivers refuse anything else), and every argv ends options with `--`.
//
// Outputs are written to their `.partial` name, fsynced, and then given their final name
// without ever replacing an existing copy: a file is hard-linked to its final name (which
// fails if that name exists) and the partial unlinked; a directory is renamed after checking
// the name is free (under the job's lock). The directory is fsynced after the rename.
import { closeSync, createReadStream, fsync, linkSync, lstatSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, unlinkSync, write } from 'node:fs';
import { dirname } from 'node:path';
import { Writable, type Readable } from 'node:stream';
import { fsyncDir } from '../state';
import type { Hosts } from './hosts';
import { capture, describeExit, exitOk, spawnArgv } from './process';

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
  remove(path: string, type: 'file' | 'directory'): Promise<void>;
  createWriter(partial: string): Promise<OutputWriter>;
  /** Give `partial` its final name; refuses to replace an existing `path`. */
  commit(partial: string, path: string, kind: 'file' | 'directory'): Promise<void>;
  read(path: string): Readable;
}

export class FsError extends Error {}

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
    try {
      if (type === 'directory') rmSync(path, { recursive: true, force: true });
      else unlinkSync(path);
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
      if (code(e) === 'EEXIST') throw new FsError(`${path} already exists; a copy is never replaced (two runs of this job in the same minute?)`);
      throw new FsError(`cannot rename ${partial} to ${path}: ${code(e)}`);
    }
    fsyncDir(dirname(path));
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

  private async run(argv: string[], what: string, maxOut?: number): Promise<Buffer> {
    await this.hosts.ready(this.host);
    const r = await capture(this.hosts.argv(this.host, argv), { maxOut });
    if (!exitOk(r)) throw new FsError(`${what} on ${this.host}: ${describeExit(argv[0], r)}`);
    return r.stdout;
  }

  async list(dir: string): Promise<DirEntry[] | undefined> {
    if (!(await this.exists(dir))) return undefined;
    const out = await this.run(['find', dir, '-mindepth', '1', '-maxdepth', '1', '-printf', '%y %f\\0'], `cannot list ${dir}`);
    return out
      .toString('utf8')
      .split('\0')
      .filter(Boolean)
      .map((l) => ({ name: l.slice(2), type: l[0] === 'f' ? 'file' : l[0] === 'd' ? 'directory' : 'other' }));
  }

  async exists(path: string): Promise<boolean> {
    await this.hosts.ready(this.host);
    const r = await capture(this.hosts.argv(this.host, ['test', '-e', path]));
    if (r.code === 0) return true;
    if (r.code === 1) return false;
    throw new FsError(`cannot check ${path} on ${this.host}: ${describeExit('test', r)}`);
  }

  async mkdirp(dir: string): Promise<void> {
    await this.run(['mkdir', '-p', '--', dir], `cannot create ${dir}`);
  }

  async remove(path: string, type: 'file' | 'directory'): Promise<void> {
    await this.run(type === 'directory' ? ['rm', '-rf', '--', path] : ['rm', '-f', '--', path], `cannot remove ${path}`);
  }

  async createWriter(partial: string): Promise<OutputWriter> {
    await this.hosts.ready(this.host);
    const p = spawnArgv(this.hosts.argv(this.host, ['dd', `of=${partial}`, 'bs=1M', 'conv=fsync', 'status=none']), { stdin: 'pipe', stdout: 'ignore' });
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
    if (kind === 'file') {
      // `ln` fails when the final name exists: a copy is never replaced.
      await this.run(['ln', '-T', '--', partial, path], `cannot give ${partial} its final name ${path}`);
      await this.run(['rm', '-f', '--', partial], `cannot remove ${partial}`);
    } else {
      if (await this.exists(path)) throw new FsError(`${path} already exists on ${this.host}; a copy is never replaced`);
      await this.run(['mv', '-T', '--', partial, path], `cannot rename ${partial} to ${path}`);
    }
    await this.run(['sync', '--', dirname(path)], `cannot sync ${dirname(path)}`).catch(() => undefined);
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
