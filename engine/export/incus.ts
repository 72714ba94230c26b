// incus: hand snapshot scheduling to Incus itself (`snapshots.schedule`, `snapshots.pattern`,
// `snapshots.expiry` on the instance) — a shell script per host with the `config set` commands
// of the incus-snapshot driver (drivers/incus-snapshot.ts nativeSchedule). Incus can only expire
// snapshots: a job with `keep`/`tiers` needs Backplan to prune and is reported, not exported.
import type { PlanModel } from '../plan/model';
import { nativeSchedule } from '../run/drivers/incus-snapshot';
import { scriptFiles, shLine } from './script';
import type { ExportOptions, ExportResult } from './types';

export function exportIncus(plan: PlanModel, _opts: ExportOptions, jobs: string[]): ExportResult {
  const result: ExportResult = { target: 'incus', files: [], skipped: [], problems: [] };
  const byHost = new Map<string, { job: string; lines: string[] }[]>();
  for (const name of jobs) {
    const job = plan.jobs.get(name)!;
    if (job.kind !== 'incus-snapshot') {
      result.skipped.push({ job: name, reason: `kind ${job.kind}: Incus schedules only its own snapshots (incus-snapshot)` });
      continue;
    }
    const r = nativeSchedule(job, plan);
    for (const e of r.errors) result.problems.push({ job: name, message: e });
    if (r.errors.length) continue;
    const host = r.commands[0].host;
    byHost.set(host, [...(byHost.get(host) ?? []), { job: name, lines: r.commands.map((c) => shLine(c.argv)) }]);
  }
  result.files.push(...scriptFiles(byHost, 'backplan-incus-schedules.sh', 'Incus snapshot schedules (backplan export --to incus): run once on this host.'));
  return result;
}
