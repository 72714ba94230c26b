// Reading a plan file: anything unreadable (missing, a directory, not UTF-8, binary, huge)
// becomes one clear UsageError line; syntax problems are left to the checks.
import { readFileSync, statSync } from 'node:fs';
import { UsageError } from './errors';
import { MAX_PLAN_BYTES } from '../engine/plan/parse';

export function readPlanFile(path: string): string {
  let size: number;
  try {
    const st = statSync(path);
    if (st.isDirectory()) throw new UsageError(`${path}: is a directory, not a plan file`);
    size = st.size;
  } catch (e) {
    if (e instanceof UsageError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(code === 'ENOENT' ? `${path}: no such file` : `${path}: cannot read (${code ?? String(e)})`);
  }
  if (size > MAX_PLAN_BYTES) {
    throw new UsageError(`${path}: the plan is ${(size / 1048576).toFixed(1)} MB; Backplan reads plans up to ${MAX_PLAN_BYTES / 1048576} MB`);
  }
  const bytes = readFileSync(path);
  const nul = bytes.indexOf(0);
  if (nul >= 0) throw new UsageError(`${path}: this is a binary file, not a YAML plan (NUL byte at offset ${nul})`);
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  } catch {
    const at = firstInvalidUtf8(bytes);
    const line = bytes.subarray(0, at).toString('latin1').split('\n').length;
    throw new UsageError(`${path}:${line}: not valid UTF-8 (byte offset ${at}); save the plan as UTF-8`);
  }
}

/** Offset of the first byte that does not start or continue a well-formed UTF-8 sequence. */
function firstInvalidUtf8(bytes: Buffer): number {
  const cont = (i: number) => i < bytes.length && (bytes[i] & 0xc0) === 0x80;
  for (let i = 0; i < bytes.length; ) {
    const b = bytes[i];
    const len = b < 0x80 ? 1 : b >= 0xc2 && b < 0xe0 ? 2 : b >= 0xe0 && b < 0xf0 ? 3 : b >= 0xf0 && b < 0xf5 ? 4 : 0;
    if (len === 0) return i;
    for (let k = 1; k < len; k++) if (!cont(i + k)) return i;
    i += len;
  }
  return bytes.length;
}
