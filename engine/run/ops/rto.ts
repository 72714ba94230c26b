// The measured restore time against the job's `rto` (SPEC §11): what `backplan restore` and
// `backplan verify` report after they journal their duration.
import type { JobModel } from '../../plan/model';
import { rtoOf as rtoOfJob } from '../../recovery/rto';

export interface RtoVerdict {
  /** The job's `rto` as written (`4h`). */
  text: string;
  seconds: number;
  /** The measured duration is within it. */
  ok: boolean;
}

/** The job's `rto` compared with a measured duration; undefined when the job has none (or an invalid one). */
export function rtoOf(job: JobModel, seconds: number): RtoVerdict | undefined {
  const rto = rtoOfJob(job);
  return rto && { ...rto, ok: seconds <= rto.seconds };
}

/** Seconds since `t0`, to the tenth: the `durationSeconds` journalled and reported. */
export function secondsSince(t0: number): number {
  return Math.round((Date.now() - t0) / 100) / 10;
}
