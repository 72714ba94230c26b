// What to do when duplicity cannot reach its sftp:// target, said after duplicity's own words.
// Its paramiko backend asks on the terminal whether to trust a host key it does not know; run by
// Backplan nothing can answer, and duplicity 0.8.22 reports only "ssh connection to U@H:P failed:
// EOF when reading a line" (ssh_paramiko_backend.py). Without python3-paramiko it says "No
// module named 'paramiko'".
const UNKNOWN_KEY = /ssh connection to (\S+)@(\S+):(\d+) failed: EOF when reading a line/;
const NO_PARAMIKO = /No module named '?paramiko'?/;

/** The sentence to add to a failed duplicity command's message, or undefined. */
export function duplicityHint(text: string): string | undefined {
  const key = UNKNOWN_KEY.exec(text);
  if (key) {
    const [, user, host, port] = key;
    return (
      `— the job's host does not know the host key of ${host} (duplicity's sftp backend, paramiko, asks ` +
      `and nothing can answer): accept it once on the job's host, as the user Backplan runs duplicity ` +
      `as (\`ssh -p ${port} ${user}@${host}\`), into that user's ~/.ssh/known_hosts`
    );
  }
  if (NO_PARAMIKO.test(text)) return "— install python3-paramiko on the job's host (duplicity's sftp:// backend)";
  return undefined;
}
