// The stored copy as a restore test reads it (engine/run/builtin/dump-source.ts), with `cat` and
// `sh` standing in for gpg: the decrypted stream must survive a consumer that starts late (node
// drains the stdout of an exited child nobody reads yet), and read and decryption failures are
// reported as such, while a consumer that stops early is not a decryption failure.
import { randomBytes } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { openDump } from '../../../engine/run/builtin/dump-source';
import { createHash } from 'node:crypto';

async function readAll(r: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of r) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

describe('openDump', () => {
  const data = randomBytes(300_000);

  it('passes a plain copy through and hashes it as stored', async () => {
    const src = openDump(Readable.from([data.subarray(0, 1000), data.subarray(1000)]));
    expect((await readAll(src.stream)).equals(data)).toBe(true);
    expect(await src.done).toBeUndefined();
    expect(src.bytes()).toBe(data.length);
    expect(src.sha256()).toBe(createHash('sha256').update(data).digest('hex'));
  });

  it('keeps the decrypted stream whole when the consumer starts after the decrypter exited', async () => {
    const small = data.subarray(0, 5000);
    const src = openDump(Readable.from([small]), { decrypt: ['cat'] });
    await new Promise((r) => setTimeout(r, 500));
    expect((await readAll(src.stream)).equals(small)).toBe(true);
    expect(await src.done).toBeUndefined();
  });

  it('reports a decrypter that fails, and a copy that cannot be read', async () => {
    const bad = openDump(Readable.from([data]), {
      decrypt: ['sh', '-c', 'cat >/dev/null; echo "gpg: decryption failed: No secret key" >&2; exit 2'],
    });
    await readAll(bad.stream);
    expect(await bad.done).toBe(
      'cannot decrypt the copy: gpg exited with status 2: gpg: decryption failed: No secret key',
    );
    const broken = new PassThrough();
    const unread = openDump(broken);
    broken.write(data.subarray(0, 10));
    broken.destroy(Object.assign(new Error('cannot read /x on vault: cat exited with status 1'), { code: 'EIO' }));
    await readAll(unread.stream).catch(() => undefined);
    expect(await unread.done).toBe('cannot read the copy: cannot read /x on vault: cat exited with status 1');
  });

  it('does not call it a decryption failure when the consumer stops reading early', async () => {
    const src = openDump(Readable.from([data, data, data]), { decrypt: ['cat'] });
    for await (const _ of src.stream) break;
    expect(await src.done).toBeUndefined();
  });
});
