// The kill campaign (issue #16, item 5): for each kind that runs here with local targets, a job
// keeping 3 copies over a hostile source tree, then `backplan run`, `prune`, `verify` and
// `restore` SIGKILLed at random moments, each kill followed by the invariants of
// test/helpers/faults/campaign.ts (the code test/faults/kill-campaign.test.ts runs in CI with
// 30 kills per kind). Prints the seed first; the same seed replays the same choices.
//
//   node scripts/build.mjs && nice -n 10 node bench/faults.mjs [--seed N] [--kills 150]
//     [--kinds archive,rsync,restic,borg,duplicity] [--mb 8] [--files 400] [--parallel 1]
//     [--kill-mode tree|group] [--cli FILE] [--json FILE] [--keep] [--quiet]
//   node bench/faults.mjs --fs-faults [full,read-only] [--kinds ...] [--stall 5]
//
// The CLI is copied out of dist/ (or --cli) first: a rebuild during a long campaign cannot
// change it. --fs-faults runs the full and read-only target faults (test/helpers/faults/
// fs-faults.ts) instead of the kill campaign. --keep leaves the work directory in bench/.cache.
// Exit status 1 when any violation was found.
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { importTs, ROOT } from './lib.mjs';

const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : dflt;
};
const flag = (name) => argv.includes(`--${name}`);

const { runCampaign, summaryTable } = await importTs('test/helpers/faults/campaign.ts');
const { freshSeed } = await importTs('test/helpers/faults/prng.ts');
const { fsFault } = await importTs('test/helpers/faults/fs-faults.ts');

const seed = opt('seed') !== undefined ? Number(opt('seed')) >>> 0 : freshSeed();
const kills = Number(opt('kills', 150));
const kinds = String(opt('kinds', 'archive,rsync,restic,borg,duplicity')).split(',').filter(Boolean);
const work = join(ROOT, 'bench', '.cache', `faults-${seed}`);
rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });
const cli = join(work, 'cli.js');
copyFileSync(opt('cli') ?? join(ROOT, 'dist', 'cli.js'), cli);

console.log(`seed ${seed}`);
console.log(
  `machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, load ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}, node ${process.version}`,
);
const t0 = Date.now();
const log = flag('quiet') ? undefined : (line) => console.error(`${((Date.now() - t0) / 1000).toFixed(0).padStart(5)} s ${line}`);

// --fs-faults [full,read-only]: the target faults of each kind instead of the kill campaign.
if (flag('fs-faults')) {
  const which = String(opt('fs-faults') ?? '').startsWith('--') || opt('fs-faults') === undefined ? 'full,read-only' : opt('fs-faults');
  let bad = 0;
  console.log('| kind | fault | result | the run said | ended after read-only |');
  console.log('|---|---|---|---|---|');
  for (const kind of kinds)
    for (const fault of which.split(',')) {
      const r = await fsFault(kind, fault, { work, cli, seed, stallS: Number(opt('stall', 5)), log });
      bad += r.problems.length;
      const res =
        (r.skipped ? `skipped: ${r.skipped}` : r.problems.length ? `**${r.problems.length} problem(s)**: ${r.problems.join('; ')}` : 'ok') +
        (r.notes.length ? ` (${r.notes.join('; ')})` : '');
      console.log(`| ${kind} | ${fault} | ${res} | ${(r.message ?? '').replace(/\|/g, '\\|').slice(0, 300)} | ${r.endedAfterMs !== undefined ? `${(r.endedAfterMs / 1000).toFixed(1)} s (stall ${r.stallMs / 1000} s)` : ''} |`);
    }
  if (!flag('keep')) rmSync(work, { recursive: true, force: true });
  process.exit(bad ? 1 : 0);
}

const result = await runCampaign({
  seed,
  kills,
  kinds,
  work,
  cli,
  mb: Number(opt('mb', 8)),
  files: Number(opt('files', 400)),
  parallel: Number(opt('parallel', 1)),
  killMode: opt('kill-mode', 'tree'),
  log,
});
console.log(`\n${summaryTable(result)}\n`);
console.log('(run / prune / verify / restore: kills / violations)');
for (const k of result.kinds) {
  if (k.skipped) continue;
  console.log(
    `\n${k.kind}: ${k.kills} kills in ${k.iterations} iterations, ${(k.ms / 1000).toFixed(0)} s; measured ms ${JSON.stringify(k.measuredMs)}; ` +
      `ended by themselves ${Object.values(k.perOp).reduce((s, o) => s + o.completed, 0)} ` +
      `(clear failures ${Object.values(k.perOp).reduce((s, o) => s + o.failedClear, 0)}); leftovers ${JSON.stringify(k.leftovers)}; ` +
      `outputs and files scanned for the secret ${k.scanned}`,
  );
  for (const [m, n] of Object.entries(k.clearFailures)) console.log(`  clear failure ×${n}: ${m}`);
  for (const v of k.violations) console.log(`  VIOLATION #${v.iteration} ${v.op}${v.killed ? ` killed at ${v.delayMs} ms` : ''}: ${v.invariant}: ${v.detail}`);
}
console.log(`\ntotal ${((Date.now() - t0) / 1000).toFixed(0)} s, seed ${seed}, load ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
const json = opt('json');
if (json) writeFileSync(json, `${JSON.stringify(result, null, 2)}\n`);
if (!flag('keep')) rmSync(work, { recursive: true, force: true });
process.exit(result.kinds.some((k) => k.violations.length) ? 1 : 0);
