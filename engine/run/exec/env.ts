// Environment of a command: plain values as written, secrets resolved at exec time from their
// reference (`*_env`: a variable of Backplan's own environment; `*_file`: a file on the host
// where the command runs, read just before it runs). Every secret value is registered with the
// run's Redactor. Values reach local processes through their environment; remote ones through
// the ssh channel's stdin (remoteEnvWrapper), never in argv.
import { readFileSync } from 'node:fs';
import type { Command, EnvValue } from '../steps/step';
import { capture, describeExit, exitOk } from './process';
import type { Hosts } from './hosts';
import type { Redactor } from './redact';

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export class EnvError extends Error {}

/** A secret file's value: its content less one trailing newline (as password files are written). */
function fileValue(text: string): string {
  return text.replace(/\r?\n$/, '');
}

export async function resolveEnv(
  cmd: Command,
  hosts: Hosts,
  redactor: Redactor,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [name, v] of Object.entries(cmd.env ?? {}) as [string, EnvValue][]) {
    if (!ENV_NAME.test(name)) throw new EnvError(`environment variable name \`${name}\` is not valid`);
    if ('value' in v) {
      out[name] = v.value;
    } else if ('fromEnv' in v) {
      const value = env[v.fromEnv];
      if (value === undefined || value === '')
        throw new EnvError(`environment variable ${v.fromEnv} is not set (it holds ${name} for this step)`);
      redactor.add(value);
      out[name] = value;
    } else {
      let text: string;
      if (hosts.isLocal(cmd.host)) {
        try {
          text = readFileSync(v.fromFile, 'utf8');
        } catch (e) {
          throw new EnvError(
            `cannot read secret file ${v.fromFile} (${(e as NodeJS.ErrnoException).code ?? String(e)}), which holds ` +
              `${name} for this step`,
          );
        }
      } else {
        await hosts.ready(cmd.host);
        const r = await capture(hosts.argv(cmd.host, ['cat', '--', v.fromFile]), { maxOut: 1024 * 1024 });
        if (!exitOk(r))
          throw new EnvError(`cannot read secret file ${v.fromFile} on ${cmd.host}: ${describeExit('cat', r)}`);
        text = r.stdout.toString('utf8');
      }
      const value = fileValue(text);
      redactor.add(value);
      out[name] = value;
    }
  }
  return out;
}

/**
 * Remote commands with an environment run as `sh -c READER backplan-env ARGV...`: READER, a
 * fixed script, reads `NAME=ESCAPED` lines from stdin up to an empty line, exports them and
 * execs ARGV with the rest of stdin. Values are sent as octal escapes (every byte), so they
 * decode with POSIX printf alone and can hold any byte but NUL.
 */
export const REMOTE_ENV_READER =
  'while IFS= read -r l; do [ -z "$l" ] && break; n=${l%%=*}; v=$(printf "${l#*=}x"); export "$n=${v%x}"; done; exec ' +
    '"$@"';

export function remoteEnvWrapper(
  env: Record<string, string>,
  argv: readonly string[],
): { argv: string[]; header: Buffer } {
  let header = '';
  for (const [name, value] of Object.entries(env)) {
    if (!ENV_NAME.test(name)) throw new EnvError(`environment variable name \`${name}\` is not valid`);
    if (value.includes('\0')) throw new EnvError(`the value of ${name} holds a NUL byte`);
    let enc = '';
    for (const b of Buffer.from(value, 'utf8')) enc += `\\${b.toString(8).padStart(3, '0')}`;
    header += `${name}=${enc}\n`;
  }
  header += '\n';
  return { argv: ['sh', '-c', REMOTE_ENV_READER, 'backplan-env', ...argv], header: Buffer.from(header, 'utf8') };
}
