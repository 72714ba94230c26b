// borgmatic: one configuration file per borg job (borgmatic 1.7's sectioned format, as Debian 12
// ships it), on the job's host: the sources, the repository and excludes the borg driver uses,
// the same `--keep-*` rules as `keep_*`, and the archive names the job writes, so borgmatic's
// prune sees exactly the job's archives. borgmatic does not schedule: the job's cron is given in
// a comment for a timer (or use `backplan export --to systemd`).
// Syntax: https://torsion.org/borgmatic/docs/reference/configuration/ (1.7: location.
// source_directories / repositories / exclude_patterns, storage.archive_name_format /
// encryption_passcommand / ssh_command, retention.keep_* / prefix); checked with Debian's
// `validate-borgmatic-config` 1.7.7.
import { stringify } from 'yaml';
import type { PlanModel } from '../plan/model';
import { effectiveSchedule } from '../plan/effective-schedule';
import { steps as borgSteps } from '../run/drivers/borg';
import type { CommandStep } from '../run/steps/step';
import type { ExportOptions, ExportResult } from './types';

/** Values of `--name=value` words of argv. */
function flags(argv: readonly string[], name: string): string[] {
  return argv.filter((a) => a.startsWith(`--${name}=`)).map((a) => a.slice(name.length + 3));
}

export function exportBorgmatic(plan: PlanModel, _opts: ExportOptions, jobs: string[]): ExportResult {
  const result: ExportResult = { target: 'borgmatic', files: [], skipped: [], problems: [] };
  for (const name of jobs) {
    const job = plan.jobs.get(name)!;
    if (job.kind !== 'borg') {
      result.skipped.push({ job: name, reason: `kind ${job.kind}: borgmatic runs borg jobs only` });
      continue;
    }
    const planned = borgSteps(job, plan, { now: 0 });
    for (const e of planned.errors) result.problems.push({ job: name, message: e });
    if (planned.errors.length) continue;
    const create = planned.steps.find((s): s is CommandStep => s.type === 'command' && s.phase === 'backup')!;
    const prune = planned.steps.find((s): s is CommandStep => s.type === 'command' && s.argv[1] === 'prune');
    const dash = create.argv.indexOf('--');
    const [repo] = create.argv[dash + 1].split('::');
    const sources = create.argv.slice(dash + 2);
    const excludes = flags(create.argv.slice(0, dash), 'exclude');
    // The names the job itself writes (driver-kit copyName): UTC stamps, or the job's pattern.
    const pattern = typeof job.raw.pattern === 'string' ? job.raw.pattern : undefined;
    const prefix = pattern ? pattern.slice(0, pattern.indexOf('%')) : `${name}-`;
    const storage: Record<string, string> = { archive_name_format: pattern ? `{now:${pattern}}` : `${prefix}{utcnow:%Y%m%dT%H%M%S}Z` };
    const pass = create.env?.BORG_PASSPHRASE;
    const notes: string[] = [];
    if (pass && 'fromFile' in pass) storage.encryption_passcommand = `cat ${pass.fromFile}`;
    if (pass && 'fromEnv' in pass) notes.push(`# borg reads the passphrase from BORG_PASSPHRASE: give borgmatic's environment BORG_PASSPHRASE="$${pass.fromEnv}".`);
    const rsh = create.env?.BORG_RSH;
    if (rsh && 'value' in rsh) storage.ssh_command = rsh.value;
    const retention: Record<string, string | number> = {};
    for (const a of prune?.argv ?? []) {
      const m = /^--keep-(within|secondly|minutely|hourly|daily|weekly|monthly|yearly)=(.+)$/.exec(a);
      if (m) retention[`keep_${m[1]}`] = m[1] === 'within' ? m[2] : Number(m[2]);
    }
    if (prune?.argv.some((a) => a.startsWith('--keep-last='))) {
      result.problems.push({ job: name, message: 'borgmatic 1.7 has no keep_last: write the policy without `keep.last` to export it' });
      continue;
    }
    if (Object.keys(retention).length) retention.prefix = prefix;
    const config = {
      location: { source_directories: sources, repositories: [repo], ...(excludes.length ? { exclude_patterns: excludes } : {}) },
      storage,
      ...(Object.keys(retention).length ? { retention } : {}),
    };
    const eff = effectiveSchedule(plan, job);
    const when = !eff.ok
      ? []
      : eff.via
        ? [`# No schedule of its own: it runs after \`${eff.via[0]}\`, every time (\`${eff.expr}\`, the schedule of \`${eff.owner.name}\`) — borgmatic does not schedule; start it after that job.`]
        : [`# Schedule: \`${eff.expr}\` — borgmatic does not schedule; start it from a timer.`];
    const head = [`# borgmatic configuration of job ${name} (backplan export --to borgmatic).`, ...when, ...notes];
    result.files.push({ host: job.host ?? 'local', path: `/etc/borgmatic.d/${name}.yaml`, jobs: [name], content: `${head.join('\n')}\n${stringify(config)}` });
  }
  return result;
}
