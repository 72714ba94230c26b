// Where a run keeps its state (journals, locks, ssh control sockets): `--state-dir`, else
// $BACKPLAN_STATE_DIR, else $XDG_STATE_HOME/backplan, else ~/.local/state/backplan.
// Resolving the directory touches nothing; `ensureStateDir` creates it (mode 0700) only when a
// real run, prune or verify starts, so a dry run leaves no trace (SPEC §8.7).
import { closeSync, fsyncSync, mkdirSync, openSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

export function resolveStateDir(option: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  if (option !== undefined && option !== '') return resolve(option);
  if (env.BACKPLAN_STATE_DIR) return resolve(env.BACKPLAN_STATE_DIR);
  if (env.XDG_STATE_HOME) return resolve(env.XDG_STATE_HOME, 'backplan');
  return join(homedir(), '.local', 'state', 'backplan');
}

export interface StateLayout {
  root: string;
  /** One append-only journal per run: runs/<run-id>.jsonl */
  runs: string;
  /** One lock file per job: locks/<job>.lock */
  locks: string;
  /** ssh ControlMaster sockets of the runs in progress. */
  ssh: string;
}

export function stateLayout(root: string): StateLayout {
  return { root, runs: join(root, 'runs'), locks: join(root, 'locks'), ssh: join(root, 'ssh') };
}

/** Create the state directories (0700: journals name paths and hosts) and return the layout. */
export function ensureStateDir(root: string): StateLayout {
  const l = stateLayout(root);
  for (const d of [l.root, l.runs, l.locks, l.ssh]) mkdirSync(d, { recursive: true, mode: 0o700 });
  return l;
}

/** fsync a directory so a file created or renamed in it survives a crash. */
export function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Some file systems refuse fsync on a directory; the data itself was fsynced already.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

export function fsyncParent(path: string): void {
  fsyncDir(dirname(path));
}
