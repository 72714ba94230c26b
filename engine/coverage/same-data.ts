// Which data a chain's root job reads, as a set of data UNITS that relate by containment (SPEC §5:
// a chain is the data it protects, not the job that reads it). "restic of /home to the NAS" and
// "borg of /home to a bucket" protect one data set with two copies; "borg of [/data, /dumps]" and
// "rsync of /data" give /data three copies but /dumps only two. Coverage is counted per unit:
// the copies of a unit are those of every root whose data CONTAINS it (chains.ts).
//
// A root protects one unit per thing it names, on its host (the job's `host` by name; none = the
// machine running Backplan; two host entries for one machine are not equated, a name is the only
// identity the plan gives):
// - file kinds (restic, borg, rsync, archive, duplicity): one `path` unit per item of `paths` — relative
//   paths of local jobs resolved against the plan's folder as the runner resolves them
//   (engine/plan/resolve-paths), `.`/`..`/doubled slashes folded, trailing slashes ignored.
//   `exclude` is ignored: an excluded file is a detail of one backup, not another data set.
//   Different kinds share data (a restic and an rsync of `/srv` are two copies of `/srv`).
// - zfs-snapshot: a `filesystem` unit, `dataset` (with its children when `recursive`), mounted at
//   the `mountpoint` a zfs-snapshot job of the plan gives that dataset on that host, else under
//   its nearest ancestor's (ZFS inherits: `tank` at `/srv` puts `tank/x` at `/srv/x`), else at
//   ZFS's default `/<dataset>` (`raidZ/backup_sql` → `/raidZ/backup_sql`): the mountpoint lives in
//   ZFS (`zfs get mountpoint`), so the plan says it when it is not the default.
//   `mountpoint: none` or `legacy` = no path is known to lie in it.
// - btrfs-snapshot: a `filesystem` unit, `subvolume` (its mount path). A btrfs snapshot never
//   holds nested subvolumes, so it is never recursive.
// - incus-snapshot, and an incus-copy without `from` (it reads the live instance): `instance`.
// - pg-dump / mysql-dump: `database` of the same engine and port (no `db_port` = the engine's
//   default port, which the local socket also serves).
// - velero: one unit per namespace of `namespaces` in the cluster (`cluster`, else the
//   `kubeconfig_file`; neither = no identity); `*` stands for every namespace of the cluster.
// Containment, always on one host (cluster for velero):
// - a path contains itself and every path below it (`/data` ⊇ `/data/db`; `/` ⊇ every absolute
//   path); relative paths that could not be resolved compare with each other only;
// - a path contains a filesystem mounted at or below it (restic, borg and rsync cross mounts);
// - a filesystem contains the paths at or below its mountpoint that it holds: the deepest
//   filesystem of the plan mounted above a path holds it, and a recursive dataset also holds what
//   its child datasets hold (`tank` recursive ⊇ `/tank/x/y` even when `tank/x` is snapshotted too;
//   `tank` alone does not);
// - a recursive dataset contains itself and its children (`tank` -r ⊇ `tank/x`), a dataset
//   contains itself without its children (`tank` ⊉ `tank` -r);
// - instances and databases contain only themselves; the `*` namespace contains every namespace
//   of its cluster.
// Other kinds (openstack-image, vzdump, a zfs-send or btrfs-send without `from`) have no units
// here: their root starts a chain of its own, with one anonymous unit.
// Outputs: a job that writes `<to.path>/<job>/` (archive, rsync, restic, borg, the dumps) or
// `<to.path>/dump` (vzdump) on a storage with a `path` gives that directory as an `outputUnit` on
// the storage's host; chains.ts relates it to the roots that read it (a file backup of the dump
// directory, a snapshot of the dataset the dumps land in) as if they had `from` on that job.
// `storageUnit` is a storage's own directory (`path`), the space the plan declares for copies.
import { posix } from 'node:path';
import type { JobModel, PlanModel } from '../plan/model';
import { isLocalHost, resolveLocalPath } from '../plan/resolve-paths';

interface UnitBase {
  /** Equal keys = the same unit. */
  key: string;
  /** For messages: "`/home`", "dataset `tank/home`", "database `app`". */
  label: string;
  /** The host (a path, a filesystem, a database, an instance) or the cluster (a namespace). */
  host: string;
}

export interface PathUnit extends UnitBase {
  family: 'path';
  /** Normalised absolute path, `relative:…` (unresolved) or a URL. */
  path: string;
}

export interface FilesystemUnit extends UnitBase {
  family: 'filesystem';
  fs: 'zfs' | 'btrfs';
  /** Dataset name or subvolume path. */
  name: string;
  recursive: boolean;
  /** Normalised mount path; undefined when unknown (`mountpoint: none`). */
  mount?: string;
}

export interface AtomUnit extends UnitBase {
  family: 'atom';
  /** What the atom belongs to (`velero`, `incus`, `pg-dump` ...). */
  group: string;
  /** Stands for every atom of its group on the host (velero `*`). */
  all: boolean;
}

export type DataUnit = PathUnit | FilesystemUnit | AtomUnit;

const FILE_KINDS = new Set(['restic', 'borg', 'rsync', 'archive', 'duplicity']);
const DEFAULT_PORT: Record<string, number> = { 'pg-dump': 5432, 'mysql-dump': 3306 };
/** Kinds that write into `<to.path>/<job>/`. */
const OWN_DIR_KINDS = new Set(['restic', 'borg', 'rsync', 'archive', 'duplicity', 'pg-dump', 'mysql-dump']);

/** `/home/` → `/home`, `a/./b//c` → `a/b/c`; `/` stays `/`. */
function normalisePath(p: string): string {
  const n = posix.normalize(p.trim());
  return n.length > 1 ? n.replace(/\/+$/, '') : n;
}

/** The normalised form of a path on a host (`host` undefined = this machine), or undefined when not a usable path. */
function pathKey(plan: PlanModel, host: string | undefined, p: unknown, baseDir: string | undefined): string | undefined {
  if (typeof p !== 'string' || p.trim() === '') return undefined;
  if (p.includes('://')) return p.trim().replace(/\/+$/, '');
  if (posix.isAbsolute(p.trim())) return normalisePath(p);
  // Relative: the runner resolves it against the plan's folder when the job runs locally. Without
  // that folder (a plan checked from memory) two relative paths still compare with each other.
  if (baseDir !== undefined && isLocalHost(plan, host)) return normalisePath(String(resolveLocalPath(p.trim(), baseDir)));
  return `relative:${normalisePath(p)}`;
}

/** A path for messages: as the user wrote it, without a trailing slash. */
const asWritten = (p: string): string => (p.trim().length > 1 ? p.trim().replace(/\/+$/, '') : p.trim());

const text = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);

const keyOf = (...parts: unknown[]) => JSON.stringify(parts);

function pathUnit(host: string, path: string, label: string): PathUnit {
  return { family: 'path', key: keyOf('path', host, path), label, host, path };
}

const datasetOf = (job: JobModel): string | undefined => text(job.raw.dataset)?.replace(/\/+$/, '') || undefined;

/**
 * Where a dataset is mounted: the `mountpoint` a zfs-snapshot job of the plan gives it on that
 * host, else the one of its nearest ancestor given one, plus the rest of its name (ZFS inherits
 * mountpoints so), else ZFS's default `/<dataset>`. undefined for `none` / `legacy`.
 */
const declaredMounts = new WeakMap<PlanModel, Map<string, string>>();

function mountOf(plan: PlanModel, host: string, ds: string): string | undefined {
  let declared = declaredMounts.get(plan);
  if (!declared) {
    declared = new Map<string, string>();
    for (const j of plan.jobs.values()) {
      const d = j.kind === 'zfs-snapshot' ? datasetOf(j) : undefined;
      const mp = text(j.raw.mountpoint);
      const key = keyOf(j.host ?? '', d);
      if (d !== undefined && mp !== undefined && !declared.has(key)) declared.set(key, mp);
    }
    declaredMounts.set(plan, declared);
  }
  for (let name = ds; ; name = name.slice(0, name.lastIndexOf('/'))) {
    const mp = declared.get(keyOf(host, name));
    if (mp !== undefined) return posix.isAbsolute(mp) ? normalisePath(posix.join(mp, ds.slice(name.length))) : undefined;
    if (!name.includes('/')) return `/${ds}`;
  }
}

/** The filesystem unit of a zfs-snapshot or btrfs-snapshot job, whatever its role in a chain. */
export function filesystemUnit(plan: PlanModel, job: JobModel): FilesystemUnit | undefined {
  const host = job.host ?? '';
  const raw = job.raw;
  if (job.kind === 'zfs-snapshot') {
    const ds = datasetOf(job);
    if (ds === undefined) return undefined;
    const recursive = raw.recursive === true;
    const mount = mountOf(plan, host, ds);
    return {
      family: 'filesystem',
      fs: 'zfs',
      key: keyOf('zfs', host, ds, recursive),
      label: `dataset \`${ds}\`${recursive ? ' and its children' : ''}`,
      host,
      name: ds,
      recursive,
      ...(mount !== undefined ? { mount } : {}),
    };
  }
  if (job.kind === 'btrfs-snapshot') {
    const sub = text(raw.subvolume);
    if (sub === undefined) return undefined;
    const name = normalisePath(sub);
    return { family: 'filesystem', fs: 'btrfs', key: keyOf('btrfs', host, name), label: `subvolume \`${asWritten(sub)}\``, host, name, recursive: false, ...(posix.isAbsolute(name) ? { mount: name } : {}) };
  }
  return undefined;
}

/**
 * The units of the data a root job reads; undefined when its kind has none (or its source field
 * is missing or unreadable: such a root never relates to another, other rules report the field).
 * `baseDir` is the plan's folder, when known.
 */
export function dataUnits(plan: PlanModel, job: JobModel, baseDir?: string): DataUnit[] | undefined {
  const host = job.host ?? '';
  const raw = job.raw;
  const atom = (group: string, parts: unknown[], label: string, on = host, all = false): AtomUnit => ({
    family: 'atom',
    key: keyOf(group, on, ...parts),
    label,
    host: on,
    group,
    all,
  });

  if (FILE_KINDS.has(job.kind)) {
    const list = Array.isArray(raw.paths) ? raw.paths : raw.paths !== undefined ? [raw.paths] : [];
    if (list.length === 0) return undefined;
    const units: PathUnit[] = [];
    for (const p of list) {
      const k = pathKey(plan, job.host, p, baseDir);
      if (k === undefined) return undefined;
      const u = pathUnit(host, k, `\`${asWritten(p as string)}\``);
      if (!units.some((x) => x.key === u.key)) units.push(u);
    }
    return units;
  }
  switch (job.kind) {
    case 'zfs-snapshot':
    case 'btrfs-snapshot': {
      const u = filesystemUnit(plan, job);
      return u ? [u] : undefined;
    }
    case 'incus-snapshot':
    case 'incus-copy': {
      const inst = text(raw.instance);
      return inst === undefined ? undefined : [atom('incus', [inst], `instance \`${inst}\``)];
    }
    case 'pg-dump':
    case 'mysql-dump': {
      const db = text(raw.database);
      if (db === undefined) return undefined;
      const port = typeof raw.db_port === 'number' ? raw.db_port : DEFAULT_PORT[job.kind];
      return [atom(job.kind, [db, port], `database \`${db}\``)];
    }
    case 'velero': {
      const cluster = text(raw.cluster) ?? (text(raw.kubeconfig_file) !== undefined ? `kubeconfig:${text(raw.kubeconfig_file)}` : undefined);
      const list = Array.isArray(raw.namespaces) ? raw.namespaces : raw.namespaces !== undefined ? [raw.namespaces] : [];
      if (cluster === undefined || list.length === 0 || list.some((n) => text(n) === undefined)) return undefined;
      const units: AtomUnit[] = [];
      for (const n of list as string[]) {
        const ns = n.trim();
        const u = ns === '*'
          ? atom('velero', ['*'], `every namespace of cluster \`${text(raw.cluster) ?? cluster}\``, cluster, true)
          : atom('velero', [ns], `namespace \`${ns}\``, cluster);
        if (!units.some((x) => x.key === u.key)) units.push(u);
      }
      return units;
    }
  }
  return undefined;
}

/**
 * The directory a job's output lands in, as a path unit on the storage's host: `<to.path>/<job>`
 * (`<to.path>/dump` for vzdump). Undefined for snapshot kinds, for a `to` without `path` (a URL)
 * and for kinds whose output is no directory of files.
 */
export function outputUnit(plan: PlanModel, job: JobModel, baseDir?: string): PathUnit | undefined {
  if (job.to === undefined) return undefined;
  const sub = OWN_DIR_KINDS.has(job.kind) ? job.name : job.kind === 'vzdump' ? 'dump' : undefined;
  if (sub === undefined) return undefined;
  const base = storageUnit(plan, job.to, baseDir);
  if (!base) return undefined;
  const p = base.path;
  return pathUnit(base.host, p.startsWith('relative:') ? `relative:${normalisePath(`${p.slice(9)}/${sub}`)}` : posix.join(p, sub), `the output of \`${job.name}\``);
}

/** The directory of a storage (its `path`) as a path unit on the storage's host; undefined without one. */
export function storageUnit(plan: PlanModel, name: string, baseDir?: string): PathUnit | undefined {
  const storage = plan.storage.get(name);
  if (!storage || storage.url !== undefined) return undefined;
  const path = pathKey(plan, storage.host, storage.path, baseDir);
  if (path === undefined || path.includes('://')) return undefined;
  return pathUnit(storage.host ?? '', path, `storage \`${name}\``);
}

/** `inner` is `outer` or below it. */
function under(outer: string, inner: string): boolean {
  if (outer === inner) return true;
  if (outer === 'relative:.') return inner.startsWith('relative:');
  if (outer === '/') return inner.startsWith('/');
  return inner.startsWith(`${outer}/`);
}

/**
 * The filesystems the plan names (every zfs-snapshot and btrfs-snapshot job), to tell which one
 * holds a path: the deepest one mounted above it.
 */
export class Filesystems {
  /** host → mount path → the filesystem mounted there (the first job naming it). */
  private readonly byHost = new Map<string, Map<string, FilesystemUnit>>();
  constructor(plan: PlanModel) {
    for (const job of plan.jobs.values()) {
      if (job.kind !== 'zfs-snapshot' && job.kind !== 'btrfs-snapshot') continue;
      const u = filesystemUnit(plan, job);
      if (!u || u.mount === undefined) continue;
      const mounts = this.byHost.get(u.host) ?? new Map<string, FilesystemUnit>();
      if (!mounts.has(u.mount)) mounts.set(u.mount, u);
      this.byHost.set(u.host, mounts);
    }
  }

  /** The filesystem holding `path` on `host`: the one with the longest mountpoint at or above it. */
  holder(host: string, path: string): FilesystemUnit | undefined {
    const mounts = this.byHost.get(host);
    if (!mounts) return undefined;
    for (let p = path; ; p = p === '/' ? '' : p.includes('/') ? p.slice(0, p.lastIndexOf('/')) || '/' : '') {
      const f = mounts.get(p);
      if (f) return f;
      if (p === '') return undefined;
    }
  }
}

/** Whether every bit of data of unit `b` is in unit `a` (the containment rules of the header). */
export function contains(a: DataUnit, b: DataUnit, fs: Filesystems): boolean {
  if (a.key === b.key) return true;
  if (a.host !== b.host) return false;
  if (a.family === 'atom' || b.family === 'atom') {
    return a.family === 'atom' && b.family === 'atom' && a.group === b.group && a.all;
  }
  if (a.family === 'path') {
    if (b.family === 'path') return under(a.path, b.path);
    return b.mount !== undefined && under(a.path, b.mount);
  }
  // a is a filesystem.
  if (b.family === 'filesystem') {
    if (a.fs !== b.fs) return false;
    if (a.name === b.name) return a.recursive || !b.recursive;
    return a.fs === 'zfs' && a.recursive && b.name.startsWith(`${a.name}/`);
  }
  if (a.mount === undefined || !under(a.mount, b.path)) return false;
  const holder = fs.holder(a.host, b.path);
  if (!holder || holder.fs !== a.fs) return holder === undefined;
  if (holder.name === a.name) return true;
  return a.fs === 'zfs' && a.recursive && holder.name.startsWith(`${a.name}/`);
}

/** Whether two units share data (one contains the other). */
export const overlaps = (a: DataUnit, b: DataUnit, fs: Filesystems): boolean => contains(a, b, fs) || contains(b, a, fs);
