// A restic or borg step that Backplan stopped at its stall (or total) timeout dies holding the
// tool's own lock in the repository: SIGTERM then SIGKILL leave restic no time to remove it, and
// on a repository that turned read-only it could not anyway. Backplan's job lock is released as it
// should be, so `--break-stale-lock` later finds nothing stale to act on, and the first run after
// the repair failed on the tool's lock. The runner therefore records, while it still holds the
// job lock, that it stopped a step of the job (`<locks>/JOB.tool-stopped`: the run, the step and
// the reason also journalled with the step). The next run that takes the job lock has the proof
// that no run of the job is alive and that the last tool process was killed by Backplan itself:
// it clears the tool's stale lock first (restic unlock, borg break-lock: exec/tool-lock.ts), says
// so and journals it, and removes the record once that succeeded.
import { readFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../../ops/atomic-write';
import { fsyncDir } from './dir';

export interface ToolStopped {
  run: string;
  step: string;
  reason: string;
  at: string;
}

function markPath(locksDir: string, job: string): string {
  return join(locksDir, `${job}.tool-stopped`);
}

/** Record that the runner stopped `step` of `job` (called while it holds the job lock). */
export function markToolStopped(locksDir: string, job: string, mark: ToolStopped): void {
  writeFileAtomic(markPath(locksDir, job), `${JSON.stringify(mark)}\n`, 0o600);
}

/** The record of a stopped tool step of `job`, if any (an unreadable one counts as one). */
export function toolStoppedMark(locksDir: string, job: string): ToolStopped | undefined {
  let text: string;
  try {
    text = readFileSync(markPath(locksDir, job), 'utf8');
  } catch {
    return undefined;
  }
  try {
    return JSON.parse(text) as ToolStopped;
  } catch {
    return { run: '?', step: '?', reason: 'a step stopped by its timeout (record torn)', at: '?' };
  }
}

export function clearToolStopped(locksDir: string, job: string): void {
  try {
    unlinkSync(markPath(locksDir, job));
    fsyncDir(locksDir);
  } catch {
    // already gone
  }
}
