// One argv on one host, outside a step (the restore tests of `backplan verify`): locally with
// the resolved environment added to Backplan's own, or over the run's ssh connection with the
// environment sent ahead of the data on the channel's stdin (remoteEnvWrapper), so a password
// is never in argv (SPEC §8.8) wherever the database server is.
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { remoteEnvWrapper } from './env';
import type { Hosts } from './hosts';
import { spawnArgv, type Exit } from './process';

export interface HostRunner {
  /** LOCAL or a host of the plan. */
  host: string;
  /** Run argv to completion, collecting stdout. */
  capture(argv: readonly string[]): Promise<Exit & { stdout: Buffer }>;
  /** Run argv with `input` on its stdin; stdout is discarded. */
  feed(argv: readonly string[], input: Readable): Promise<Exit>;
}

export function hostRunner(hosts: Hosts, host: string, env: Record<string, string>): HostRunner {
  async function run(
    argv: readonly string[],
    input: Readable | undefined,
    collect: boolean,
  ): Promise<Exit & { stdout: Buffer }> {
    await hosts.ready(host);
    let full: string[];
    let header: Buffer | undefined;
    let spawnEnv: NodeJS.ProcessEnv | undefined;
    if (hosts.isLocal(host)) {
      full = [...argv];
      spawnEnv = { ...process.env, ...env };
    } else if (Object.keys(env).length) {
      const w = remoteEnvWrapper(env, argv);
      full = hosts.argv(host, w.argv);
      header = w.header;
    } else {
      full = hosts.argv(host, argv);
    }
    const p = spawnArgv(full, {
      env: spawnEnv,
      stdin: input || header ? 'pipe' : 'ignore',
      stdout: collect ? 'pipe' : 'ignore',
    });
    const chunks: Buffer[] = [];
    if (collect) p.child.stdout!.on('data', (d: Buffer) => chunks.push(d));
    const stdin = p.child.stdin;
    let fed: Promise<unknown> = Promise.resolve();
    if (stdin) {
      if (header) stdin.write(header);
      // A tool may stop reading early (a damaged dump): its exit status says why.
      if (input) fed = pipeline(input, stdin).catch(() => undefined);
      else stdin.end();
    }
    const e = await p.done;
    // The process is gone: stop feeding it, whatever is left of the input.
    if (input && !input.readableEnded) input.destroy();
    stdin?.destroy();
    await fed;
    return { ...e, stdout: Buffer.concat(chunks) };
  }
  return {
    host,
    capture: (argv) => run(argv, undefined, true),
    feed: (argv, input) => run(argv, input, false),
  };
}
