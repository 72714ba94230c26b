// The one quoting function for remote commands (SPEC §8.1), the ssh argv builder, and the value
// checks that keep plan values from being read as options by the tools they are passed to.
//
// Remote commands: OpenSSH joins every word after the destination with single spaces and hands
// the result to the remote user's login shell (`$SHELL -c STRING`). So each argv element is
// wrapped in POSIX single quotes, where every character is literal; an embedded `'` becomes
// `'\''` (close, escaped quote, reopen). This is exact for POSIX shells (sh, dash, bash, ksh,
// zsh); the remote account must use one of those (csh/fish have other quoting rules).
import type { HostModel } from '../../plan/model';

export class QuoteError extends Error {}

/** POSIX single-quote one word. Always quotes, so the result is one literal word. */
export function shQuote(word: string): string {
  if (typeof word !== 'string') throw new QuoteError(`cannot quote a ${typeof word}`);
  if (word.includes('\0')) throw new QuoteError('a NUL byte cannot be passed in a command argument');
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** Quote every element and join with spaces: the remote command string ssh sends. */
export function shJoin(argv: readonly string[]): string {
  return argv.map(shQuote).join(' ');
}

const SAFE_DISPLAY = /^[A-Za-z0-9_@%+=:,./-]+$/;

/**
 * Display-only quoting: bare when the word has nothing a shell would interpret, single-quoted
 * otherwise (newlines and other control characters are shown as `$'\n'`-free escapes inside the
 * quotes so a listing stays on one line). Never use this to build a command.
 */
export function displayQuote(word: string): string {
  if (word !== '' && SAFE_DISPLAY.test(word)) return word;
  // eslint-disable-next-line no-control-regex
  const visible = word.replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return `'${visible.replace(/'/g, `'\\''`)}'`;
}

export function displayArgv(argv: readonly string[]): string {
  return argv.map(displayQuote).join(' ');
}

// ---------------------------------------------------------------------------------------------
// Hosts

/** The host name Steps use for "this machine" (a host without address, or `localhost`). */
export const LOCAL = 'local';

const LOCAL_ADDRESSES = new Set(['localhost', '127.0.0.1', '::1']);

export function isLocalHost(host: HostModel | undefined): boolean {
  if (!host) return true;
  const a = host.address;
  return a === undefined || a === null || a === '' || (typeof a === 'string' && LOCAL_ADDRESSES.has(a));
}

/** Problems with a host's connection fields that would make ssh misread them. */
export function hostProblems(host: HostModel): string[] {
  const out: string[] = [];
  const a = host.address;
  if (a !== undefined && a !== null) {
    if (typeof a !== 'string' || a === '') out.push(`host ${host.name}: address must be a non-empty string`);
    else if (a.startsWith('-'))
      out.push(`host ${host.name}: address \`${a}\` starts with '-' and would be read as an ssh option`);
    else if (/[\s@'"\\`$;&|<>()]/.test(a) || hasControl(a))
      out.push(`host ${host.name}: address \`${a}\` contains characters not allowed in a host name or IP address`);
  }
  const u = host.user;
  if (u !== undefined && u !== null) {
    if (typeof u !== 'string' || u === '') out.push(`host ${host.name}: user must be a non-empty string`);
    else if (u.startsWith('-') || /[\s@:'"\\`$;&|<>()]/.test(u) || hasControl(u))
      out.push(`host ${host.name}: user \`${u}\` is not a valid login name`);
  }
  const p = host.port;
  if (p !== undefined && p !== null && !(Number.isInteger(p) && p >= 1 && p <= 65535)) {
    out.push(`host ${host.name}: port must be an integer from 1 to 65535`);
  }
  const i = host.identity;
  if (i !== undefined && i !== null) {
    if (typeof i !== 'string' || i === '') out.push(`host ${host.name}: identity must be a path`);
    else if (i.startsWith('-') || hasControl(i))
      out.push(
        `host ${host.name}: identity \`${i}\` must be a file path (it starts with '-' or holds control characters)`,
      );
  }
  return out;
}

/** `user@address`, or the address alone. */
export function sshDestination(host: HostModel): string {
  if (typeof host.address !== 'string' || host.address === '') throw new QuoteError(`host ${host.name} has no address`);
  return host.user ? `${host.user}@${host.address}` : host.address;
}

/** Keep-alive probes of an ssh session: one every `interval` s, given up after `count` unanswered. */
export const SERVER_ALIVE = { interval: 15, count: 4 } as const;

export interface SshOptions {
  /** ControlPath for connection sharing (one master per host per run). */
  controlPath?: string;
  /** Seconds to keep a master open after the last client (default 60 when controlPath is set). */
  controlPersist?: number;
  /** ConnectTimeout in seconds (default 10). */
  connectTimeout?: number;
  /** Extra `-o` options, e.g. 'StrictHostKeyChecking=accept-new' or 'UserKnownHostsFile=...'. */
  options?: string[];
}

/**
 * The argv that runs `remoteArgv` on `host` through the system OpenSSH client:
 * `ssh -o BatchMode=yes ... [-p PORT] [-i IDENTITY] -- user@address 'w1' 'w2' ...`.
 * `--` before the destination ends option parsing for good (OpenSSH otherwise parses options
 * that follow the destination too), and every remote word is single-quoted by shQuote.
 */
export function sshArgv(host: HostModel, remoteArgv: readonly string[], opts: SshOptions = {}): string[] {
  const problems = hostProblems(host);
  if (problems.length > 0) throw new QuoteError(problems.join('; '));
  if (remoteArgv.length === 0) throw new QuoteError('empty remote command');
  // ssh keeps the FIRST value it is given for an option: the user's `-o` options come before
  // the defaults below so that they can change them (BatchMode stays: nothing may prompt).
  const argv = ['ssh', '-o', 'BatchMode=yes'];
  for (const o of opts.options ?? []) {
    checkOptionValue('ssh option', o);
    argv.push('-o', o);
  }
  // A host that stops answering mid-transfer (hung, or its network dropped without a reset) is
  // given up after about a minute instead of the kernel's TCP timeout of many minutes.
  argv.push(
    '-o',
    `ConnectTimeout=${opts.connectTimeout ?? 10}`,
    '-o',
    `ServerAliveInterval=${SERVER_ALIVE.interval}`,
    '-o',
    `ServerAliveCountMax=${SERVER_ALIVE.count}`,
  );
  if (opts.controlPath !== undefined) {
    checkOptionValue('controlPath', opts.controlPath);
    argv.push(
      '-o',
      'ControlMaster=auto',
      '-o',
      `ControlPath=${opts.controlPath}`,
      '-o',
      `ControlPersist=${opts.controlPersist ?? 60}`,
    );
  }
  if (host.port !== undefined && host.port !== null) argv.push('-p', String(host.port));
  if (host.identity) argv.push('-i', host.identity, '-o', 'IdentitiesOnly=yes');
  argv.push('--', sshDestination(host));
  for (const w of remoteArgv) argv.push(shQuote(w));
  return argv;
}

function checkOptionValue(label: string, v: string): void {
  if (typeof v !== 'string' || v === '' || v.startsWith('-') || hasControl(v))
    throw new QuoteError(`invalid ${label}: ${JSON.stringify(v)}`);
}

// ---------------------------------------------------------------------------------------------
// Plan values placed in argv

// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x1f\x7f]/;

export function hasControl(s: string): boolean {
  return CONTROL.test(s);
}

/**
 * Why `value` cannot be passed as a name-like argument (dataset, instance, database, server,
 * recipient ...), or undefined when it can. A leading '-' is refused because several tools
 * (zfs, incus, openstack, mysqldump, vzdump) have no reliable `--` end-of-options marker for
 * every sub-command; control characters are refused because no such name legitimately holds one.
 */
export function nameProblem(value: unknown): string | undefined {
  if (typeof value !== 'string') return `must be a string (got ${value === null ? 'null' : typeof value})`;
  if (value === '') return 'must not be empty';
  if (value.startsWith('-')) return `\`${value}\` starts with '-' and would be read as an option`;
  if (hasControl(value)) return `\`${displayQuote(value)}\` contains a control character (newline, tab, NUL ...)`;
  return undefined;
}

/**
 * Why `value` cannot be used as a path argument, or undefined. Paths must be absolute, so they
 * can never be mistaken for an option, and free of control characters.
 */
export function absPathProblem(value: unknown): string | undefined {
  if (typeof value !== 'string') return `must be a path string (got ${value === null ? 'null' : typeof value})`;
  if (!value.startsWith('/')) return `\`${value}\` must be an absolute path (starting with /)`;
  if (hasControl(value)) return `\`${displayQuote(value)}\` contains a control character (newline, tab, NUL ...)`;
  return undefined;
}
