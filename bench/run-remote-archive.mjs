// One small `archive` job written over ssh to a storage host (a real OpenSSH server on 127.0.0.2,
// started with the test helper test/helpers/sshd.ts, bundled on the fly): the wall time of
// `backplan run` end to end, where ssh round trips, not data, are most of the cost. With two
// builds of the command (`--cli OLD,NEW`), they run in alternating order (which goes first
// flips every round) so both see the same machine load, and the script prints the ratio. Each
// build also gets one untimed run with an `ssh` first on PATH that logs every call, to count
// the remote commands of one run (the ControlMaster's `-O exit` not counted).
//
//   node scripts/build.mjs && node bench/run-remote-archive.mjs [--runs 10] [--kb 64] [--cli A.js,B.js]
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { importTs, ROOT, stats } from './lib.mjs';

const argOf = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const RUNS = Number(argOf('runs', '10'));
const KB = Number(argOf('kb', '64'));
const CLIS = argOf('cli', join(ROOT, 'dist', 'cli.js')).split(',');
for (const c of CLIS) if (!existsSync(c)) throw new Error(`${c} is missing: build first (node scripts/build.mjs)`);
if (process.getuid?.() !== 0) throw new Error('needs root (it starts sshd)');

const { startSshHosts } = await importTs('test/helpers/sshd.ts');
const ssh = await startSshHosts(1);
const work = mkdtempSync(join(tmpdir(), 'bp-bench-remote-'));
mkdirSync(join(work, 'data'));
for (let f = 0; f < 4; f++) writeFileSync(join(work, 'data', `f${f}.bin`), randomBytes((KB << 10) / 4));
const bin = join(work, 'bin');
mkdirSync(bin);
const log = join(work, 'ssh.log');
ssh.writeSshWrapper(join(bin, 'ssh'), log);

let n = 0;
/** A plan whose storage is a fresh directory (copy names have minute precision). */
function planFor() {
  const tag = `r${n++}`;
  const plan = join(work, `${tag}.backplan.yaml`);
  writeFileSync(
    plan,
    [
      'version: 1',
      'hosts:',
      '  here: { site: home }',
      `  ${ssh.hostLine('vault', 0, 'site: away, role: storage')}`,
      `storage: { remote: { host: vault, media: hdd, path: ${join(work, tag)} } }`,
      `jobs: { docs: { kind: archive, host: here, paths: [${join(work, 'data')}], to: remote, retention: { keep: { last: 2 } } } }`,
      'checks: { coverage-3-2-1: off, no-restore-test: off, offsite-unencrypted: off }',
      '',
    ].join('\n'),
  );
  return plan;
}

function run(cli, env = {}) {
  return new Promise((resolve, reject) => {
    const s = performance.now();
    const c = spawn(process.execPath, [cli, 'run', planFor(), '--state-dir', join(work, 'state'), ...ssh.sshArgs()], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let out = '';
    c.stdout.on('data', (d) => (out += d));
    c.stderr.on('data', (d) => (out += d));
    c.on('close', (code) => (code === 0 ? resolve(performance.now() - s) : reject(new Error(`${cli} exited ${code}: ${out.slice(-2000)}`))));
  });
}

/** Remote commands of one run of `cli`, through the logging ssh on PATH. */
async function countCalls(cli) {
  rmSync(log, { force: true });
  await run(cli, { PATH: `${bin}:${process.env.PATH}` });
  return readFileSync(log, 'utf8').split('\n').filter((l) => l.includes(` -- root@${ssh.hosts[0].address} `) && !l.includes(' -O exit ')).length;
}

const times = CLIS.map(() => []);
const calls = [];
const load = [loadavg()[0]];
try {
  for (const cli of CLIS) calls.push(await countCalls(cli)); // also the warm-up (host key learned)
  for (let r = 0; r < RUNS; r++) {
    const order = r % 2 === 0 ? CLIS.map((_, i) => i) : CLIS.map((_, i) => CLIS.length - 1 - i);
    for (const i of order) times[i].push(await run(CLIS[i]));
    console.error(`run ${r + 1}: ${times.map((t) => `${(t[r] / 1000).toFixed(2)} s`).join(' / ')} (load ${loadavg()[0].toFixed(1)})`);
  }
  load.push(loadavg()[0]);
} finally {
  await ssh.close();
  rmSync(work, { recursive: true, force: true });
}

const summary = CLIS.map((cli, i) => {
  const s = stats(times[i]);
  return { cli, remoteCalls: calls[i], medianS: +(s.median / 1000).toFixed(3), minS: +(s.min / 1000).toFixed(3), maxS: +(s.max / 1000).toFixed(3) };
});
const ratios =
  CLIS.length === 2
    ? {
        ratioOfMedians: +(summary[1].medianS / summary[0].medianS).toFixed(3),
        medianOfRatios: +stats(times[1].map((t, r) => t / times[0][r])).median.toFixed(3),
      }
    : {};
console.log(JSON.stringify({ date: new Date().toISOString().slice(0, 10), machine: `${cpus().length} cores, Node ${process.version}`, load: load.map((l) => +l.toFixed(1)), runs: RUNS, kb: KB, summary, ...ratios }, null, 2));
