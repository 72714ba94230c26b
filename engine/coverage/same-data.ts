// Which data a chain's root job reads, as an identity two roots can share (SPEC §5: a chain is the
// data it protects, not the job that reads it). "restic of /home to the NAS" and "borg of /home to
// a bucket" protect one data set with two copies; counting them as two chains would report each
// short of 3-2-1 although together they meet it.
//
// Two roots read the same data when they run on the same host (the job's `host` by name; none =
// the machine running Backplan; two host entries for one machine are not equated, a name is the
// only identity the plan gives) and name the same source, after normalising:
// - file kinds (restic, borg, rsync, archive): the same SET of `paths` — relative paths of local
//   jobs resolved against the plan's folder as the runner resolves them (engine/plan/resolve-paths),
//   `.`/`..`/doubled slashes folded, trailing slashes ignored, order and duplicates ignored.
//   `exclude` is ignored: an excluded file is a detail of one backup, not another data set, and
//   telling "the same data minus a cache folder" apart would split the common case for nothing.
//   Different kinds share data (a restic and an rsync of `/srv` are two copies of `/srv`).
// - zfs-snapshot: `dataset` (and `recursive`: a recursive snapshot also holds the children).
// - btrfs-snapshot: `subvolume` (a mount path, normalised as a path).
// - incus-snapshot, and an incus-copy without `from` (it reads the live instance): `instance`.
// - pg-dump / mysql-dump: `database` of the same engine and port (no `db_port` = the engine's
//   default port, which the local socket also serves).
// A dataset is never equated with a path, even a dataset's mountpoint: the mountpoint lives in ZFS
// (`zfs get mountpoint`), not in the plan, so a zfs chain and a restic of `/tank/home` stay apart.
// Other kinds (velero, openstack-image, vzdump, a zfs-send or btrfs-send without `from`) have no
// identity here and always start their own chain.
import { posix } from 'node:path';
import type { JobModel, PlanModel } from '../plan/model';
import { isLocalHost, resolveLocalPath } from '../plan/resolve-paths';

export interface DataIdentity {
  /** Equal keys = the same data on the same host. */
  key: string;
  /** For messages: "`/home`", "dataset `tank/home`", "database `app`". */
  label: string;
}

const FILE_KINDS = new Set(['restic', 'borg', 'rsync', 'archive']);
const DEFAULT_PORT: Record<string, number> = { 'pg-dump': 5432, 'mysql-dump': 3306 };

/** `/home/` → `/home`, `a/./b//c` → `a/b/c`; `/` stays `/`. */
function normalisePath(p: string): string {
  const n = posix.normalize(p.trim());
  return n.length > 1 ? n.replace(/\/+$/, '') : n;
}

/** The key of one `paths` item, or undefined when it is not a usable path. */
function pathKey(plan: PlanModel, job: JobModel, p: unknown, baseDir: string | undefined): string | undefined {
  if (typeof p !== 'string' || p.trim() === '') return undefined;
  if (p.includes('://')) return p.trim().replace(/\/+$/, '');
  if (posix.isAbsolute(p.trim())) return normalisePath(p);
  // Relative: the runner resolves it against the plan's folder when the job runs locally. Without
  // that folder (a plan checked from memory) two relative paths still compare with each other.
  if (baseDir !== undefined && isLocalHost(plan, job.host)) return normalisePath(String(resolveLocalPath(p.trim(), baseDir)));
  return `relative:${normalisePath(p)}`;
}

/** A path for messages: as the user wrote it, without a trailing slash. */
const asWritten = (p: string): string => (p.trim().length > 1 ? p.trim().replace(/\/+$/, '') : p.trim());

const text = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);

/**
 * The identity of the data a root job reads; undefined when its kind has none (or its source
 * field is missing or unreadable: such a root never merges, other rules report the field).
 * `baseDir` is the plan's folder, when known.
 */
export function dataIdentity(plan: PlanModel, job: JobModel, baseDir?: string): DataIdentity | undefined {
  const host = job.host ?? '';
  const id = (family: string, parts: unknown[], label: string): DataIdentity => ({ key: JSON.stringify([family, host, ...parts]), label });
  const raw = job.raw;

  if (FILE_KINDS.has(job.kind)) {
    const list = Array.isArray(raw.paths) ? raw.paths : raw.paths !== undefined ? [raw.paths] : [];
    if (list.length === 0) return undefined;
    const keys = list.map((p) => pathKey(plan, job, p, baseDir));
    if (keys.some((k) => k === undefined)) return undefined;
    const label = (list as string[]).map((p) => `\`${asWritten(p)}\``).join(', ');
    return id('files', [...new Set(keys as string[])].sort(), label);
  }
  switch (job.kind) {
    case 'zfs-snapshot': {
      const ds = text(raw.dataset);
      return ds === undefined ? undefined : id('zfs', [ds.replace(/\/+$/, ''), raw.recursive === true], `dataset \`${ds}\``);
    }
    case 'btrfs-snapshot': {
      const sub = text(raw.subvolume);
      return sub === undefined ? undefined : id('btrfs', [normalisePath(sub)], `subvolume \`${sub}\``);
    }
    case 'incus-snapshot':
    case 'incus-copy': {
      const inst = text(raw.instance);
      return inst === undefined ? undefined : id('incus', [inst], `instance \`${inst}\``);
    }
    case 'pg-dump':
    case 'mysql-dump': {
      const db = text(raw.database);
      if (db === undefined) return undefined;
      const port = typeof raw.db_port === 'number' ? raw.db_port : DEFAULT_PORT[job.kind];
      return id(job.kind, [db, port], `database \`${db}\``);
    }
  }
  return undefined;
}
