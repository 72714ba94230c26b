// A restore test's scratch directory and comparison on another host: the copy is restored there
// (the tool runs where the job runs, as `backplan restore` does), so the files are compared there
// too — one fixed script over ssh, with the restored root and the source paths as its arguments,
// never part of it (SPEC §8.1). `cmp` compares every restored regular file byte for byte with the
// same path of the source; the answer is NUL-separated, so any name (a newline, bytes that are
// not UTF-8) comes back exactly. The verdicts are those of compareTree (repo.ts) on this machine.
import type { Hosts } from '../exec/hosts';
import { capture, describeExit, exitOk } from '../exec/process';
import { displayName } from '../builtin/names';

export interface TreeComparison {
  checked: number;
  bytes: number;
  problems: string[];
}

// $1 the restored root, then the source paths. First record `B <bytes>`, then one `K <path>` per
// restored file (S same, D differs, G no longer a regular file in the source, E cmp failed), or
// `M <path>` for a source path the copy does not hold.
const COMPARE = `r=$1; shift
printf 'B %s\\0' "$(find "$r" -type f -printf '%s\\n' | awk '{ s += $1 } END { print s + 0 }')"
for p do
  if [ ! -e "$r$p" ]; then printf 'M %s\\0' "$p"; continue; fi
  find "$r$p" -type f -exec sh -c '
    r=$1; shift
    for f do
      s=\${f#"$r"}
      if [ -L "$s" ] || [ ! -f "$s" ]; then k=G
      else
        cmp -s -- "$f" "$s"; c=$?
        if [ $c -eq 0 ]; then k=S; elif [ $c -eq 1 ]; then k=D; else k=E; fi
      fi
      printf "%s %s\\0" "$k" "$s"
    done' sh "$r" {} +
done`;

const VERDICT: Record<string, string | undefined> = {
  S: undefined,
  D: 'differs from the source',
  G: 'in the snapshot but no longer a file in the source',
  E: 'cannot be compared (cmp failed)',
};

/** Compare `root` + each of `paths` with `paths` themselves, on `host`. */
export async function compareRemoteTree(
  hosts: Hosts,
  host: string,
  root: string,
  paths: readonly string[],
  signal?: AbortSignal,
): Promise<TreeComparison> {
  await hosts.ready(host);
  const argv = hosts.argv(host, ['sh', '-c', COMPARE, 'sh', root, ...paths]);
  const r = await capture(argv, { signal, maxOut: 256 * 1024 * 1024 });
  if (!exitOk(r)) throw new Error(`cannot compare the restored files on ${host}: ${describeExit('sh', r)}`);
  const out: TreeComparison = { checked: 0, bytes: 0, problems: [] };
  let at = 0;
  const buf = r.stdout;
  while (at < buf.length) {
    let end = buf.indexOf(0, at);
    if (end < 0) end = buf.length;
    const rec = buf.subarray(at, end);
    at = end + 1;
    if (rec.length < 2 || rec[1] !== 0x20) continue;
    const kind = String.fromCharCode(rec[0]);
    const name = rec.subarray(2);
    if (kind === 'B') out.bytes = Number(name.toString('latin1')) || 0;
    else if (kind === 'M') out.problems.push(`${displayName(name)}: not in the restored snapshot`);
    else if (kind in VERDICT) {
      out.checked++;
      const v = VERDICT[kind];
      if (v) out.problems.push(`${displayName(name)}: ${v}`);
    }
  }
  return out;
}

/** A scratch directory on `host` (mktemp, under the host's TMPDIR or /tmp). */
export async function remoteScratch(hosts: Hosts, host: string, signal?: AbortSignal): Promise<string> {
  await hosts.ready(host);
  const r = await capture(hosts.argv(host, ['mktemp', '-d', '-t', 'bp-verify-XXXXXXXX']), { signal });
  const dir = r.stdout.toString('utf8').trim();
  if (!exitOk(r) || !dir.startsWith('/'))
    throw new Error(`cannot make a scratch directory on ${host}: ${describeExit('mktemp', r)}`);
  return dir;
}

/** Remove a scratch directory made by remoteScratch; a failure is reported, never thrown. */
export async function removeRemoteScratch(hosts: Hosts, host: string, dir: string): Promise<string | undefined> {
  const r = await capture(hosts.argv(host, ['rm', '-rf', '--', dir]));
  if (exitOk(r)) return undefined;
  return `the scratch directory ${dir} on ${host} could not be removed (${describeExit('rm', r)}): remove it by hand`;
}
