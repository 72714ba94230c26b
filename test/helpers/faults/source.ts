// The source tree every campaign backs up: the hostile-names fixture (backslash, newline,
// leading `-`, `; $()`, backquotes, a name that is not UTF-8, a 1,400-byte path), a symlink, a
// hard link, many small files (a removal that is not atomic shows as a half-deleted tree) and
// some MB of random bytes (so that the tools' work, not Node's start-up, fills most of an
// operation), all from the campaign's seeded generator.
import { linkSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HOSTILE_NAMES, writeHostileTree } from '../hostile-names';
import type { Rng } from './prng';

export interface SourceOptions {
  /** MB of random data, in 4 files. */
  mb: number;
  /** Small files, in directories of 50. */
  files: number;
}

/** Writes the tree into `root` (created). Returns its size in bytes. */
export function writeSource(root: string, rng: Rng, opts: SourceOptions): number {
  mkdirSync(root, { recursive: true });
  writeHostileTree(root);
  let bytes = 0;
  mkdirSync(join(root, 'data'));
  const each = Math.max(1, Math.floor((opts.mb * 1024 * 1024) / 4));
  for (let i = 0; i < 4; i++) {
    writeFileSync(join(root, 'data', `r${i}.bin`), rng.bytes(each));
    bytes += each;
  }
  // A hard link to a random file and a symlink to a hostile name (relative, dangling nowhere).
  linkSync(join(root, 'data', 'r0.bin'), join(root, 'hard link to r0.bin'));
  symlinkSync(HOSTILE_NAMES[2], join(root, 'symlink -> -leading'));
  for (let i = 0; i < opts.files; i++) {
    const d = join(root, 'small', `d${Math.floor(i / 50)}`);
    if (i % 50 === 0) mkdirSync(d, { recursive: true });
    const text = `${i} ${rng.bytes(24).toString('hex')}\n`;
    writeFileSync(join(d, `f${i}.txt`), text);
    bytes += text.length;
  }
  return bytes;
}
