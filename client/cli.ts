// Runs the `backplan` command as a child process: argv only, never a shell string. By default
// the command shipped inside the extension (dist/cli.js) under the extension host's own Node
// (ELECTRON_RUN_AS_NODE makes VS Code's Electron binary behave as node; plain node ignores it);
// `backplan.cli.path` names another executable (ignored in untrusted workspaces).
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';

export interface CliLocation {
  /** The extension's folder (holds dist/cli.js). */
  extensionPath: string;
  /** `backplan.cli.path`, empty for the shipped command. */
  cliPath: string;
}

export interface CliCommand {
  file: string;
  args: string[];
  env: NodeJS.ProcessEnv;
}

export function cliCommand(loc: CliLocation, args: string[]): CliCommand {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  if (loc.cliPath) return { file: loc.cliPath, args, env };
  return { file: process.execPath, args: [join(loc.extensionPath, 'dist', 'cli.js'), ...args], env: { ...env, ELECTRON_RUN_AS_NODE: '1' } };
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Starts the command in the plan's folder (relative paths in a plan are the plan's). */
export function spawnCli(loc: CliLocation, args: string[], planFile?: string): ChildProcess {
  const c = cliCommand(loc, args);
  return spawn(c.file, c.args, {
    cwd: planFile ? dirname(planFile) : undefined,
    env: c.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    shell: false,
    windowsHide: true,
  });
}

/** Runs the command to completion and collects its output (for plan, simulate, export). */
export function execCli(loc: CliLocation, args: string[], planFile?: string, cancel?: { onCancellationRequested(f: () => void): unknown }): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawnCli(loc, args, planFile);
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    cancel?.onCancellationRequested(() => child.kill('SIGTERM'));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** The first line of stderr without the `backplan:` prefix, for an error message. */
export function cliError(r: CliResult): string {
  const line = r.stderr.split('\n').find((l) => l.trim() !== '') ?? `exited with ${r.code ?? r.signal}`;
  return line.replace(/^backplan:\s*/, '');
}

/** True when the command does not know this subcommand (an older or partial `backplan`). */
export function isUnknownCommand(r: CliResult): boolean {
  return r.code === 2 && /unknown command/.test(r.stderr);
}
