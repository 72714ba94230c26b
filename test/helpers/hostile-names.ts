// File names that break naive backup code, for every driver's run + verify + restore test: a
// backslash (a restore once turned it into `/`), a newline (line-based listings), a leading `-`
// (read as an option), shell syntax (`; $()`, backquotes: a command built as a string), quotes,
// globs, a byte sequence that is not UTF-8 (Node's string APIs would replace it) and a path
// longer than most tools' fixed buffers. `hostileTree` compares trees by their bytes.
import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';

/** File names at the top of the tree; the first is the one tests delete to change the source. */
export const HOSTILE_NAMES: readonly string[] = [
  'back\\slash',
  'new\nline',
  '-leading',
  '--delete',
  '; $(touch pwned)',
  '`touch pwned`',
  "quote's \"both\"",
  'sp ace *?[x]',
  'tab\there',
  'ünïcødé ✓',
];

/** A directory with a hostile name, holding a hostile name of its own. */
export const HOSTILE_DIR = '-dir; $(touch pwned)\\';

/** `latin1-été` in Latin-1: 0xE9 alone is not UTF-8. Only a Buffer path can name it. */
export const NON_UTF8_NAME = Buffer.from([...Buffer.from('latin1-'), 0xe9, 0x74, 0xe9]);

/** Directories of 100 characters, 12 deep, then a file of 200: about 1,400 bytes below the root. */
export const LONG_DIRS: readonly string[] = Array.from({ length: 12 }, (_, i) =>
  `${String(i).padStart(2, '0')}-${'d'.repeat(97)}`,
);
export const LONG_FILE = `${'f'.repeat(196)}.txt`;

const SLASH = Buffer.from('/');
const join = (...parts: (string | Buffer)[]): Buffer =>
  Buffer.concat(parts.flatMap((p, i) => (i === 0 ? [Buffer.from(p)] : [SLASH, Buffer.from(p)])));

/**
 * Writes every hostile name under `root` (which must exist), each file's content naming it.
 * `nonUtf8: false` leaves out NON_UTF8_NAME, for a writer that cannot hold it (an old archive format).
 */
export function writeHostileTree(root: string, { nonUtf8 = true } = {}): void {
  for (const n of HOSTILE_NAMES) writeFileSync(join(root, n), `file ${n}\n`);
  mkdirSync(join(root, HOSTILE_DIR));
  writeFileSync(join(root, HOSTILE_DIR, HOSTILE_NAMES[1]), 'nested hostile\n');
  if (nonUtf8) writeFileSync(join(root, NON_UTF8_NAME), 'not utf-8\n');
  mkdirSync(join(root, ...LONG_DIRS), { recursive: true });
  writeFileSync(join(root, ...LONG_DIRS, LONG_FILE), 'deep and long\n');
}

/** A name's bytes as hostileTree() writes them: printable ASCII as is, anything else as \xNN. */
export function show(name: Buffer | string): string {
  if (typeof name === 'string') name = Buffer.from(name);
  let out = '';
  for (const b of name) {
    out += b >= 0x20 && b < 0x7f && b !== 0x5c ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`;
  }
  return out;
}

/**
 * Every entry under `root` by its bytes: relative path, then `/` for a directory, `-> TARGET`
 * for a symlink, or the sha256 of a file's content; sorted. Equal listings are a byte-for-byte
 * round trip of names and contents.
 */
export function hostileTree(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: Buffer, rel: Buffer[]) => {
    for (const name of readdirSync(dir, { encoding: 'buffer' })) {
      const path = join(dir, name);
      const label = [...rel, name].map(show).join('/');
      const st = lstatSync(path);
      if (st.isDirectory()) {
        out.push(`${label}/`);
        walk(path, [...rel, name]);
      } else if (st.isSymbolicLink()) {
        out.push(`${label} -> ${show(readlinkSync(path, { encoding: 'buffer' }))}`);
      } else {
        out.push(`${label} ${createHash('sha256').update(readFileSync(path)).digest('hex')}`);
      }
    }
  };
  walk(Buffer.from(root), []);
  return out.sort();
}
