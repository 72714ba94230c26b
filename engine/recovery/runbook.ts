// The disaster-recovery runbook of a plan (SPEC §11, `backplan runbook`): one chapter per host
// that can be lost. A pure function of the plan model, the journals read from a state directory
// (newest good run of each job, newest measured restore) and the moment it is written for, so
// that the same inputs give the same runbook, byte for byte (engine/recovery/render.ts).
//
// For a lost host H:
// - what is lost: the enabled jobs whose source data is on H (the job runs there, or its source
//   storage is there), whose output lands on a storage of H, or whose tool runs on H;
// - per data unit of the 3-2-1 chains (engine/coverage/chains.ts) whose live data is on H, the
//   copies that survive (every non-live copy whose location is not on H); a unit with none is
//   UNRECOVERABLE, listed first; a unit whose live data is elsewhere but which had a copy on H is
//   only less protected (listed as a lost copy);
// - one restore step per (job, storage) that brings a lost unit back, from the first surviving
//   copy `backplan restore` can read (chain order: the copy nearest the source). A copy made by
//   an rsync job that copies another job's output (`from: J`) is restored as J, read from the
//   rsync job's storage (that is what `backplan restore --from-storage` reads). Each step has the
//   exact `backplan restore ... --dry-run` argv and the tool argv the restore runs (from the
//   kind's restorer, with the copy's name left as a placeholder: which copy is newest is only
//   known on the day), or says why there is none (a kind `backplan restore` cannot restore);
// - the restore ORDER: a step after the steps of the jobs its restore needs first (recovery/rto.ts:
//   `after:` and incremental bases), and database dumps before the file restores (an application
//   comes back onto its database); plan order otherwise;
// - the secrets each step needs, by name only (`*_env` variables, `*_file` paths, ssh identities,
//   gpg keys), never a value;
// - the newest copy's age against the `rpo` and the last measured restore (its chain included)
//   against the `rto`, when the journals are known.
import { computeChains, sourceLocation, type ChainCopy, type ChainLocation, type UnitCoverage } from '../coverage/chains';
import type { JobModel, PlanModel } from '../plan/model';
import { approxMs, parseDuration } from '../time/duration';
import { Hosts } from '../run/exec/hosts';
import { LOCAL } from '../run/exec/quote';
import { Redactor } from '../run/exec/redact';
import { restorerFor } from '../run/restore/index';
import type { KindContext, RestoreAction, RestoreCopy } from '../run/restore/types';
import { planSteps } from '../run/steps/plan-steps';
import type { Step } from '../run/steps/step';
import type { MeasuredRestore } from './measured';
import { restoreDependencies, rtoSum } from './rto';

/** Where file restores are written (`--to RESTORE_ROOT/JOB`): a new directory, moved into place by hand. */
export const RESTORE_ROOT = '/srv/restore';
/** The placeholder for the copy's name in tool argv. */
export const NEWEST = '<newest copy>';

const DB_KINDS = new Set(['pg-dump', 'mysql-dump']);

export interface RunbookInput {
  plan: PlanModel;
  /** The plan file as the reader should type it in `backplan restore`. */
  planPath: string;
  /** The moment the runbook is written for (epoch ms). */
  now: number;
  /** Whether `now` was fixed by the caller (`--at`): then no "generated at" line. */
  fixed: boolean;
  /** Only these hosts (`--lost`); every host of the plan otherwise. */
  lost?: readonly string[];
  /** From a state directory; absent: ages and restore times are unknown. */
  journal?: {
    lastSuccess: ReadonlyMap<string, string>;
    restores: ReadonlyMap<string, MeasuredRestore>;
  };
  /** The plan's folder (chains compare relative local paths against it). */
  baseDir?: string;
}

export interface CopyPlace {
  /** "`nfs-share`", "the local disk of `web`". */
  label: string;
  storage?: string;
  host?: string;
  site?: string;
  media?: string;
  offsite: boolean;
  immutable: boolean;
  /** The job whose output it is. */
  via: string;
}

export interface UnrecoverableData {
  data: string;
  /** The jobs without `from` that read it. */
  roots: string[];
  why: string;
}

export interface LostJob {
  job: string;
  kind: string;
  /** Why it is affected: its source data is on the host, its output lands there, its tool runs there. */
  reasons: ('source' | 'storage' | 'runs')[];
}

export interface SurvivingData {
  data: string;
  roots: string[];
  copies: CopyPlace[];
}

export interface LostCopy {
  data: string;
  /** Where the lost copy was. */
  place: string;
  via: string;
}

export interface Secret {
  /** The environment variable or file name (never its value). */
  name: string;
  type: 'env' | 'file' | 'ssh-identity' | 'gpg-key';
  /** The plan paths declaring it, e.g. `jobs.app.password_env`. */
  declared: string[];
  /** The restore steps (by job) that need it. */
  neededBy: string[];
}

export interface ToolAction {
  host: string;
  description: string;
  argv?: string[];
}

export interface RestoreStep {
  n: number;
  job: string;
  kind: string;
  data: string[];
  /** The storage the copy is read from (undefined: a place that is not a storage). */
  fromStorage?: string;
  place: string;
  target: string;
  /** The earlier steps (by job) this one needs. */
  needs: string[];
  /** `backplan restore ... --dry-run`, or undefined when `backplan restore` cannot restore the kind. */
  backplan?: string[];
  /** The actions of the kind's own restore, when they can be known in advance. */
  tool?: ToolAction[];
  /** What to know about the argv (why there is none, what the placeholder means ...). */
  notes: string[];
  copyAge?: { newest?: string; ageSeconds?: number; rpo?: string; ok?: boolean };
  restoreTime?: { rto?: string; seconds?: number; unmeasured: string[]; ok?: boolean };
  secrets: string[];
}

export interface Chapter {
  host: string;
  address?: string;
  site?: string;
  role?: string;
  unrecoverable: UnrecoverableData[];
  lost: LostJob[];
  surviving: SurvivingData[];
  lostCopies: LostCopy[];
  steps: RestoreStep[];
  secrets: Secret[];
  notes: string[];
}

export interface Runbook {
  plan: string;
  /** ISO time the runbook is written for. */
  at: string;
  /** Set when the time was not fixed (`--at` absent): the "generated at" header. */
  generatedAt?: string;
  journal: boolean;
  chapters: Chapter[];
}

export class RunbookError extends Error {}

const onHost = (loc: ChainLocation | undefined, host: string) => loc?.host === host;

function place(c: ChainCopy): CopyPlace {
  const l = c.location;
  return {
    label: l.label.replace(/`/g, ''),
    ...(l.storage !== undefined ? { storage: l.storage } : {}),
    ...(l.host !== undefined ? { host: l.host } : {}),
    ...(l.site !== undefined ? { site: l.site } : {}),
    ...(l.media !== undefined ? { media: l.media } : {}),
    offsite: c.offsite,
    immutable: l.immutable,
    via: c.via ?? '',
  };
}

const strip = (label: string) => label.replace(/`/g, '');

/** The job `backplan restore` is run for to read a copy made by `via`, and why. */
function restoreJobFor(plan: PlanModel, via: JobModel): JobModel {
  if (via.kind === 'rsync' && via.from !== undefined) {
    const from = plan.jobs.get(via.from);
    if (from && (from.kind === 'archive' || DB_KINDS.has(from.kind))) return from;
  }
  return via;
}

function stepsOf(plan: PlanModel, job: string, now: number): Step[] | string {
  const p = planSteps(
    { ...plan, jobs: new Map([...plan.jobs].map(([n, m]) => [n, n === job ? { ...m, enabled: true } : m])) },
    { job, now, alone: true },
  );
  const errs = p.errors.filter((e) => e.job === job);
  return errs.length ? errs.map((e) => e.message).join('; ') : p.steps;
}

const RANDOM_DB = /backplan_restore_[0-9a-f]{12}/g;

/** The kind's own restore actions for the newest copy, read from its restorer (pure: nothing runs). */
function toolActions(plan: PlanModel, job: JobModel, storage: string | undefined, target: string, now: number): ToolAction[] | string {
  const restorer = restorerFor(job.kind);
  if (!restorer) return `no \`backplan restore\` for kind ${job.kind} yet`;
  const steps = stepsOf(plan, job.name, now);
  if (typeof steps === 'string') return steps;
  const ctx: KindContext = { plan, job, steps, x: { hosts: new Hosts(plan, { multiplex: false }), redactor: new Redactor() } };
  const host = (storage !== undefined ? plan.storage.get(storage)?.host : undefined) ?? LOCAL;
  const copy: RestoreCopy = { name: NEWEST, time: now, path: NEWEST, host, storage: storage ?? '' };
  // Snapshot kinds read their argv from live state (mountpoints, snapshot directories): nothing runs here.
  if (restorer.target === 'instance' || (restorer.target === 'files' && restorer.live))
    return 'it is read from the live snapshots and mountpoints';
  try {
    const actions =
      restorer.target === 'tool'
        ? restorer.restore(ctx, copy, { to: target, inPlace: false, stamp: 'STAMP', placeholder: true }).actions
        : restorer.target === 'database'
        ? restorer.restore(ctx, copy, { database: target, stamp: 'STAMP' }).actions
        : (restorer.restore(ctx, copy, `${target}.partial`, []) as RestoreAction[]);
    return actions.map((a) => ({
      host: a.host,
      description: a.description.replace(RANDOM_DB, 'backplan_restore_<random>'),
      ...(a.argv ? { argv: a.argv.map((w) => w.replace(RANDOM_DB, 'backplan_restore_<random>')) } : {}),
    }));
  } catch (e) {
    return (e as Error).message;
  }
}

function databaseOf(job: JobModel): string {
  const d = job.raw.database;
  return typeof d === 'string' ? d : Array.isArray(d) && typeof d[0] === 'string' ? d[0] : job.name;
}

/** Every `*_env` / `*_file` string under `value`, with its plan path. */
function secretFields(value: unknown, path: string, out: { name: string; type: Secret['type']; declared: string }[]): void {
  if (Array.isArray(value)) {
    value.forEach((v, i) => secretFields(v, `${path}[${i}]`, out));
    return;
  }
  if (value === null || typeof value !== 'object') return;
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (k === 'notify' || k === 'accept' || k === 'description') continue;
    const at = `${path}.${k}`;
    if (typeof v === 'string' && /_env$/.test(k)) out.push({ name: v, type: 'env', declared: at });
    else if (typeof v === 'string' && /_file$/.test(k)) out.push({ name: v, type: 'file', declared: at });
    else if (k === 'recipient' && typeof v === 'string' && path.endsWith('.gpg')) out.push({ name: `the gpg secret key of ${v}`, type: 'gpg-key', declared: at });
    else secretFields(v, at, out);
  }
}

function secretsOf(plan: PlanModel, job: JobModel, storage: string | undefined): { name: string; type: Secret['type']; declared: string }[] {
  const out: { name: string; type: Secret['type']; declared: string }[] = [];
  secretFields(job.raw, `jobs.${job.name}`, out);
  const storages = [...new Set([job.to, job.storage, storage].filter((s): s is string => s !== undefined))];
  const hosts = new Set<string>();
  if (job.host !== undefined) hosts.add(job.host);
  for (const s of storages) {
    const m = plan.storage.get(s);
    if (!m) continue;
    secretFields(m.raw, `storage.${s}`, out);
    if (m.host !== undefined) hosts.add(m.host);
  }
  for (const h of hosts) {
    const m = plan.hosts.get(h);
    if (!m) continue;
    if (typeof m.raw.identity === 'string') out.push({ name: m.raw.identity, type: 'ssh-identity', declared: `hosts.${h}.identity` });
    secretFields(m.raw, `hosts.${h}`, out);
  }
  return out;
}

function ageOf(plan: PlanModel, via: JobModel, root: JobModel | undefined, input: RunbookInput): RestoreStep['copyAge'] {
  if (!input.journal) return undefined;
  const rpo = via.rpo ?? root?.rpo;
  const newest = input.journal.lastSuccess.get(via.name);
  const d = rpo !== undefined ? parseDuration(rpo) : undefined;
  if (newest === undefined) return { ...(rpo !== undefined ? { rpo } : {}) };
  const ageSeconds = Math.max(0, Math.round((input.now - Date.parse(newest)) / 1000));
  return { newest, ageSeconds, ...(rpo !== undefined ? { rpo } : {}), ...(d?.ok ? { ok: ageSeconds * 1000 <= approxMs(d.value) } : {}) };
}

interface Candidate {
  unit: UnitCoverage;
  copy: ChainCopy;
  job: JobModel;
  root?: JobModel;
}

function chapter(plan: PlanModel, host: string, chains: ReturnType<typeof computeChains>, input: RunbookInput): Chapter {
  const h = plan.hosts.get(host)!;
  const lost = new Map<string, LostJob>();
  const mark = (job: JobModel, why: LostJob['reasons'][number]) => {
    const l = lost.get(job.name) ?? { job: job.name, kind: job.kind, reasons: [] };
    if (!l.reasons.includes(why)) l.reasons.push(why);
    lost.set(job.name, l);
  };
  const unrecoverable: UnrecoverableData[] = [];
  const surviving: SurvivingData[] = [];
  const lostCopies: LostCopy[] = [];
  const candidates: Candidate[] = [];
  const seenUnit = new Set<string>();
  for (const chain of chains) {
    if (!chain.enabled) continue;
    for (const m of chain.members) {
      const j = plan.jobs.get(m);
      if (!j || !j.enabled) continue;
      const landing = chain.landing[m];
      if (chain.roots.includes(m) && onHost(sourceLocation(plan, j), host)) mark(j, 'source');
      else if (j.from !== undefined && onHost(chain.landing[j.from], host)) mark(j, 'source');
      if (onHost(landing, host)) mark(j, 'storage');
    }
    for (const u of chain.units) {
      const key = `${u.key}\0${u.roots.join(',')}`;
      if (seenUnit.has(key)) continue;
      seenUnit.add(key);
      const kept = u.copies.filter((c) => !c.live && !onHost(c.location, host) && c.via !== undefined && plan.jobs.get(c.via)?.enabled !== false);
      if (!onHost(u.source, host)) {
        for (const c of u.copies)
          if (!c.live && onHost(c.location, host)) lostCopies.push({ data: strip(u.label), place: strip(c.location.label), via: c.via ?? '' });
        continue;
      }
      if (kept.length === 0) {
        const onIt = u.copies.filter((c) => !c.live);
        unrecoverable.push({
          data: strip(u.label),
          roots: u.roots,
          why:
            onIt.length === 0
              ? `no job copies it anywhere: the live data on ${strip(u.source.label)} is the only copy`
              : `every copy is on ${host}: the live data on ${strip(u.source.label)}, and ${onIt
                  .map((c) => `${strip(c.location.label)} (via ${c.via})`)
                  .join(', ')}`,
        });
        continue;
      }
      surviving.push({ data: strip(u.label), roots: u.roots, copies: kept.map(place) });
      const restorable = kept.find((c) => restorerFor(restoreJobFor(plan, plan.jobs.get(c.via!)!).kind));
      const c = restorable ?? kept[0];
      const via = plan.jobs.get(c.via!)!;
      candidates.push({ unit: u, copy: c, job: via, ...(plan.jobs.get(u.roots[0]) ? { root: plan.jobs.get(u.roots[0])! } : {}) });
    }
  }
  for (const j of plan.jobs.values()) if (j.enabled && j.host === host) mark(j, 'runs');

  // One step per (restore job, storage).
  interface Draft {
    job: JobModel;
    via: JobModel;
    root?: JobModel;
    copy: ChainCopy;
    data: string[];
    covers: Set<string>;
  }
  const drafts = new Map<string, Draft>();
  for (const cand of candidates) {
    const rj = restoreJobFor(plan, cand.job);
    const key = `${rj.name}\0${cand.copy.location.key}`;
    const d = drafts.get(key) ?? { job: rj, via: cand.job, ...(cand.root ? { root: cand.root } : {}), copy: cand.copy, data: [], covers: new Set<string>() };
    if (!d.data.includes(strip(cand.unit.label))) d.data.push(strip(cand.unit.label));
    for (const n of [rj.name, cand.job.name, ...cand.unit.roots]) d.covers.add(n);
    drafts.set(key, d);
  }
  const index = new Map([...plan.jobs.keys()].map((n, i) => [n, i]));
  const list = [...drafts.values()];
  const needs = new Map<Draft, Set<Draft>>();
  for (const d of list) {
    const s = new Set<Draft>();
    for (const dep of restoreDependencies(plan, d.job.name)) {
      const other = list.find((o) => o !== d && o.covers.has(dep.job));
      if (other) s.add(other);
    }
    needs.set(d, s);
  }
  // Kahn's order: a step once every step it needs is placed; among those ready, dumps first, then plan order.
  const ordered: Draft[] = [];
  const placed = new Set<Draft>();
  const rank = (d: Draft) => [DB_KINDS.has(d.job.kind) ? 0 : 1, index.get(d.job.name) ?? 0, d.copy.location.key] as const;
  const before = (a: Draft, b: Draft) => {
    const ra = rank(a);
    const rb = rank(b);
    return ra[0] - rb[0] || ra[1] - rb[1] || (ra[2] < rb[2] ? -1 : ra[2] > rb[2] ? 1 : 0);
  };
  while (ordered.length < list.length) {
    const ready = list.filter((d) => !placed.has(d) && [...needs.get(d)!].every((x) => placed.has(x)));
    // A cycle (a plan with errors): place the rest in rank order.
    const pick = (ready.length ? ready : list.filter((d) => !placed.has(d))).sort(before)[0];
    placed.add(pick);
    ordered.push(pick);
  }

  const secretMap = new Map<string, Secret>();
  const steps: RestoreStep[] = ordered.map((d, i) => {
    const isDb = DB_KINDS.has(d.job.kind);
    const storage = d.copy.location.storage;
    const restorer = restorerFor(d.job.kind);
    // A kind restored by its own tool makes a new object: its name is the reader's to choose.
    const byTool = restorer?.target === 'tool' ? restorer : undefined;
    // Snapshot kinds restored whole: a new dataset, subvolume or instance the restorer names.
    const whole = restorer?.target === 'instance' || restorer?.target === 'files' ? restorer.whole : undefined;
    const suggested = whole?.suggest(plan, d.job, `${RESTORE_ROOT}/${d.job.name}`);
    const target = isDb
      ? databaseOf(d.job)
      : byTool
        ? byTool.placeholder
        : (suggested?.target ?? `${RESTORE_ROOT}/${d.job.name}`);
    const notes: string[] = [];
    const backplan = restorer
      ? [
          'backplan', 'restore', input.planPath, '--job', d.job.name,
          ...(storage !== undefined ? ['--from-storage', storage] : []),
          '--to', target, '--dry-run',
        ]
      : undefined;
    const tool = toolActions(plan, d.job, storage, target, input.now);
    if (!restorer) notes.push(`\`backplan restore\` cannot restore a ${d.job.kind} job yet: restore the copy on ${strip(d.copy.location.label)} with ${d.job.kind}'s own tools, by hand`);
    else if (typeof tool === 'string') notes.push(`the tool argv cannot be shown: ${tool}; the \`backplan restore --dry-run\` line lists it on the day`);
    else notes.push(`\`${NEWEST}\` stands for the copy \`backplan restore\` chooses (the newest good one); the dry run names it`);
    if (d.job !== d.via) notes.push(`the copy is ${d.via.name}'s replica of ${d.job.name}'s output, on ${storage ?? d.copy.location.label}`);
    if (byTool)
      notes.push(
        `restored by ${d.job.kind}'s own tool as a new object: \`${target}\` stands for its name, choose one ` +
          'that is free; nothing existing is replaced',
      );
    else if (suggested) notes.push(suggested.note);
    else if (!isDb && restorer) notes.push(`restored under ${target} (each path at ${target} + its absolute path); move it into place once checked`);
    if (isDb) notes.push(`restored into the database ${target} on the job's server (it must not exist or be empty)`);
    const rootKind = d.root?.kind;
    if (d.root && d.root.name !== d.job.name && rootKind !== undefined && !restorerFor(rootKind) && d.job.from === d.root.name)
      notes.push(`this gives back ${d.root.name}'s output (${rootKind}); put that back with ${rootKind}'s own restore`);
    const rootTool = rootKind !== undefined ? restorerFor(rootKind) : undefined;
    if (d.root && d.root.name !== d.job.name && rootTool?.target === 'tool' && d.job.from === d.root.name)
      notes.push(
        `this gives back ${d.root.name}'s output (${rootKind}): put it back where ${d.root.name} keeps it, then ` +
          `\`backplan restore ${input.planPath} --job ${d.root.name} --to ${rootTool.placeholder}\``,
      );
    const sum = rtoSum(plan, d.job.name, input.journal?.restores);
    const sec = secretsOf(plan, d.job, storage);
    for (const s of sec) {
      const k = `${s.type}\0${s.name}`;
      const e = secretMap.get(k) ?? { name: s.name, type: s.type, declared: [], neededBy: [] };
      if (!e.declared.includes(s.declared)) e.declared.push(s.declared);
      if (!e.neededBy.includes(d.job.name)) e.neededBy.push(d.job.name);
      secretMap.set(k, e);
    }
    const step: RestoreStep = {
      n: i + 1,
      job: d.job.name,
      kind: d.job.kind,
      data: d.data,
      ...(storage !== undefined ? { fromStorage: storage } : {}),
      place: strip(d.copy.location.label),
      target,
      needs: ordered.filter((o) => needs.get(d)!.has(o)).map((o) => o.job.name),
      ...(backplan ? { backplan } : {}),
      ...(typeof tool !== 'string' ? { tool } : {}),
      notes,
      ...(input.journal ? { copyAge: ageOf(plan, d.via, d.root, input) } : {}),
      ...(input.journal || sum.rto
        ? {
            restoreTime: {
              ...(sum.rto ? { rto: sum.rto.text } : {}),
              ...(input.journal && sum.unmeasured.length < sum.parts.length ? { seconds: sum.seconds } : {}),
              unmeasured: input.journal ? sum.unmeasured : sum.parts.map((p) => p.job),
              ...(input.journal && sum.rto && (sum.unmeasured.length === 0 || sum.exceeded) ? { ok: !sum.exceeded } : {}),
            },
          }
        : {}),
      secrets: [...new Set(sec.map((s) => s.name))],
    };
    return step;
  });
  const notes: string[] = [];
  if (steps.some((s) => plan.jobs.get(s.job)?.host === host))
    notes.push(`Restores of jobs that run on ${host} run on ${host}: rebuild it first (same name in the plan), or point hosts.${host}.address at its replacement.`);
  return {
    host,
    ...(h.address !== undefined ? { address: h.address } : {}),
    ...(h.site !== undefined ? { site: h.site } : {}),
    ...(h.role !== undefined ? { role: h.role } : {}),
    unrecoverable,
    lost: [...lost.values()].sort((a, b) => (index.get(a.job) ?? 0) - (index.get(b.job) ?? 0)),
    surviving,
    lostCopies,
    steps,
    secrets: [...secretMap.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.type < b.type ? -1 : a.type > b.type ? 1 : 0)),
    notes,
  };
}

export function buildRunbook(input: RunbookInput): Runbook {
  const { plan } = input;
  const hosts = input.lost ? [...new Set(input.lost)] : [...plan.hosts.keys()];
  for (const h of hosts) if (!plan.hosts.has(h)) throw new RunbookError(`no host \`${h}\` in the plan`);
  const chains = computeChains(plan, { ...(input.baseDir !== undefined ? { baseDir: input.baseDir } : {}) });
  const at = new Date(input.now).toISOString();
  return {
    plan: input.planPath,
    at,
    ...(input.fixed ? {} : { generatedAt: at }),
    journal: input.journal !== undefined,
    chapters: hosts.map((h) => chapter(plan, h, chains, input)),
  };
}
