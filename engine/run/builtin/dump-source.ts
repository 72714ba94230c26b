// The stored copy of a dump as a restore test reads it: the file streamed from the storage's
// host (over ssh when remote), hashed as stored, and for a `.gpg` copy decrypted on this
// machine by gpg (the machine that verifies holds the secret key; the database host only ever
// needed the public one). The plaintext feeds the restore; `done` says whether the copy was
// read and decrypted to its end.
import { createHash } from 'node:crypto';
import { PassThrough, Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describeExit, exitOk, spawnArgv } from '../exec/process';

export interface DumpSource {
  /** The dump as the database tool reads it (decrypted when the copy is encrypted). */
  stream: Readable;
  /** Resolves once the copy was read (and decrypted) to the end: undefined, or what went wrong. */
  done: Promise<string | undefined>;
  /** sha256 and size of the copy as stored (encrypted bytes for a `.gpg` copy). */
  sha256(): string;
  bytes(): number;
}

/** `gpg --decrypt` in batch mode: a key that needs a passphrase fails instead of prompting. */
export function gpgDecryptArgv(gpg = 'gpg'): string[] {
  return [gpg, '--batch', '--no-tty', '--quiet', '--decrypt'];
}

export function openDump(stored: Readable, opts: { decrypt?: string[] } = {}): DumpSource {
  const h = createHash('sha256');
  let n = 0;
  let hex: string | undefined;
  const tap = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      h.update(chunk);
      n += chunk.length;
      cb(null, chunk);
    },
  });
  let readProblem: string | undefined;
  // Errors of our own making (the consumer stopped early and the streams were torn down) are
  // not read problems; a file that cannot be read (ENOENT, a failed `cat` over ssh) is.
  const noteRead = (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE' || e.code === 'ERR_STREAM_PREMATURE_CLOSE' || e.code === 'ERR_STREAM_DESTROYED') return;
    readProblem ??= `cannot read the copy: ${e.message}`;
  };
  stored.on('error', noteRead);
  const common = { sha256: () => (hex ??= h.digest('hex')), bytes: () => n };

  if (!opts.decrypt) {
    const out = new PassThrough();
    const read = pipeline(stored, tap, out).catch(noteRead);
    return { stream: out, done: read.then(() => readProblem), ...common };
  }

  const gpg = spawnArgv(opts.decrypt, { stdin: 'pipe', stdout: 'pipe' });
  // Read gpg's output from the start: node drains the stdout of an exited child that nobody
  // reads yet, and the restore only starts reading after the source database was counted.
  const plain = new PassThrough();
  void pipeline(gpg.child.stdout!, plain).catch(() => undefined);
  // The restore tool may stop reading early (a damaged dump); gpg then dies writing to a closed
  // pipe, which is not a decryption problem: the tool's own exit status tells the story.
  let consumerGone = false;
  plain.on('close', () => {
    if (!plain.readableEnded) consumerGone = true;
  });
  const fed = pipeline(stored, tap, gpg.child.stdin!).catch(noteRead);
  const done = Promise.all([fed, gpg.done]).then(([, e]) => {
    if (readProblem) return readProblem;
    if (!exitOk(e) && !consumerGone) return `cannot decrypt the copy: ${describeExit('gpg', e)}`;
    return undefined;
  });
  return { stream: plain, done, ...common };
}
