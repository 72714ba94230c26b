// borg — `borg create REPO::NAME PATHS` into the repository of `to` (its `url`, or
// `<path>/<job>`, over ssh:// when on another host; initialised beforehand with `borg init`), then `borg prune` with
// the policy translated to borg 1.2 flags (only this job's archives, by name glob) and `borg compact` to free the
// space. Pruned by borg itself. Syntax: https://borgbackup.readthedocs.io/en/1.2-maint/usage/create.html,
// https://borgbackup.readthedocs.io/en/1.2-maint/usage/prune.html (--glob-archives, --keep-*, --keep-within INTERVAL),
// https://borgbackup.readthedocs.io/en/1.2-maint/usage/compact.html,
// https://borgbackup.readthedocs.io/en/1.2-maint/usage/general.html (ssh://user@host:port/path, BORG_PASSPHRASE,
// BORG_RSH); checked against `borg 1.2.4 create/prune --help`.
import type { JobModel, PlanModel, StorageModel } from '../../plan/model';
import { shQuote } from '../exec/quote';
import { borgKeepFlags } from '../steps/translate';
import { Kit, type DriverContext, type DriverResult } from '../steps/driver-kit';
import type { EnvValue } from '../steps/step';

function repository(k: Kit, to: StorageModel, jobHost: string, env: Record<string, EnvValue>): string | undefined {
  const r = k.repository(to, jobHost);
  if (r && 'url' in r && r.url.includes('::')) {
    k.err(`storage \`${to.name}\`: a borg repository url cannot contain '::' (that separates the archive name)`, [
      ...to.at,
      'url',
    ]);
    return undefined;
  }
  if (!r || 'url' in r) return r?.url;
  if (!r.remote) return r.path;
  const h = r.remote;
  const path = r.path;
  // BORG_RSH is split by borg like a shell would (shlex); the paths are quoted for it. The job
  // host's `tools.ssh` (a wrapper, another client) replaces plain `ssh`.
  const ssh = k.tool(k.job.host, 'ssh');
  env.BORG_RSH = {
    value: `${ssh === 'ssh' ? ssh : shQuote(ssh)} -o BatchMode=yes${h.identity ? ` -i ${shQuote(h.identity)}` : ''}`,
  };
  return `ssh://${h.user ? `${h.user}@` : ''}${h.address}${h.port ? `:${h.port}` : ''}${path}`;
}

export function steps(job: JobModel, plan: PlanModel, ctx: DriverContext): DriverResult {
  const k = new Kit(job, plan, ctx);
  const host = k.jobHost();
  const paths = k.paths();
  const exclude = k.excludes();
  const to = k.storage(job.to, 'to');
  const env: Record<string, EnvValue> = {};
  const repo = to ? repository(k, to, host, env) : undefined;
  const pass = k.secret('passphrase', to);
  if (pass) env.BORG_PASSPHRASE = pass;
  const named = k.copyName(`${job.name}-`);
  const policy = k.policy();
  const keep = policy ? borgKeepFlags(policy) : undefined;
  if (keep && !keep.ok) k.err(`retention: ${keep.message}`, k.at('retention'));
  if (k.errors.length || !repo || !named) return k.result();

  const borg = k.tool(job.host, 'borg');
  const notes = [
    ...(pass
      ? []
      : ['no passphrase_env/passphrase_file: the repository must be unencrypted or use a keyfile without passphrase']),
    ...(job.encrypt ? ['borg encrypts the repository itself (repokey/keyfile); `encrypt.gpg` is not applied'] : []),
  ];
  k.command(
    'backup',
    `borg create ${named.name}`,
    {
      host,
      argv: [borg, 'create', ...exclude.map((e) => `--exclude=${e}`), '--', `${repo}::${named.name}`, ...paths],
      env,
    },
    notes.length ? { notes } : {},
  );
  if (policy && keep?.ok) {
    const prune = [borg, 'prune', '--list', `--glob-archives=${named.match}`, ...keep.value];
    // borg reads hours, days, weeks ... in its local time: the zone the plan prunes in. Its
    // listing prints naive local times, so the guard lists in UTC.
    const tz = k.timezone();
    k.command(
      'prune',
      'borg prune by policy',
      { host, argv: [...prune, '--', repo], env: { ...env, TZ: { value: tz } } },
      {
        guard: {
          argv: [...prune, '--dry-run', '--', repo],
          parse: 'borg-prune-list',
          min: k.minOf(policy),
          list: {
            argv: [borg, 'list', '--json', `--glob-archives=${named.match}`, '--', repo],
            parse: 'borg-list-json',
            env: { ...env, TZ: { value: 'UTC' } },
          },
          engine: 'borg',
          policy,
          timezone: tz,
        },
      },
    );
    k.command('prune', 'borg compact (free the pruned space)', { host, argv: [borg, 'compact', '--', repo], env });
  }
  return k.result();
}
