// Two real LXD daemons for tests (TESTING.md "Incus"): a primary reached through its unix socket
// and a standby listening on a loopback address with a trust password, added to a private client
// configuration as the remote `standby`. Each daemon lives in its own temporary LXD_DIR, in its own
// process group, with a `dir` storage pool and a default profile that holds only a root disk (no
// network: nothing to bridge, nothing to firewall). `lxd init --auto` is never used (it probes
// random 10.x networks). The daemons get a proxy on a closed loopback port, so the one download
// LXD tries on its own at start (the instance-types list) fails on loopback instead of reaching
// for the network. `env` is what `lxc` (and `backplan run`) needs to talk to them.
import { execFile, spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliAt } from './faketime';
import { REQUIRE_INTEGRATION, requireTools } from './integration';

/** True when LXD daemons can be started here; throws in CI when they cannot. */
export function lxdAvailable(): boolean {
  const isRoot = process.getuid?.() === 0;
  if (!isRoot && REQUIRE_INTEGRATION) throw new Error('BACKPLAN_REQUIRE_INTEGRATION=1 but the LXD tests need root (lxd)');
  if (!isRoot) {
    console.warn('skipping: the LXD tests need root to start lxd');
    return false;
  }
  return requireTools('lxd', 'lxc');
}

export interface LxdDaemon {
  /** Its LXD_DIR. */
  dir: string;
  pid: number;
  log(): string;
}

export interface LxdPair {
  /** Parent of everything the pair made (daemon dirs, client config). */
  dir: string;
  primary: LxdDaemon;
  standby: LxdDaemon;
  /** The standby's remote name in the client configuration. */
  remote: string;
  /** `https://ADDRESS:PORT` of the standby. */
  url: string;
  /** LXD_DIR (the primary) and LXD_CONF (the client configuration with the remote). */
  env: Record<string, string>;
  /** `lxc ARGS` against the pair; throws with lxc's stderr when it fails. */
  lxc(...args: string[]): string;
  /** `lxc ARGS` without throwing. */
  tryLxc(...args: string[]): SpawnSyncReturns<string>;
  /** An instance's snapshot names (`standby:NAME` for the standby), oldest first. */
  snapshots(instance: string): string[];
  close(): Promise<void>;
}

// Never let a daemon reach past loopback: its own downloads go to a port nobody listens on.
const NO_NETWORK = { http_proxy: 'http://127.0.0.1:9', https_proxy: 'http://127.0.0.1:9', HTTP_PROXY: 'http://127.0.0.1:9', HTTPS_PROXY: 'http://127.0.0.1:9', no_proxy: '', NO_PROXY: '' };

function run(argv: string[], env: NodeJS.ProcessEnv, input?: string, timeout = 60_000): SpawnSyncReturns<string> {
  return spawnSync(argv[0], argv.slice(1), { env: { ...process.env, ...env }, input, encoding: 'utf8', timeout });
}

/** The same, without blocking the event loop (waitready and shutdown can take seconds). */
function runAsync(argv: string[], env: NodeJS.ProcessEnv, input?: string, timeout = 60_000): Promise<SpawnSyncReturns<string>> {
  return new Promise((resolve) => {
    const child = execFile(argv[0], argv.slice(1), { env: { ...process.env, ...env }, encoding: 'utf8', timeout }, (err, stdout, stderr) => {
      const status = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
      resolve({ pid: child.pid ?? 0, output: [null, stdout, stderr], stdout, stderr, status, signal: null, ...(err && status === 1 && !stderr ? { error: err } : {}) });
    });
    if (input !== undefined) child.stdin!.end(input);
  });
}

function must(r: SpawnSyncReturns<string>, what: string): string {
  if (r.status !== 0) throw new Error(`${what} failed (${r.status ?? r.signal}): ${(r.stderr || r.stdout || String(r.error ?? '')).trim()}`);
  return r.stdout;
}

function preseed(): string {
  return [
    'config:',
    '  images.auto_update_interval: "0"',
    'storage_pools:',
    '- name: default',
    '  driver: dir',
    'profiles:',
    '- name: default',
    '  devices:',
    '    root: { path: /, pool: default, type: disk }',
    '',
  ].join('\n');
}

/** Start a daemon in `dir`; `started` gets it as soon as it has a pid (so teardown finds it). */
async function startDaemon(dir: string, started: LxdDaemon[], extraEnv: Record<string, string> = {}): Promise<LxdDaemon> {
  mkdirSync(dir, { recursive: true });
  const logfile = `${dir}.log`;
  // detached: a session and process group of its own, killed as a whole at the end.
  const child = spawn('lxd', ['--group', 'root', '--logfile', logfile], { detached: true, stdio: 'ignore', env: { ...process.env, ...NO_NETWORK, ...extraEnv, LXD_DIR: dir } });
  child.unref();
  if (child.pid === undefined) throw new Error('lxd could not be started');
  const d: LxdDaemon = { dir, pid: child.pid, log: () => (existsSync(logfile) ? readFileSync(logfile, 'utf8') : '') };
  started.push(d);
  const wait = await runAsync(['lxd', 'waitready', '--timeout', '50'], { LXD_DIR: dir });
  if (wait.status !== 0) throw new Error(`lxd in ${dir} did not start: ${wait.stderr}\n${d.log().slice(-2000)}`);
  must(await runAsync(['lxd', 'init', '--preseed'], { LXD_DIR: dir }, preseed()), `lxd init --preseed (${dir})`);
  return d;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function stopDaemon(d: LxdDaemon): Promise<void> {
  await runAsync(['lxd', 'shutdown', '--timeout', '20'], { LXD_DIR: d.dir }, undefined, 30_000);
  // Whatever is left of its process group (forkfile helpers, a daemon that ignored shutdown).
  for (const sig of ['SIGTERM', 'SIGKILL'] as const) {
    try {
      process.kill(-d.pid, sig);
    } catch {
      break; // the group is gone
    }
    for (let i = 0; i < 50 && alive(d.pid); i++) await new Promise((r) => setTimeout(r, 100));
  }
  // LXD mounts tmpfs (shmounts, devlxd) and storage under its dir: undo every mount below it.
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4])
    .filter((m): m is string => m !== undefined && (m === d.dir || m.startsWith(`${d.dir}/`)))
    .sort((a, b) => b.length - a.length);
  for (const m of mounts) spawnSync('umount', ['-l', m]);
}

/**
 * Start a primary and a standby daemon, the standby added as remote `standby`; with
 * `standby: false` the primary alone (`standby` and `url` are then unset). `daemonEnv` is added to
 * the daemons' environment (e.g. `TZ`, the zone a daemon renders snapshot names in).
 */
export async function startLxdPair(opts: { standby?: boolean; daemonEnv?: Record<string, string> } = {}): Promise<LxdPair> {
  const dir = mkdtempSync(join(tmpdir(), 'bp-lxd-'));
  const conf = join(dir, 'client');
  mkdirSync(conf);
  const started: LxdDaemon[] = [];
  const remote = 'standby';
  const password = randomBytes(12).toString('hex');
  const pair: LxdPair = {
    dir,
    primary: undefined as unknown as LxdDaemon,
    standby: undefined as unknown as LxdDaemon,
    remote,
    url: '',
    env: { LXD_DIR: join(dir, 'primary'), LXD_CONF: conf },
    lxc: (...args) => must(pair.tryLxc(...args), `lxc ${args.join(' ')}`),
    tryLxc: (...args) => run(['lxc', ...args], pair.env),
    snapshots: (instance) => {
      const [r, name] = instance.includes(':') ? [`${instance.split(':')[0]}:`, instance.split(':')[1]] : ['', instance];
      const list = JSON.parse(pair.lxc('query', `${r}/1.0/instances/${name}/snapshots?recursion=1`)) as { name: string; created_at: string }[];
      return list.sort((a, b) => (a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : a.name < b.name ? -1 : 1)).map((s) => s.name);
    },
    async close() {
      for (const d of started.reverse()) await stopDaemon(d);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    pair.primary = await startDaemon(join(dir, 'primary'), started, opts.daemonEnv);
    if (opts.standby === false) return pair;
    pair.standby = await startDaemon(join(dir, 'standby'), started, opts.daemonEnv);
    // The standby listens on a random loopback address and port; another test may hold one.
    const standbyEnv = { LXD_DIR: pair.standby.dir };
    let last = '';
    for (let attempt = 0; attempt < 8 && !pair.url; attempt++) {
      const address = `127.0.${1 + Math.floor(Math.random() * 250)}.${2 + Math.floor(Math.random() * 250)}`;
      const port = 20_000 + Math.floor(Math.random() * 40_000);
      const r = await runAsync(['lxc', 'config', 'set', 'core.https_address', `${address}:${port}`], standbyEnv);
      if (r.status === 0) pair.url = `https://${address}:${port}`;
      else last = r.stderr;
    }
    if (!pair.url) throw new Error(`the standby LXD could not listen on loopback: ${last}`);
    must(await runAsync(['lxc', 'config', 'set', 'core.trust_password', password], standbyEnv), 'setting the trust password');
    must(await runAsync(['lxc', 'remote', 'add', remote, pair.url, '--accept-certificate', '--password', password], pair.env), 'lxc remote add');
    return pair;
  } catch (e) {
    await pair.close();
    throw e;
  }
}

/**
 * `backplan ARGS` with a faked clock starting at `iso` (UTC), asynchronously (a test driving
 * hundreds of runs keeps vitest's event loop free). Backplan names snapshots from its own clock
 * and prunes by the time in the name; the daemons keep the real time.
 */
export function backplanAt(iso: string, args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return cliAt(Date.parse(iso), args, { TZ: 'UTC', ...env });
}
