// btrbk: a btrbk.conf per host with one volume/subvolume section per `pruner: btrbk`
// btrfs-snapshot job. The retention is written as the btrbk engine reads it
// (retention/btrbk.ts: the preserve matrix, preserve_min, day of week and hour of day, all
// explicit), with timestamp_format long, so `btrbk -c FILE run` at the job's schedule holds what
// `backplan simulate` shows. Syntax: btrbk.conf(5) of btrbk 0.32 (volume, subvolume,
// snapshot_dir relative to the volume, snapshot_preserve_min, snapshot_preserve).
import { posix } from 'node:path';
import type { PlanModel } from '../plan/model';
import { jobPolicy } from '../plan/build-model';
import { btrbkPreserve, formatPreserveMatrix } from '../retention/btrbk';
import type { ExportOptions, ExportResult } from './types';

const SAFE = /^\/[A-Za-z0-9_.:/@+-]*$/;

export function exportBtrbk(plan: PlanModel, _opts: ExportOptions, jobs: string[]): ExportResult {
  const result: ExportResult = { target: 'btrbk', files: [], skipped: [], problems: [] };
  const byHost = new Map<string, { job: string; lines: string[] }[]>();
  for (const name of jobs) {
    const job = plan.jobs.get(name)!;
    if (job.kind !== 'btrfs-snapshot' || job.raw.pruner !== 'btrbk') {
      const why = job.kind === 'btrfs-snapshot' ? 'not `pruner: btrbk`' : `kind ${job.kind}`;
      result.skipped.push({ job: name, reason: `${why}: btrbk exports btrfs-snapshot jobs with pruner: btrbk` });
      continue;
    }
    const sub = job.raw.subvolume;
    const dir = job.raw.snapshot_dir;
    if (typeof sub !== 'string' || !SAFE.test(sub) || typeof dir !== 'string' || !SAFE.test(dir)) {
      const message = '`subvolume` and `snapshot_dir` must be absolute paths without spaces';
      result.problems.push({ job: name, message });
      continue;
    }
    const volume = posix.dirname(posix.normalize(sub));
    const snapDir = posix.relative(volume, posix.normalize(dir));
    if (snapDir === '' || snapDir.startsWith('..')) {
      const message = `btrbk wants \`snapshot_dir\` inside the subvolume's parent ${volume}`;
      result.problems.push({ job: name, message });
      continue;
    }
    const p = btrbkPreserve(jobPolicy(plan, job));
    if (!p.ok) {
      result.problems.push({ job: name, message: p.problems.map((x) => x.message).join('; ') });
      continue;
    }
    const v = p.value;
    const matrix = formatPreserveMatrix(v.counts);
    const lines = [
      `volume ${volume}`,
      `  snapshot_dir ${snapDir}`,
      `  subvolume ${posix.basename(sub)}`,
      '    timestamp_format long',
      `    snapshot_preserve_min ${typeof v.min === 'string' ? v.min : `${v.min.n}${v.min.unit}`}`,
      `    snapshot_preserve ${matrix === '' ? 'no' : matrix}`,
      `    preserve_day_of_week ${v.dayOfWeek}`,
      `    preserve_hour_of_day ${v.hourOfDay}`,
    ];
    const host = job.host ?? 'local';
    byHost.set(host, [...(byHost.get(host) ?? []), { job: name, lines }]);
  }
  for (const [host, groups] of byHost) {
    const head = [
      '# btrbk.conf (backplan export --to btrbk). backplan simulate of these jobs shows what',
      "# `btrbk -c FILE run` holds when it runs at each job's schedule.",
    ];
    const body = groups.flatMap((g) => ['', `# job ${g.job}`, ...g.lines]);
    const content = [...head, ...body, ''].join('\n');
    result.files.push({ host, path: '/etc/btrbk/btrbk.conf', jobs: groups.map((g) => g.job), content });
  }
  return result;
}
