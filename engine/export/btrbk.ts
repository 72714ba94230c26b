// btrbk: a btrbk.conf per host with one volume/subvolume section per `pruner: btrbk`
// btrfs-snapshot job. The retention is written as the btrbk engine reads it
// (retention/btrbk.ts: the preserve matrix, preserve_min, day of week and hour of day, all
// explicit), with the job's timestamp_format (default long), so `btrbk -c FILE run` at the job's schedule holds what
// `backplan simulate` shows. A `pruner: btrbk` btrfs-send job that copies it is the section's
// `target send-receive DIR` with its own target_preserve* (btrbk-send.ts): exporting either job
// writes the whole section. Syntax: btrbk.conf(5) of btrbk 0.32 (volume, subvolume, snapshot_dir
// relative to the volume, snapshot_preserve_min, snapshot_preserve, target, target_preserve_min,
// target_preserve; preserve_day_of_week and preserve_hour_of_day in each section).
import { posix } from 'node:path';
import type { JobModel, PlanModel } from '../plan/model';
import { jobPolicy } from '../plan/build-model';
import {
  BTRBK_TIMESTAMP_FORMATS,
  btrbkPreserve,
  formatPreserveMatrix,
  formatPreserveMin,
  type BtrbkPreserve,
  type BtrbkTimestampFormat,
} from '../retention/btrbk';
import type { ExportOptions, ExportResult } from './types';

const SAFE = /^\/[A-Za-z0-9_.:/@+-]*$/;
const isBtrbk = (j: JobModel | undefined, kind: string) => j?.kind === kind && j.raw.pruner === 'btrbk';

/** The `pruner: btrbk` btrfs-send jobs that copy `source` (enabled ones: a disabled one never runs). */
/** The job's btrbk timestamp_format (`timestamp_format`, default long: minute names, as btrbk's default). */
export function btrbkFormatOf(job: JobModel): BtrbkTimestampFormat {
  const f = job.raw.timestamp_format;
  return (BTRBK_TIMESTAMP_FORMATS as readonly unknown[]).includes(f) ? (f as BtrbkTimestampFormat) : 'long';
}

export function btrbkTargets(plan: PlanModel, source: JobModel): JobModel[] {
  return [...plan.jobs.values()].filter((j) => j.from === source.name && j.enabled && isBtrbk(j, 'btrfs-send'));
}

/**
 * Where a `pruner: btrbk` btrfs-send job's backups go: its `snapshot_dir`, else `<to.path>/<job>`,
 * on the source's host (btrbk runs there; an `ssh://` target is not written), or a problem.
 */
export function btrbkTargetDir(
  plan: PlanModel,
  send: JobModel,
  source: JobModel,
): { dir: string } | { problem: string } {
  const to = send.to !== undefined ? plan.storage.get(send.to) : undefined;
  if (!to) return { problem: `\`to\` must name a storage of this plan` };
  if ((to.host ?? 'local') !== (source.host ?? 'local')) {
    return {
      problem:
        `btrbk runs on ${source.name}'s host and sends to a directory there; storage \`${to.name}\` is on ` +
        'another host (an ssh:// target is not written by Backplan): use a storage on that host, or remove `pruner`',
    };
  }
  const own = send.raw.snapshot_dir;
  const dir = typeof own === 'string' ? own : typeof to.path === 'string' ? `${to.path}/${send.name}` : undefined;
  if (dir === undefined || !SAFE.test(dir)) {
    return { problem: 'the target directory (`snapshot_dir`, else the storage path) must be absolute, without spaces' };
  }
  return { dir: posix.normalize(dir) };
}

/**
 * What keeps `job` from being half of a btrbk pair as written, for `check` (the drivers refuse
 * the same): the key at fault and why, or undefined.
 */
export function btrbkPairProblem(plan: PlanModel, job: JobModel): { key: string; message: string } | undefined {
  if (isBtrbk(job, 'btrfs-send')) {
    const src = job.from !== undefined ? plan.jobs.get(job.from) : undefined;
    if (!src || src.kind !== 'btrfs-snapshot') return undefined; // the kind's own checks say it
    if (!isBtrbk(src, 'btrfs-snapshot')) {
      const message =
        `\`pruner: btrbk\` sends only snapshots btrbk took: give \`${src.name}\` \`pruner: btrbk\` too, ` +
        'or remove `pruner`';
      return { key: 'pruner', message };
    }
    const others = btrbkTargets(plan, src).filter((t) => t !== job);
    if (others.length && job.enabled) {
      const message =
        `\`${src.name}\` has another btrbk target (${others.map((t) => `\`${t.name}\``).join(', ')}): btrbk ` +
        'resume would send to every target of the section; keep one';
      return { key: 'pruner', message };
    }
    const where = btrbkTargetDir(plan, job, src);
    return 'problem' in where ? { key: 'to', message: where.problem } : undefined;
  }
  if (!isBtrbk(job, 'btrfs-snapshot')) return undefined;
  const plain = [...plan.jobs.values()].filter(
    (j) => j.from === job.name && j.kind === 'btrfs-send' && !isBtrbk(j, 'btrfs-send'),
  );
  if (!plain.length) return undefined;
  const message =
    `btrbk would prune the snapshot ${plain.map((j) => `\`${j.name}\``).join(', ')} sends from: it keeps the latest ` +
    'common snapshot only for its own targets; give the send job `pruner: btrbk` too';
  return { key: 'pruner', message };
}

function preserveLines(indent: string, prefix: 'snapshot' | 'target', v: BtrbkPreserve): string[] {
  const matrix = formatPreserveMatrix(v.counts);
  return [
    `${indent}${prefix}_preserve_min ${formatPreserveMin(v.min)}`,
    `${indent}${prefix}_preserve ${matrix === '' ? 'no' : matrix}`,
    `${indent}preserve_day_of_week ${v.dayOfWeek}`,
    `${indent}preserve_hour_of_day ${v.hourOfDay}`,
  ];
}

export function exportBtrbk(plan: PlanModel, _opts: ExportOptions, jobs: string[]): ExportResult {
  const result: ExportResult = { target: 'btrbk', files: [], skipped: [], problems: [] };
  const byHost = new Map<string, { job: string; jobs: string[]; lines: string[] }[]>();
  const done = new Set<string>();
  for (const asked of jobs) {
    let job = plan.jobs.get(asked)!;
    // A btrbk send job is its source's target: the section is the source's.
    if (isBtrbk(job, 'btrfs-send')) {
      const src = job.from !== undefined ? plan.jobs.get(job.from) : undefined;
      if (!src || !isBtrbk(src, 'btrfs-snapshot')) {
        const message =
          '`pruner: btrbk` on a btrfs-send needs a `from` job that is a btrfs-snapshot with `pruner: btrbk` ' +
          '(btrbk sends only the snapshots it took): add `pruner: btrbk` there';
        result.problems.push({ job: asked, message });
        continue;
      }
      job = src;
    }
    const name = job.name;
    if (done.has(name)) continue;
    done.add(name);
    if (job.kind !== 'btrfs-snapshot' || job.raw.pruner !== 'btrbk') {
      const why = job.kind === 'btrfs-snapshot' ? 'not `pruner: btrbk`' : `kind ${job.kind}`;
      const reason = `${why}: btrbk exports btrfs-snapshot and btrfs-send jobs with pruner: btrbk`;
      result.skipped.push({ job: name, reason });
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
    const lines = [
      `volume ${volume}`,
      `  snapshot_dir ${snapDir}`,
      `  subvolume ${posix.basename(sub)}`,
      `    timestamp_format ${btrbkFormatOf(job)}`,
      ...preserveLines('    ', 'snapshot', p.value),
    ];
    const covered = [name];
    const targets = btrbkTargets(plan, job);
    if (targets.length > 1) {
      const message =
        `${targets.map((t) => `\`${t.name}\``).join(', ')} all send ${name} with \`pruner: btrbk\`: ` +
        'btrbk resume would send to every target of the section; keep one';
      result.problems.push({ job: asked, message });
      continue;
    }
    let bad = false;
    for (const t of targets) {
      const where = btrbkTargetDir(plan, t, job);
      const tp = btrbkPreserve(jobPolicy(plan, t), 'target');
      if ('problem' in where || !tp.ok) {
        const message = 'problem' in where ? where.problem : (tp as { problems: { message: string }[] }).problems
          .map((x) => x.message).join('; ');
        result.problems.push({ job: t.name, message });
        bad = true;
        continue;
      }
      lines.push(`    # job ${t.name}`, `    target send-receive ${where.dir}`);
      lines.push(...preserveLines('      ', 'target', tp.value));
      covered.push(t.name);
    }
    if (bad) continue;
    const host = job.host ?? 'local';
    byHost.set(host, [...(byHost.get(host) ?? []), { job: name, jobs: covered, lines }]);
  }
  for (const [host, groups] of byHost) {
    const head = [
      '# btrbk.conf (backplan export --to btrbk). backplan simulate of these jobs shows what',
      "# `btrbk -c FILE run` holds when it runs at each job's schedule (with a target: `btrbk",
      "# snapshot` at the snapshot job's, `btrbk resume` at the send job's).",
    ];
    const body = groups.flatMap((g) => ['', `# job ${g.job}`, ...g.lines]);
    const content = [...head, ...body, ''].join('\n');
    result.files.push({ host, path: '/etc/btrbk/btrbk.conf', jobs: groups.flatMap((g) => g.jobs), content });
  }
  return result;
}
