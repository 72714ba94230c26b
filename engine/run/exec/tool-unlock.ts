// After `--break-stale-lock` broke Backplan's stale job lock (proof that no run of the job is
// alive), the tool's own lock that the interrupted command left in the repository (restic, borg;
// exec/tool-lock.ts) is cleared before anything else of the operation runs, journalled as the
// job's `unlock` step. `backplan run` and a restic/borg `prune` did so already; `verify` and
// `restore` broke the proof without using it, and the next run then failed on the tool's lock.
import type { JobSession } from '../ops/types';
import type { Step } from '../steps/step';
import { runCommandStep } from './execute';
import { toolUnlockStep } from './tool-lock';

/** Clear the tool's stale lock when the session broke Backplan's; the failure's message, or undefined. */
export async function clearStaleToolLock(
  s: JobSession & { lock?: { brokeStale?: unknown } },
  job: string,
  kind: string,
  steps: readonly Step[],
): Promise<string | undefined> {
  if (!s.lock?.brokeStale) return undefined;
  const unlock = toolUnlockStep(kind, steps);
  if (!unlock) return undefined;
  const s0 = Date.now();
  s.journal.append({ type: 'step-start', job, step: unlock.id, phase: unlock.phase, description: unlock.description, display: unlock.description });
  s.emit({ event: 'step-start', job, step: unlock.id, phase: unlock.phase, description: unlock.description });
  const r = await runCommandStep(unlock, { hosts: s.hosts, redactor: s.redactor });
  const message = r.message !== undefined ? s.redactor.text(r.message) : undefined;
  const status = r.ok ? 'ok' : 'failed';
  s.journal.append({ type: 'step-end', job, step: unlock.id, status, ms: Date.now() - s0, ...(message ? { message } : {}) });
  s.emit({ event: 'step-end', job, step: unlock.id, status, ms: Date.now() - s0, ...(message ? { message } : {}) });
  return r.ok ? undefined : `${unlock.id}: ${message ?? 'failed'}`;
}
