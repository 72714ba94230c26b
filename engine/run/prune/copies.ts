// Native pruning (SPEC §3, §8.2–8.4): list the job's copies from live inventory, decide with
// the engine that prunes the job's kind (engineFor), then protect the `min` newest copies
// (never fewer than 1: the newest successful copy is never removed, whatever the policy), and
// remove the rest. Only names the job itself makes are ever considered (the inventory glob,
// and a time that parses from the name); a copy's final name exists only once it was whole,
// so every listed copy is a successful one. `.partial` names are interrupted writes: never
// copies, and removed as stale only by a run that holds the job's lock.
//
// Removing a copy is atomic for every listing (HostFs.removeAll): its name is renamed to
// `.deleting-NAME` first, in the same directory, and only then deleted; an archive is renamed
// before its manifest, so a kill at any moment leaves either the whole copy or no copy at all.
// Listings never take a `.deleting-` name for a copy; the next prune (under the job's lock)
// deletes those leftovers, and manifests (`NAME.sha256`) whose archive is gone, and reports them.
// Snapshots (zfs destroy, btrfs subvolume delete, incus/lxc snapshot delete) are removed by their
// tool in one atomic operation: the snapshot is listed whole until it is gone (zfs destroys in one
// transaction group, btrfs unlinks the subvolume in one transaction and frees its extents in the
// background, the Incus/LXD daemon removes it in an operation that does not depend on the client
// staying alive), so they need no hidden name.
import { engineFor } from '../../retention/index';
import type { RetentionEngine } from '../../retention/types';
import { sanoidCreationRank } from '../../retention/sanoid';
import type { JobModel, PlanModel } from '../../plan/model';
import { DELETING_PREFIX, type HostFs } from '../exec/files';
import type { Hosts } from '../exec/hosts';
import { isSnapshotInventory, snapshotPath, storeFor } from '../inventory/index';
import type { SnapshotStore } from '../inventory/types';
import { nameTimeParser, toolNameParser } from '../steps/names';
import type { Inventory, PruneSpec } from '../steps/step';

export class PruneError extends Error {}

export interface Copy {
  name: string;
  path: string;
  time: number;
  /** `snapshot`: removed through the inventory's snapshot store (zfs, btrfs, Incus). */
  type: 'file' | 'directory' | 'snapshot';
}

export interface Listed {
  copies: Copy[];
  /** Names that match the job's glob but cannot be its copies (no parsable time). Never touched. */
  ignored: { name: string; why: string }[];
  /**
   * Leftovers of interrupted runs of this job: writes (`NAME.partial`, `NAME.sha256.partial`),
   * removals (`.deleting-NAME`, `how: 'deleting'`) and manifests whose archive is gone
   * (`NAME.sha256` without `NAME`, `how: 'orphan'`).
   */
  partials: { name: string; path: string; type: 'file' | 'directory'; how?: 'partial' | 'deleting' | 'orphan' }[];
  /** Manifests beside the copies (`NAME.sha256`), by copy name. */
  companions: Map<string, string>;
  /** Snapshot inventories: the store the copies were listed from (and are removed through). */
  store?: SnapshotStore;
  /** The object the inventory lists (dataset, snapshot directory, instance) does not exist. */
  missing?: boolean;
}

export interface ListOptions {
  /** Needed for snapshot inventories: their tool runs on the inventory's host. */
  hosts?: Hosts;
  signal?: AbortSignal;
  /** The receiving side of a send: only whole received snapshots are copies. */
  replica?: boolean;
}

function globRegex(glob: string): RegExp {
  return new RegExp(`^${glob.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`, 's');
}

export function inventoryUnsupported(inv: Inventory): string | undefined {
  if (inv.type === 'files' || inv.type === 'directories' || isSnapshotInventory(inv)) return undefined;
  return `listing ${inv.type.replace(/-/g, ' ')} is not implemented yet: this prune is refused and nothing was removed`;
}

/**
 * The job that named the copies of `job`'s prune: the job itself, or for a replica (a send) the
 * job it replicates, whose pattern the received names keep.
 */
export function namerOf(job: JobModel, plan: PlanModel, spec?: PruneSpec): JobModel {
  return (spec?.replicaOf !== undefined ? plan.jobs.get(spec.replicaOf) : undefined) ?? job;
}

/** A snapshot inventory's copies: the store's names, filtered and timed exactly as files are. */
async function listSnapshots(inv: Inventory, job: JobModel, timezone: string, opts: ListOptions): Promise<Listed> {
  if (!isSnapshotInventory(inv)) throw new PruneError(`${inv.type} is not a snapshot inventory`);
  if (!opts.hosts) throw new PruneError(`listing ${inv.type.replace(/-/g, ' ')} needs the run's hosts`);
  const store = storeFor(inv, { hosts: opts.hosts, signal: opts.signal }, { replica: opts.replica });
  // A tool that cannot list (daemon down, remote unreachable) is a refusal, in its own words.
  const snaps = await store.list().catch((e: Error) => {
    throw e instanceof PruneError ? e : new PruneError(e.message);
  });
  const rx = globRegex(inv.match);
  const parse =
    inv.type !== 'incus-snapshots' && inv.naming
      ? toolNameParser(inv.naming, timezone, inv.match.replace(/\.\*$/, ''))
      : nameTimeParser(inv.match, job.raw.pattern, job.raw.pattern !== undefined ? timezone : 'UTC');
  const listed: Listed = {
    copies: [],
    ignored: [],
    partials: [],
    companions: new Map(),
    store,
    ...(snaps ? {} : { missing: true }),
  };
  for (const s of snaps ?? []) {
    if (!rx.test(s.name)) continue;
    const time = parse(s.name);
    if (time === undefined)
      listed.ignored.push({ name: s.name, why: 'its name holds no time this job could have written' });
    else listed.copies.push({ name: s.name, path: snapshotPath(inv, s.name), time, type: 'snapshot' });
  }
  // sanoid's snapshots of one run share their time: the one it took last is the newest.
  const rank = inv.type !== 'incus-snapshots' && inv.naming === 'sanoid' ? sanoidCreationRank : () => 0;
  listed.copies.sort((a, b) => b.time - a.time || rank(b.name) - rank(a.name) || (a.name < b.name ? 1 : -1));
  return listed;
}

/**
 * The job's copies in its inventory: files or directories in `inv.dir` on `fs`'s host, or the
 * snapshots its snapshot store lists (`opts.hosts` needed). `job` is the job that named the
 * copies (namerOf).
 */
export async function listCopies(
  inv: Inventory,
  job: JobModel,
  timezone: string,
  fs: HostFs,
  opts: ListOptions = {},
): Promise<Listed> {
  const unsupported = inventoryUnsupported(inv);
  if (unsupported) throw new PruneError(unsupported);
  if (isSnapshotInventory(inv)) return listSnapshots(inv, job, timezone, opts);
  const { dir, match } = inv as Extract<Inventory, { type: 'files' | 'directories' }>;
  const want = inv.type === 'files' ? 'file' : 'directory';
  const entries = (await fs.list(dir)) ?? [];
  const rx = globRegex(match);
  const parse = nameTimeParser(match, job.raw.pattern, job.raw.pattern !== undefined ? timezone : 'UTC');
  const listed: Listed = { copies: [], ignored: [], partials: [], companions: new Map() };
  const names = new Set(entries.map((e) => e.name));
  const ofJob = (n: string) => rx.test(n) && parse(n) !== undefined;
  for (const e of entries) {
    const path = `${dir}/${e.name}`;
    if (e.name.startsWith(DELETING_PREFIX)) {
      // Never a copy, whatever the rest of its name; only this job's names are cleaned.
      let of = e.name.slice(DELETING_PREFIX.length);
      for (const ext of ['.partial', '.sha256']) if (of.endsWith(ext)) of = of.slice(0, -ext.length);
      if (ofJob(of) && e.type !== 'other') listed.partials.push({ name: e.name, path, type: e.type, how: 'deleting' });
      continue;
    }
    if (e.name.endsWith('.partial')) {
      const base = e.name.slice(0, -'.partial'.length);
      const of = base.endsWith('.sha256') ? base.slice(0, -'.sha256'.length) : base;
      if (rx.test(of) && e.type !== 'other') listed.partials.push({ name: e.name, path, type: e.type });
      continue;
    }
    if (e.name.endsWith('.sha256') && rx.test(e.name.slice(0, -'.sha256'.length))) {
      const of = e.name.slice(0, -'.sha256'.length);
      // A manifest whose archive is gone: an archive removal interrupted between its two names
      // (or older Backplan that deleted them one by one). Never a copy; cleaned under the lock.
      if (!names.has(of) && e.type === 'file' && ofJob(of))
        listed.partials.push({ name: e.name, path, type: 'file', how: 'orphan' });
      continue;
    }
    if (!rx.test(e.name)) continue;
    if (e.type !== want) {
      listed.ignored.push({ name: e.name, why: `is a ${e.type}, not a ${want}` });
      continue;
    }
    const time = parse(e.name);
    if (time === undefined) {
      listed.ignored.push({ name: e.name, why: 'its name holds no time this job could have written' });
      continue;
    }
    listed.copies.push({ name: e.name, path, time, type: want });
    if (names.has(`${e.name}.sha256`)) listed.companions.set(e.name, `${path}.sha256`);
  }
  listed.copies.sort((a, b) => b.time - a.time || (a.name < b.name ? 1 : -1));
  return listed;
}

export interface PruneDecision {
  /** Newest first. */
  keep: { copy: Copy; reasons: string[] }[];
  remove: Copy[];
}

/** The engine that prunes `job`, checked against the step (a mismatch is a bug, not a guess). */
export function pruneEngine(job: JobModel, plan: PlanModel, spec: PruneSpec): RetentionEngine {
  // A `pruner` tool's rules when it prunes the kind (then no Backplan prune runs; status reads them).
  const engine = engineFor(job.kind, spec.policy, {}, job.raw.pruner);
  if (engine.id !== spec.engine)
    throw new PruneError(
      `the ${job.kind} kind is pruned by ${engine.id}, but the step says ${spec.engine}; refusing to prune`,
    );
  const unsupported = engine.unsupported(spec.policy);
  if (unsupported.length)
    throw new PruneError(
      `the ${engine.id} pruning engine cannot express this policy: ${unsupported.map((u) => u.message).join('; ')}`,
    );
  void plan;
  return engine;
}

/** Decide on `copies` (newest first) at `now`; the `min` newest are always kept. */
export function decide(copies: readonly Copy[], spec: PruneSpec, engine: RetentionEngine, now: number): PruneDecision {
  const byName = new Map(copies.map((c) => [c.name, c]));
  const d = engine.evaluate(
    copies.map((c) => ({ id: c.name, time: c.time })),
    spec.policy,
    { now, timezone: spec.timezone },
  );
  const reasons = new Map<string, string[]>();
  for (const k of d.keep) reasons.set(k.snapshot.id!, [...k.reasons]);
  const min = Math.max(1, Number.isInteger(spec.min) ? spec.min : 1);
  copies.slice(0, min).forEach((c, i) => {
    const r = reasons.get(c.name) ?? [];
    if (!reasons.has(c.name))
      r.push(i === 0 ? 'newest copy: never removed' : `one of the ${min} newest copies (min: ${min})`);
    reasons.set(c.name, r);
  });
  const keep: PruneDecision['keep'] = [];
  const remove: Copy[] = [];
  for (const c of copies) {
    const r = reasons.get(c.name);
    if (r) keep.push({ copy: c, reasons: r });
    else remove.push(c);
  }
  if (byName.size !== copies.length) throw new PruneError('two copies share a name');
  return { keep, remove };
}

export interface RemoveHooks {
  before(path: string, reason: string): void;
  after(path: string, ok: boolean, message?: string): void;
}

/** Remove the copies (and their manifests) decided against; journalled through `hooks`. */
export async function removeCopies(
  remove: readonly Copy[],
  listed: Listed,
  fs: HostFs,
  hooks: RemoveHooks,
): Promise<{ removed: string[]; failed: string[] }> {
  const removed: string[] = [];
  const failed: string[] = [];
  for (const c of remove) {
    if (c.type === 'snapshot') {
      hooks.before(c.path, 'not kept by the policy');
      try {
        if (!listed.store) throw new PruneError('no snapshot store to remove it through');
        await listed.store.remove(c.name);
        hooks.after(c.path, true);
        removed.push(c.name);
      } catch (e) {
        hooks.after(c.path, false, (e as Error).message);
        failed.push(`${c.path}: ${(e as Error).message}`);
      }
      continue;
    }
    // The copy first (it leaves every listing at once), then its manifest, both renamed to
    // their `.deleting-` names before either is deleted.
    const items = [
      { path: c.path, type: c.type },
      ...(listed.companions.has(c.name) ? [{ path: listed.companions.get(c.name)!, type: 'file' as const }] : []),
    ];
    for (const it of items) hooks.before(it.path, it.path === c.path ? 'not kept by the policy' : `manifest of ${c.name}`);
    try {
      await fs.removeAll(items);
      for (const it of items) hooks.after(it.path, true);
      removed.push(c.name);
    } catch (e) {
      for (const it of items) hooks.after(it.path, false, (e as Error).message);
      failed.push(`${c.path}: ${(e as Error).message}`);
    }
  }
  return { removed, failed };
}

/** Remove leftovers of interrupted runs (only under the job's lock). */
export async function removePartials(
  listed: Listed,
  fs: HostFs,
  hooks: RemoveHooks,
  keepPaths: ReadonlySet<string> = new Set(),
): Promise<string[]> {
  const out: string[] = [];
  for (const p of listed.partials) {
    if (keepPaths.has(p.path)) continue;
    hooks.before(
      p.path,
      p.how === 'deleting'
        ? 'left by an interrupted removal'
        : p.how === 'orphan'
          ? 'manifest of an archive that is gone'
          : 'left by an interrupted run',
    );
    try {
      // A `.deleting-` name is already out of every listing: deleted as it is.
      if (p.how === 'deleting') await fs.purge(p.path, p.type);
      else await fs.remove(p.path, p.type);
      hooks.after(p.path, true);
      out.push(p.name);
    } catch (e) {
      hooks.after(p.path, false, (e as Error).message);
    }
  }
  return out;
}
