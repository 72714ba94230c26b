// sanoid 2.1 on zfs-fuse under a frozen faked clock, for the simulate-vs-reality tests of
// `pruner: sanoid` (issue #15). zfs-fuse rejects `zfs get -t`, which sanoid lists with
// (`zfs get -Hrpt snapshot creation`): a `zfs` wrapper first on PATH answers that form from
// `zfs list`, giving each snapshot the faked clock's time of its `zfs snapshot` (zfs-fuse stamps
// the real clock). A received snapshot has no `zfs snapshot` of its own: it gets the creation of
// the snapshot of the same name, as `zfs receive` keeps the source's creation time. Every other
// command, Backplan's own listing and the send and receive included, is the real zfs.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, ensureBuilt } from './cli';
import { faketimeLib } from './faketime';
import { startZfsFuse, type ZfsFuse } from './zfs-fuse';

const WRAPPER = `#!/bin/sh
# zfs-fuse rejects \`zfs get -t\`; creation is the (faked) clock at \`zfs snapshot\`, kept in $CTIMES
case "$1 $2" in
  "get -Hrpt") zfs_real list -H -t snapshot -o name |
         awk -F'\\t' 'NR == FNR { c[$1] = $2; split($1, p, "@"); n[p[2]] = $2; next }
           { t = ($1 in c) ? c[$1] : n[substr($1, index($1, "@") + 1)]
             print $1 "\\tcreation\\t" t "\\t-" }' "$CTIMES" - ;;
  snapshot*) shift; [ "$1" = -r ] && shift
            zfs_real snapshot "$@" && for s in "$@"; do printf '%s\\t%s\\n' "$s" "$(date +%s)" >> "$CTIMES"; done ;;
  *) exec zfs_real "$@" ;;
esac
`;

type Journal = Record<string, unknown>[];

export interface SanoidZfs {
  work: string;
  pool: string;
  /** The copy of the built CLI this setup runs. */
  cli: string;
  /** The environment of a process run with the wall clock frozen at `ms` (monotonic clock real). */
  frozenAt(ms: number, tz?: string): NodeJS.ProcessEnv;
  /** `backplan ARGS` with the clock frozen at `ms`. */
  backplanAt(ms: number, args: string[], tz?: string): Promise<{ code: number; out: string; stdout: string }>;
  /** `backplan run PLAN` at `ms`: its exit, output and journal lines. */
  runAt(ms: number, plan: string, tz?: string): Promise<{ code: number; out: string; journal: Journal }>;
  /** The snapshots of `dataset` with their (faked) creation times, oldest first. */
  held(dataset: string): { name: string; time: number }[];
  close(): Promise<void>;
}

/** libfaketime reads an absolute FAKETIME as a local time of the process's TZ. */
const stamp = (ms: number, tz: string): string =>
  new Intl.DateTimeFormat('sv-SE', {
    timeZone: tz,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  }).format(new Date(ms));

/** A zfs-fuse pool `prefix<random>` with the wrapper on PATH; datasets are the caller's. */
export async function startSanoidZfs(prefix: string): Promise<SanoidZfs> {
  ensureBuilt();
  const work = mkdtempSync(join(tmpdir(), `bp-${prefix}-`));
  const pool = `${prefix}${Math.random().toString(16).slice(2, 8)}`;
  const zfs: ZfsFuse = await startZfsFuse(work);
  zfs.pool(pool, work, join(work, 'mnt'));
  mkdirSync(join(work, 'bin'));
  const real = spawnSync('sh', ['-c', 'command -v zfs'], { encoding: 'utf8' }).stdout.trim();
  writeFileSync(join(work, 'bin', 'zfs'), WRAPPER.replaceAll('zfs_real', real));
  chmodSync(join(work, 'bin', 'zfs'), 0o755);
  writeFileSync(join(work, 'ctimes'), '');
  const state = join(work, 'state');
  // A copy of the CLI: a rebuild of dist/ by someone else during the long run cannot break it.
  // Another suite's build may be writing dist/ right now: copy until the copy answers --help.
  const cli = join(work, 'cli.js');
  for (let i = 0; ; i++) {
    copyFileSync(CLI, cli);
    if (spawnSync(process.execPath, [cli, '--help'], { stdio: 'ignore' }).status === 0) break;
    if (i === 60) throw new Error(`${CLI} does not run`);
    await new Promise((res) => setTimeout(res, 2000));
  }

  const frozenAt = (ms: number, tz = 'UTC'): NodeJS.ProcessEnv => ({
    ...process.env,
    NO_COLOR: '1',
    TZ: tz,
    PATH: `${join(work, 'bin')}:${process.env.PATH}`,
    CTIMES: join(work, 'ctimes'),
    FAKETIME: stamp(ms, tz),
    FAKETIME_DONT_FAKE_MONOTONIC: '1',
    LD_PRELOAD: faketimeLib(),
  });
  const backplanAt = (ms: number, args: string[], tz?: string) =>
    new Promise<{ code: number; out: string; stdout: string }>((resolve) => {
      const env = frozenAt(ms, tz);
      const child = spawn(process.execPath, [cli, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let stdout = '';
      child.stdout.on('data', (d) => ((out += d), (stdout += d)));
      child.stderr.on('data', (d) => (out += d));
      child.on('close', (code) => resolve({ code: code ?? -1, out, stdout }));
    });
  const runAt = async (ms: number, plan: string, tz?: string) => {
    const r = await backplanAt(ms, ['run', plan, '--state-dir', state, '--format', 'json'], tz);
    const report = JSON.parse(r.stdout || '{}') as { journal?: string };
    const journal = report.journal
      ? readFileSync(report.journal, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as Record<string, unknown>)
      : [];
    return { code: r.code, out: r.out, journal };
  };
  const held = (dataset: string) => {
    const full = new Map<string, string>();
    const byName = new Map<string, string>();
    for (const l of readFileSync(join(work, 'ctimes'), 'utf8').split('\n').filter(Boolean)) {
      const [name, secs] = l.split('\t') as [string, string];
      full.set(name, secs);
      byName.set(name.slice(name.indexOf('@') + 1), secs);
    }
    const r = spawnSync('zfs', ['list', '-H', '-t', 'snapshot', '-o', 'name', '-r', dataset], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`zfs list: ${r.stderr}`);
    return r.stdout
      .split('\n')
      .filter((l) => l.startsWith(`${dataset}@`))
      .map((f) => {
        const name = f.slice(dataset.length + 1);
        return { name, time: Number(full.get(f) ?? byName.get(name)) * 1000 };
      })
      .sort((a, b) => a.time - b.time || a.name.localeCompare(b.name));
  };
  const close = async () => {
    spawnSync('zfs', ['destroy', '-r', pool]);
    // zfs-fuse may refuse the first destroy right after a busy run: retry until the pool is gone.
    for (let i = 0; i < 20 && spawnSync('zpool', ['list', pool]).status === 0; i++) {
      spawnSync('zpool', ['destroy', '-f', pool]);
      await new Promise((res) => setTimeout(res, 250));
    }
    await zfs.close();
    rmSync(work, { recursive: true, force: true });
  };
  return { work, pool, cli, frozenAt, backplanAt, runAt, held, close };
}

/** Names and times only, oldest first (then by name). */
export const byTime = <T extends { name: string; time: number }>(xs: readonly T[]) =>
  xs.map((x) => ({ name: x.name, time: x.time })).sort((a, b) => a.time - b.time || a.name.localeCompare(b.name));

/**
 * The plan of one 6-hourly zfs-snapshot job on this machine, pruned by sanoid (or by Backplan when
 * `pruner` is false) with `keep` written as given (a YAML flow mapping).
 */
export function sanoidJobPlan(job: string, dataset: string, keep: string, pruner = true): string {
  return [
    'version: 1',
    'timezone: UTC',
    'hosts:',
    '  local: { address: 127.0.0.1 }',
    'jobs:',
    `  ${job}:`,
    '    kind: zfs-snapshot',
    '    host: local',
    `    dataset: ${dataset}`,
    '    schedule: "0 */6 * * *"',
    ...(pruner ? ['    pruner: sanoid'] : []),
    `    retention: { keep: ${keep} }`,
    '',
  ].join('\n');
}
