// duplicity — `duplicity [--full-if-older-than D] --include PATH... --exclude '**' / URL`: an
// incremental of `paths` into the target of `to` (its `url` as written, else `file://<path>/<job>`
// on the job's host, or `sftp://user@host:port/<path>/<job>` on another host: duplicity's paramiko
// backend, python3-paramiko on the job's host, which reads that host's ~/.ssh/known_hosts), a full
// when the last full is older than `full_every` or there is none. The source is `/` with one --include per path
// (after the --exclude patterns: duplicity's first matching selection wins), so a restore names a
// path the same way whatever the job backs up. Encryption: `encrypt.gpg.recipient` →
// --encrypt-key; `passphrase_env`/`passphrase_file` → PASSPHRASE in the environment (symmetric
// encryption, or the key's passphrase for verify and restore); neither → --no-encryption.
// Pruned by duplicity itself, whole chains only (engine/retention/duplicity.ts), each command
// with --force (without it duplicity only lists): remove-older-than, remove-all-but-n-full,
// remove-all-inc-of-but-n-full, in that order. --name fixes the local cache (archive dir) per job.
// Syntax: duplicity(1) of 0.8.22 (ACTIONS, --full-if-older-than, --name, --encrypt-key,
// --no-encryption, --ssh-options, FILE SELECTION, URL FORMAT `sftp://user@host:port//abs/path`),
// checked against `duplicity --help` of Debian 12.
import { buildPolicy } from '../../plan/build-model';
import type { JobModel, PlanModel, StorageModel } from '../../plan/model';
import { duplicityEngine, duplicityInterval, duplicityRules } from '../../retention/duplicity';
import { PolicyValueError } from '../../retention/common';
import { parseDuration } from '../../time/duration';
import { hasControl, nameProblem } from '../exec/quote';
import { Kit, type DriverContext, type DriverResult } from '../steps/driver-kit';
import type { CommandStep, EnvValue } from '../steps/step';

/** The target URL of the job on `to`, or undefined (an error was reported). */
function target(k: Kit, to: StorageModel, jobHost: string, common: string[]): string | undefined {
  const r = k.repository(to, jobHost);
  if (!r) return undefined;
  if ('url' in r) return r.url;
  if (!r.remote) return `file://${r.path}`;
  const h = r.remote;
  if (h.identity) {
    if (/[\s'"\\]/.test(h.identity)) {
      k.err(
        `host ${h.name}: an identity path with spaces or quotes cannot be passed to duplicity's --ssh-options`,
        h.at,
      );
      return undefined;
    }
    common.push(`--ssh-options=-oIdentityFile=${h.identity}`);
  }
  // duplicity's ssh URLs: a path after the host is relative to the login's home; `//` makes it absolute.
  return `sftp://${h.user ? `${h.user}@` : ''}${h.address}${h.port ? `:${h.port}` : ''}/${r.path}`;
}

/** The GPG keys of `encrypt: {gpg: {recipient}}`, as --encrypt-key flags. */
function encryptKeys(k: Kit): string[] | undefined {
  const enc = k.job.encrypt as Record<string, unknown> | undefined | null;
  if (enc === undefined || enc === null) return [];
  const gpg = enc.gpg as Record<string, unknown> | undefined;
  if (!gpg || typeof gpg !== 'object' || Object.keys(enc).some((x) => x !== 'gpg')) {
    k.err('`encrypt` supports only `{gpg: {recipient: KEY}}` (duplicity --encrypt-key)', k.at('encrypt'));
    return undefined;
  }
  const rec = gpg.recipient;
  const list = Array.isArray(rec) ? rec : rec === undefined ? [] : [rec];
  if (list.length === 0) {
    k.err('`encrypt.gpg.recipient` is required (a key id or fingerprint)', k.at('encrypt', 'gpg'));
    return undefined;
  }
  const out: string[] = [];
  for (const [i, r] of list.entries()) {
    const bad = nameProblem(r);
    if (bad) {
      k.err(
        `\`encrypt.gpg.recipient\` ${bad}`,
        k.at('encrypt', 'gpg', 'recipient', ...(Array.isArray(rec) ? [i] : [])),
      );
      return undefined;
    }
    out.push(`--encrypt-key=${r as string}`);
  }
  return out;
}

/** `full_every` as duplicity's interval, or undefined when absent (an error when unreadable). */
function fullEvery(k: Kit): string | undefined {
  const raw = k.raw.full_every;
  if (raw === undefined || raw === null) return undefined;
  const d = parseDuration(String(raw));
  if (!d.ok) {
    k.err(`\`full_every\`: ${d.message}`, k.at('full_every'));
    return undefined;
  }
  return duplicityInterval(d.value);
}

export function steps(job: JobModel, plan: PlanModel, ctx: DriverContext): DriverResult {
  const k = new Kit(job, plan, ctx);
  const host = k.jobHost();
  const paths = k.paths();
  const exclude = k.excludes();
  const to = k.storage(job.to, 'to');
  const common = [`--name=backplan-${job.name}`];
  const keys = encryptKeys(k);
  const pass = k.secret('passphrase', to);
  const env: Record<string, EnvValue> = pass ? { PASSPHRASE: pass } : {};
  if (keys && keys.length === 0 && !pass) common.push('--no-encryption');
  if (keys) common.push(...keys);
  const url = to ? target(k, to, host, common) : undefined;
  if (url !== undefined && (url.startsWith('-') || hasControl(url)))
    k.err(`the target url \`${url}\` cannot be passed to duplicity`, k.at('to'));
  const full = fullEvery(k);
  const policy = k.policy();
  if (policy) {
    for (const u of duplicityEngine.unsupported(policy)) k.err(`retention: ${u.message}`, k.at('retention'));
  }
  let rules: ReturnType<typeof duplicityRules> = {};
  try {
    if (policy) rules = duplicityRules(policy);
  } catch (e) {
    if (!(e instanceof PolicyValueError)) throw e;
    k.err(`retention: ${e.message}`, k.at('retention'));
  }
  if (k.errors.length || !url) return k.result();

  const bin = k.tool(job.host, 'duplicity');
  const notes = [
    ...(keys && keys.length === 0 && !pass
      ? ['no passphrase and no `encrypt.gpg`: the volumes are not encrypted']
      : []),
  ];
  const selection = [...exclude.map((e) => `--exclude=${e}`), ...paths.map((p) => `--include=${p}`), '--exclude=**'];
  // A backup interrupted (killed, a full or read-only target) leaves a partial set: duplicity 0.8
  // lists it as complete and resumes it at the next backup, trusting the volumes it had copied,
  // which the interruption may have cut short or emptied. It is removed first, so that every set
  // is written in one backup.
  k.command('setup', `duplicity cleanup: remove a partial backup set an interrupted backup left in ${url}`, {
    host,
    argv: [bin, 'cleanup', '--force', ...common, url],
    env,
  });
  k.command(
    'backup',
    `duplicity backup of ${paths.join(', ')} to ${url}`,
    {
      host,
      argv: [bin, ...common, ...(full ? [`--full-if-older-than=${full}`] : []), ...selection, '/', url],
      env,
    },
    notes.length ? { notes } : {},
  );
  // duplicity removes whole chains and never the current one (SPEC §8.3 holds by its own rules).
  // Each command is guarded: its listing without --force must equal Backplan's decision for that
  // one rule on the sets collection-status lists (exec/guard.ts); TZ=UTC for the listed times.
  const keep = policy?.keep;
  const prunes: [string, string, string, Record<string, unknown>][] = [];
  if (rules.within) {
    prunes.push([
      'remove-older-than',
      duplicityInterval(rules.within),
      'chains older than',
      { within: String(keep?.within) },
    ]);
  }
  if (rules.full)
    prunes.push(['remove-all-but-n-full', String(rules.full), 'all but the newest chains:', { full: rules.full }]);
  if (rules.incrementalsOf) {
    const n = rules.incrementalsOf;
    prunes.push([
      'remove-all-inc-of-but-n-full',
      String(n),
      'incrementals of all but the newest chains:',
      { incrementals_of: n },
    ]);
  }
  const pruneEnv: Record<string, EnvValue> = { ...env, TZ: { value: 'UTC' } };
  for (const [cmd, arg, what, rule] of prunes) {
    k.command(
      'prune',
      `duplicity ${cmd}: ${what} ${arg}`,
      { host, argv: [bin, cmd, arg, '--force', ...common, url], env: pruneEnv },
      {
        guard: {
          argv: [bin, cmd, arg, ...common, url],
          parse: 'duplicity-remove-list',
          min: 1,
          list: {
            argv: [bin, 'collection-status', '--log-fd=1', ...common, url],
            parse: 'duplicity-collection-status',
          },
          ...(job.host !== undefined ? { planHost: job.host } : {}),
          engine: 'duplicity',
          policy: buildPolicy({ keep: rule }, policy!.at, policy!.name),
          timezone: 'UTC',
        },
      },
    );
  }
  return k.result();
}

/** The parts of a duplicity backup step a restore or verify reuses: the binary, its common flags, the target. */
export function duplicityParts(step: CommandStep): { bin: string; common: string[]; url: string } {
  const a = step.argv;
  const common = a.slice(1, -2).filter((x) => /^--(name|encrypt-key|ssh-options)=/.test(x) || x === '--no-encryption');
  return { bin: a[0], common, url: a[a.length - 1] };
}
