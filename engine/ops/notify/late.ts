// `late` notifications, sent by `backplan status` (SPEC §10): once per late episode of a job. An
// episode is identified by the job's newest good copy at the time it went late (its last success,
// or none): while that stays the same the job is still in the same episode and nothing more is
// sent; a new success ends it. What was sent is kept in `<state>/late-notified.json`, written
// atomically, so a timer that runs `status` every few minutes sends one message, not hundreds.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PlanModel } from '../../plan/model';
import { writeFileAtomic } from '../atomic-write';
import type { StatusReport } from '../status/state';
import { targetsOf, wants } from './events';
import { notifyLate, type NotifierOptions } from './lifecycle';

const FILE = 'late-notified.json';

type Sent = Record<string, string>;

function readSent(stateDir: string): Sent {
  const path = join(stateDir, FILE);
  if (!existsSync(path)) return {};
  try {
    const v = JSON.parse(readFileSync(path, 'utf8')) as unknown;
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Sent) : {};
  } catch {
    return {}; // a torn or foreign file: start again (at worst one message twice)
  }
}

/** The episode a late job is in: its last success, or `never`. */
const episodeOf = (lastSuccess: string | null) => lastSuccess ?? 'never';

/**
 * Sends `late` for every late job of `report` whose targets ask for it and whose episode was not
 * notified yet; forgets jobs that are no longer late. Returns how many were sent. Never throws for
 * a delivery (failures are warnings, as for runs); a state file that cannot be written is a warning.
 */
export async function notifyLateJobs(
  report: StatusReport,
  plan: PlanModel,
  stateDir: string,
  opts: Omit<NotifierOptions, 'plan'>,
): Promise<number> {
  const before = readSent(stateDir);
  const after: Sent = {};
  let sent = 0;
  for (const j of report.jobs) {
    if (j.state !== 'late') continue;
    const episode = episodeOf(j.lastSuccess);
    after[j.job] = episode;
    if (before[j.job] === episode) continue;
    const job = plan.jobs.get(j.job);
    if (!targetsOf(plan, job).some((t) => wants(t, 'late'))) continue;
    const age = j.ageSeconds === null ? 'it has no good copy' : `its newest good copy is ${Math.round(j.ageSeconds / 3600)} h old`;
    const rpo = j.rpoSeconds === null ? '' : ` (rpo ${Math.round(j.rpoSeconds / 3600)} h)`;
    await notifyLate({ ...opts, plan }, j.job, `${j.job} is late: ${age}${rpo}`);
    sent++;
  }
  // Jobs not in this report (another --job) keep their episode.
  const only = new Set(report.jobs.map((j) => j.job));
  for (const [name, ep] of Object.entries(before)) if (!only.has(name)) after[name] = ep;
  if (JSON.stringify(after) !== JSON.stringify(before)) {
    try {
      writeFileAtomic(join(stateDir, FILE), `${JSON.stringify(after, null, 2)}\n`);
    } catch (e) {
      opts.onWarning?.(`backplan: warning: cannot record the late notifications sent: ${(e as Error).message}`);
    }
  }
  return sent;
}
