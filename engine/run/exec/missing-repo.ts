// What restic and borg print when the repository a step names does not exist yet (it was never
// initialised): restic 0.14 "Fatal: unable to open config file: ... Is there a repository at the
// following location?", borg 1.2 "Repository /path does not exist." (prefixed with "Remote: "
// over ssh). Used by `backplan init` to decide to create the repository, and by a failed backup
// step to say that `backplan init` comes first. Its own module: exec/execute.ts and
// ops/init-job.ts both use it.

const RESTIC_NO_REPO = /Is there a repository at the following location\?|unable to open config file/;
const BORG_NO_REPO = /Repository \S.* does not exist/;

/** The tool's output says there is no repository there (restic or borg). */
export function saysNoRepository(text: string): boolean {
  return RESTIC_NO_REPO.test(text) || BORG_NO_REPO.test(text);
}

/** The sentence a failed first backup ends with. */
export function initHint(job: string): string {
  return `— run \`backplan init PLAN --job ${job}\` first`;
}
