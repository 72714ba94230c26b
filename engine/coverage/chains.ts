// Protected-data chains and their 3-2-1 counts (SPEC §5). A pure function of the plan model,
// shared by the checks, the hovers and `backplan check`'s coverage summary.
//
// - A job without `from` (a root) starts a tree: the jobs reachable from it through `from` (the
//   `from` links form a forest: each job has at most one parent; jobs whose `from` is unknown or
//   part of a cycle belong to no chain — other rules report them).
// - A root protects data UNITS (engine/coverage/same-data.ts: paths, datasets, subvolumes,
//   instances, databases, namespaces), which relate by containment on one host. Enabled roots
//   whose units overlap (one contains another's) are ONE chain, in plan order: its `root` is the
//   first of them (findings sit on its key), `roots` lists them all, `members` is each root's
//   tree in turn. A disabled root never joins: it stays a chain of its own that the checks skip,
//   so its jobs add no copy to the others. A root without units starts a chain of its own.
// - Counts are TRUE PER UNIT: the copies of a unit are those made by the trees of the roots whose
//   data contains it — borg of [/data, /dumps] plus rsync of /data: `/data` has the live data,
//   borg's and rsync's copies, `/dumps` only the live data and borg's. The chain's `counts`,
//   `copies`, `media` and `unknownSites` are those of its WORST unit (the one missing most of
//   `checks.coverage`, then the fewest copies, offsite copies, media; plan order on a tie), which
//   the findings name; `units` has them all, for the hover.
// - Outputs read by other roots count like `from`: when an enabled job writes a directory
//   (same-data.ts outputUnit: `<to.path>/<job>` of a dump, an rsync ...) that a root's data
//   overlaps — a restic of that directory, a zfs-snapshot of the dataset it lies in — that
//   root's tree also copies the unit (the root itself adds no live copy: its live data IS the
//   output). So a pg-dump to a storage in `raidZ/backup_sql`, snapshotted and zfs-sent offsite,
//   gets the send's copy; the snapshot, on the same pool, adds none (snapshot kinds never do).
//   A root that reads nothing but copies — each of its units lies inside such an output, or lies
//   inside the directory (`path`) of a storage that jobs write to and holds one of their outputs
//   (the snapshot of the dataset a dump storage is) — starts no chain: it is a member of the
//   chain of the first job whose output it reads (`parentOf` says which). A root that also reads
//   other data (a dataset holding the dumps and more, a path above the storage) keeps its chain.
// - Copy 1 is the live data on the unit's source location: the `storage` of the first root
//   covering it when it names a defined storage, else the local disk of that root's host (a
//   synthetic location with the host's site and unknown media), else (no host either: velero,
//   openstack) the live data itself, with unknown site and media. The chain's `source` is its
//   first root's.
// - Each enabled job copying a unit adds a copy when its output lands on a location that holds
//   no copy of that unit yet (a storage two roots write to counts once).
//   Snapshot kinds never add one: they land on their `storage`, else on the chain's source.
//   Other kinds land on `to` (a storage name); an `incus-copy` without `to` whose `remote`
//   names a host lands on that host's local disk. A job with neither lands nowhere we know.
// - A storage with `replicated: N` is still one copy.
// - media: distinct declared `media` of the copies (an unknown medium is not counted).
// - offsite: copies whose site is known and differs from the source's known site.
// - immutable: copies on `immutable: true` storage. verified: some enabled job copying the unit
//   has a `verify` that Backplan can run (its kind has a restore test).
// Disabled members (`enabled: false`) are kept in `members` but add no copy and no `verify`.
import { kindInfo } from '../kinds';
import type { ChecksModel, JobModel, PlanModel, YamlPath } from '../plan/model';
import { contains, dataUnits, Filesystems, outputUnit, overlaps, storageUnit, type DataUnit, type PathUnit } from './same-data';

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

/** The 3-2-1 counts of one data unit of a chain. */
export interface UnitCoverage {
  /** The unit's identity (same-data.ts). */
  key: string;
  /** For messages: "`/home`", "dataset `tank/home`", "database `app`". */
  label: string;
  /** The chain's roots whose data contains the unit, in plan order. */
  roots: string[];
  /** The jobs of those roots' trees (enabled or not), in order. */
  jobs: string[];
  /** Jobs of other trees that count for the unit because their root reads an output of `jobs`. */
  downstream: string[];
  source: ChainLocation;
  /** Copy 1 (live) first, then one per job that added a copy. */
  copies: ChainCopy[];
  media: string[];
  counts: CoverageCounts;
  unknownSites: ChainLocation[];
  /** Only snapshots on the source hold it (see Chain.snapshotOnly). */
  snapshotOnly: boolean;
}

export interface Chain {
  /** The job that starts the chain (it has no `from`); the first of `roots`. */
  root: string;
  /**
   * Every job without `from` whose data this chain protects, in plan order, `root` first. More
   * than one when enabled roots read overlapping data (same-data.ts).
   */
  roots: string[];
  /** What the roots read, for messages ("`/home`", "dataset `tank/home`"); set when `roots` has more than one. */
  data?: string;
  /**
   * Each root's sub-tree in turn: the root, then the jobs reachable through `from`, breadth first
   * (plan order among siblings); then the trees of roots that only read outputs of these jobs.
   */
  members: string[];
  /** The root each member descends from through `from` (itself for a root). */
  rootOf: Record<string, string>;
  /** A root without `from` that reads the output of a member: the member it reads (an implicit `from`). */
  parentOf: Record<string, string>;
  /** Whether the root job is enabled (a disabled chain protects nothing; checks skip it). */
  enabled: boolean;
  /** Where the protected live data is (the first root's source). */
  source: ChainLocation;
  /** Every unit of the chain's data, in order of the roots, each with its own counts. */
  units: UnitCoverage[];
  /** The least covered unit: `counts`, `copies`, `media`, `unknownSites` are its. */
  worst: UnitCoverage;
  /** Copy 1 (live) first, then one per job that added a copy, in member order. */
  copies: ChainCopy[];
  /** Where each member's output lands (undefined: unknown, e.g. no `to`). */
  landing: Record<string, ChainLocation | undefined>;
  /** Distinct declared media of the copies, sorted. */
  media: string[];
  counts: CoverageCounts;
  /** Locations of copies whose site is unknown (offsite cannot be decided for them). */
  unknownSites: ChainLocation[];
  /**
   * Some unit is held by the live data alone although a snapshot job protects it: every enabled
   * job of its trees that lands somewhere lands on the source, and one is a snapshot kind.
   */
  snapshotOnly: boolean;
  /** That unit, when `snapshotOnly`. */
  snapshotUnit?: UnitCoverage;
  /** The first unit no restore test covers; undefined when every unit is verified. */
  unverified?: UnitCoverage;
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

/**
 * Where a job's output lands besides `landingOf`: an openstack-image job's `download: {to}`
 * (each image saved as a file on that storage, outside the cloud) is a second copy.
 */
export function extraLandings(plan: PlanModel, job: JobModel): ChainLocation[] {
  const dl = job.kind === 'openstack-image' ? job.raw.download : undefined;
  const to = dl !== null && typeof dl === 'object' ? (dl as Record<string, unknown>).to : undefined;
  const at = typeof to === 'string' ? storageLocation(plan, to) : undefined;
  return at ? [at] : [];
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

/** "namespace `a`", "namespace `b`" → "namespaces `a`, `b`"; other labels joined as they are. */
function joinLabels(labels: string[]): string {
  const out: string[] = [];
  const byWord = new Map<string, string[]>();
  for (const l of labels) {
    const m = /^([a-z]+) (`[^`]*`)$/.exec(l);
    if (!m) {
      out.push(l);
      continue;
    }
    const same = byWord.get(m[1]);
    if (same) same.push(m[2]);
    else {
      const list = [m[2]];
      byWord.set(m[1], list);
      out.push(`\0${m[1]}`);
    }
  }
  return out
    .map((l) => {
      if (!l.startsWith('\0')) return l;
      const word = l.slice(1);
      const list = byWord.get(word)!;
      return `${word}${list.length > 1 ? 's' : ''} ${list.join(', ')}`;
    })
    .join(', ');
}

/** A job without `from`: its units (undefined: none, or disabled) and its tree. */
interface RootInfo {
  job: JobModel;
  index: number;
  units?: DataUnit[];
  tree: string[];
}

export interface ChainOptions {
  /** The plan's folder: relative `paths` of local jobs resolve against it to compare roots. */
  baseDir?: string;
}

/** Lexicographic rank of counts: lower is worse (more parts of the target missed, then fewer copies, offsite, media). */
function rank(c: CoverageCounts, target: CoverageTarget): number[] {
  const s = shortfall(c, target);
  const missed = s ? Object.values(s).filter(Boolean).length : 0;
  return [-missed, c.copies, c.offsite, c.media, c.immutable, c.verified ? 1 : 0];
}

function isWorse(a: CoverageCounts, b: CoverageCounts, target: CoverageTarget): boolean {
  const ra = rank(a, target);
  const rb = rank(b, target);
  for (let i = 0; i < ra.length; i++) if (ra[i] !== rb[i]) return ra[i] < rb[i];
  return false;
}

export function computeChains(plan: PlanModel, options: ChainOptions = {}): Chain[] {
  const { baseDir } = options;
  const target = plan.checks.coverage;
  const fs = new Filesystems(plan);
  const children = childrenIndex(plan);

  const roots: RootInfo[] = [];
  for (const job of plan.jobs.values()) {
    if (job.from !== undefined) continue;
    const units = job.enabled ? dataUnits(plan, job, baseDir) : undefined;
    roots.push({ job, index: roots.length, ...(units ? { units } : {}), tree: subTree(children, job.name) });
  }
  const treeOf = new Map<string, RootInfo>();
  for (const r of roots) for (const m of r.tree) treeOf.set(m, r);

  // The directories enabled jobs write, in plan order (snapshots write none).
  const outputs: { job: string; unit: PathUnit }[] = [];
  for (const job of plan.jobs.values()) {
    if (!job.enabled || !treeOf.has(job.name) || kindInfo(job.kind)?.snapshot) continue;
    const unit = outputUnit(plan, job, baseDir);
    if (unit) outputs.push({ job: job.name, unit });
  }
  const outputOf = new Map(outputs.map((o) => [o.job, o.unit]));
  // Units only relate on one host (cluster): index roots and outputs by it.
  const byHost = <T>(list: T[], host: (x: T) => string | undefined) => {
    const m = new Map<string, T[]>();
    for (const x of list) {
      const h = host(x);
      if (h !== undefined) m.set(h, [...(m.get(h) ?? []), x]);
    }
    return m;
  };
  const hostOf = (r: RootInfo) => r.units?.[0]?.host;
  const rootsOn = byHost(roots, hostOf);
  const outputsOn = byHost(outputs, (o) => o.unit.host);

  // The directories of the storages those jobs write to: space the plan declares for copies.
  const spaces: PathUnit[] = [];
  for (const o of outputs) {
    const sp = storageUnit(plan, plan.jobs.get(o.job)!.to!, baseDir);
    if (sp && !spaces.some((x) => x.key === sp.key)) spaces.push(sp);
  }
  // Roots that read nothing but copies: each unit lies inside an output of another tree, or inside
  // a storage's directory and holds such an output (a snapshot of the dataset a dump storage is).
  const readsOnlyOutputs = (r: RootInfo) =>
    r.units !== undefined &&
    r.units.every((u) => {
      if (u.family === 'atom' || (u.family === 'filesystem' && u.mount === undefined)) return false;
      const others = (outputsOn.get(u.host) ?? []).filter((o) => treeOf.get(o.job) !== r);
      return others.some((o) => contains(o.unit, u, fs)) || (spaces.some((sp) => contains(sp, u, fs)) && others.some((o) => contains(u, o.unit, fs)));
    });
  const pure = new Set(roots.filter(readsOnlyOutputs));

  // Enabled roots with overlapping units form one group; the others are groups of their own.
  let groups: RootInfo[][] = [];
  const groupOfRoot = new Map<RootInfo, RootInfo[]>();
  const related = (a: RootInfo, b: RootInfo) =>
    a.units !== undefined && b.units !== undefined && a.units.some((x) => b.units!.some((y) => overlaps(x, y, fs)));
  for (const r of roots) {
    if (pure.has(r)) continue;
    const hit: RootInfo[][] = [];
    for (const o of r.units ? (rootsOn.get(hostOf(r)!) ?? []) : []) {
      const g = groupOfRoot.get(o);
      if (g && !hit.includes(g) && related(o, r)) hit.push(g);
    }
    if (hit.length === 0) {
      groups.push([r]);
      groupOfRoot.set(r, groups[groups.length - 1]);
      continue;
    }
    hit.sort((a, b) => a[0].index - b[0].index);
    const [first, ...rest] = hit;
    first.push(r, ...rest.flat());
    first.sort((a, b) => a.index - b.index);
    for (const x of first) groupOfRoot.set(x, first);
    if (rest.length > 0) groups = groups.filter((g) => !rest.includes(g));
  }

  // Attach each reader of outputs to the group of the first job whose output it reads.
  const groupOfJob = new Map<string, RootInfo[]>();
  for (const g of groups) for (const r of g) for (const m of r.tree) groupOfJob.set(m, g);
  const attached = new Map<RootInfo[], { root: RootInfo; via: string }[]>();
  const waiting = roots.filter((r) => pure.has(r));
  for (let progress = true; progress; ) {
    progress = false;
    for (const r of [...waiting]) {
      const o = (outputsOn.get(hostOf(r)!) ?? []).find((x) => treeOf.get(x.job) !== r && groupOfJob.has(x.job) && r.units!.some((u) => overlaps(x.unit, u, fs)));
      if (!o) continue;
      const g = groupOfJob.get(o.job)!;
      attached.set(g, [...(attached.get(g) ?? []), { root: r, via: o.job }]);
      for (const m of r.tree) groupOfJob.set(m, g);
      waiting.splice(waiting.indexOf(r), 1);
      progress = true;
    }
  }
  // Readers of each other's outputs only (a cycle): each its own chain.
  for (const r of waiting) groups.push([r]);
  groups.sort((a, b) => a[0].index - b[0].index);

  const chains: Chain[] = [];
  for (const group of groups) {
    const root = group[0].job;
    const members: string[] = [];
    const rootOf: Record<string, string> = {};
    const parentOf: Record<string, string> = {};
    for (const r of group) {
      for (const m of r.tree) {
        members.push(m);
        rootOf[m] = r.job.name;
      }
    }
    for (const { root: r, via } of attached.get(group) ?? []) {
      parentOf[r.job.name] = via;
      for (const m of r.tree) {
        members.push(m);
        rootOf[m] = r.job.name;
      }
    }

    const source = sourceLocation(plan, root);
    const landing: Record<string, ChainLocation | undefined> = {};
    for (const name of members) landing[name] = landingOf(plan, plan.jobs.get(name)!, source);

    const unitList: DataUnit[] = [];
    for (const r of group) for (const u of r.units ?? []) if (!unitList.some((x) => x.key === u.key)) unitList.push(u);

    const unitCoverage = (key: string, label: string, covering: RootInfo[]): UnitCoverage => {
      const src = sourceLocation(plan, covering[0].job);
      const copies: ChainCopy[] = [{ location: src, live: true, offsite: false }];
      const held = new Set([src.key]);
      const jobs: string[] = [];
      const downstream: string[] = [];
      let verified = false;
      let anySnapshot = false;
      let allOnSource = true;
      const visited = new Set(covering);
      const queue = covering.flatMap((r) => r.tree.map((name) => ({ name, own: true })));
      for (let i = 0; i < queue.length; i++) {
        const { name, own } = queue[i];
        const job = plan.jobs.get(name)!;
        const info = kindInfo(job.kind);
        (own ? jobs : downstream).push(name);
        if (!job.enabled) continue;
        const lands = landingOf(plan, job, src);
        // A `verify` counts only where `backplan verify` can run it (no-restore-test says so).
        if (job.verify !== undefined && info?.restoreTest) verified = true;
        if (own && info?.snapshot) anySnapshot = true;
        if (own && lands && lands.key !== src.key) allOnSource = false;
        if (info?.snapshot) continue;
        for (const at of [lands, ...extraLandings(plan, job)]) {
          if (!at || held.has(at.key)) continue;
          held.add(at.key);
          copies.push({ location: at, via: name, live: false, offsite: isOffsite(src, at) });
        }
        // Roots that read this job's output copy the unit too (an implicit `from`).
        const out = outputOf.get(name);
        if (!out) continue;
        for (const r of rootsOn.get(out.host) ?? []) {
          if (visited.has(r) || !r.job.enabled || !r.units?.some((u) => overlaps(u, out, fs))) continue;
          visited.add(r);
          for (const m of r.tree) queue.push({ name: m, own: false });
        }
      }
      const media = [...new Set(copies.map((c) => c.location.media).filter((m): m is string => m !== undefined))].sort();
      return {
        key,
        label,
        roots: covering.map((r) => r.job.name),
        jobs,
        downstream,
        source: src,
        copies,
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
      };
    };

    const units =
      unitList.length === 0
        ? [unitCoverage(`job:${root.name}`, `the data of \`${root.name}\``, [group[0]])]
        : unitList.map((u) => unitCoverage(u.key, u.label, group.filter((r) => r.units?.some((a) => contains(a, u, fs)))));
    let worst = units[0];
    for (const u of units) if (isWorse(u.counts, worst.counts, target)) worst = u;
    const snapshotUnit = units.find((u) => u.snapshotOnly);
    const unverified = units.find((u) => !u.counts.verified);

    chains.push({
      root: root.name,
      roots: group.map((r) => r.job.name),
      ...(group.length > 1 ? { data: joinLabels(unitList.map((u) => u.label)) } : {}),
      members,
      rootOf,
      parentOf,
      enabled: root.enabled,
      source,
      units,
      worst,
      copies: worst.copies,
      landing,
      media: worst.media,
      counts: worst.counts,
      unknownSites: worst.unknownSites,
      snapshotOnly: snapshotUnit !== undefined,
      ...(snapshotUnit ? { snapshotUnit } : {}),
      ...(unverified ? { unverified } : {}),
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

/**
 * Whether the chain's units are covered differently (borg of [/data, /dumps] with rsync of /data):
 * then messages name the unit they are about.
 */
export function unitsDiffer(chain: Chain): boolean {
  const first = JSON.stringify(chain.units[0]?.counts);
  return chain.units.some((u) => JSON.stringify(u.counts) !== first);
}

/** "`dumps`, protected by `borg-data` alone" / "`/data`, protected by `a` and `b`". */
export function unitName(unit: UnitCoverage): string {
  return `${unit.label}, protected by ${names(unit.roots)}${unit.roots.length === 1 ? ' alone' : ''}`;
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
