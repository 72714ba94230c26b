// restic — `restic backup` of `paths` into the repository of `to` (its `url`, or
// `<path>/<job>`, reached over sftp when the storage is on another host; the repository must
// have been initialised with `restic init`), then `restic forget --prune` with the
// policy translated to restic flags. Pruned by restic itself.
// Syntax: https://restic.readthedocs.io/en/stable/040_backup.html (backup, --host, --tag,
// --exclude), https://restic.readthedocs.io/en/stable/060_forget.html (forget flags, --group-by,
// --prune, --dry-run --json), https://restic.readthedocs.io/en/stable/030_preparing_a_new_repo.html
// (sftp:user@host:/path and sftp://user@host:port//path); checked against `restic 0.14 --help`.
import type { JobModel, PlanModel, StorageModel } from '../../plan/model';
import { hostToolVersions } from '../../retention/index';
import { LOCAL } from '../exec/quote';
import { resticKeepFlags } from '../steps/translate';
import { Kit, type DriverContext, type DriverResult } from '../steps/driver-kit';
import type { EnvValue } from '../steps/step';

/** Plan secret base name → restic environment variable. */
const SECRETS: Record<string, string> = {
  password: 'RESTIC_PASSWORD',
  aws_access_key_id: 'AWS_ACCESS_KEY_ID',
  aws_secret_access_key: 'AWS_SECRET_ACCESS_KEY',
};

function repository(k: Kit, to: StorageModel, jobHost: string): string | undefined {
  const r = k.repository(to, jobHost);
  if (!r || 'url' in r) return r?.url;
  if (!r.remote) return r.path;
  const h = r.remote;
  const dest = h.user ? `${h.user}@${h.address}` : `${h.address}`;
  return h.port ? `sftp://${dest}:${h.port}/${r.path}` : `sftp:${dest}:${r.path}`;
}

/**
 * restic's own ssh for an sftp repository on another host (`-o sftp.command`): the storage
 * host's port and identity, batch mode, and the job host's `tools.ssh` when it names one.
 * restic splits the command like a shell would, so paths with spaces or quotes are refused.
 */
function sftpCommand(k: Kit, to: StorageModel, jobHost: string): string | undefined {
  const r = to.url === undefined ? k.repository(to, jobHost) : undefined;
  if (!r || 'url' in r || !r.remote) return undefined;
  const h = r.remote;
  const ssh = k.tool(k.job.host, 'ssh');
  const words = [
    ssh,
    '-o',
    'BatchMode=yes',
    ...(h.port ? ['-p', String(h.port)] : []),
    ...(h.identity ? ['-i', h.identity] : []),
    h.user ? `${h.user}@${h.address}` : `${h.address}`,
    '-s',
    'sftp',
  ];
  if (words.some((w) => /[\s'"\\]/.test(w))) {
    k.err(
      `host ${h.name}: an ssh path or identity with spaces or quotes cannot be passed to restic's sftp.command`,
      h.at,
    );
    return undefined;
  }
  return words.join(' ');
}

export function steps(job: JobModel, plan: PlanModel, ctx: DriverContext): DriverResult {
  const k = new Kit(job, plan, ctx);
  const host = k.jobHost();
  const paths = k.paths();
  const exclude = k.excludes();
  const to = k.storage(job.to, 'to');
  const repo = to ? repository(k, to, host) : undefined;
  const env: Record<string, EnvValue> = {};
  for (const [base, name] of Object.entries(SECRETS)) {
    const s = k.secret(base, to);
    if (s) env[name] = s;
  }
  // A password file is read by restic itself on the job's host (--password-file).
  const pwFile = env.RESTIC_PASSWORD && 'fromFile' in env.RESTIC_PASSWORD ? env.RESTIC_PASSWORD.fromFile : undefined;
  if (pwFile) delete env.RESTIC_PASSWORD;
  if (to && !env.RESTIC_PASSWORD && !pwFile && !k.errors.some((e) => e.includes('password'))) {
    k.err(
      'restic needs the repository password: set `password_env` or `password_file` on the job or its storage',
      k.at('to'),
    );
  }
  const tags = k.list(
    'tags',
    (v) =>
      typeof v === 'string' && v !== '' && !v.includes(',') && !/[\x00-\x1f]/.test(v)
        ? undefined
        : 'must be a tag without commas',
    false,
  );
  const policy = k.policy();
  const keep = policy ? resticKeepFlags(policy) : undefined;
  if (keep && !keep.ok) k.err(`retention: ${keep.message}`, k.at('retention'));
  if (k.errors.length || !repo) return k.result();

  const restic = k.tool(job.host, 'restic');
  const tag = `--tag=backplan:${job.name}`;
  const sftp = to ? sftpCommand(k, to, host) : undefined;
  if (k.errors.length) return k.result();
  const global = [
    restic,
    `--repo=${repo}`,
    ...(pwFile ? [`--password-file=${pwFile}`] : []),
    ...(sftp ? [`--option=sftp.command=${sftp}`] : []),
  ];
  const notes = job.encrypt ? ['restic encrypts the repository itself; `encrypt.gpg` is not applied'] : undefined;
  k.command(
    'backup',
    `restic backup of ${paths.join(', ')}`,
    {
      host,
      argv: [
        ...global,
        'backup',
        `--host=${job.host ?? LOCAL}`,
        tag,
        ...tags.map((t) => `--tag=${t}`),
        ...exclude.map((e) => `--exclude=${e}`),
        '--',
        ...paths,
      ],
      env,
    },
    notes ? { notes } : {},
  );
  if (policy && keep?.ok) {
    const forget = [...global, 'forget', tag, '--group-by=', ...keep.value];
    // restic reads hours, days, weeks ... in its own local time: the zone the plan prunes in.
    const tz = k.timezone();
    const pruneEnv: Record<string, EnvValue> = { ...env, TZ: { value: tz } };
    const declared = hostToolVersions(plan, job.host).restic;
    k.command(
      'prune',
      'restic forget --prune by policy',
      { host, argv: [...forget, '--prune'], env: pruneEnv },
      {
        guard: {
          argv: [...forget, '--dry-run', '--json'],
          parse: 'restic-forget-json',
          min: k.minOf(policy),
          list: { argv: [...global, 'snapshots', '--json', tag], parse: 'restic-snapshots-json' },
          version: [restic, 'version'],
          ...(declared ? { declaredVersion: declared } : {}),
          ...(job.host !== undefined ? { planHost: job.host } : {}),
          engine: 'restic',
          policy,
          timezone: tz,
        },
      },
    );
  }
  return k.result();
}
