// Small pieces every evaluator needs: ordering, reading policy values written by users (the
// model keeps values as written, so anything may be there), and assembling a decision.
import type { KeepModel, PolicyModel } from '../plan/model';
import { parseDuration, type Duration } from '../time/duration';
import type { KeptSnapshot, RetentionDecision, SnapshotIn, Unsupported } from './types';

/** Newest first; equal times keep their input order (a stable sort, like restic's). */
export function sortNewestFirst(snapshots: readonly SnapshotIn[]): SnapshotIn[] {
  // Inventories usually arrive in time order: recognise that in one pass instead of sorting.
  let descending = true;
  let ascending = true;
  for (let i = 1; i < snapshots.length && (descending || ascending); i++) {
    const d = snapshots[i].time - snapshots[i - 1].time;
    if (d > 0) descending = false;
    else if (d < 0) ascending = false;
    else ascending = false; // equal times must keep input order: only a descending pass keeps it
  }
  if (descending) return snapshots.slice();
  if (ascending) return snapshots.slice().reverse();
  return packedSort(snapshots) ?? snapshots.slice().sort((a, b) => b.time - a.time);
}

const INDEX_BITS = 2 ** 21;

/**
 * Sorting a million objects with a comparator takes a second; a Float64Array sorts natively in
 * a tenth of that. When every time is a whole second and the span fits, each snapshot becomes
 * one number — seconds before the newest, then its input position — so ties keep input order.
 */
function packedSort(snapshots: readonly SnapshotIn[]): SnapshotIn[] | undefined {
  const n = snapshots.length;
  if (n >= INDEX_BITS) return undefined;
  let max = -Infinity;
  let min = Infinity;
  for (const s of snapshots) {
    if (s.time % 1000 !== 0) return undefined;
    if (s.time > max) max = s.time;
    if (s.time < min) min = s.time;
  }
  if (((max - min) / 1000) * INDEX_BITS >= Number.MAX_SAFE_INTEGER) return undefined;
  const keys = new Float64Array(n);
  for (let i = 0; i < n; i++) keys[i] = ((max - snapshots[i].time) / 1000) * INDEX_BITS + i;
  keys.sort();
  const out = new Array<SnapshotIn>(n);
  for (let i = 0; i < n; i++) out[i] = snapshots[keys[i] % INDEX_BITS];
  return out;
}

/** A keep count as the engines read it: a number, -1 for unlimited, 0 when absent or unusable. */
export function countOf(value: unknown): number {
  if (value === 'all' || value === 'unlimited') return -1;
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'string' && /^-?\d+$/.test(value.trim())) return Number(value.trim());
  return 0;
}

export const COUNT_RULES = ['last', 'hourly', 'daily', 'weekly', 'monthly', 'yearly'] as const;
export type CountRule = (typeof COUNT_RULES)[number];

export const WITHIN_RULES = [
  'within',
  'within_hourly',
  'within_daily',
  'within_weekly',
  'within_monthly',
  'within_yearly',
] as const;
export type WithinRule = (typeof WITHIN_RULES)[number];

/** Thrown by evaluate() when a policy value cannot be read (the checks report those first). */
export class PolicyValueError extends Error {
  constructor(
    readonly key: readonly (string | number)[],
    message: string,
  ) {
    super(message);
    this.name = 'PolicyValueError';
  }
}

// Engines read a policy's durations at every decision; a simulation decides thousands of times.
const parsedDurations = new Map<string, ReturnType<typeof parseDuration>>();

/** Parse a plan duration found at `key` of a policy, or throw PolicyValueError. */
export function policyDuration(value: unknown, key: readonly (string | number)[]): Duration {
  const text = String(value);
  let r = parsedDurations.get(text);
  if (r === undefined) {
    r = parseDuration(text);
    if (parsedDurations.size > 10_000) parsedDurations.clear();
    parsedDurations.set(text, r);
  }
  if (!r.ok) throw new PolicyValueError(key, `${key.join('.')}: ${r.message}`);
  return { ...r.value };
}

/** The keep mapping if it is an object, else undefined. */
export function keepOf(policy: PolicyModel | undefined): KeepModel | undefined {
  const k = policy?.keep as unknown;
  return k !== null && typeof k === 'object' && !Array.isArray(k) ? (k as KeepModel) : undefined;
}

/** The tag lists of a keep mapping, as restic reads them (each list a list of strings). */
export function tagListsOf(keep: KeepModel | undefined): string[][] {
  const raw = keep?.tags as unknown;
  if (!Array.isArray(raw)) return [];
  return raw.map((l) => (Array.isArray(l) ? l.map((t) => String(t)) : [String(l)]));
}

/** Present and not null. */
export function isSet(value: unknown): boolean {
  return value !== undefined && value !== null;
}

export function hasTiers(policy: PolicyModel | undefined): boolean {
  return Array.isArray(policy?.tiers) && policy!.tiers.length > 0;
}

export function hasExpiry(policy: PolicyModel | undefined): boolean {
  return isSet(policy?.expiry) && String(policy!.expiry).trim() !== '';
}

/** True when the keep mapping holds at least one rule that keeps something (restic's !Empty()). */
export function keepHasRules(keep: KeepModel | undefined): boolean {
  if (!keep) return false;
  if ([...COUNT_RULES, 'full', 'incrementals_of'].some((r) => countOf(keep[r as CountRule]) !== 0)) return true;
  if (WITHIN_RULES.some((r) => isSet(keep[r]) && String(keep[r]).trim() !== '')) return true;
  return Array.isArray(keep.tags) && keep.tags.length > 0;
}

/** Unsupported entries for every keep key present. */
export function unsupportedKeep(keep: KeepModel | undefined, engine: string, hint: string): Unsupported[] {
  if (!keep) return [];
  return Object.keys(keep)
    .filter((k) => isSet((keep as Record<string, unknown>)[k]))
    .map((k) => ({ key: ['keep', k], message: `${engine} has no \`keep.${k}\` rule: ${hint}` }));
}

/** Build a decision from the sorted list and the reasons found for each position. */
export function decide(sorted: readonly SnapshotIn[], reasons: ReadonlyMap<number, string[]>): RetentionDecision {
  const keep: KeptSnapshot[] = [];
  const remove: SnapshotIn[] = [];
  sorted.forEach((snapshot, i) => {
    const r = reasons.get(i);
    if (r !== undefined) keep.push({ snapshot, reasons: r });
    else remove.push(snapshot);
  });
  return { keep, remove };
}

export function addReason(reasons: Map<number, string[]>, index: number, reason: string): void {
  const list = reasons.get(index);
  if (list) list.push(reason);
  else reasons.set(index, [reason]);
}
