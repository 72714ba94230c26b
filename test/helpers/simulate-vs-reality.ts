// Simulate vs reality (issue #4): a test drives a job's schedule fires with `backplan run` at
// faked times against a real snapshot system, then compares the snapshots that exist with what
// `backplan simulate` predicts for the same plan, job, start and date.
import { DateTime } from 'luxon';
import { cliAt } from './faketime';

/** Fire times (epoch ms) of a schedule that fires at `hours` (local, minute 0) every day in `zone`. */
export function dailyFires(hours: number[], zone: string, fromIso: string, days: number): number[] {
  const out: number[] = [];
  const start = DateTime.fromISO(fromIso, { zone }).startOf('day');
  for (let d = 0; d < days; d++) {
    for (const h of hours) {
      const t = start.plus({ days: d }).set({ hour: h, minute: 0, second: 0, millisecond: 0 });
      if (t.hour === h) out.push(t.toMillis());
    }
  }
  return out;
}

/** The instants `backplan simulate` says the job holds at `at` (epoch ms, ascending). */
export async function simulatedHeld(plan: string, job: string, from: number, at: number): Promise<number[]> {
  const r = await cliAt(undefined, ['simulate', plan, '--job', job, '--from', new Date(from).toISOString(), '--at', new Date(at).toISOString(), '--format', 'json']);
  if (r.code !== 0) throw new Error(`backplan simulate failed: ${r.stdout}${r.stderr}`);
  const out = JSON.parse(r.stdout) as { jobs?: { job: string; snapshots: { time: string }[] }[] } | { job: string; snapshots: { time: string }[] }[];
  const jobs = Array.isArray(out) ? out : (out.jobs ?? []);
  const j = jobs.find((x) => x.job === job);
  if (!j) throw new Error(`simulate printed no job ${job}: ${r.stdout.slice(0, 500)}`);
  return j.snapshots.map((s) => Date.parse(s.time)).sort((a, b) => a - b);
}

/**
 * `backplan-YYYYMMDDTHHMMSSZ` (or the older `backplan-YYYYMMDDTHHMMZ`) → epoch ms, to the minute:
 * a test's run starts at a schedule fire on a running faked clock and names its copy a few
 * seconds later, so the minute is the fire the simulation predicts.
 */
export function defaultNameTime(name: string): number {
  const m = /^backplan-(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})?Z$/.exec(name);
  if (!m) throw new Error(`not a default snapshot name: ${name}`);
  return Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5]);
}

/** A default copy name to the minute (`backplan-20270101T000002Z` → `backplan-20270101T0000Z`), suffix kept. */
export function minuteName(name: string): string {
  return name.replace(/^(backplan-\d{8}T\d{4})\d{2}(Z(?:-\d+)?)$/, '$1$2');
}

export const iso = (ms: number) => new Date(ms).toISOString();
