// The locks restic and borg keep in their repositories, which outlive a run that was killed.
// Backplan's own job lock (state/lock.ts) proves that no run of the job is alive once it is
// found stale; only under that proof (`--break-stale-lock` broke it) does the runner clear the
// tool's lock too, with the same repository, host and environment as the job's backup step:
// - restic: `restic unlock`, which removes only locks restic itself finds stale (its process
//   gone on the same host, or not refreshed for 30 minutes), never a live one;
// - borg: `borg break-lock REPO`, which removes every lock of the repository (borg 1.2 already
//   removes stale locks of dead processes on the same host by itself; this is for the others).
// - duplicity (no lock, but the same proof): `duplicity cleanup --force`, which removes the
//   partial backup set the interrupted run left (its local `.manifest.part` and the volumes it had
//   copied). Left there, duplicity 0.8 lists that set as complete (a copy that is not one) and the
//   next backup resumes it, trusting volumes a kill or a full disk may have cut short. A run also
//   cleans up after a duplicity backup step that failed (run-plan.ts).
// A step that fails on the tool's lock says which repository and which command clear it.
import type { CommandStep, Step } from '../steps/step';

export type LockingTool = 'restic' | 'borg';

/** The repository a restic or borg step names: `--repo=X`, or `X` of `X::ARCHIVE`, or its last argument. */
export function repositoryOf(argv: readonly string[]): string | undefined {
  const repo = argv.find((a) => a.startsWith('--repo='));
  if (repo) return repo.slice('--repo='.length);
  const archive = argv.find((a) => a.includes('::'));
  if (archive) return archive.slice(0, archive.indexOf('::'));
  const dash = argv.indexOf('--');
  return dash >= 0 && dash < argv.length - 1 ? argv[argv.length - 1] : undefined;
}

function backupStep(kind: string, steps: readonly Step[]): CommandStep | undefined {
  if (kind !== 'restic' && kind !== 'borg' && kind !== 'duplicity') return undefined;
  return steps.find((s): s is CommandStep => s.type === 'command' && s.phase === 'backup');
}

/** The step that clears the tool's stale lock of the repository `steps`' backup writes to. */
export function toolUnlockStep(kind: string, steps: readonly Step[]): CommandStep | undefined {
  const b = backupStep(kind, steps);
  if (!b) return undefined;
  if (kind === 'duplicity') {
    // The backup's binary, cache name, keys and ssh options, and its target url (drivers/duplicity.ts duplicityParts).
    const a = b.argv;
    const common = a.slice(1, -2).filter((x) => /^--(name|encrypt-key|ssh-options)=/.test(x) || x === '--no-encryption');
    const url = a[a.length - 1];
    return {
      type: 'command',
      id: `${b.job}/cleanup`,
      job: b.job,
      phase: 'setup',
      description: `duplicity cleanup: remove the partial backup set an interrupted or failed backup left in ${url}`,
      host: b.host,
      after: [],
      argv: [a[0], 'cleanup', '--force', ...common, url],
      ...(b.env ? { env: b.env } : {}),
      // Bounded like the job's steps (a target that turned read-only makes duplicity retry for minutes).
      ...(b.timeout ? { timeout: b.timeout } : {}),
    };
  }
  let argv: string[];
  if (kind === 'restic') {
    const at = b.argv.indexOf('backup');
    if (at < 1) return undefined;
    argv = [...b.argv.slice(0, at), 'unlock'];
  } else {
    const repo = repositoryOf(b.argv);
    if (repo === undefined) return undefined;
    argv = [b.argv[0], 'break-lock', '--', repo];
  }
  const repo = repositoryOf(b.argv)!;
  return {
    type: 'command',
    id: `${b.job}/unlock`,
    job: b.job,
    phase: 'setup',
    description: `${kind === 'restic' ? 'restic unlock' : 'borg break-lock'}: clear the stale lock the interrupted run left in ${repo}`,
    host: b.host,
    after: [],
    argv,
    ...(b.env ? { env: b.env } : {}),
    ...(b.timeout ? { timeout: b.timeout } : {}),
  };
}

/** One sentence for the stale-lock message of a restic or borg job: what --break-stale-lock also does. */
export function staleToolLockHint(kind: string, steps: readonly Step[]): string | undefined {
  const u = toolUnlockStep(kind, steps);
  if (!u) return undefined;
  if (kind === 'duplicity')
    return (
      `The interrupted run may have left a partial backup set in ${u.argv[u.argv.length - 1]}: --break-stale-lock ` +
      'removes it first (`duplicity cleanup --force`)'
    );
  const repo = repositoryOf(kind === 'restic' ? backupStep(kind, steps)!.argv : u.argv);
  const cmd = kind === 'restic' ? 'restic unlock' : `borg break-lock ${repo}`;
  return (
    `The interrupted run may also have left ${kind}'s own lock in the repository ${repo}: --break-stale-lock ` +
    `clears it too (\`${cmd}\`)`
  );
}

const RESTIC_LOCKED = /unable to create lock|repository is already locked|the `unlock` command can be used/;
const BORG_LOCKED = /Failed to create\/acquire the lock|LockTimeout|lock\.exclusive/;

/**
 * When `message` (a failed step's) is the tool's "repository is locked", a message that names the
 * repository and the command that clears a stale lock; otherwise undefined.
 */
export function toolLockedMessage(argv: readonly string[], message: string): string | undefined {
  const restic = RESTIC_LOCKED.test(message);
  const borg = !restic && BORG_LOCKED.test(message);
  if (!restic && !borg) return undefined;
  const repo = repositoryOf(argv) ?? '(unknown)';
  // What the tool said of the lock: who holds it (restic: PID, host, user) and since when.
  const who = [/locked by [^|\n]*/, /lock was created at [^|\n(]*/, /Failed to create\/acquire the lock [^|\n]*/]
    .map((rx) => rx.exec(message)?.[0].trim())
    .filter(Boolean)
    .join(', ');
  const cmd = restic ? `${argv[0]} --repo=${repo} unlock` : `${argv[0]} break-lock ${repo}`;
  return (
    `the ${restic ? 'restic' : 'borg'} repository ${repo} is locked${who ? ` (${who})` : ''}; ` +
    `if no ${restic ? 'restic' : 'borg'} process uses it any more, \`${cmd}\` removes the stale lock ` +
    `(after an interrupted Backplan run, \`backplan run --break-stale-lock\` runs it)`
  );
}
