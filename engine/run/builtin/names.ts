// File names are bytes (POSIX), but most of the engine works on strings. A name read as a
// Buffer is carried as a string without loss the way Python's `surrogateescape` does it: valid
// UTF-8 decodes as usual, and each byte that is not part of valid UTF-8 becomes the lone
// surrogate U+DC80..U+DCFF. Valid UTF-8 never decodes to a lone surrogate, so the mapping is
// one to one, and names that are valid UTF-8 (nearly all) are the very strings they always were.
// Such a string must never reach an fs API as is (Node would write U+FFFD): `nameBytes` first.

const LONE_ESCAPE = /(?<![\uD800-\uDBFF])[\uDC80-\uDCFF]/;

/** The length of the valid UTF-8 sequence starting at `i`, or 0 when the byte there starts none. */
function sequence(b: Uint8Array, i: number): number {
  const c = b[i];
  if (c < 0x80) return 1;
  const cont = (j: number, lo = 0x80, hi = 0xbf) => j < b.length && b[j] >= lo && b[j] <= hi;
  if (c >= 0xc2 && c <= 0xdf) return cont(i + 1) ? 2 : 0;
  if (c >= 0xe0 && c <= 0xef) {
    // No overlong forms (E0 80..9F) and no encoded surrogates (ED A0..BF).
    const lo = c === 0xe0 ? 0xa0 : 0x80;
    const hi = c === 0xed ? 0x9f : 0xbf;
    return cont(i + 1, lo, hi) && cont(i + 2) ? 3 : 0;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    const lo = c === 0xf0 ? 0x90 : 0x80;
    const hi = c === 0xf4 ? 0x8f : 0xbf;
    return cont(i + 1, lo, hi) && cont(i + 2) && cont(i + 3) ? 4 : 0;
  }
  return 0;
}

/** A name's bytes as a string, losslessly (see above). */
export function nameString(bytes: Uint8Array): string {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const plain = buf.toString('utf8');
  // Node replaces invalid bytes with U+FFFD: without one, the bytes were valid UTF-8.
  if (!plain.includes('\uFFFD')) return plain;
  let out = '';
  let start = 0;
  for (let i = 0; i < buf.length; ) {
    const n = sequence(buf, i);
    if (n > 0) {
      i += n;
      continue;
    }
    out += buf.toString('utf8', start, i) + String.fromCharCode(0xdc00 + buf[i]);
    i++;
    start = i;
  }
  return out + buf.toString('utf8', start);
}

/** The bytes a `nameString` stands for; an ordinary string is its UTF-8. */
export function nameBytes(name: string): Buffer {
  if (!LONE_ESCAPE.test(name)) return Buffer.from(name, 'utf8');
  const parts: Buffer[] = [];
  let start = 0;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < name.length) {
      const d = name.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        i++;
        continue;
      }
    }
    if (c >= 0xdc80 && c <= 0xdcff) {
      parts.push(Buffer.from(name.slice(start, i), 'utf8'), Buffer.from([c - 0xdc00]));
      start = i + 1;
    }
  }
  parts.push(Buffer.from(name.slice(start), 'utf8'));
  return Buffer.concat(parts);
}

/**
 * A name for a message: control characters and the bytes that are not UTF-8 as `\xNN`, so a
 * message stays one line and says which bytes the name holds.
 */
export function displayName(name: string | Uint8Array): string {
  const s = typeof name === 'string' ? name : nameString(name);
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\x00-\x1f\x7f]|(?<![\uD800-\uDBFF])[\uDC80-\uDCFF]/g, (c) => {
    const code = c.charCodeAt(0);
    return `\\x${(code >= 0xdc00 ? code - 0xdc00 : code).toString(16).padStart(2, '0')}`;
  });
}

const SLASH = Buffer.from('/');

/** `a/b/c` of byte names (a Buffer path is what fs APIs take for any name). */
export function joinBytes(first: Uint8Array | string, ...rest: (Uint8Array | string)[]): Buffer {
  const parts: Uint8Array[] = [typeof first === 'string' ? nameBytes(first) : first];
  for (const r of rest) parts.push(SLASH, typeof r === 'string' ? nameBytes(r) : r);
  return Buffer.concat(parts);
}
