// The quick fix of coverage-3-2-1: copy jobs that close the chain's shortfall. Each new job
// copies from the chain (`from:` its snapshot job, with the kind that sends it: zfs-send,
// btrfs-send and incus-copy copy a snapshot job; else its last job, whose output directory a
// restic job reads) to a storage that holds no copy of the unit yet, chosen for what is missing
// (another site, another media, immutable); when the plan has no such storage, a storage
// skeleton is written too (an object store on another site, its URL to fill in). Kinds whose
// copies this does not know how to make get no fix.
import type { Fix, TextEdit } from '../../findings';
import type { Chain, CoverageTarget } from '../../coverage/chains';
import { outputUnit } from '../../coverage/same-data';
import type { JobModel, PlanModel, StorageModel } from '../../plan/model';
import type { CheckContext } from '../rule';
import { envNameOf, insertEntries, type Field } from './insert';

/** The kind that sends each snapshot kind's snapshots to another storage. */
const SENDER: Record<string, string> = {
  'zfs-snapshot': 'zfs-send',
  'btrfs-snapshot': 'btrfs-send',
  'incus-snapshot': 'incus-copy',
};

interface Need {
  copies: number;
  media: boolean;
  offsite: boolean;
  immutable: boolean;
}

const siteOf = (plan: PlanModel, s: StorageModel) =>
  s.site ?? (s.host !== undefined ? plan.hosts.get(s.host)?.site : undefined);

/** A name not yet used in `taken`: `base`, else `base-2`, `base-3` ... */
function freeName(base: string, taken: Set<string>): string {
  let name = base;
  for (let i = 2; taken.has(name); i++) name = `${base}-${i}`;
  taken.add(name);
  return name;
}

/** How the copies are made: the job they copy from, its kind, and the fields of a new job. */
interface Copier {
  from: JobModel;
  /** Whether a storage can receive this kind of copy. */
  fits(s: StorageModel): boolean;
  fields(name: string, to: string): Field[];
}

function copierOf(ctx: CheckContext, chain: Chain): Copier | undefined {
  const plan = ctx.model;
  const unit = chain.worst;
  const jobs = [...unit.jobs, ...unit.downstream]
    .map((n) => plan.jobs.get(n))
    .filter((j): j is JobModel => !!j && j.enabled);
  const snap = jobs.find((j) => SENDER[j.kind] !== undefined);
  if (snap) {
    const kind = SENDER[snap.kind];
    // a zfs dataset or Incus instance received keeps the source's name, unless the target host has it
    const field = kind === 'zfs-send' ? 'dataset' : kind === 'incus-copy' ? 'instance' : undefined;
    const used = new Set(field ? [`${snap.host}:${String(snap.raw[field])}`] : []);
    return {
      from: snap,
      fits: (s) => s.host !== undefined && plan.hosts.has(s.host) && (kind !== 'btrfs-send' || s.path !== undefined),
      fields: (_name, to) => {
        const fields: Field[] = [
          ['kind', kind],
          ['from', snap.name],
        ];
        if (snap.host !== undefined) fields.push(['host', snap.host]);
        fields.push(['to', to]);
        if (field) {
          const source = String(snap.raw[field]);
          const host = plan.storage.get(to)?.host;
          const name = used.has(`${host}:${source}`) ? `${source}-${to}` : source;
          used.add(`${host}:${name}`);
          // zfs-send needs its dataset; an incus-copy names its instance only when it differs
          if (kind === 'zfs-send' || name !== source) fields.push([field, name]);
        }
        // the copy must not boot beside the instance it protects (autostart-on-standby)
        if (kind === 'incus-copy') fields.push(['autostart', 'false']);
        return fields;
      },
    };
  }
  if (jobs.some((j) => j.kind.includes('snapshot') || j.kind.endsWith('-send') || j.kind === 'incus-copy'))
    return undefined;
  const last = jobs[jobs.length - 1];
  const out = last ? outputUnit(plan, last, ctx.baseDir) : undefined;
  if (!last || !out || !out.path.startsWith('/') || !plan.hosts.has(out.host)) return undefined;
  return {
    from: last,
    fits: (s) => s.url !== undefined || (s.path !== undefined && s.host !== undefined && plan.hosts.has(s.host)),
    fields: (name, to) => [
      ['kind', 'restic'],
      ['from', last.name],
      ['host', out.host],
      ['paths', `[${out.path}]`],
      ['to', to],
      ['password_env', `BACKPLAN_${envNameOf(name)}_PASSWORD`],
    ],
  };
}

/**
 * The fix: one copy job per copy still missing, onto the storages that best close the gap.
 * Undefined when the chain's kinds are not ones it can copy or the text cannot take the edits.
 */
export function coverageFix(ctx: CheckContext, chain: Chain, target: CoverageTarget): Fix | undefined {
  const plan = ctx.model;
  const counts = chain.counts;
  const need: Need = {
    copies: Math.max(0, target.copies - counts.copies),
    media: counts.media < target.media,
    offsite: counts.offsite < target.offsite,
    immutable: counts.immutable < target.immutable,
  };
  if (need.copies === 0 && !need.media && !need.offsite && !need.immutable) return undefined; // only `verified` missing
  const copier = copierOf(ctx, chain);
  if (!copier) return undefined;
  const sourceSite = chain.source.site;
  const held = new Set(chain.copies.map((c) => c.location.storage).filter((s): s is string => s !== undefined));
  const media = new Set(chain.media);
  const candidates = [...plan.storage.values()].filter((s) => !held.has(s.name) && copier.fits(s));

  const score = (s: StorageModel) => {
    const site = siteOf(plan, s);
    return (
      (need.offsite && site !== undefined && sourceSite !== undefined && site !== sourceSite ? 4 : 0) +
      (need.media && s.media !== undefined && !media.has(s.media) ? 2 : 0) +
      (need.immutable && s.immutable === true ? 1 : 0)
    );
  };
  const chosen: string[] = [];
  const newStorage: [string, Field[]][] = [];
  const taken = new Set([...plan.storage.keys()]);
  // bounded: each round closes part of the gap, and no target asks for more than a few copies
  for (let round = 0; need.copies > 0 || need.media || need.offsite || need.immutable; round++) {
    if (round >= 6) return undefined;
    const best = candidates
      .filter((s) => !chosen.includes(s.name))
      .map((s) => ({ s, v: score(s) }))
      .sort((a, b) => b.v - a.v)[0];
    // a storage that adds nothing wanted besides a copy is taken only when copies are missing
    if (best && (best.v > 0 || (need.copies > 0 && !need.media && !need.offsite && !need.immutable))) {
      chosen.push(best.s.name);
      const site = siteOf(plan, best.s);
      if (site !== undefined && sourceSite !== undefined && site !== sourceSite) need.offsite = false;
      if (best.s.media !== undefined && !media.has(best.s.media)) {
        media.add(best.s.media);
        need.media = media.size < target.media;
      }
      if (best.s.immutable) need.immutable = false;
      need.copies = Math.max(0, need.copies - 1);
      continue;
    }
    // none fits: a storage on another site, of a media the chain lacks
    if (SENDER[copier.from.kind]) return undefined; // a send needs a target host: nothing to invent
    const name = freeName(`offsite-${chain.root}`, taken);
    const site = sourceSite === 'offsite' ? 'offsite-2' : 'offsite';
    const medium = ['object', 'tape', 'hdd'].find((m) => !media.has(m)) ?? 'object';
    media.add(medium);
    newStorage.push([
      name,
      [
        ['site', site],
        ['media', medium],
        ...(need.immutable ? ([['immutable', 'true']] as Field[]) : []),
        ['url', `"s3:https://s3.example.org/${name}"`],
      ],
    ]);
    chosen.push(name);
    need.offsite = need.immutable = false;
    need.media = media.size < target.media;
    need.copies = Math.max(0, need.copies - 1);
  }

  const jobNames = new Set([...plan.jobs.keys()]);
  const jobs = chosen.map((to): [string, Field[]] => {
    const name = freeName(`${copier.from.name}-to-${to}`, jobNames);
    return [name, copier.fields(name, to)];
  });
  const edits: TextEdit[] = [];
  if (newStorage.length > 0) {
    const e = insertEntries(ctx.text, ctx.doc, 'storage', newStorage);
    if (!e) return undefined;
    edits.push(e);
  }
  const e = insertEntries(ctx.text, ctx.doc, 'jobs', jobs);
  if (!e) return undefined;
  edits.push(e);
  const what = jobs.map(([n]) => `\`${n}\``).join(', ');
  const title =
    `Add ${jobs.length === 1 ? 'a copy job' : 'copy jobs'} ${what} to ${chosen.map((s) => `\`${s}\``).join(', ')}` +
    (newStorage.length > 0 ? ` (new storage ${newStorage.map(([n]) => `\`${n}\``).join(', ')}: fill in its url)` : '');
  return { title, edits };
}
