// What a live-state reader is given and returns; in a module of its own so that the readers
// (one file per kind) and the table of readers (index.ts) do not import each other.
import type { JobModel, PlanModel } from '../../plan/model';
import type { JobState } from '../steps/driver-kit';
import type { Hosts } from '../exec/hosts';

export interface LiveContext {
  plan: PlanModel;
  hosts: Hosts;
  signal?: AbortSignal;
}

/** Reads what `job` needs; rejects with a message for people when the state cannot be read. */
export type StateReader = (job: JobModel, ctx: LiveContext) => Promise<JobState>;
