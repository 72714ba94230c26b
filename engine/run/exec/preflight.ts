// Before a job's first step: is every program its steps start installed where it runs? A job
// whose tool is missing (velero, openstack, vzdump on a machine that is not a Kubernetes client,
// an OpenStack client or a Proxmox node; restic not installed on a storage host ...) fails with
// one line that names the program and the host, and nothing of it runs — instead of its setup
// steps running and its backup step dying halfway with "command not found".
//
// One check per host and job: `sh -c 'for n do command -v -- "$n" ...; done' sh NAME...`, the
// names passed as positional arguments (never pasted into the script, SPEC §8.1), through the
// host's ssh connection (the remote words are quoted by hosts.argv like every other command).
import type { Command, Step } from '../steps/step';
import type { Hosts } from './hosts';
import { capture, describeExit, exitOk } from './process';

/** Prints each name that `command -v` cannot find, NUL-terminated. */
const SCRIPT = 'for n do command -v -- "$n" >/dev/null 2>&1 || printf "%s\\0" "$n"; done';

/** Programs each host must have for `steps` (or bare commands: a restore's), in the order they use them. */
export function programsByHost(steps: readonly (Step | Command)[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const add = (c: Command) => {
    const name = c.argv[0];
    if (name === undefined || name === '') return;
    const list = out.get(c.host) ?? [];
    if (!list.includes(name)) list.push(name);
    out.set(c.host, list);
  };
  for (const s of steps) {
    if (!('type' in s)) add(s);
    else if (s.type === 'command') add(s);
    if ('type' in s && (s.type === 'command' || s.type === 'builtin')) for (const c of s.pipe ?? []) add(c);
  }
  return out;
}

/** Where a host is, for a message. */
function where(hosts: Hosts, host: string): string {
  return hosts.isLocal(host) ? 'this machine' : `host ${host}`;
}

/**
 * Why `steps` cannot start (a program missing, a host that cannot be reached), or undefined
 * when every program is there. Runs nothing but the check itself.
 */
export async function preflight(
  steps: readonly (Step | Command)[],
  hosts: Hosts,
  signal?: AbortSignal,
): Promise<string | undefined> {
  const problems: string[] = [];
  await Promise.all(
    [...programsByHost(steps)].map(async ([host, names]) => {
      try {
        await hosts.ready(host);
      } catch (e) {
        problems.push((e as Error).message);
        return;
      }
      const r = await capture(hosts.argv(host, ['sh', '-c', SCRIPT, 'sh', ...names]), { signal });
      if (!exitOk(r)) {
        problems.push(`cannot check the programs of this job on ${where(hosts, host)}: ${describeExit('sh', r)}`);
        return;
      }
      const missing = r.stdout.toString('utf8').split('\0').filter(Boolean);
      for (const m of missing) {
        problems.push(
          `${m} is not installed on ${where(hosts, host)}: \`command -v ${m}\` finds nothing on its PATH (install ` +
            `it, or give its path under the host's \`tools\`); nothing was run`,
        );
      }
    }),
  );
  return problems.length ? problems.join('; ') : undefined;
}
