// A cold `backplan check` (a new Node process, the bundled CLI) against borgmatic's validator on
// an equivalent small configuration (bench/peers/): what a user or a CI job waits for.
// Peer: Debian's borgmatic 1.7.7 (`apt-get install borgmatic`), `validate-borgmatic-config -c FILE`.
//   node scripts/build.mjs && node bench/check-cold.mjs [RUNS] [--cpu] [--cli=PATH]
// --cpu: CPU time (user + system of each child, from wait4 through python3, which borgmatic needs
// anyway) instead of wall time, the commands alternated run by run: on a loaded machine wall time
// measures the neighbours. --cli: another build (node scripts/build.mjs --outdir=DIR).
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { fmt, ROOT, stats } from './lib.mjs';

const args = process.argv.slice(2);
const runs = Number(args.find((a) => /^\d+$/.test(a)) ?? 15);
const cpu = args.includes('--cpu');
const cli = resolve(args.find((a) => a.startsWith('--cli='))?.slice(6) ?? join(ROOT, 'dist/cli.js'));
const commands = {
  'backplan check': [process.execPath, cli, 'check', 'bench/peers/small.backplan.yaml'],
  'backplan --help': [process.execPath, cli, '--help'],
  'validate-borgmatic-config': ['validate-borgmatic-config', '-c', 'bench/peers/borgmatic.yaml'],
  'node -e 0': [process.execPath, '-e', '0'],
};

function wall(argv) {
  const samples = [];
  for (let i = 0; i < runs + 2; i++) {
    const t0 = performance.now();
    const r = spawnSync(argv[0], argv.slice(1), { cwd: ROOT, encoding: 'utf8' });
    const ms = performance.now() - t0;
    if (r.error) throw r.error;
    if (r.status !== 0 && r.status !== 1) throw new Error(`${argv[0]} exited ${r.status}: ${r.stderr}`);
    if (i >= 2) samples.push(ms); // the first two warm the page cache
  }
  return stats(samples);
}

const CPU = `
import json, os, sys
runs, cmds = int(sys.argv[1]), json.loads(sys.argv[2])
out = {name: [] for name in cmds}
null = os.open(os.devnull, os.O_WRONLY)
for i in range(runs + 2):
    for name, argv in cmds.items():
        quiet = [(os.POSIX_SPAWN_DUP2, null, 1), (os.POSIX_SPAWN_DUP2, null, 2)]
        pid = os.posix_spawnp(argv[0], argv, os.environ, file_actions=quiet)
        _, status, ru = os.wait4(pid, 0)
        if os.waitstatus_to_exitcode(status) not in (0, 1): sys.exit(name + ' failed')
        if i >= 2: out[name].append((ru.ru_utime + ru.ru_stime) * 1000)
print(json.dumps(out))`;

let result;
if (cpu) {
  const r = spawnSync('python3', ['-c', CPU, String(runs), JSON.stringify(commands)], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`python3: ${r.stderr}`);
  result = Object.fromEntries(Object.entries(JSON.parse(r.stdout)).map(([k, v]) => [k, stats(v)]));
} else {
  result = Object.fromEntries(Object.entries(commands).map(([k, argv]) => [k, wall(argv)]));
}
const m = (k) => result[k].median;
const ratio = (m('backplan check') / m('validate-borgmatic-config')).toFixed(2);
console.log(`cold check, ${cpu ? 'CPU time' : 'wall time'}, ${runs} runs each (median): `
  + `backplan check ${fmt(m('backplan check'))}; validate-borgmatic-config ${fmt(m('validate-borgmatic-config'))}; `
  + `ratio ${ratio}× (\`backplan --help\` ${fmt(m('backplan --help'))}, bare \`node -e 0\`: ${fmt(m('node -e 0'))})`);
