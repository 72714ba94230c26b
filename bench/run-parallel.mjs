// Parallelism of `backplan run`: a 20-job plan of archive jobs spread over 3 sshd storage hosts
// (the test helper test/helpers/sshd.ts, bundled on the fly: sshd on 127.0.0.2-4), each job
// reading its own tree of random files on this machine and writing over ssh to its storage host.
// The jobs belong to three source hosts (one per storage host; hosts without an address run
// here), so `--per-host N` lets 3×N jobs run at once. For each N: the wall time of the
// command vs the sum of its steps' times (from the run's journal); parallelism = sum / wall.
// Every run writes to fresh storage directories (copy names have minute precision).
//
//   node scripts/build.mjs && node bench/run-parallel.mjs [--rounds 3] [--per-host 1,2,4] [--mb 2] [--cli PATH]
//
// --cli runs another build of the command (e.g. an older dist/cli.js kept aside) to compare.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { importTs, ROOT, stats } from './lib.mjs';

const argOf = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const ROUNDS = Number(argOf('rounds', '3'));
const PER_HOST = argOf('per-host', '1,2,4').split(',').map(Number);
const MB = Number(argOf('mb', '2'));
const JOBS = 20;
const HOSTS = 3;
const CLI = argOf('cli', join(ROOT, 'dist', 'cli.js'));
if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build first (node scripts/build.mjs)`);
if (process.getuid?.() !== 0) throw new Error('needs root (it starts sshd)');

const { startSshHosts } = await importTs('test/helpers/sshd.ts');
const ssh = await startSshHosts(HOSTS);
const work = mkdtempSync(join(tmpdir(), 'bp-bench-par-'));

function planFor(tag) {
  const lines = ['version: 1', 'hosts:'];
  for (let h = 0; h < HOSTS; h++) lines.push(`  src-${h}: { site: home }`);
  for (let h = 0; h < HOSTS; h++) lines.push(`  ${ssh.hostLine(`vault-${h}`, h, 'site: away, role: storage')}`);
  lines.push('storage:');
  for (let h = 0; h < HOSTS; h++) lines.push(`  st-${h}: { host: vault-${h}, media: hdd, path: ${join(work, tag, `vault-${h}`)} }`);
  lines.push('jobs:');
  for (let j = 0; j < JOBS; j++) {
    const h = j % HOSTS;
    lines.push(`  job-${String(j).padStart(2, '0')}: { kind: archive, host: src-${h}, paths: [${join(work, 'data', `job-${j}`)}], to: st-${h}, retention: { keep: { last: 2 } } }`);
  }
  lines.push('checks: { coverage-3-2-1: off, no-restore-test: off, offsite-unencrypted: off, unused: off }', '');
  const plan = join(work, `${tag}.backplan.yaml`);
  writeFileSync(plan, lines.join('\n'));
  return plan;
}

function run(plan, perHost) {
  return new Promise((resolve, reject) => {
    const state = join(work, 'state');
    const s = performance.now();
    const c = spawn(process.execPath, [CLI, 'run', plan, '--state-dir', state, '--per-host', String(perHost), '--format', 'json', ...ssh.sshArgs()], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    c.stdout.on('data', (d) => (out += d));
    c.stderr.on('data', (d) => (err += d));
    c.on('close', (code) => {
      const wall = performance.now() - s;
      if (code !== 0) return reject(new Error(`run exited ${code}: ${out.slice(-3000)} ${err.slice(-2000)}`));
      const report = JSON.parse(out);
      const journal = readFileSync(report.journal, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
      const steps = journal.filter((l) => l.type === 'step-end').reduce((a, l) => a + l.ms, 0);
      // Job time = job-start to job-end in the journal (steps plus lock, preflight, leftovers scan).
      const starts = new Map(journal.filter((l) => l.type === 'job-start').map((l) => [l.job, Date.parse(l.t)]));
      const jobs = journal.filter((l) => l.type === 'job-end').reduce((a, l) => a + (Date.parse(l.t) - starts.get(l.job)), 0);
      resolve({ wall, runMs: report.ms, steps, jobs });
    });
  });
}

const results = [];
try {
  for (let j = 0; j < JOBS; j++) {
    const d = join(work, 'data', `job-${j}`);
    mkdirSync(d, { recursive: true });
    for (let f = 0; f < 4; f++) writeFileSync(join(d, `f${f}.bin`), randomBytes((MB << 20) / 4));
  }
  // One untimed run: ssh host keys learned, caches warm.
  await run(planFor('warm-up'), 1);
  let n = 0;
  for (let round = 0; round < ROUNDS; round++) {
    for (const perHost of PER_HOST) {
      const r = await run(planFor(`r${n++}`), perHost);
      results.push({ perHost, ...r });
      console.error(`per-host ${perHost}: wall ${(r.wall / 1000).toFixed(2)} s, steps ${(r.steps / 1000).toFixed(2)} s, parallelism ${(r.steps / r.wall).toFixed(2)} (load ${loadavg()[0].toFixed(1)})`);
    }
  }
} finally {
  await ssh.close();
  rmSync(work, { recursive: true, force: true });
}

const summary = PER_HOST.map((perHost) => {
  const rs = results.filter((r) => r.perHost === perHost);
  const wall = stats(rs.map((r) => r.wall)).median;
  const steps = stats(rs.map((r) => r.steps)).median;
  const jobs = stats(rs.map((r) => r.jobs)).median;
  return {
    perHost,
    maxAtOnce: perHost * HOSTS,
    wallS: +(wall / 1000).toFixed(2),
    sumOfStepsS: +(steps / 1000).toFixed(2),
    sumOfJobsS: +(jobs / 1000).toFixed(2),
    parallelism: +stats(rs.map((r) => r.steps / r.wall)).median.toFixed(2),
  };
});
console.log(JSON.stringify({ date: new Date().toISOString().slice(0, 10), machine: `${cpus().length} cores, Node ${process.version}`, jobs: JOBS, hosts: HOSTS, mbPerJob: MB, rounds: ROUNDS, summary }, null, 2));
