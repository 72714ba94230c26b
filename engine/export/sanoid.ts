// sanoid: a sanoid.conf per host. A zfs-snapshot job gets one section for its dataset: sanoid takes
// and prunes its own snapshots (`autosnap`, `autoprune`), keeping a count per type. A zfs-send job
// with `pruner: sanoid` (its source a `pruner: sanoid` zfs-snapshot job) gets, on the host of its
// `to` storage, a template with `autosnap = no` and `autoprune = yes` and a section for the target
// dataset that uses it: sanoid there prunes the received autosnap_* snapshots by the send's counts
// and takes none. Only `keep` counts of frequently/hourly/daily/weekly/monthly/yearly (and
// `frequent_period`) can be said; every type the policy leaves out is written as 0 so sanoid's
// defaults never add to it.
// Syntax: https://github.com/jimsalterjrs/sanoid/blob/master/sanoid.conf and
// sanoid.defaults.conf (frequently, hourly, daily, weekly, monthly, yearly, frequent_period,
// autosnap, autoprune, recursive, use_template, template_NAME sections). The time-of-day settings
// are written as the engine models them (retention/sanoid.ts SANOID_TIMING), so the sanoid that
// reads this file takes and prunes exactly what `backplan simulate` shows for a `pruner: sanoid`
// job run at its schedule.
import type { JobModel, KeepModel, PlanModel, PolicyModel } from '../plan/model';
import { frequentPeriod, SANOID_TIMING, SANOID_TYPES } from '../retention/sanoid';
import type { ExportOptions, ExportResult } from './types';

const DATASET = /^[A-Za-z0-9][A-Za-z0-9_.:/-]*$/;
type Values = { ok: true; values: Record<string, number> } | { ok: false; message: string };

function periods(keep: KeepModel | undefined, policy: PolicyModel | undefined): Values {
  if (!keep) return { ok: false, message: 'sanoid needs `keep` counts (frequently/hourly/daily/weekly/monthly/yearly)' };
  const other = Object.keys(keep).filter(
    (k) => (keep as Record<string, unknown>)[k] !== undefined && !(SANOID_TYPES as readonly string[]).includes(k),
  );
  if (other.length) {
    const what = other.map((k) => `keep.${k}`).join(', ');
    return { ok: false, message: `sanoid keeps counts per type only; it cannot express ${what}` };
  }
  const values: Record<string, number> = {};
  for (const p of SANOID_TYPES) {
    const v = keep[p];
    if (v !== undefined && (!Number.isInteger(v) || v < 0)) {
      return { ok: false, message: `keep.${p}: sanoid needs a whole number (no unlimited)` };
    }
    values[p] = v ?? 0;
  }
  const fp = frequentPeriod(policy);
  if (fp === undefined) return { ok: false, message: 'frequent_period: sanoid needs a whole number of minutes from 1' };
  values.frequent_period = fp;
  return { ok: true, values };
}

function policyOf(plan: PlanModel, job: JobModel): PolicyModel | undefined {
  return typeof job.retention === 'string' ? plan.policies.get(job.retention) : job.retention;
}

/** The counts of a job's policy as sanoid.conf lines, or the reason they cannot be written. */
function countLines(plan: PlanModel, job: JobModel): { lines: string[] } | { message: string } {
  const policy = policyOf(plan, job);
  if (policy?.tiers || policy?.expiry) {
    return {
      message:
        'sanoid keeps counts per type only: write the policy as `keep` counts (tiers and expiry cannot be exported)',
    };
  }
  const p = periods(policy?.keep, policy);
  if (!p.ok) return { message: p.message };
  return { lines: Object.entries(p.values).map(([k, v]) => `\t${k} = ${v}`) };
}

/** Why the send job `job` cannot have its target pruned by sanoid, or undefined. */
export function sanoidReplicaProblem(plan: PlanModel, job: JobModel): string | undefined {
  const src = job.from !== undefined ? plan.jobs.get(job.from) : undefined;
  if (!src || src.kind !== 'zfs-snapshot' || src.raw.pruner !== 'sanoid') {
    return (
      'sanoid prunes only the snapshots it can type by name (autosnap_<date>_<type>): the source ' +
      `\`${String(job.from)}\` must be a zfs-snapshot job with \`pruner: sanoid\``
    );
  }
  return undefined;
}

export function exportSanoid(plan: PlanModel, _opts: ExportOptions, jobs: string[]): ExportResult {
  const result: ExportResult = { target: 'sanoid', files: [], skipped: [], problems: [] };
  const byHost = new Map<string, { job: string; lines: string[] }[]>();
  const add = (host: string, job: string, lines: string[]): void => {
    byHost.set(host, [...(byHost.get(host) ?? []), { job, lines }]);
  };
  for (const name of jobs) {
    const job = plan.jobs.get(name)!;
    const replica = job.kind === 'zfs-send' && job.raw.pruner === 'sanoid';
    if (job.kind !== 'zfs-snapshot' && !replica) {
      const reason =
        job.kind === 'zfs-send'
          ? 'zfs-send without `pruner: sanoid`: Backplan prunes its target'
          : `kind ${job.kind}: sanoid takes zfs snapshots only (zfs-snapshot, or zfs-send with pruner: sanoid)`;
      result.skipped.push({ job: name, reason });
      continue;
    }
    const ds = job.raw.dataset;
    if (typeof ds !== 'string' || !DATASET.test(ds)) {
      result.problems.push({ job: name, message: '`dataset` must be a ZFS dataset name' });
      continue;
    }
    const counts = countLines(plan, job);
    if ('message' in counts) {
      result.problems.push({ job: name, message: counts.message });
      continue;
    }
    const recursive = `\trecursive = ${job.raw.recursive === true ? 'yes' : 'no'}`;
    if (!replica) {
      const timing = Object.entries(SANOID_TIMING)
        .filter(([k]) => k !== 'frequent_period')
        .map(([k, v]) => `\t${k} = ${v}`);
      add(job.host ?? 'local', name, [`[${ds}]`, ...counts.lines, '\tautosnap = yes', '\tautoprune = yes', recursive,
        ...timing]);
      continue;
    }
    const problem = sanoidReplicaProblem(plan, job);
    const storage = job.to !== undefined ? plan.storage.get(job.to) : undefined;
    if (problem || !storage) {
      result.problems.push({ job: name, message: problem ?? `\`to\` names no storage of this plan` });
      continue;
    }
    // A template of its own, so the received snapshots are pruned by this job's counts only.
    const template = `backplan_${name}`;
    add(storage.host ?? 'local', name, [
      `[template_${template}]`,
      ...counts.lines,
      '\tautosnap = no',
      '\tautoprune = yes',
      '',
      `[${ds}]`,
      `\tuse_template = ${template}`,
      recursive,
    ]);
  }
  for (const [host, groups] of byHost) {
    const head = [
      '# sanoid.conf (backplan export --to sanoid). sanoid snapshots on its own timer (every 15 minutes',
      "# by default), not at the jobs' schedules, and names snapshots autosnap_<date>_<type>.",
      '# backplan simulate of a `pruner: sanoid` job shows what `sanoid --take-snapshots --prune-snapshots`',
      "# holds when it runs at the job's schedule (for a zfs-send job: right after each send).",
    ];
    const body = groups.flatMap((g) => ['', `# job ${g.job}`, ...g.lines]);
    result.files.push({
      host,
      path: '/etc/sanoid/sanoid.conf',
      jobs: groups.map((g) => g.job),
      content: [...head, ...body, ''].join('\n'),
    });
  }
  return result;
}
