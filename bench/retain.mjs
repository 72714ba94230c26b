// Retention speed.
// 1. `resticEngine.evaluate` in-process on 1,000,000 snapshots (target ≤ 0.5 s).
// 2. Side by side on the same 1,000 snapshots: `restic forget --dry-run --json` (restic 0.14,
//    Debian) vs `backplan retain --engine restic` (cold process, and in-process), same policy,
//    and the two decisions compared. The restic repository is built once and cached in
//    bench/.cache/restic-1000 (about 1,000 × `restic backup --time`: several minutes).
//   node bench/retain.mjs [--skip-restic]
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fmt, importTs, ROOT, stats } from './lib.mjs';

const { getEngine } = await importTs('engine/retention/index.ts');
const restic = getEngine('restic');
const policy = { at: [], raw: {}, keep: { last: 10, hourly: 24, daily: 7, weekly: 4, monthly: 12, yearly: 3 } };

// A deterministic PRNG, so every run measures the same input.
function rng(seed) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0) / 2 ** 32);
}
function randomTimes(n, seed, spanMs, end) {
  const r = rng(seed);
  return Array.from({ length: n }, () => Math.floor((end - r() * spanMs) / 1000) * 1000);
}

const END = Date.parse('2026-11-01T00:00:00Z');
const YEAR = 365 * 86400e3;
{
  const snaps = randomTimes(1_000_000, 1, 10 * YEAR, END).map((time) => ({ time }));
  const ctx = { now: END, timezone: 'Europe/Paris' };
  restic.evaluate(snaps.slice(0, 10000), policy, ctx);
  const samples = [];
  let kept = 0;
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    kept = restic.evaluate(snaps, policy, ctx).keep.length;
    samples.push(performance.now() - t0);
  }
  const s = stats(samples);
  console.log(`restic engine, 1,000,000 snapshots, Europe/Paris: median ${fmt(s.median)} (min ${fmt(s.min)}), ${kept} kept`);
}

if (process.argv.includes('--skip-restic')) process.exit(0);
const cache = join(ROOT, 'bench/.cache/restic-1000');
const repo = join(cache, 'repo');
const times = randomTimes(1000, 2, 3 * YEAR, END).sort((a, b) => a - b);
const env = { ...process.env, RESTIC_PASSWORD: 'bench', RESTIC_REPOSITORY: repo, TZ: 'UTC' };
if (!existsSync(join(cache, 'done'))) {
  rmSync(cache, { recursive: true, force: true });
  mkdirSync(join(cache, 'data'), { recursive: true });
  writeFileSync(join(cache, 'data/file'), 'backplan bench\n');
  execFileSync('restic', ['init', '--quiet'], { env });
  const t0 = performance.now();
  for (const [i, t] of times.entries()) {
    const stamp = new Date(t).toISOString().slice(0, 19).replace('T', ' ');
    execFileSync('restic', ['backup', '--quiet', '--no-cache', '--host', 'bench', '--time', stamp, join(cache, 'data')], { env });
    if (i % 100 === 99) process.stderr.write(`  ${i + 1} snapshots (${fmt(performance.now() - t0)})\n`);
  }
  writeFileSync(join(cache, 'done'), '');
}
const resticArgs = ['forget', '--dry-run', '--json', '--no-cache', '--no-lock', ...Object.entries(policy.keep).flatMap(([k, v]) => [`--keep-${k}`, String(v)])];
const snapFile = join(cache, 'snapshots.txt');
writeFileSync(snapFile, times.map((t) => new Date(t).toISOString()).join('\n') + '\n');
const cli = ['dist/cli.js', 'retain', '--engine', 'restic', '--format', 'json', '--timezone', 'UTC', '--snapshots', snapFile, '--policy', JSON.stringify({ keep: policy.keep })];

function time(cmd, args, opts) {
  const samples = [];
  let out;
  for (let i = 0; i < 7; i++) {
    const t0 = performance.now();
    out = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 28, ...opts });
    samples.push(performance.now() - t0);
    if (out.status !== 0) throw new Error(`${cmd} failed: ${out.stderr}`);
  }
  return { s: stats(samples), out: out.stdout };
}
const r = time('restic', resticArgs, { env });
const b = time(process.execPath, cli, { cwd: ROOT });
const inproc = [];
const snaps = times.map((time) => ({ time }));
for (let i = 0; i < 50; i++) {
  const t0 = performance.now();
  restic.evaluate(snaps, policy, { now: END, timezone: 'UTC' });
  inproc.push(performance.now() - t0);
}
const rKeep = JSON.parse(r.out)[0].keep.map((s) => Date.parse(s.time)).sort();
const bKeep = JSON.parse(b.out).keep.map((s) => Date.parse(s.time)).sort();
const same = rKeep.length === bKeep.length && rKeep.every((t, i) => t === bKeep[i]);
const ip = stats(inproc);
console.log(`1,000 snapshots: restic forget --dry-run --json median ${fmt(r.s.median)}; backplan retain (cold process) ${fmt(b.s.median)} = ${(r.s.median / b.s.median).toFixed(1)}× faster; in-process ${fmt(ip.median)} = ${Math.round(r.s.median / ip.median)}× faster; same decision: ${same} (${rKeep.length} kept)`);
