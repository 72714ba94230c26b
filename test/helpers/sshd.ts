// Real test hosts: one OpenSSH server per loopback address (127.0.0.2, 127.0.0.3, ...), all on
// one random port, logging in as root with one key (TESTING.md "Hosts"). A plan names them with
// `hostLine(name)`; the CLI reaches them with `sshArgs()` (its own known_hosts file).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REQUIRE_INTEGRATION, requireTools } from './integration';

/** True when sshd hosts can be started here; throws in CI when they cannot. */
export function sshHostsAvailable(): boolean {
  const isRoot = process.getuid?.() === 0;
  if (!isRoot && REQUIRE_INTEGRATION) throw new Error('BACKPLAN_REQUIRE_INTEGRATION=1 but the ssh tests need root (sshd)');
  if (!isRoot) {
    console.warn('skipping: the ssh tests need root to start sshd');
    return false;
  }
  return requireTools('ssh', 'ssh-keygen', 'sshd');
}

export interface SshHost {
  address: string;
  /** Stop this host's sshd (a host going down); `start()` brings it back. */
  stop(): Promise<void>;
  /**
   * SIGSTOP this host's sshd and every process under it (its sessions and the commands they
   * run): a host that hangs, connections open but nothing answers. `thaw()` resumes them.
   */
  freeze(): void;
  thaw(): void;
  start(): Promise<void>;
  log(): string;
}

export interface SshHosts {
  dir: string;
  port: number;
  /** Private key that every host accepts. */
  identity: string;
  hosts: SshHost[];
  /** `NAME: { address, port, user: root, identity, ... }` for a plan's `hosts:` map. */
  hostLine(name: string, index: number, extra?: string): string;
  /** CLI arguments: a private known_hosts file, new host keys accepted. */
  sshArgs(): string[];
  /**
   * An `ssh` program at `path` for tools that spawn ssh themselves (restic, borg, rsync): the
   * system ssh with this run's known_hosts, logging each call's arguments to `log` (one line
   * per call). It runs the system ssh by its full path, so its directory may also be put first
   * on PATH to see every ssh that backplan itself starts.
   */
  writeSshWrapper(path: string, log: string): string;
  /** The same options for `ssh` itself (a test checking a remote host by hand). */
  sshArgv(index: number, command: string[]): string[];
  close(): Promise<void>;
}

function reachable(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: address, port }, () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

/** Start `count` sshd hosts on 127.0.0.2, 127.0.0.3, ... */
export async function startSshHosts(count: number): Promise<SshHosts> {
  const dir = mkdtempSync(join(tmpdir(), 'bp-sshd-'));
  const port = 20000 + Math.floor(Math.random() * 30000);
  mkdirSync('/run/sshd', { recursive: true });
  for (const k of ['hostkey', 'id']) {
    const r = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, k)]);
    if (r.status !== 0) throw new Error(`ssh-keygen failed: ${r.stderr}`);
  }
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(join(dir, 'id.pub')));
  const bin = spawnSync('sh', ['-c', 'command -v sshd'], { encoding: 'utf8' }).stdout.trim();
  const hosts: SshHost[] = [];
  for (let i = 0; i < count; i++) {
    const address = `127.0.0.${i + 2}`;
    const config = join(dir, `sshd_config.${i}`);
    writeFileSync(
      config,
      [
        `Port ${port}`,
        `ListenAddress ${address}`,
        `HostKey ${join(dir, 'hostkey')}`,
        `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
        `PidFile ${join(dir, `sshd.${i}.pid`)}`,
        'StrictModes no',
        'UsePAM no',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'PermitRootLogin prohibit-password',
        'Subsystem sftp internal-sftp',
        'MaxStartups 100',
        'MaxSessions 100',
        '',
      ].join('\n'),
    );
    let proc: ChildProcess | undefined;
    let log = '';
    const host: SshHost = {
      address,
      log: () => log,
      async start() {
        proc = spawn(bin, ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
        proc.stderr!.on('data', (d) => (log += d));
        const t0 = Date.now();
        while (!(await reachable(address, port))) {
          if (Date.now() - t0 > 10_000) throw new Error(`sshd on ${address} did not start: ${log}`);
          await new Promise((r) => setTimeout(r, 50));
        }
      },
      freeze() {
        for (const pid of treeOf(proc?.pid)) signal(pid, 'SIGSTOP');
      },
      thaw() {
        for (const pid of treeOf(proc?.pid)) signal(pid, 'SIGCONT');
      },
      async stop() {
        const p = proc;
        proc = undefined;
        if (!p || p.exitCode !== null) return;
        // -D sshd: SIGTERM ends the listener; established sessions end with their clients.
        p.kill('SIGTERM');
        await new Promise((r) => p.once('close', r));
      },
    };
    await host.start();
    hosts.push(host);
  }
  const identity = join(dir, 'id');
  const knownHosts = join(dir, 'known_hosts');
  return {
    dir,
    port,
    identity,
    hosts,
    hostLine: (name, index, extra) =>
      `${name}: { address: ${hosts[index].address}, port: ${port}, user: root, identity: ${identity}${extra ? `, ${extra}` : ''} }`,
    sshArgs: () => ['--ssh-option', `UserKnownHostsFile=${knownHosts}`, '--ssh-option', 'StrictHostKeyChecking=accept-new'],
    writeSshWrapper(path, log) {
      const opts = [`UserKnownHostsFile=${knownHosts}`, 'StrictHostKeyChecking=accept-new'];
      const real = spawnSync('sh', ['-c', 'command -v ssh'], { encoding: 'utf8' }).stdout.trim();
      writeFileSync(path, `#!/bin/sh\nprintf '%s\\n' "$*" >> '${log}'\nexec '${real}' ${opts.map((o) => `-o '${o}'`).join(' ')} "$@"\n`);
      chmodSync(path, 0o755);
      return path;
    },
    sshArgv: (index, command) => [
      'ssh', '-o', 'BatchMode=yes', '-o', `UserKnownHostsFile=${knownHosts}`, '-o', 'StrictHostKeyChecking=accept-new',
      '-i', identity, '-p', String(port), `root@${hosts[index].address}`, '--', ...command,
    ],
    async close() {
      for (const h of hosts) await h.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Signals a process that may have ended since it was listed. */
function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
  }
}

/** A process and all its descendants (from `ps`), parents first. */
function treeOf(root: number | undefined): number[] {
  if (root === undefined) return [];
  const children = new Map<number, number[]>();
  for (const line of spawnSync('ps', ['-e', '-o', 'pid=,ppid='], { encoding: 'utf8' }).stdout.split('\n')) {
    const [pid, ppid] = line.trim().split(/\s+/).map(Number);
    if (!pid) continue;
    children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  }
  const out: number[] = [];
  const walk = (pid: number) => {
    out.push(pid);
    for (const c of children.get(pid) ?? []) walk(c);
  };
  walk(root);
  return out;
}
