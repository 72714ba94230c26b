// Running a command as a real init would see it, on a machine whose pid 1 never reaps orphans
// (this one: a killed child's pid stays a zombie, so restic's staleness test says its lock
// holder is alive and no `restic unlock` may remove the lock). `python3 -c REAPER ARGV...`
// makes itself a child subreaper (PR_SET_CHILD_SUBREAPER), runs ARGV in a process group of its
// own, reaps every orphan that is reparented to it, and exits with ARGV's status once every
// descendant is gone. `killTree` SIGKILLs everything under a reaper at once (as a power cut or
// `systemctl kill` of the unit would), `killGroup` only ARGV's own process group (as an OOM
// kill of the node process: what it started lives on, adopted by the reaper).
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** `python3 -c REAPER ARGV...`: see the file's comment. */
export const REAPER = [
  'import ctypes, os, sys',
  'ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)',
  'pid = os.fork()',
  'if pid == 0:',
  '    os.setpgid(0, 0)',
  '    os.execvp(sys.argv[1], sys.argv[1:])',
  'code = 1',
  'while True:',
  '    try:',
  '        p, st = os.wait()',
  '    except ChildProcessError:',
  '        break',
  '    if p == pid:',
  '        code = os.waitstatus_to_exitcode(st)',
  'sys.exit(code if code >= 0 else 128 - code)',
].join('\n');

interface ProcInfo {
  pid: number;
  ppid: number;
  state: string;
}

/** Every process of this machine, from /proc/PID/stat (pid, parent, state letter). */
function processes(): ProcInfo[] {
  const out: ProcInfo[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    // Field 2 (the command) is in parentheses and may hold spaces: split after its last `)`.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    out.push({ pid: Number(name), state: rest[0], ppid: Number(rest[1]) });
  }
  return out;
}

/** The live (not zombie) descendants of `root`, parents before children. */
export function liveDescendants(root: number): number[] {
  const procs = processes();
  const kids = new Map<number, ProcInfo[]>();
  for (const p of procs) {
    const list = kids.get(p.ppid) ?? [];
    list.push(p);
    kids.set(p.ppid, list);
  }
  const out: number[] = [];
  const walk = (pid: number) => {
    for (const c of kids.get(pid) ?? []) {
      if (c.state !== 'Z' && c.state !== 'X') out.push(c.pid);
      walk(c.pid);
    }
  };
  walk(root);
  return out;
}

function killQuiet(target: number, sig: NodeJS.Signals): boolean {
  try {
    process.kill(target, sig);
    return true;
  } catch {
    return false;
  }
}

export interface Reaped {
  /** The python reaper. */
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Resolves once the reaper exited: the command and every process it left are gone. */
  done: Promise<{ code: number | null; ms: number }>;
  /** The command's pid (the reaper's first child), once it is known. */
  commandPid(): number | undefined;
  /**
   * SIGKILL every live process under the reaper: stopped first (SIGSTOP, repeated until no new
   * process appears), so none of them runs a step further than the others, then killed. Returns
   * how many processes were killed (0: the command had ended by itself).
   */
  killTree(): number;
  /** SIGKILL the command's own process group only; returns whether it was alive. */
  killGroup(): boolean;
}

/** Start `argv` under a subreaper, stdout and stderr collected. */
export function spawnReaped(argv: readonly string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Reaped {
  const t0 = performance.now();
  const child = spawn('python3', ['-c', REAPER, ...argv], {
    env: opts.env ?? process.env,
    cwd: opts.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const done = new Promise<{ code: number | null; ms: number }>((resolve) =>
    child.once('close', (code) => resolve({ code, ms: performance.now() - t0 })),
  );
  let cmd: number | undefined;
  const commandPid = () => {
    if (cmd === undefined && child.pid !== undefined) {
      // The reaper's first child, the only one it forks (orphans come later, once it is killed).
      const first = processes()
        .filter((p) => p.ppid === child.pid)
        .sort((a, b) => a.pid - b.pid)[0];
      cmd = first?.pid;
    }
    return cmd;
  };
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    done,
    commandPid,
    killTree() {
      const root = child.pid;
      if (root === undefined || child.exitCode !== null) return 0;
      const stopped = new Set<number>();
      for (let round = 0; round < 100; round++) {
        const fresh = liveDescendants(root).filter((p) => !stopped.has(p));
        if (fresh.length === 0) break;
        for (const p of fresh) if (killQuiet(p, 'SIGSTOP')) stopped.add(p);
      }
      const killed = new Set<number>();
      for (const p of stopped) if (killQuiet(p, 'SIGKILL')) killed.add(p);
      // Anything that slipped through (a fork between the last look and the kills, or the
      // command itself when the reaper had not forked it yet at the first look).
      for (let round = 0; round < 100; round++) {
        const left = liveDescendants(root);
        if (left.length === 0) break;
        for (const p of left) if (killQuiet(p, 'SIGKILL')) killed.add(p);
      }
      return killed.size;
    },
    killGroup() {
      const pid = commandPid();
      return pid !== undefined && killQuiet(-pid, 'SIGKILL');
    },
  };
}
