// The fixed shell scripts SshFs runs on a storage host, so that listing a directory or giving an
// output its final name costs one ssh round trip instead of three to five.
//
// THE RULE (SPEC §8.1): each script is a constant (the only values in its text are the exit
// codes below). Every path is passed as a positional argument
// (`sh -c SCRIPT sh ARG1 ARG2 ...`, each word quoted by the one quoting function through
// hosts.argv) and read as "$1", "$2" ... inside double quotes; nothing from a plan is ever pasted
// into the script's text. Every tool ends its options with `--` (or is given `of=` / a path that
// starts with `/`), so no name is read as an option.
//
// Each stage exits with its own code, so the caller can say which stage failed and keep a
// missing directory apart from an unreachable host (ssh exits 255) or a refusal (find, ln ...
// exit 1, and the shell 126/127). The codes are chosen outside what those tools use.

/** Exit codes of the scripts below (not used by ssh, sh, find, ln, rm, mv or dd). */
export const EXIT = {
  /** The directory to list does not exist. */
  missing: 3,
  /** The final name is taken: a copy is never replaced. */
  exists: 4,
  /** Writing the manifest failed (dd said why on stderr). */
  write: 5,
  /** The first `ln -T` (or `mv -T`) failed. */
  link: 6,
  /** The second `ln -T` failed; the first final name was taken back. */
  linkSecond: 7,
  /** Removing a partial name after the link failed. */
  unlink: 8,
} as const;

/**
 * List `$1`: exit `missing` when it does not exist, else `find`'s NUL-terminated `TYPE NAME`
 * records (find exits 1 on a permission error, ssh 255 when the host is unreachable).
 */
export const LIST = `test -e "$1" || exit ${EXIT.missing}; exec find "$1" -mindepth 1 -maxdepth 1 -printf "%y %f\\0"`;

/**
 * Give the file `$1` its final name `$2` without ever replacing it (`ln -T` fails when `$2`
 * exists), drop the partial name, and make the directory `$3` durable. A failed directory sync
 * is not an error (some file systems refuse fsync on a directory).
 */
export const COMMIT_FILE = `ln -T -- "$1" "$2" || exit ${EXIT.link}; rm -f -- "$1" || exit ${EXIT.unlink}; sync -- ` +
  `"$3" 2>/dev/null; exit 0`;

/**
 * Rename the directory `$1` to `$2` only when `$2` is free (checked first: `mv -T` would replace
 * an empty directory or a symlink), then sync the parent `$3`. The caller holds the job's lock.
 */
export const COMMIT_DIRECTORY = `if test -e "$2" || test -L "$2"; then exit ${EXIT.exists}; fi; mv -T -- "$1" "$2" ` +
  `|| exit ${EXIT.link}; sync -- "$3" 2>/dev/null; exit 0`;

/**
 * An output and its manifest, in one call. `$1` directory, `$2` manifest partial, `$3` manifest
 * final name, `$4` output partial, `$5` output final name; the manifest's bytes on stdin.
 * Refuses when the output's final name is taken, writes and fsyncs the manifest, then gives the
 * manifest its name FIRST and the output second: a crash between the two leaves a manifest
 * without its output (ignored by listings), never an output that looks whole without its
 * manifest. If the output cannot take its name, the manifest's final name is taken back.
 */
export const COMMIT_WITH_MANIFEST = [
  `if test -e "$5" || test -L "$5"; then exit ${EXIT.exists}; fi`,
  `dd of="$2" bs=1M conv=fsync status=none || { rm -f -- "$2"; exit ${EXIT.write}; }`,
  `ln -T -- "$2" "$3" || { rm -f -- "$2"; exit ${EXIT.link}; }`,
  `if ! ln -T -- "$4" "$5"; then rm -f -- "$3" "$2"; exit ${EXIT.linkSecond}; fi`,
  `rm -f -- "$2" "$4" || exit ${EXIT.unlink}`,
  'sync -- "$1" 2>/dev/null',
  'exit 0',
].join('\n');

/**
 * Remove names atomically for listings: `$1` their directory, then pairs `NAME HIDDEN` (HIDDEN
 * is `DIR/.deleting-NAME`). Each NAME that exists is renamed to HIDDEN (a HIDDEN left by an
 * interrupted removal deleted first), in the order given, the directory synced, and only then
 * are the hidden names deleted.
 */
export const REMOVE_HIDDEN = [
  'd=$1; shift; set -- "$@" --end--',
  'while [ "$1" != --end-- ]; do',
  '  if test -e "$1" || test -L "$1"; then',
  `    rm -rf -- "$2" || exit ${EXIT.unlink}`,
  `    mv -T -- "$1" "$2" || exit ${EXIT.link}`,
  '    set -- "$@" "$2"',
  '  fi',
  '  shift 2',
  'done',
  'shift',
  'sync -- "$d" 2>/dev/null',
  `if [ "$#" -gt 0 ]; then rm -rf -- "$@" || exit ${EXIT.unlink}; fi`,
  'sync -- "$d" 2>/dev/null',
  'exit 0',
].join('\n');
