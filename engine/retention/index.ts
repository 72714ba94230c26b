// The pruning engines and how a job picks one: the engine is fixed by the job's kind (SPEC §3),
// with one choice left to the policy: an incus-snapshot job whose policy has only `expiry` is
// pruned by Incus itself (`snapshots.expiry`), any other incus-snapshot policy by Backplan.
import { kindInfo } from '../kinds';
import type { JobModel, PlanModel, PolicyModel } from '../plan/model';
import { borgEngine } from './borg';
import { btrbkEngine, btrbkTargetEngine } from './btrbk';
import { duplicityEngine } from './duplicity';
import { hasExpiry, hasTiers, isSet, keepOf } from './common';
import { incusEngine, veleroEngine } from './expiry';
import { nativeEngine } from './native';
import { pbsEngine } from './pbs';
import { resticEngine, resticEngineFor } from './restic';
import { sanoidEngine } from './sanoid';
import type { EngineId, RetentionEngine, Unsupported } from './types';

export const ENGINE_IDS = [
  'restic',
  'borg',
  'pbs',
  'native',
  'incus',
  'velero',
  'duplicity',
  'sanoid',
  'btrbk',
] as const satisfies readonly EngineId[];

/** `keep.full` and `keep.incrementals_of` count duplicity chains: no other engine has chains. */
function chainKeys(policy: PolicyModel | undefined, id: EngineId): Unsupported[] {
  const keep = keepOf(policy);
  return (['full', 'incrementals_of'] as const)
    .filter((k) => isSet(keep?.[k]))
    .map((k) => ({ key: ['keep', k], message: `\`keep.${k}\` counts duplicity chains; the ${id} engine has no chains` }));
}

/** The engine, refusing the chain-only keys besides its own refusals. */
function withoutChains(e: RetentionEngine): RetentionEngine {
  return { ...e, unsupported: (p) => [...e.unsupported(p), ...chainKeys(p, e.id)] };
}

/** `keep.frequently` and `frequent_period` are sanoid's: every other engine would drop them silently. */
function sanoidKeys(policy: PolicyModel | undefined, id: EngineId): Unsupported[] {
  const out: Unsupported[] = [];
  if (isSet(keepOf(policy)?.frequently)) {
    out.push({ key: ['keep', 'frequently'], message: `\`keep.frequently\` is sanoid's type; the ${id} engine has none` });
  }
  if (policy?.raw?.frequent_period !== undefined) {
    out.push({ key: ['frequent_period'], message: `\`frequent_period\` is sanoid's; the ${id} engine has no such period` });
  }
  return out;
}

/** The engine, refusing sanoid's own keys besides its own refusals. */
function withoutSanoid(e: RetentionEngine): RetentionEngine {
  return { ...e, unsupported: (p) => [...e.unsupported(p), ...sanoidKeys(p, e.id)] };
}

const ENGINES: Record<EngineId, RetentionEngine> = {
  restic: withoutSanoid(withoutChains(resticEngine)),
  borg: withoutSanoid(withoutChains(borgEngine)),
  pbs: withoutSanoid(withoutChains(pbsEngine)),
  native: withoutSanoid(withoutChains(nativeEngine)),
  incus: withoutSanoid(withoutChains(incusEngine)),
  velero: withoutSanoid(withoutChains(veleroEngine)),
  duplicity: withoutSanoid(duplicityEngine),
  sanoid: sanoidEngine,
  btrbk: withoutSanoid(btrbkEngine),
};

export function isEngineId(id: string): id is EngineId {
  return (ENGINE_IDS as readonly string[]).includes(id);
}

/** btrbk's target_preserve* engine, with the refusals the wrappers add after btrbk's own. */
const BTRBK_TARGET: RetentionEngine = {
  ...btrbkTargetEngine,
  unsupported: (p) => [
    ...btrbkTargetEngine.unsupported(p),
    ...ENGINES.btrbk.unsupported(p).slice(btrbkEngine.unsupported(p).length),
  ],
};

/** The engine with this id (undefined for an unknown id given as a string). */
export function getEngine(id: EngineId): RetentionEngine;
export function getEngine(id: string): RetentionEngine | undefined;
export function getEngine(id: string): RetentionEngine | undefined {
  return isEngineId(id) ? ENGINES[id] : undefined;
}

/** True when the policy uses `expiry` and nothing else that prunes (`min` aside). */
export function isExpiryOnly(policy: PolicyModel | undefined): boolean {
  const keep = keepOf(policy);
  const keepUsed = keep !== undefined && Object.values(keep).some((v) => v !== undefined && v !== null);
  return hasExpiry(policy) && !keepUsed && !hasTiers(policy);
}

/**
 * The kinds whose snapshots a `pruner` tool may prune instead of Backplan (SPEC §4).
 */
export const PRUNER_KINDS: Readonly<Record<string, readonly string[]>> = {
  // sanoid on a zfs-send: it prunes the received snapshots of a sanoid source (sanoid-send.ts).
  sanoid: ['zfs-snapshot', 'zfs-send'],
  // btrbk on a btrfs-send: its target_preserve*, with the source's section (btrbk-send.ts).
  btrbk: ['btrfs-snapshot', 'btrfs-send'],
};

/**
 * The engine id that prunes a job of `kind` with `policy`, given its `pruner` (a tool named
 * there that prunes the kind wins). Unknown kinds are pruned by Backplan.
 */
export function engineIdFor(kind: string, policy?: PolicyModel, pruner?: unknown): EngineId {
  if (typeof pruner === 'string' && PRUNER_KINDS[pruner]?.includes(kind)) return pruner as EngineId;
  const info = kindInfo(kind);
  if (!info) return 'native';
  if (info.engine === 'incus') return isExpiryOnly(policy) ? 'incus' : 'native';
  return info.engine;
}

/** Tool versions that change an engine's rules (a host's `tool_versions`). */
export interface ToolVersions {
  restic?: string;
}

/** The engine that prunes a job of `kind` with `policy`, with the rules of the declared tool versions. */
export function engineFor(
  kind: string,
  policy?: PolicyModel,
  versions: ToolVersions = {},
  pruner?: unknown,
): RetentionEngine {
  const id = engineIdFor(kind, policy, pruner);
  if (id === 'btrbk' && kind === 'btrfs-send') return BTRBK_TARGET;
  return id === 'restic' ? withoutSanoid(withoutChains(resticEngineFor(versions.restic))) : getEngine(id);
}

/** The `tool_versions` declared on a host (the tools run on the job's host). */
export function hostToolVersions(plan: PlanModel, hostName: string | undefined): ToolVersions {
  const raw = hostName === undefined ? undefined : plan.hosts.get(hostName)?.raw?.tool_versions;
  if (!raw || typeof raw !== 'object') return {};
  const restic = (raw as Record<string, unknown>).restic;
  return typeof restic === 'string' ? { restic } : {};
}

/** The engine that prunes `job` with `policy` on its host. */
export function engineForJob(plan: PlanModel, job: JobModel, policy?: PolicyModel): RetentionEngine {
  return engineFor(job.kind, policy, hostToolVersions(plan, job.host), job.raw.pruner);
}

export type { EngineId, RetentionEngine } from './types';
export { borgEngine } from './borg';
export { duplicityEngine } from './duplicity';
export { resticEngine, resticEngineFor } from './restic';
export { nativeEngine } from './native';
export { pbsEngine } from './pbs';
export { sanoidEngine } from './sanoid';
export { btrbkEngine, btrbkTargetEngine } from './btrbk';
export { incusEngine, veleroEngine, toIncusExpiry, toVeleroTtl } from './expiry';
