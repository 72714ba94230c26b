// What the kinds' restores share: finding the job's backup step, listing copies that are files
// (archives, dumps) on the job's own storage or inside the dated directories of an rsync job
// that copies the job's output (`from: J`), and a few fixed commands on the target's host.
import type { JobModel, PlanModel } from '../../plan/model';
import { fsFor } from '../exec/files';
import type { Hosts } from '../exec/hosts';
import { capture, describeExit, exitOk } from '../exec/process';
import { listCopies } from '../prune/copies';
import type { BuiltinStep, CommandStep, Inventory, Step } from '../steps/step';
import { RestoreError, type CopyListing, type KindContext, type RestoreCopy } from './types';

export type FilesInventory = Extract<Inventory, { type: 'files' | 'directories' }>;

/** The job's backup command step (the one whose argv the restore reuses). */
export function backupStep(ctx: KindContext, what = ctx.job.kind): CommandStep {
  const s = ctx.steps.find((x): x is CommandStep => x.type === 'command' && x.phase === 'backup');
  if (!s) throw new RestoreError(`job ${ctx.job.name}: no ${what} step to restore from`);
  return s;
}

export function builtinStep(ctx: KindContext): BuiltinStep {
  const s = ctx.steps.find((x): x is BuiltinStep => x.type === 'builtin');
  if (!s) throw new RestoreError(`job ${ctx.job.name}: no archive step to restore from`);
  return s;
}

/** The storage name of the plan whose host and path hold `dir`. */
export function storageOf(job: JobModel): string {
  return job.to ?? job.storage ?? '?';
}

/** The zone copy names are read in: the job's host's, else the plan's. */
export function zoneOf(job: JobModel, plan: PlanModel): string {
  return (job.host !== undefined ? plan.hosts.get(job.host)?.timezone : undefined) || plan.timezone || 'UTC';
}

/** Copies that are files or directories in an inventory directory, newest first. */
export async function listInventory(
  ctx: KindContext,
  inv: FilesInventory,
  storage: string,
  why: string,
  opts: { needManifest?: boolean; namer?: JobModel } = {},
): Promise<CopyListing> {
  const listed = await listCopies(inv, opts.namer ?? ctx.job, zoneOf(opts.namer ?? ctx.job, ctx.plan), fsFor(inv.host, ctx.x.hosts));
  const copies: RestoreCopy[] = [];
  for (const c of listed.copies) {
    const manifest = listed.companions.get(c.name);
    if (opts.needManifest && !manifest) continue;
    copies.push({ name: c.name, time: c.time, path: c.path, host: inv.host, storage, ...(manifest ? { manifest } : {}) });
  }
  return { storage, copies, why };
}

/**
 * The job's file copies as rsync jobs that copy its output hold them (`from: J`, `paths`
 * holding J's directory): inside each dated directory of the replica, at the directory's path
 * + J's directory (rsync --relative keeps whole paths). Newest replica directory first; a copy
 * name appears once, from the newest replica directory that holds it.
 */
export async function rsyncReplicaListings(
  ctx: KindContext,
  own: FilesInventory,
  stepsOf: (job: string) => Step[] | undefined,
  opts: { needManifest?: boolean } = {},
): Promise<{ listings: CopyListing[]; refused: string[] }> {
  const listings: CopyListing[] = [];
  const refused: string[] = [];
  for (const r of ctx.plan.jobs.values()) {
    if (r.from !== ctx.job.name) continue;
    if (r.kind !== 'rsync') {
      refused.push(
        `${r.name} (${r.kind}) copies ${ctx.job.name}'s output to ${storageOf(r)}, but restoring a copy from a ${r.kind} ` +
          `replica is not implemented yet: restore ${r.name} first (backplan restore --job ${r.name})`,
      );
      continue;
    }
    const steps = stepsOf(r.name);
    const backup = steps?.find(
      (s): s is CommandStep => s.type === 'command' && s.phase === 'backup' && s.inventory?.type === 'directories',
    );
    if (!backup?.inventory || backup.inventory.type !== 'directories') continue;
    const dirs = await listCopies(backup.inventory, r, zoneOf(r, ctx.plan), fsFor(backup.inventory.host, ctx.x.hosts));
    const seen = new Set<string>();
    const copies: RestoreCopy[] = [];
    for (const d of dirs.copies) {
      const inv: FilesInventory = { type: 'files', host: backup.inventory.host, dir: `${d.path}${own.dir}`, match: own.match };
      const inside = await listInventory(ctx, inv, storageOf(r), '', opts);
      for (const c of inside.copies) {
        if (seen.has(c.name)) continue;
        seen.add(c.name);
        copies.push(c);
      }
    }
    copies.sort((a, b) => b.time - a.time || (a.name < b.name ? 1 : -1));
    listings.push({ storage: storageOf(r), copies, why: `the replica written by rsync job ${r.name}` });
  }
  return { listings, refused };
}

/** Run a fixed argv on `host`, throwing RestoreError with its words when it fails. */
export async function onHost(hosts: Hosts, host: string, argv: string[], what: string): Promise<string> {
  await hosts.ready(host);
  const r = await capture(hosts.argv(host, argv));
  if (!exitOk(r)) throw new RestoreError(`${what}${host === 'local' ? '' : ` on ${host}`}: ${describeExit(argv[0], r)}`);
  return r.stdout.toString('utf8');
}

/** Total size in bytes of the regular files under `root` on `host`. */
export async function treeBytes(hosts: Hosts, host: string, root: string): Promise<number> {
  const out = await onHost(hosts, host, ['find', root, '-type', 'f', '-printf', '%s\\n'], `cannot measure ${root}`);
  let n = 0;
  for (const l of out.split('\n')) if (l) n += Number(l);
  return n;
}

/** `/a/b` → `a/b` (the name a tree restored under a root gives it). */
export function rel(path: string): string {
  return path.replace(/^\/+/, '');
}
