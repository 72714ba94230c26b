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
  return new Date(Math.floor(time / 1000) * 1000)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
}

/** The sets as the prune guard lists snapshots: id and name the set's time string, the type as a tag. */
export function duplicityGuardSnapshots(text: string): { id: string; name: string; time: number; tags: string[] }[] {
  return parseCollectionStatus(text).map((s) => ({ id: s.stamp, name: s.stamp, time: s.time, tags: [s.type] }));
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const PRETTY = /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (\w{3}) +(\d+) (\d\d):(\d\d):(\d\d) (\d{4})$/;

/**
 * What a remove command without --force would delete (run with TZ=UTC: it prints the **end**
 * time of each chain it would delete, in asctime form, under "Found old backup chain(s)"), as
 * the set ids of `sets` it would remove and keep: a whole chain, or only its incrementals for
 * remove-all-inc-of-but-n-full. A listed time that ends no chain of `sets` is an error.
 */
export function parseDuplicityRemove(
  text: string,
  sets: readonly { id: string; time: number; tags?: string[] }[],
  incrementalsOnly: boolean,
): { keep: Set<string>; remove: Set<string> } {
  const ends = new Set<number>();
  let listing = false;
  for (const line of text.split('\n')) {
    if (/^Found old backup chains? at the following times?:/.test(line)) listing = true;
    else if (listing) {
      const m = PRETTY.exec(line.trim());
      if (!m) {
        listing = false;
        continue;
      }
      const [, mon, d, h, mi, s, y] = m;
      ends.add(Date.UTC(+y, MONTHS.indexOf(mon), +d, +h, +mi, +s));
    }
  }
  const sorted = [...sets].sort((a, b) => a.time - b.time);
  const chains: (typeof sorted)[] = [];
  for (const s of sorted) {
    if (!s.tags?.includes('incremental') || chains.length === 0) chains.push([s]);
    else chains[chains.length - 1].push(s);
  }
  const remove = new Set<string>();
  for (const c of chains) {
    const end = c[c.length - 1].time;
    if (!ends.delete(end)) continue;
    for (const s of incrementalsOnly ? c.slice(1) : c) remove.add(s.id);
  }
  if (ends.size > 0) {
    throw new Error(
      `duplicity listed chains ending at ${[...ends].map((t) => new Date(t).toISOString()).join(', ')}, ` +
        'which its collection-status does not hold',
    );
  }
  return { keep: new Set(sorted.filter((s) => !remove.has(s.id)).map((s) => s.id)), remove };
}

/**
 * The set times whose manifest the target directory holds (`duplicity-full.T.manifest[.gpg]`,
 * `duplicity-inc.S.to.T.manifest[.gpg]`), from the directory's file names. duplicity copies a
 * set's manifest last, so a set without one on the target was not finished.
 */
export function manifestStamps(names: readonly string[]): Set<string> {
  const out = new Set<string>();
  for (const n of names) {
    const m = /^duplicity-(?:full|inc\.\d{8}T\d{6}Z\.to)\.(\d{8}T\d{6}Z)\.manifest(?:\.gpg)?$/.exec(n);
    if (m) out.add(m[1]);
  }
  return out;
}

/**
 * The sets `collection-status` listed that are really on a `file://` target. duplicity 0.8 also
 * lists, as complete, a set an interrupted backup left (it reads the local `.manifest.part`), whose
 * manifest never reached the target; such a set is not a copy (the next run's `duplicity cleanup`
 * removes it). Other targets (sftp://, a storage's url) are taken as listed.
 */
export async function setsOnTarget<T extends { stamp: string }>(
  sets: readonly T[],
  url: string,
  list: (dir: string) => Promise<{ name: string }[] | undefined>,
): Promise<T[]> {
  if (!url.startsWith('file://')) return [...sets];
  // Backplan writes its file:// urls with the path as it is (drivers/duplicity.ts).
  const entries = await list(url.slice('file://'.length));
  const have = manifestStamps((entries ?? []).map((e) => e.name));
  return sets.filter((s) => have.has(s.stamp));
}
