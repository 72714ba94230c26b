// Output to a closed pipe (`backplan simulate PLAN | head -1`): the reader went away, so the
// command ends quietly, as `ls | head` does: no message, no stack trace, exit 141 — the status
// bash reports for `ls` there (128 + SIGPIPE). Node ignores SIGPIPE and reports EPIPE as an
// `error` event on process.stdout / process.stderr, which would otherwise crash with a trace.
//
// A command that is changing things (a real run, prune or restore test) is not stopped halfway
// because a log reader went away: its output is dropped and it finishes, with its own exit code.
// Ctrl-C and SIGTERM still stop it cleanly.

export const CLOSED_PIPE_EXIT = 141;

let changingThings = false;

/** Set by cli/main.ts around a command that changes things. */
export function setChangingThings(on: boolean): void {
  changingThings = on;
}

export function guardPipes(
  stdout: NodeJS.WritableStream = process.stdout,
  stderr: NodeJS.WritableStream = process.stderr,
  exit: (code: number) => void = (code) => process.exit(code),
): void {
  let stderrOpen = true;
  const onError = (which: 'stdout' | 'stderr') => (e: NodeJS.ErrnoException) => {
    if (which === 'stderr') stderrOpen = false;
    if (e?.code === 'EPIPE' || e?.code === 'ERR_STREAM_DESTROYED') {
      if (!changingThings) exit(CLOSED_PIPE_EXIT);
      return;
    }
    // Any other failure to write (a full disk, an I/O error): one line where it can still go.
    if (which === 'stdout' && stderrOpen) {
      try {
        stderr.write(`backplan: cannot write the output: ${e?.code ?? e?.message ?? String(e)}\n`);
      } catch {
        // nothing more can be said
      }
    }
    if (!changingThings) exit(2);
  };
  stdout.on('error', onError('stdout'));
  stderr.on('error', onError('stderr'));
}
