// sanoid: a sanoid.conf per host with one section per zfs-snapshot job's dataset. sanoid takes
// and prunes its own snapshots (`autosnap`, `autoprune`) on its own timer, keeping a count per
// period; only `keep` counts of hourly/daily/weekly/monthly/yearly can be said, every period
// the policy leaves out is written as 0 so sanoid's defaults never add to it.
// Syntax: https://github.com/jimsalterjrs/sanoid/blob/master/sanoid.conf and
// sanoid.defaults.conf (frequently, hourly, daily, weekly, monthly, yearly, autosnap, autoprune,
// recursive). The time-of-day settings are written as the engine models them
// (retention/sanoid.ts SANOID_TIMING), so the sanoid that reads this file takes and prunes
// exactly what `backplan simulate` shows for a `pruner: sanoid` job run at its schedule.
import type { KeepModel, PlanModel } from '../plan/model';
import { SANOID_TIMING } from '../retention/sanoid';
import type { ExportOptions, ExportResult } from './types';

const PERIODS = ['hourly', 'daily', 'weekly', 'monthly', 'yearly'] as const;

function periods(keep: KeepModel | undefined): { ok: true; values: Record<string, number> } | { ok: false; message: string } {
  if (!keep) return { ok: false, message: 'sanoid needs `keep` counts (hourly/daily/weekly/monthly/yearly)' };
  const other = Object.keys(keep).filter((k) => (keep as Record<string, unknown>)[k] !== undefined && !(PERIODS as readonly string[]).includes(k));
  if (other.length) return { ok: false, message: `sanoid keeps counts per period only; it cannot express ${other.map((k) => `keep.${k}`).join(', ')}` };
  const values: Record<string, number> = { frequently: 0 };
  for (const p of PERIODS) {
    const v = keep[p];
    if (v !== undefined && (!Number.isInteger(v) || v < 0)) return { ok: false, message: `keep.${p}: sanoid needs a whole number (no unlimited)` };
    values[p] = v ?? 0;
  }
  return { ok: true, values };
}

export function exportSanoid(plan: PlanModel, _opts: ExportOptions, jobs: string[]): ExportResult {
  const result: ExportResult = { target: 'sanoid', files: [], skipped: [], problems: [] };
  const byHost = new Map<string, { job: string; lines: string[] }[]>();
  for (const name of jobs) {
    const job = plan.jobs.get(name)!;
    if (job.kind !== 'zfs-snapshot') {
      result.skipped.push({ job: name, reason: `kind ${job.kind}: sanoid takes zfs snapshots only (zfs-snapshot)` });
      continue;
    }
    const ds = job.raw.dataset;
    if (typeof ds !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9_.:/-]*$/.test(ds)) {
      result.problems.push({ job: name, message: '`dataset` must be a ZFS dataset name' });
      continue;
    }
    const policy = typeof job.retention === 'string' ? plan.policies.get(job.retention) : job.retention;
    if (policy?.tiers || policy?.expiry) {
      result.problems.push({ job: name, message: 'sanoid keeps counts per period only: write the policy as `keep` counts (tiers and expiry cannot be exported)' });
      continue;
    }
    const p = periods(policy?.keep);
    if (!p.ok) {
      result.problems.push({ job: name, message: p.message });
      continue;
    }
    const host = job.host ?? 'local';
    const lines = [
      `[${ds}]`,
      ...Object.entries(p.values).map(([k, v]) => `\t${k} = ${v}`),
      '\tautosnap = yes',
      '\tautoprune = yes',
      `\trecursive = ${job.raw.recursive === true ? 'yes' : 'no'}`,
      ...Object.entries(SANOID_TIMING).map(([k, v]) => `\t${k} = ${v}`),
    ];
    byHost.set(host, [...(byHost.get(host) ?? []), { job: name, lines }]);
  }
  for (const [host, groups] of byHost) {
    const head = [
      '# sanoid.conf (backplan export --to sanoid). sanoid snapshots on its own timer (every 15 minutes',
      '# by default), not at the jobs\' schedules, and names snapshots autosnap_<date>_<period>.',
      '# backplan simulate of a `pruner: sanoid` job shows what `sanoid --take-snapshots --prune-snapshots`',
      '# holds when it runs at the job\'s schedule.',
    ];
    const body = groups.flatMap((g) => ['', `# job ${g.job}`, ...g.lines]);
    result.files.push({ host, path: '/etc/sanoid/sanoid.conf', jobs: groups.map((g) => g.job), content: [...head, ...body, ''].join('\n') });
  }
  return result;
}
