// `backplan run` of a restic job vs the same restic command by hand, on a ~1 GB tree of
// incompressible files (generated once into bench/.cache/restic-tree). Each round makes two
// fresh repositories (restic init, not timed) and times, in alternating order, `node
// dist/cli.js run PLAN --job files` into one and the backup argv that `backplan plan --format
// json` shows for that job, spawned directly, into the other. Wall time includes everything
// each side does: for backplan its start-up, plan check, state directory, journal, lock and
// preflight.
//
//   node scripts/build.mjs && node bench/run-restic.mjs [--rounds 5] [--mb 1024] [--files 300]
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { incompressibleTree, ROOT, stats } from './lib.mjs';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const ROUNDS = arg('rounds', 5);
const MB = arg('mb', 1024);
const FILES = arg('files', 300);
const CLI = join(ROOT, 'dist', 'cli.js');
const PASSWORD = 'bench-password';

if (!existsSync(CLI)) throw new Error('build first: node scripts/build.mjs');
if (spawnSync('sh', ['-c', 'command -v restic']).status !== 0) throw new Error('restic is not installed');

// ---- the tree: FILES files of random bytes, MB in all, made once ------------------------------
const t0 = Date.now();
const { tree, bytes } = incompressibleTree(MB, FILES);
console.error(`tree ${tree}: ${(bytes / 2 ** 20).toFixed(0)} MiB in ${FILES} files (ready in ${((Date.now() - t0) / 1000).toFixed(1)} s)`);

// ---- one round ---------------------------------------------------------------------------------
const work = mkdtempSync(join(tmpdir(), 'bp-bench-restic-'));
const plan = join(work, 'restic.backplan.yaml');
writeFileSync(
  plan,
  [
    'version: 1',
    'hosts:',
    '  here: { site: home }',
    'storage:',
    `  repo: { host: here, media: hdd, path: ${join(work, 'repo-backplan')} }`,
    'jobs:',
    '  files:',
    '    kind: restic',
    '    host: here',
    `    paths: [${tree}]`,
    '    to: repo',
    '    password_env: BENCH_RESTIC_PASSWORD',
    'checks: { coverage-3-2-1: off, no-restore-test: off, offsite-unencrypted: off, unused: off }',
    '',
  ].join('\n'),
);
const env = { ...process.env, BENCH_RESTIC_PASSWORD: PASSWORD, NO_COLOR: '1' };
const planned = JSON.parse(spawnSync(process.execPath, [CLI, 'plan', plan, '--job', 'files', '--format', 'json'], { env, encoding: 'utf8' }).stdout);
const backup = planned.steps.find((s) => s.phase === 'backup');
const repoOf = (argv) => argv.find((a) => a.startsWith('--repo=')).slice('--repo='.length);
const backplanRepo = repoOf(backup.argv);
const handRepo = join(work, 'repo-hand', 'files');
const handArgv = backup.argv.map((a) => (a.startsWith('--repo=') ? `--repo=${handRepo}` : a));
console.error(`by hand: ${handArgv.join(' ')}`);

function timed(argv, extraEnv) {
  return new Promise((resolve, reject) => {
    const s = performance.now();
    const c = spawn(argv[0], argv.slice(1), { env: { ...env, ...extraEnv }, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    c.stderr.on('data', (d) => (err += d));
    c.on('error', reject);
    c.on('close', (code) => (code === 0 ? resolve(performance.now() - s) : reject(new Error(`${argv.join(' ')} exited ${code}: ${err.slice(-2000)}`))));
  });
}

function init(repo, cache) {
  rmSync(repo, { recursive: true, force: true });
  mkdirSync(join(repo, '..'), { recursive: true });
  const r = spawnSync('restic', ['init', `--repo=${repo}`], { env: { ...env, RESTIC_PASSWORD: PASSWORD, RESTIC_CACHE_DIR: cache } });
  if (r.status !== 0) throw new Error(`restic init failed: ${r.stderr}`);
}

const samples = { backplan: [], hand: [] };
try {
  for (let round = 0; round < ROUNDS; round++) {
    const cacheB = join(work, `cache-b-${round}`);
    const cacheH = join(work, `cache-h-${round}`);
    init(backplanRepo, cacheB);
    init(handRepo, cacheH);
    rmSync(join(work, 'state'), { recursive: true, force: true });
    const sides = [
      ['backplan', () => timed([process.execPath, CLI, 'run', plan, '--job', 'files', '--state-dir', join(work, 'state')], { RESTIC_CACHE_DIR: cacheB })],
      ['hand', () => timed(handArgv, { RESTIC_PASSWORD: PASSWORD, RESTIC_CACHE_DIR: cacheH })],
    ];
    if (round % 2 === 1) sides.reverse();
    const line = [];
    for (const [name, go] of sides) {
      spawnSync('sync');
      const ms = await go();
      samples[name].push(ms);
      line.push(`${name} ${(ms / 1000).toFixed(2)} s`);
    }
    console.error(`round ${round + 1}/${ROUNDS}: ${line.join(', ')} (load ${loadavg()[0].toFixed(1)})`);
    rmSync(backplanRepo, { recursive: true, force: true });
    rmSync(handRepo, { recursive: true, force: true });
    rmSync(cacheB, { recursive: true, force: true });
    rmSync(cacheH, { recursive: true, force: true });
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

const b = stats(samples.backplan);
const h = stats(samples.hand);
const ratios = samples.backplan.map((x, i) => x / samples.hand[i]);
const result = {
  date: new Date().toISOString().slice(0, 10),
  machine: `${cpus().length} cores, Node ${process.version}, restic ${spawnSync('restic', ['version'], { encoding: 'utf8' }).stdout.split(' ')[1]}`,
  tree: { mib: Math.round(bytes / 2 ** 20), files: FILES },
  rounds: ROUNDS,
  backplanMedianS: +(b.median / 1000).toFixed(2),
  handMedianS: +(h.median / 1000).toFixed(2),
  ratioOfMedians: +(b.median / h.median).toFixed(3),
  medianOfRoundRatios: +stats(ratios).median.toFixed(3),
  backplanS: samples.backplan.map((x) => +(x / 1000).toFixed(2)),
  handS: samples.hand.map((x) => +(x / 1000).toFixed(2)),
};
console.log(JSON.stringify(result, null, 2));
