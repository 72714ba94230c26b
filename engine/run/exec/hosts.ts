// How a command reaches its host: `local` runs argv as it is; a plan host runs it through the
// system ssh client with sshArgv (every remote word single-quoted by the one quoting function,
// SPEC §8.1). A run opens one ControlMaster per host (the first command to a host waits while
// it is set up, the others share it) and closes them all when the run ends.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HostModel, PlanModel } from '../../plan/model';
import { hostProblems, LOCAL, sshArgv, sshDestination } from './quote';
import { capture, describeExit, exitOk } from './process';

/** Unix socket paths are limited to ~108 bytes; %C expands to 40 hex characters. */
const MAX_CONTROL_DIR = 60;

export interface HostsOptions {
  /** Directory for ControlMaster sockets (the state dir's ssh/); a short temporary one if too long. */
  controlDir?: string;
  /** Extra `-o` options for every ssh (tests: UserKnownHostsFile, StrictHostKeyChecking ...). */
  sshOptions?: string[];
  signal?: AbortSignal;
  /** false: plain connections, no ControlMaster and no socket directory (dry runs touch nothing). */
  multiplex?: boolean;
}

export class Hosts {
  private readonly masters = new Map<string, Promise<void>>();
  private controlDir: string | undefined;
  private ownDir = false;

  constructor(
    readonly plan: PlanModel,
    private readonly opts: HostsOptions = {},
  ) {
    this.controlDir = opts.controlDir;
    if (this.controlDir !== undefined && this.controlDir.length > MAX_CONTROL_DIR) this.controlDir = undefined;
  }

  isLocal(host: string): boolean {
    return host === LOCAL;
  }

  model(host: string): HostModel {
    const h = this.plan.hosts.get(host);
    if (!h) throw new Error(`host \`${host}\` is not defined in the plan`);
    return h;
  }

  private controlPath(): string {
    if (this.controlDir === undefined) {
      this.controlDir = mkdtempSync(join(tmpdir(), 'bp-ssh-'));
      this.ownDir = true;
    }
    return join(this.controlDir, '%C');
  }

  /** The argv that runs `argv` on `host`. */
  argv(host: string, argv: readonly string[]): string[] {
    if (this.isLocal(host)) return [...argv];
    const controlPath = this.opts.multiplex === false ? undefined : this.controlPath();
    return sshArgv(this.model(host), argv, { ...(controlPath ? { controlPath } : {}), options: this.opts.sshOptions });
  }

  /** Open (once) the host's ControlMaster; rejects with ssh's own message when it cannot connect. */
  ready(host: string): Promise<void> {
    if (this.isLocal(host)) return Promise.resolve();
    let p = this.masters.get(host);
    if (!p) {
      p = (async () => {
        const r = await capture(this.argv(host, ['true']), { signal: this.opts.signal });
        if (exitOk(r)) return;
        // A changed key is not an outage: say so first (reinstalled host, or someone in between).
        const keyChanged = /Host key verification failed|IDENTIFICATION HAS CHANGED/.test(describeExit('ssh', r));
        const why = keyChanged ? ' safely: its host key does not match known_hosts, so ssh refused to connect' : '';
        throw new Error(`cannot reach host ${host}${why}: ${describeExit('ssh', r)}`);
      })();
      this.masters.set(host, p);
    }
    return p;
  }

  /** Close every ControlMaster this run opened. */
  async close(): Promise<void> {
    const cp = this.controlDir !== undefined && this.opts.multiplex !== false ? join(this.controlDir, '%C') : undefined;
    await Promise.all(
      [...this.masters.keys()].map(async (host) => {
        const h = this.plan.hosts.get(host);
        if (!h || !cp || hostProblems(h).length) return;
        const argv = [
          'ssh',
          '-o',
          `ControlPath=${cp}`,
          ...(h.port ? ['-p', String(h.port)] : []),
          '-O',
          'exit',
          '--',
          sshDestination(h),
        ];
        await capture(argv).catch(() => undefined);
      }),
    );
    this.masters.clear();
    if (this.ownDir && this.controlDir) rmSync(this.controlDir, { recursive: true, force: true });
  }
}
