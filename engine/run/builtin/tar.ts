// The tar format of the built-in archive, written and read by our own code because names are
// bytes: a name that is not UTF-8 must survive, and the npm `tar` package reads directories and
// headers as strings. Writing: POSIX ustar headers (GNU tar, bsdtar and busybox read them), a
// name longer than the ustar fields (or a link target longer than 100 bytes) in a PAX `x`
// record whose value holds the exact bytes, as GNU tar writes and reads them (no `hdrcharset`:
// GNU tar 1.34 warns about it), sizes past 8 GiB in PAX and in base-256. Reading also takes what other writers produce
// (archives written by earlier versions with the npm `tar` package, GNU tar's `L`/`K` long
// names, global `g` records), checks every header's checksum and fails on a truncated stream.

export class TarError extends Error {}

export type TarType = 'file' | 'link' | 'symlink' | 'dir' | 'other';

export interface TarHeader {
  /** The member's name, bytes as stored (a directory's without its trailing `/`). */
  name: Buffer;
  type: TarType;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  /** Seconds since the epoch. */
  mtime: number;
  /** Target of a symbolic or hard link. */
  linkname?: Buffer;
}

const BLOCK = 512;
export const TAR_END: Buffer = Buffer.alloc(2 * BLOCK);

export function tarPadding(size: number): Buffer {
  const rest = size % BLOCK;
  return rest === 0 ? Buffer.alloc(0) : Buffer.alloc(BLOCK - rest);
}

/** An octal field (NUL-terminated), or GNU base-256 when the value does not fit. */
function writeNumber(block: Buffer, offset: number, width: number, value: number): void {
  const v = Math.max(0, Math.floor(value));
  if (v < 8 ** (width - 1)) {
    block.write(v.toString(8).padStart(width - 1, '0'), offset, width - 1, 'ascii');
    block[offset + width - 1] = 0;
    return;
  }
  let n = BigInt(v);
  for (let i = width - 1; i > 0; i--) {
    block[offset + i] = Number(n & 0xffn);
    n >>= 8n;
  }
  block[offset] = 0x80;
}

function paxRecord(key: string, value: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(` ${key}=`), value, Buffer.from('\n')]);
  // The length counts its own digits.
  let len = body.length + 1;
  while (String(len).length + body.length !== len) len = String(len).length + body.length;
  return Buffer.concat([Buffer.from(String(len)), body]);
}

/** Splits a name into ustar's prefix (≤ 155) and name (≤ 100) at a `/`, when it can. */
function ustarSplit(name: Buffer): { prefix: Buffer; name: Buffer } | undefined {
  if (name.length <= 100) return { prefix: Buffer.alloc(0), name };
  for (let i = name.indexOf(0x2f); i !== -1 && i <= 155; i = name.indexOf(0x2f, i + 1)) {
    const rest = name.length - i - 1;
    if (rest > 0 && rest <= 100) return { prefix: name.subarray(0, i), name: name.subarray(i + 1) };
  }
  return undefined;
}

const TYPE_FLAG: Record<Exclude<TarType, 'other'>, string> = { file: '0', link: '1', symlink: '2', dir: '5' };

function block(h: {
  name: Buffer;
  prefix?: Buffer;
  flag: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  linkname?: Buffer;
}): Buffer {
  const b = Buffer.alloc(BLOCK);
  h.name.copy(b, 0, 0, Math.min(100, h.name.length));
  writeNumber(b, 100, 8, h.mode & 0o7777);
  writeNumber(b, 108, 8, h.uid);
  writeNumber(b, 116, 8, h.gid);
  writeNumber(b, 124, 12, h.size);
  writeNumber(b, 136, 12, h.mtime);
  b.write(h.flag, 156, 1, 'ascii');
  if (h.linkname) h.linkname.copy(b, 157, 0, Math.min(100, h.linkname.length));
  b.write('ustar\u000000', 257, 8, 'ascii');
  writeNumber(b, 329, 8, 0);
  writeNumber(b, 337, 8, 0);
  if (h.prefix) h.prefix.copy(b, 345, 0, Math.min(155, h.prefix.length));
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (const x of b) sum += x;
  b.write(`${sum.toString(8).padStart(6, '0')}\u0000 `, 148, 8, 'ascii');
  return b;
}

/** The header blocks of one member: a PAX record first when the ustar fields cannot hold it. */
export function tarHeader(h: TarHeader): Buffer {
  const name = h.type === 'dir' ? Buffer.concat([h.name, Buffer.from('/')]) : h.name;
  const records: Buffer[] = [];
  const split = ustarSplit(name);
  if (!split) records.push(paxRecord('path', name));
  if (h.linkname && h.linkname.length > 100) records.push(paxRecord('linkpath', h.linkname));
  if (h.size >= 8 ** 11) records.push(paxRecord('size', Buffer.from(String(h.size))));
  const blocks: Buffer[] = [];
  if (records.length) {
    const data = Buffer.concat(records);
    const base = name.subarray(name.lastIndexOf(0x2f, name.length - 2) + 1).subarray(0, 80);
    const paxName = Buffer.concat([Buffer.from('PaxHeader/'), base]);
    const pax = { name: paxName, flag: 'x', mode: 0o644, uid: 0, gid: 0, size: data.length, mtime: h.mtime };
    blocks.push(block(pax), data, tarPadding(data.length));
  }
  blocks.push(
    block({
      name: split ? split.name : name,
      ...(split ? { prefix: split.prefix } : {}),
      flag: TYPE_FLAG[h.type as Exclude<TarType, 'other'>],
      mode: h.mode,
      uid: h.uid,
      gid: h.gid,
      size: h.type === 'file' ? h.size : 0,
      mtime: h.mtime,
      ...(h.linkname ? { linkname: h.linkname } : {}),
    }),
  );
  return Buffer.concat(blocks);
}

// ---------------------------------------------------------------------------------------------
// Reading

/** Exact reads from a stream of chunks. */
class ByteReader {
  private buf: Buffer = Buffer.alloc(0);
  private done = false;
  constructor(private readonly it: AsyncIterator<Buffer>) {}

  private async fill(): Promise<boolean> {
    if (this.done) return false;
    const r = await this.it.next();
    if (r.done) {
      this.done = true;
      return false;
    }
    const chunk = Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value as Uint8Array);
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    return true;
  }

  /** `n` bytes; undefined at the end of the stream when none are left. */
  async exact(n: number): Promise<Buffer | undefined> {
    while (this.buf.length < n) {
      if (!(await this.fill())) {
        if (this.buf.length === 0) return undefined;
        throw new TarError('the archive ends in the middle of a member (truncated)');
      }
    }
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }

  /** Up to `max` bytes (at least one). */
  async some(max: number): Promise<Buffer> {
    if (this.buf.length === 0 && !(await this.fill()))
      throw new TarError('the archive ends in the middle of a member (truncated)');
    const out = this.buf.subarray(0, Math.min(max, this.buf.length));
    this.buf = this.buf.subarray(out.length);
    return out;
  }

  async skip(n: number): Promise<void> {
    while (n > 0) n -= (await this.some(n)).length;
  }

  /** Reads what is left (so that gzip checks its trailer and every byte is hashed). */
  async drain(): Promise<void> {
    this.buf = Buffer.alloc(0);
    while (await this.fill()) this.buf = Buffer.alloc(0);
  }
}

function field(b: Buffer, offset: number, width: number): Buffer {
  const f = b.subarray(offset, offset + width);
  const nul = f.indexOf(0);
  return nul === -1 ? f : f.subarray(0, nul);
}

function readNumber(b: Buffer, offset: number, width: number): number {
  if (b[offset] & 0x80) {
    let n = 0n;
    for (let i = offset + 1; i < offset + width; i++) n = (n << 8n) | BigInt(b[i]);
    return Number(n);
  }
  const s = field(b, offset, width).toString('ascii').trim();
  if (s === '') return 0;
  if (!/^[0-7]+$/.test(s)) throw new TarError(`a member header holds a bad number (${JSON.stringify(s)})`);
  return parseInt(s, 8);
}

function checksumOk(b: Buffer): boolean {
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const x = i >= 148 && i < 156 ? 0x20 : b[i];
    unsigned += x;
    signed += x > 127 ? x - 256 : x;
  }
  const want = readNumber(b, 148, 8);
  return want === unsigned || want === signed;
}

/** PAX records as raw bytes by key. */
function parsePax(data: Buffer): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  let i = 0;
  while (i < data.length) {
    const sp = data.indexOf(0x20, i);
    if (sp === -1) break;
    const len = Number(data.toString('ascii', i, sp));
    if (!Number.isInteger(len) || len <= 0 || i + len > data.length) throw new TarError('a PAX record is damaged');
    const rec = data.subarray(sp + 1, i + len - 1);
    const eq = rec.indexOf(0x3d);
    if (eq !== -1) out.set(rec.toString('utf8', 0, eq), Buffer.from(rec.subarray(eq + 1)));
    i += len;
  }
  return out;
}

export interface TarEntry extends TarHeader {
  /** The member's data; what is not read is skipped. */
  body(): AsyncGenerator<Buffer>;
}

const TYPES: Record<string, TarType> = {
  '0': 'file',
  '\u0000': 'file',
  '7': 'file',
  '1': 'link',
  '2': 'symlink',
  '5': 'dir',
};

/** The members of an uncompressed tar stream, in order. */
export async function* readTar(source: AsyncIterable<Buffer>): AsyncGenerator<TarEntry> {
  const r = new ByteReader(source[Symbol.asyncIterator]());
  const global = new Map<string, Buffer>();
  let local = new Map<string, Buffer>();
  let longName: Buffer | undefined;
  let longLink: Buffer | undefined;
  for (;;) {
    const h = await r.exact(BLOCK);
    if (!h) throw new TarError('the archive has no end-of-archive marker (truncated)');
    if (h.every((x) => x === 0)) {
      await r.drain();
      return;
    }
    if (!checksumOk(h)) throw new TarError('a member header is damaged (its checksum does not match)');
    const flag = String.fromCharCode(h[156]);
    const size = local.has('size') ? Number(local.get('size')!.toString('ascii')) : readNumber(h, 124, 12);
    if (!Number.isSafeInteger(size) || size < 0) throw new TarError('a member header holds a bad size');
    const padded = size + tarPadding(size).length;
    if (flag === 'x' || flag === 'g' || flag === 'L' || flag === 'K') {
      const data = (await r.exact(padded))?.subarray(0, size);
      if (!data) throw new TarError('the archive ends in the middle of a member (truncated)');
      if (flag === 'x') local = parsePax(data);
      else if (flag === 'g') for (const [k, v] of parsePax(data)) global.set(k, v);
      else if (flag === 'L') longName = Buffer.from(field(data, 0, data.length));
      else longLink = Buffer.from(field(data, 0, data.length));
      continue;
    }
    const pax = new Map([...global, ...local]);
    // POSIX ustar uses the prefix field; GNU's own format (`ustar  `) keeps other data there.
    const ustar = h.toString('ascii', 257, 263) === 'ustar\u0000';
    const prefix = ustar ? field(h, 345, 155) : Buffer.alloc(0);
    let name =
      pax.get('path') ??
      longName ??
      (prefix.length ? Buffer.concat([prefix, Buffer.from('/'), field(h, 0, 100)]) : Buffer.from(field(h, 0, 100)));
    const linkname = pax.get('linkpath') ?? longLink ?? Buffer.from(field(h, 157, 100));
    local = new Map();
    longName = longLink = undefined;
    while (name.length > 1 && name[name.length - 1] === 0x2f) name = name.subarray(0, name.length - 1);
    const type = TYPES[flag] ?? 'other';
    const mtime = pax.has('mtime') ? Math.floor(Number(pax.get('mtime')!.toString('ascii'))) : readNumber(h, 136, 12);
    let left = size;
    const body = async function* (): AsyncGenerator<Buffer> {
      while (left > 0) {
        const chunk = await r.some(left);
        left -= chunk.length;
        yield chunk;
      }
    };
    yield {
      name,
      type,
      mode: readNumber(h, 100, 8),
      uid: readNumber(h, 108, 8),
      gid: readNumber(h, 116, 8),
      size,
      mtime: Number.isFinite(mtime) ? mtime : 0,
      ...(type === 'link' || type === 'symlink' ? { linkname } : {}),
      body,
    };
    await r.skip(left);
    await r.skip(padded - size);
  }
}
