// Protected-data chains and their 3-2-1 counts (SPEC §5). A pure function of the plan model,
// shared by the checks, the hovers and `backplan check`'s coverage summary.
//
// - A job without `from` starts a chain; the chain's members are the jobs reachable from it
//   through `from` (the `from` links form a forest: each job has at most one parent; jobs whose
//   `from` is unknown or part of a cycle belong to no chain — other rules report them).
// - Enabled roots that read the same data (same host, same paths/dataset/instance/database:
//   engine/coverage/same-data.ts) are ONE chain: the data is what is protected, so a restic of
//   /home to the NAS and a borg of /home to a bucket are two copies of one data set. The merged
//   chain's `root` is the first of them in plan order (findings sit on its key), `roots` lists
//   them all, and `members` is each root's sub-tree in turn. A disabled root never merges: it
//   stays a chain of its own that the checks skip, so its jobs add no copy to the others.
// - Copy 1 is the live data on the chain's source location: the root job's `storage` when it
//   names a defined storage, else the local disk of the root's host (a synthetic location with
//   the host's site and unknown media), else (no host either: velero, openstack) the live data
//   itself, with unknown site and media. Merged roots read the same data on the same host, so
//   the first root decides; if they disagree about `storage` (a plan mistake: one dataset lives
//   on one pool) the first root's wins.
// - Each enabled member adds a copy when its output lands on a location that holds no copy yet
//   (over the whole merged chain: a storage two roots write to counts once).
//   Snapshot kinds never add one: they land on their `storage`, else on the chain's source.
//   Other kinds land on `to` (a storage name); an `incus-copy` without `to` whose `remote`
//   names a host lands on that host's local disk. A job with neither lands nowhere we know.
// - A storage with `replicated: N` is still one copy.
// - media: distinct declared `media` of the copies (an unknown medium is not counted).
// - offsite: copies whose site is known and differs from the source's known site.
// - immutable: copies on `immutable: true` storage. verified: some enabled member has a `verify`
//   that Backplan can run (its kind has a restore test).
// Disabled members (`enabled: false`) are kept in `members` but add no copy and no `verify`.
import { kindInfo } from '../kinds';
import type { ChecksModel, JobModel, PlanModel, YamlPath } from '../plan/model';
import { dataIdentity } from './same-data';

export interface ChainLocation {
  /** Identity of the location: `storage:NAME`, `host:NAME` (a host's local disk) or `live:JOB`. */
  key: string;
  /** Set when the location is a storage defined in the plan. */
  storage?: string;
  /** The host the location is on (the storage's host, or the host whose local disk it is). */
  host?: string;
  site?: string;
  media?: string;
  immutable: boolean;
  replicated?: number;
  /** For messages: "`scylla-pool`", "the local disk of `web`", "the live data of `j`". */
  label: string;
}

export interface ChainCopy {
  location: ChainLocation;
  /** The job whose output made this copy; undefined for copy 1, the live data. */
  via?: string;
  live: boolean;
  /** Site known, source site known, and different. */
  offsite: boolean;
}

export interface CoverageCounts {
  copies: number;
  media: number;
  offsite: number;
  immutable: number;
  verified: boolean;
}

export interface Chain {
  /** The job that starts the chain (it has no `from`); the first of `roots`. */
  root: string;
  /**
   * Every job without `from` whose data this chain protects, in plan order, `root` first. More
   * than one when enabled roots read the same data (same-data.ts).
   */
  roots: string[];
  /** What the roots read, for messages ("`/home`", "dataset `tank/home`"); set when `roots` has more than one. */
  data?: string;
  /**
   * Each root's sub-tree in turn: the root, then the jobs reachable through `from`, breadth first
   * (plan order among siblings).
   */
  members: string[];
  /** The root each member descends from (itself for a root). */
  rootOf: Record<string, string>;
  /** Whether the root job is enabled (a disabled chain protects nothing; checks skip it). */
  enabled: boolean;
  /** Where the protected live data is. */
  source: ChainLocation;
  /** Copy 1 (live) first, then one per job that added a copy, in member order. */
  copies: ChainCopy[];
  /** Where each member's output lands (undefined: unknown, e.g. no `to`). */
  landing: Record<string, ChainLocation | undefined>;
  /** Distinct declared media of the copies, sorted. */
  media: string[];
  counts: CoverageCounts;
  /** Locations of copies whose site is unknown (offsite cannot be decided for them). */
  unknownSites: ChainLocation[];
  /** Every enabled member that lands somewhere lands on the source, and one is a snapshot kind. */
  snapshotOnly: boolean;
}

export type CoverageTarget = ChecksModel['coverage'];

function storageLocation(plan: PlanModel, name: string): ChainLocation | undefined {
  const s = plan.storage.get(name);
  if (!s) return undefined;
  const host = s.host !== undefined ? plan.hosts.get(s.host) : undefined;
  return {
    key: `storage:${name}`,
    storage: name,
    host: s.host,
    site: s.site ?? host?.site,
    media: s.media,
    immutable: s.immutable === true,
    ...(s.replicated !== undefined ? { replicated: s.replicated } : {}),
    label: `\`${name}\``,
  };
}

function hostDisk(plan: PlanModel, name: string): ChainLocation | undefined {
  const h = plan.hosts.get(name);
  if (!h) return undefined;
  return { key: `host:${name}`, host: name, site: h.site, immutable: false, label: `the local disk of \`${name}\`` };
}

/** Where the live data read by a chain's root job lives. */
export function sourceLocation(plan: PlanModel, root: JobModel): ChainLocation {
  if (root.storage !== undefined) {
    const s = storageLocation(plan, root.storage);
    if (s) return s;
  }
  if (root.host !== undefined) {
    const h = hostDisk(plan, root.host);
    if (h) return h;
  }
  return { key: `live:${root.name}`, immutable: false, label: `the live data of \`${root.name}\`` };
}

/**
 * Where a job's output lands. `source` is the location of the chain's live data (snapshot kinds
 * default to it); undefined when the job belongs to no chain.
 */
export function landingOf(plan: PlanModel, job: JobModel, source: ChainLocation | undefined): ChainLocation | undefined {
  const info = kindInfo(job.kind);
  if (info?.snapshot) {
    if (job.storage !== undefined) return storageLocation(plan, job.storage) ?? source;
    return source;
  }
  if (job.to !== undefined) return storageLocation(plan, job.to);
  if (job.kind === 'incus-copy' && typeof job.raw.remote === 'string') return hostDisk(plan, job.raw.remote);
  return undefined;
}

/** The jobs whose `from` is each job, in plan order. */
function childrenIndex(plan: PlanModel): Map<string, string[]> {
  const children = new Map<string, string[]>();
  for (const job of plan.jobs.values()) {
    if (job.from === undefined || job.from === job.name) continue;
    const list = children.get(job.from) ?? [];
    list.push(job.name);
    children.set(job.from, list);
  }
  return children;
}

/** The root and the jobs reachable from it through `from`, breadth first. */
function subTree(children: Map<string, string[]>, root: string): string[] {
  const members: string[] = [];
  const seen = new Set<string>();
  const queue = [root];
  while (queue.length > 0) {
    const name = queue.shift()!;
    if (seen.has(name)) continue;
    seen.add(name);
    members.push(name);
    for (const c of children.get(name) ?? []) queue.push(c);
  }
  return members;
}

/** Roots grouped by the data they read, groups and roots in plan order. */
function groupRoots(plan: PlanModel, baseDir: string | undefined): { roots: JobModel[]; data?: string }[] {
  const groups: { roots: JobModel[]; data?: string }[] = [];
  const byData = new Map<string, { roots: JobModel[]; data?: string }>();
  for (const job of plan.jobs.values()) {
    if (job.from !== undefined) continue;
    const id = job.enabled ? dataIdentity(plan, job, baseDir) : undefined;
    const same = id ? byData.get(id.key) : undefined;
    if (same) {
      same.roots.push(job);
      continue;
    }
    // The first root's words name the data (its paths as written).
    const group = { roots: [job], ...(id ? { data: id.label } : {}) };
    groups.push(group);
    if (id) byData.set(id.key, group);
  }
  return groups;
}

export interface ChainOptions {
  /** The plan's folder: relative `paths` of local jobs resolve against it to compare roots. */
  baseDir?: string;
}

export function computeChains(plan: PlanModel, options: ChainOptions = {}): Chain[] {
  const children = childrenIndex(plan);
  const chains: Chain[] = [];
  for (const group of groupRoots(plan, options.baseDir)) {
    const root = group.roots[0];
    const members: string[] = [];
    const rootOf: Record<string, string> = {};
    for (const r of group.roots) {
      for (const m of subTree(children, r.name)) {
        members.push(m);
        rootOf[m] = r.name;
      }
    }

    const source = sourceLocation(plan, root);
    const copies: ChainCopy[] = [{ location: source, live: true, offsite: false }];
    const held = new Set([source.key]);
    const landing: Record<string, ChainLocation | undefined> = {};
    let verified = false;
    let anySnapshot = false;
    let allOnSource = true;
    for (const name of members) {
      const job = plan.jobs.get(name)!;
      const info = kindInfo(job.kind);
      const lands = landingOf(plan, job, source);
      landing[name] = lands;
      if (!job.enabled) continue;
      // A `verify` counts only where `backplan verify` can run it (no-restore-test says so).
      if (job.verify !== undefined && info?.restoreTest) verified = true;
      if (info?.snapshot) anySnapshot = true;
      if (lands && lands.key !== source.key) allOnSource = false;
      if (!lands || info?.snapshot || held.has(lands.key)) continue;
      held.add(lands.key);
      copies.push({ location: lands, via: name, live: false, offsite: isOffsite(source, lands) });
    }

    const media = [...new Set(copies.map((c) => c.location.media).filter((m): m is string => m !== undefined))].sort();
    chains.push({
      root: root.name,
      roots: group.roots.map((r) => r.name),
      ...(group.roots.length > 1 && group.data !== undefined ? { data: group.data } : {}),
      members,
      rootOf,
      enabled: root.enabled,
      source,
      copies,
      landing,
      media,
      counts: {
        copies: copies.length,
        media: media.length,
        offsite: copies.filter((c) => c.offsite).length,
        immutable: copies.filter((c) => c.location.immutable).length,
        verified,
      },
      unknownSites: copies.filter((c) => c.location.site === undefined).map((c) => c.location),
      snapshotOnly: anySnapshot && allOnSource && copies.length === 1,
    });
  }
  return chains;
}

const names = (list: readonly string[]): string => {
  const quoted = list.map((n) => `\`${n}\``);
  return quoted.length <= 1 ? quoted.join('') : `${quoted.slice(0, -1).join(', ')} and ${quoted[quoted.length - 1]}`;
};

/**
 * How messages name a chain: "`nas-backup`" for a chain of one root, "the `/home` data of
 * `nas-backup` and `cloud-backup`" when several roots read the same data.
 */
export function chainName(chain: Chain): string {
  if (chain.roots.length <= 1) return `\`${chain.root}\``;
  return `the ${chain.data ?? 'same'} data of ${names(chain.roots)}`;
}

/** The roots of the chain other than the one `job` descends from (the jobs that protect the same data). */
export function otherRoots(chain: Chain, job: string): string[] {
  const mine = chain.rootOf[job];
  return chain.roots.filter((r) => r !== mine);
}

/** Where a location is defined in the plan: its storage or host entry (none for `live:`). */
export function locationPath(loc: ChainLocation): YamlPath | undefined {
  if (loc.storage !== undefined) return ['storage', loc.storage];
  if (loc.key.startsWith('host:') && loc.host !== undefined) return ['hosts', loc.host];
  return undefined;
}

export function isOffsite(source: ChainLocation, where: ChainLocation): boolean {
  return source.site !== undefined && where.site !== undefined && source.site !== where.site;
}

/** The chains of the checked plan, computed once per check. */
export function chainsOf(ctx: { model: PlanModel; baseDir?: string; memo<T>(key: string, compute: () => T): T }): Chain[] {
  return ctx.memo('chains', () => computeChains(ctx.model, { baseDir: ctx.baseDir }));
}

/** The chain a job belongs to (as root or member). */
export function chainOfJob(chains: readonly Chain[], job: string): Chain | undefined {
  return chains.find((c) => c.members.includes(job));
}

export interface Shortfall {
  copies: boolean;
  media: boolean;
  offsite: boolean;
  immutable: boolean;
  verified: boolean;
}

/** Which parts of the target a chain misses; undefined when it meets it. */
export function shortfall(counts: CoverageCounts, target: CoverageTarget): Shortfall | undefined {
  const s: Shortfall = {
    copies: counts.copies < target.copies,
    media: counts.media < target.media,
    offsite: counts.offsite < target.offsite,
    immutable: counts.immutable < target.immutable,
    verified: target.verified && !counts.verified,
  };
  return Object.values(s).some(Boolean) ? s : undefined;
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/** "2 copies, 1 media, 0 offsite" (+ ", 0 immutable" / ", not verified" when the target asks). */
export function describeCounts(counts: CoverageCounts, target: CoverageTarget, sep = ', '): string {
  const parts = [plural(counts.copies, 'copy', 'copies'), `${counts.media} media`, `${counts.offsite} offsite`];
  if (target.immutable > 0) parts.push(`${counts.immutable} immutable`);
  if (target.verified) parts.push(counts.verified ? 'verified' : 'not verified');
  return parts.join(sep);
}

/** "3 copies, 2 media, 1 offsite" (+ immutable / verified when asked): what checks.coverage requires. */
export function describeTarget(target: CoverageTarget, sep = ', '): string {
  const parts = [plural(target.copies, 'copy', 'copies'), `${target.media} media`, `${target.offsite} offsite`];
  if (target.immutable > 0) parts.push(`${target.immutable} immutable`);
  if (target.verified) parts.push('verified');
  return parts.join(sep);
}

/**
 * The one-line 3-2-1 summary of hovers and `backplan check`: "3 copies · 2 media · 1 offsite ✓",
 * or "2 copies · 1 media · 0 offsite ✗ (needs 3 copies · 2 media · 1 offsite)".
 */
export function formatCoverage(counts: CoverageCounts, target: CoverageTarget): string {
  const line = describeCounts(counts, target, ' · ');
  return shortfall(counts, target) ? `${line} ✗ (needs ${describeTarget(target, ' · ')})` : `${line} ✓`;
}

/** The chain's summary line, from the plan's own target. */
export function formatChain(chain: Chain, plan: PlanModel): string {
  return formatCoverage(chain.counts, plan.checks.coverage);
}
