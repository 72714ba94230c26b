// Shared helpers of the benchmarks: bundle a TypeScript entry with esbuild into a temp file and
// import it, time a function, summarise samples, start the language server over stdio, read a
// process's memory, a seeded PRNG, run a differential test as a bench.
import { build } from 'esbuild';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync }
  from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node.js';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));

export async function importTs(entry) {
  const out = join(mkdtempSync(join(tmpdir(), 'backplan-bench-')), 'bundle.mjs');
  await build({ entryPoints: [join(ROOT, entry)], bundle: true, platform: 'node', format: 'esm', outfile: out, logLevel: 'error',
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" } });
  return import(pathToFileURL(out).href);
}

export function stats(samples) {
  const s = [...samples].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return { n: s.length, median: q(0.5), p95: q(0.95), min: s[0], max: s[s.length - 1] };
}

export function fmt(ms) {
  return ms < 1 ? `${(ms * 1000).toFixed(0)} µs` : ms < 1000 ? `${ms.toFixed(2)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

/**
 * The tree of incompressible files the run and restore benchmarks back up: FILES files of random
 * bytes, MB in all (sizes ±50 % around the mean so it looks like a real tree), made once into
 * bench/.cache/. Returns its path and its size in bytes.
 */
export function incompressibleTree(mb, files) {
  const tree = join(ROOT, 'bench', '.cache', `restic-tree-${mb}m-${files}`);
  if (!existsSync(join(tree, '.complete'))) {
    const each = Math.floor((mb << 20) / files);
    rmSync(tree, { recursive: true, force: true });
    for (let i = 0; i < files; i++) {
      const d = join(tree, `d${String(i % 10)}`);
      mkdirSync(d, { recursive: true });
      const size = Math.floor(each * (0.5 + ((i * 7919) % 101) / 100));
      writeFileSync(join(d, `f${String(i).padStart(4, '0')}.bin`), randomBytes(size));
    }
    writeFileSync(join(tree, '.complete'), '');
  }
  const bytes = readdirSync(tree)
    .filter((d) => d !== '.complete')
    .flatMap((d) => readdirSync(join(tree, d)).map((f) => statSync(join(tree, d, f)).size))
    .reduce((a, b) => a + b, 0);
  return { tree, bytes };
}

/** The resident memory of a running process in MB, from /proc (NaN elsewhere). */
export function rss(pid) {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
  } catch {
    return NaN;
  }
}

/**
 * The built language server (dist/server.js, or `server`) started over stdio, with a JSON-RPC
 * connection to it (not listening yet: register handlers, then `conn.listen()`). `nodeArgs` go
 * before the script (V8 flags, --heapsnapshot-signal).
 */
export function startServer({ server = join(ROOT, 'dist/server.js'), nodeArgs = [] } = {}) {
  const proc = spawn(process.execPath, [...nodeArgs, server, '--stdio'], { stdio: 'pipe' });
  const conn = createMessageConnection(new StreamMessageReader(proc.stdout), new StreamMessageWriter(proc.stdin));
  return { proc, conn };
}

/** A seeded PRNG (mulberry32): the same seed gives the same run. */
export function makeRandom(seed) {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (lo, hi) => lo + Math.floor(next() * (hi - lo + 1));
  const pick = (arr) => arr[Math.floor(next() * arr.length)];
  /** One of `[weight, value]` pairs, in proportion to the weights. */
  const weighted = (pairs) => {
    let r = next() * pairs.reduce((a, [w]) => a + w, 0);
    for (const [w, v] of pairs) if ((r -= w) < 0) return v;
    return pairs[pairs.length - 1][1];
  };
  return { next, int, pick, weighted };
}

/**
 * CPU time (user + system, ms) a process has used so far, from /proc (NaN elsewhere): on a loaded
 * machine the CPU an answer cost tells more than its wall time.
 */
export function cpuMs(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * 10; // utime, stime in ticks of 10 ms (USER_HZ 100)
  } catch {
    return NaN;
  }
}

/**
 * A differential bench that is a CI test run with more cases: runs `testFile` with
 * BACKPLAN_<TOOL>_CASES and BACKPLAN_<TOOL>_SEED set (from argv: [CASES] [SEED]), prints the
 * agreement and the time, and exits 1 on a disagreement or when the test did not run (a skip
 * exits 0 in vitest, so the report's own "passed" and "skipped" words decide).
 */
export function runDifferentialBench(testFile, tool) {
  const cases = process.argv[2] ?? '500';
  const seed = process.argv[3] ?? '152026';
  const t0 = performance.now();
  const r = spawnSync('npx', ['vitest', 'run', testFile], {
    env: { ...process.env, [`BACKPLAN_${tool}_CASES`]: cases, [`BACKPLAN_${tool}_SEED`]: seed },
    encoding: 'utf8',
  });
  const s = ((performance.now() - t0) / 1000).toFixed(0);
  const passed = r.status === 0 && /\d+ passed/.test(r.stdout) && !/skipped/.test(r.stdout);
  const verdict = passed ? '100 % agreement' : 'DISAGREEMENT or not run (see below)';
  console.log(`${cases} cases, seed ${seed}: ${verdict} in ${s} s`);
  if (!passed) console.log(r.stdout.slice(-4000), r.stderr.slice(-2000));
  process.exit(passed ? 0 : 1);
}
