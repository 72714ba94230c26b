// `backplan restore` vs the bare tool's restore of the same copy, on a ~1 GB tree of
// incompressible files (generated once into bench/.cache/, the same tree as run-restic.mjs).
// Set up once, not timed: a restic repository holding one backup of the tree and one archive
// copy of it, both made by `backplan run`. Each round then times, in alternating order:
//   (a) `node dist/cli.js restore PLAN --job files --to DIR` against the restore argv that
//       `backplan restore --dry-run --format json` shows, spawned directly into another DIR;
//   (b) `node dist/cli.js restore PLAN --job archive --to DIR` against `tar -xzf ARCHIVE -C DIR`.
// Backplan's archive restore does more than tar: it hashes the archive as it reads it and,
// once extracted, reads every file again to compare it with the manifest's sha256. That second
// pass is timed on its own after each round (same code shape, warm page cache, not part of
// either side) so the ratio can be given without it too. The restored trees are removed
// between rounds (not timed). The journal of each backplan restore gives the time of the tool's
// own step, so the rest (start-up, plan check, lock, listing, measuring) is printed too.
//
//   npm run build && node bench/restore.mjs [--rounds 5] [--mb 1024] [--files 300] [--only restic|archive]
//     [--cli OTHER/cli.js]
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  createReadStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { incompressibleTree, ROOT, stats } from './lib.mjs';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const ROUNDS = arg('rounds', 5);
const MB = arg('mb', 1024);
const FILES = arg('files', 300);
// --cli OTHER/cli.js times another build (a before/after pair); --only restic|archive one part.
const strArg = (name) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const CLI = strArg('cli') ?? join(ROOT, 'dist', 'cli.js');
const KINDS = strArg('only') ? [strArg('only')] : ['restic', 'archive'];
const PASSWORD = 'bench-password';
const s2 = (ms) => +(ms / 1000).toFixed(2);

if (!existsSync(CLI)) throw new Error('build first: npm run build');
for (const tool of ['restic', 'tar'])
  if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) throw new Error(`${tool} is not installed`);

// ---- the tree: FILES files of random bytes, MB in all, made once (as run-restic.mjs) --------
const t0 = Date.now();
const { tree, bytes } = incompressibleTree(MB, FILES);
const ready = ((Date.now() - t0) / 1000).toFixed(1);
console.error(`tree ${tree}: ${(bytes / 2 ** 20).toFixed(0)} MiB in ${FILES} files (ready in ${ready} s)`);

// ---- set-up, once: the plan, one restic snapshot, one archive --------------------------------
const work = mkdtempSync(join(tmpdir(), 'bp-bench-restore-'));
const plan = join(work, 'restore.backplan.yaml');
const state = join(work, 'state');
writeFileSync(
  plan,
  [
    'version: 1',
    'hosts:',
    '  here: { site: home }',
    'storage:',
    `  repo: { host: here, media: hdd, path: ${join(work, 'repo')} }`,
    `  disk: { host: here, media: hdd, path: ${join(work, 'archives')} }`,
    'jobs:',
    '  files:',
    '    kind: restic',
    '    host: here',
    `    paths: [${tree}]`,
    '    to: repo',
    '    password_env: BENCH_RESTIC_PASSWORD',
    '  archive:',
    '    kind: archive',
    '    host: here',
    `    paths: [${tree}]`,
    '    to: disk',
    'checks: { coverage-3-2-1: off, no-restore-test: off, offsite-unencrypted: off, unused: off }',
    '',
  ].join('\n'),
);
const env = {
  ...process.env,
  BENCH_RESTIC_PASSWORD: PASSWORD,
  RESTIC_CACHE_DIR: join(work, 'restic-cache'),
  NO_COLOR: '1',
};

function cli(args, what) {
  const withState = args[0] === 'plan' ? args : [...args, '--state-dir', state];
  const r = spawnSync(process.execPath, [CLI, ...withState], { env, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0)
    throw new Error(`${what}: backplan ${args.join(' ')} exited ${r.status}: ${r.stderr.slice(-2000)}`);
  return r.stdout;
}

const planned = JSON.parse(cli(['plan', plan, '--job', 'files', '--format', 'json'], 'plan'));
const repo = planned.steps
  .find((s) => s.phase === 'backup')
  .argv.find((a) => a.startsWith('--repo='))
  .slice(7);
mkdirSync(join(repo, '..'), { recursive: true });
const init = spawnSync('restic', ['init', `--repo=${repo}`], { env: { ...env, RESTIC_PASSWORD: PASSWORD } });
if (init.status !== 0) throw new Error(`restic init failed: ${init.stderr}`);
for (const [kind, job] of [
  ['restic', 'files'],
  ['archive', 'archive'],
]) {
  const t = Date.now();
  cli(['run', plan, '--job', job], `${kind} backup`);
  console.error(`set-up: ${kind} backup in ${((Date.now() - t) / 1000).toFixed(1)} s`);
}

// The bare sides read what backplan would do from its dry run.
const dry = (job) =>
  JSON.parse(
    cli(['restore', plan, '--job', job, '--to', join(work, 'dry'), '--dry-run', '--format', 'json'], 'dry run'),
  );
const resticDry = dry('files');
const resticAction = resticDry.steps.find((a) => a.argv?.includes('restore'));
if (!resticAction) throw new Error(`no restic restore argv in the dry run: ${JSON.stringify(resticDry.steps)}`);
const bareRestic = (dir) => resticAction.argv.map((a) => (a.startsWith('--target=') ? `--target=${dir}` : a));
const archiveDir = join(work, 'archives', 'archive');
const archiveName = readdirSync(archiveDir).find((n) => n.endsWith('.tar.gz'));
if (!archiveName) throw new Error(`no .tar.gz in ${archiveDir}: ${readdirSync(archiveDir).join(', ')}`);
const archive = join(archiveDir, archiveName);
const archiveDry = dry('archive');
console.error(`restic: backplan restore vs ${bareRestic('DIR').join(' ')}`);
console.error(
  `archive (${(statSync(archive).size / 2 ** 20).toFixed(0)} MiB): backplan restore vs tar -xzf ${archive} -C DIR`,
);
console.error(`backplan's archive actions: ${archiveDry.steps.map((a) => a.description).join(' | ')}`);

// ---- timing -------------------------------------------------------------------------------------
function timed(argv, extraEnv = {}) {
  return new Promise((resolve, reject) => {
    const s = performance.now();
    const c = spawn(argv[0], argv.slice(1), { env: { ...env, ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    c.stdout.on('data', (d) => (out += d));
    c.stderr.on('data', (d) => (err = (err + d).slice(-16384)));
    c.on('error', reject);
    c.on('close', (code) => {
      const ms = performance.now() - s;
      if (code === 0) resolve({ ms, out });
      else reject(new Error(`${argv.join(' ')} exited ${code}: ${err.slice(-2000)}`));
    });
  });
}

/** The ms of the step whose description starts with `prefix`, from a restore's journal. */
function stepMs(journal, prefix) {
  const lines = readFileSync(journal, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
  const ids = new Set(
    lines.filter((l) => l.type === 'step-start' && l.description?.startsWith(prefix)).map((l) => l.step),
  );
  return lines.filter((l) => l.type === 'step-end' && ids.has(l.step)).reduce((a, l) => a + l.ms, 0);
}

/** The manifest check's second pass: every restored file read and hashed, one after another. */
async function hashPass(root) {
  const files = [];
  const stack = [root];
  while (stack.length) {
    const dir = stack.pop();
    for (const d of readdirSync(dir, { withFileTypes: true })) {
      if (d.isDirectory()) stack.push(join(dir, d.name));
      else if (d.isFile()) files.push(join(dir, d.name));
    }
  }
  const s = performance.now();
  for (const f of files) await pipeline(createReadStream(f), createHash('sha256'));
  return performance.now() - s;
}

const sample = () => ({ backplan: [], bare: [], tool: [], rest: [] });
const samples = { restic: sample(), archive: sample(), hash: [] };
const bpArgs = (job, dir) => [
  process.execPath,
  CLI,
  'restore',
  plan,
  '--job',
  job,
  '--to',
  dir,
  '--state-dir',
  state,
  '--format',
  'json',
];

async function side(kind, name, round) {
  const dir = join(work, 'out', `${kind}-${name}-${round}`);
  if (name === 'bare') {
    if (kind === 'restic') return { dir, ...(await timed(bareRestic(dir), { RESTIC_PASSWORD: PASSWORD })) };
    mkdirSync(dir, { recursive: true });
    return { dir, ...(await timed(['tar', '-xzf', archive, '-C', dir])) };
  }
  const r = await timed(bpArgs(kind === 'restic' ? 'files' : 'archive', dir));
  // The newest journal of the state directory is this restore's (the JSON output does not name it).
  const runs = join(state, 'runs');
  const journal = readdirSync(runs)
    .map((n) => join(runs, n))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
  return { dir, ...r, tool: stepMs(journal, kind === 'restic' ? 'restic restore' : 'extract ') };
}

try {
  mkdirSync(join(work, 'out'), { recursive: true });
  for (let round = 0; round < ROUNDS; round++) {
    const line = [];
    for (const kind of KINDS) {
      const order = round % 2 === 0 ? ['backplan', 'bare'] : ['bare', 'backplan'];
      for (const name of order) {
        spawnSync('sync');
        const r = await side(kind, name, round);
        const s = samples[kind];
        s[name].push(r.ms);
        if (name === 'backplan') {
          s.tool.push(r.tool);
          s.rest.push(r.ms - r.tool);
          if (kind === 'archive') samples.hash.push(await hashPass(r.dir));
        }
        line.push(`${kind} ${name} ${(r.ms / 1000).toFixed(2)} s`);
        rmSync(r.dir, { recursive: true, force: true });
      }
    }
    const h = KINDS.includes('archive') ? `, hash pass ${(samples.hash.at(-1) / 1000).toFixed(2)} s` : '';
    console.error(`round ${round + 1}/${ROUNDS}: ${line.join(', ')}${h} (load ${loadavg()[0].toFixed(1)})`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

function summary(s, hash) {
  const b = stats(s.backplan).median;
  const h = stats(s.bare).median;
  const out = {
    backplanMedianS: s2(b),
    bareMedianS: s2(h),
    ratioOfMedians: +(b / h).toFixed(3),
    medianOfRoundRatios: +stats(s.backplan.map((x, i) => x / s.bare[i])).median.toFixed(3),
    toolStepMedianS: s2(stats(s.tool).median),
    restMedianS: s2(stats(s.rest).median),
    backplanS: s.backplan.map(s2),
    bareS: s.bare.map(s2),
  };
  if (hash) {
    const without = s.backplan.map((x, i) => x - hash[i]);
    out.hashPassMedianS = s2(stats(hash).median);
    out.withoutHashPassMedianS = s2(stats(without).median);
    out.ratioWithoutHashPass = +(stats(without).median / h).toFixed(3);
    out.hashPassS = hash.map(s2);
  }
  return out;
}
const resticVersion = spawnSync('restic', ['version'], { encoding: 'utf8' }).stdout.split(' ')[1];
const result = {
  date: new Date().toISOString().slice(0, 10),
  machine: `${cpus().length} cores, Node ${process.version}, restic ${resticVersion}`,
  tree: { mib: Math.round(bytes / 2 ** 20), files: FILES },
  rounds: ROUNDS,
  loadAverage: loadavg().map((x) => +x.toFixed(1)),
  ...(KINDS.includes('restic') ? { restic: summary(samples.restic) } : {}),
  ...(KINDS.includes('archive') ? { archive: summary(samples.archive, samples.hash) } : {}),
};
console.log(JSON.stringify(result, null, 2));
