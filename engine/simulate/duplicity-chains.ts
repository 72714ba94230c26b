// duplicity's chains in a simulation. Which run is a full: duplicity makes a full when there is
// no chain yet, or when the last full is older than `--full-if-older-than` at the time of the run
// (dup_main.py: last_full_time < now − D, now in whole seconds, D in its fixed units); every
// other run is an incremental on the current chain. Its remove commands never delete the current
// chain, so the last full is always still there: the type of each run follows from the run
// times and `full_every` alone, and the engine (engine/retention/duplicity.ts) is handed each
// held set with its type. Every held set is a restore point (its chain is held with it), so the
// count and the worst gap of the simulation are those of restore points. Storage: a full is
// `size`, an incremental `size × change` (one day of change at the declared daily rate).
import type { JobModel } from '../plan/model';
import { dailyChangeBytes, parseChange, parseSize } from '../plan/size';
import { duplicityMs, type BackupSetType } from '../retention/duplicity';
import type { RetentionEngine } from '../retention/types';
import { parseDuration } from '../time/duration';

/** The type of each run, in the order of `fires` (ascending). */
export function runTypes(fires: readonly number[], fullEveryMs: number | undefined): BackupSetType[] {
  let lastFull: number | undefined;
  return fires.map((t) => {
    const now = Math.floor(t / 1000) * 1000;
    if (lastFull === undefined || (fullEveryMs !== undefined && lastFull < now - fullEveryMs)) {
      lastFull = now;
      return 'full';
    }
    return 'incremental';
  });
}

/** The job's `full_every` in duplicity's units (undefined: absent or unreadable, only the first run is a full). */
export function fullEveryMs(job: JobModel): number | undefined {
  const raw = job.raw.full_every;
  if (raw === undefined || raw === null) return undefined;
  const d = parseDuration(String(raw));
  return d.ok ? duplicityMs(d.value) : undefined;
}

/**
 * The engine handed every set with its type, by the set's time. The simulation's snapshot
 * objects are its own and kept from prune to prune (held.ts), so each is typed once, in place.
 */
export function typedEngine(engine: RetentionEngine, typeAt: ReadonlyMap<number, BackupSetType>): RetentionEngine {
  return {
    ...engine,
    evaluate: (snapshots, policy, ctx) => {
      for (const s of snapshots) if (s.type === undefined) s.type = typeAt.get(s.time) ?? 'incremental';
      return engine.evaluate(snapshots, policy, ctx);
    },
  };
}

export interface ChainSummary {
  /** Chains held at the target date (a full and its incrementals). */
  chains: number;
  fulls: number;
  incrementals: number;
  /** Held sets: each one is a restore point. */
  restorePoints: number;
  /** Projected bytes held: fulls × size + incrementals × size × change; absent without `size`. */
  bytes?: number;
}

export function chainSummary(job: JobModel, root: JobModel | undefined, held: readonly BackupSetType[]): ChainSummary {
  const fulls = held.filter((t) => t === 'full').length;
  const incrementals = held.length - fulls;
  const out: ChainSummary = { chains: fulls, fulls, incrementals, restorePoints: held.length };
  const size = parseSize(job.raw.size ?? root?.raw.size);
  if (size) {
    const rate = parseChange(job.raw.change ?? root?.raw.change);
    out.bytes = fulls * size.bytes + incrementals * (rate ? dailyChangeBytes(rate, size.bytes) : 0);
  }
  return out;
}
