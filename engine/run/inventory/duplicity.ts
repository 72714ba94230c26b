// What a duplicity target holds, read from `duplicity collection-status --log-fd 1`: its
// machine-readable lines (` full 20260101T000000Z 1 noenc`, ` inc 20260102T000000Z 1 enc`) give
// each complete backup set's type and time (UTC), chain after chain, oldest first.
import type { BackupSetType } from '../../retention/duplicity';

export interface DuplicitySet {
  /** Epoch ms (duplicity's times are whole seconds). */
  time: number;
  type: BackupSetType;
  /** duplicity's own time string (`20260101T000000Z`), what `--time` accepts. */
  stamp: string;
}

const SET_LINE = /^\s*(full|inc)\s+(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z\s/;

/** The backup sets listed, oldest first (duplicate lines of one set are read once). */
export function parseCollectionStatus(text: string): DuplicitySet[] {
  const byStamp = new Map<string, DuplicitySet>();
  for (const line of text.split('\n')) {
    const m = SET_LINE.exec(line);
    if (!m) continue;
    const [, kind, y, mo, d, h, mi, s] = m;
    const stamp = `${y}${mo}${d}T${h}${mi}${s}Z`;
    const time = Date.UTC(+y, +mo - 1, +d, +h, +mi, +s);
    byStamp.set(stamp, { time, type: kind === 'full' ? 'full' : 'incremental', stamp });
  }
  return [...byStamp.values()].sort((a, b) => a.time - b.time);
}

/** duplicity's time string of an instant (whole seconds, UTC). */
export function duplicityStamp(time: number): string {
  return new Date(Math.floor(time / 1000) * 1000).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}
