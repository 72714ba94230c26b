// `backplan simulate` of a whole fleet: 200 jobs, 40 each of zfs-snapshot, zfs-send (copying the
// snapshots), restic, borg and pg-dump, half of each kind daily and half 6-hourly, pruned by the
// engine of their kind. Each run is a new process of the bundled CLI (what a user waits for),
// JSON output discarded.
//   node scripts/build.mjs && node bench/simulate-fleet.mjs [--runs N] [--horizon 1y] [--jobs 200] [--cli FILE]
// (--cli: another bundle of the CLI, e.g. one built from an earlier commit, to time before/after)
//   node bench/simulate-fleet.mjs --print > fleet.backplan.yaml    # the plan only
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fmt, ROOT, stats } from './lib.mjs';

function arg(name, def) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : def;
}

/** CPU time of the waited-for children so far (Linux: /proc/self/stat cutime + cstime; 0 elsewhere). */
function childCpuMs() {
  try {
    const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
    return ((Number(fields[13]) + Number(fields[14])) * 1000) / 100; // clock ticks of 1/100 s
  } catch {
    return 0;
  }
}

/** The fleet's plan: `jobs` (a multiple of 5) jobs over 20 hosts. */
export function generateFleet(jobs = 200) {
  const hosts = 20;
  const per = Math.floor(jobs / 5);
  const out = ['version: 1', 'timezone: Europe/Paris', 'hosts:'];
  for (let h = 0; h < hosts; h++) out.push(`  host-${h}: { address: 10.2.0.${h + 1}, user: root, site: site-${h % 3} }`);
  out.push('storage:');
  for (let h = 0; h < hosts; h++) out.push(`  pool-${h}: { host: host-${h}, media: ${h % 2 ? 'hdd' : 'ssd'}, capacity: 20TB, path: /backup }`);
  out.push('  offsite: { site: cloud, media: object, url: "s3:https://s3.example.net/fleet" }');
  out.push(
    'policies:',
    '  tiers:',
    '    tiers:',
    '      - { keep: all, until: 2d }',
    '      - { every: 1d, until: 1mo }',
    '      - { every: 1w, until: 6mo }',
    '      - { every: 1mo, until: 2y }',
    '  gfs:',
    '    keep: { last: 4, daily: 7, weekly: 4, monthly: 12, yearly: 2 }',
  );
  out.push('jobs:');
  // Daily at a minute of the night, or every 6 hours at a minute: alternate within each kind.
  const schedule = (i) => (i % 2 === 0 ? `"${i % 60} ${i % 5} * * *"` : `"${i % 60} */6 * * *"`);
  for (let i = 0; i < per; i++) {
    const h = i % hosts;
    out.push(
      `  snap-${i}: { kind: zfs-snapshot, host: host-${h}, dataset: tank/vm-${i}, storage: pool-${h}, schedule: ${schedule(i)}, retention: tiers }`,
      `  send-${i}: { kind: zfs-send, from: snap-${i}, host: host-${h}, to: pool-${(h + 1) % hosts}, dataset: backup/vm-${i}, schedule: ${schedule(i)}, retention: tiers }`,
      `  restic-${i}: { kind: restic, host: host-${h}, paths: [/srv/app-${i}], to: offsite, password_env: RESTIC_PASSWORD, schedule: ${schedule(i + 1)}, retention: { keep: { last: 3, daily: 7, weekly: 5, monthly: 12, within: 2d } } }`,
      `  borg-${i}: { kind: borg, host: host-${h}, paths: [/home/u-${i}], to: pool-${(h + 2) % hosts}, passphrase_env: BORG_PASSPHRASE, schedule: ${schedule(i)}, retention: gfs }`,
      `  dump-${i}: { kind: pg-dump, host: host-${h}, database: db${i}, to: pool-${(h + 3) % hosts}, schedule: ${schedule(i + 1)}, retention: gfs }`,
    );
  }
  return out.join('\n') + '\n';
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const jobs = Number(arg('jobs', '200'));
  if (process.argv.includes('--print')) {
    process.stdout.write(generateFleet(jobs));
  } else {
    const runs = Number(arg('runs', '3'));
    const horizon = arg('horizon', '1y');
    const plan = join(mkdtempSync(join(tmpdir(), 'backplan-fleet-')), 'fleet.backplan.yaml');
    writeFileSync(plan, generateFleet(jobs));
    const args = [arg('cli', join(ROOT, 'dist/cli.js')), 'simulate', plan, '--from', '2026-01-01T00:00:00Z', '--horizon', horizon, '--format', 'json'];
    const samples = [];
    const cpus = [];
    let simulated = 0;
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      const c0 = childCpuMs();
      const r = spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 30 });
      const ms = performance.now() - t0;
      // CPU of the child (user + system), less sensitive than wall time to a loaded machine.
      const cpu = childCpuMs() - c0;
      if (r.error) throw r.error;
      if (r.status !== 0) throw new Error(`simulate exited ${r.status}: ${r.stderr}`);
      const out = JSON.parse(r.stdout);
      simulated = out.jobs.length;
      if (out.skipped.length > 0) throw new Error(`jobs skipped: ${JSON.stringify(out.skipped.slice(0, 3))}`);
      samples.push(ms);
      cpus.push(cpu);
      console.log(`run ${i + 1}: ${fmt(ms)} (CPU ${fmt(cpu)})`);
    }
    const s = stats(samples);
    const c = stats(cpus);
    console.log(`simulate ${simulated} jobs, --horizon ${horizon}, ${runs} runs: median ${fmt(s.median)} (min ${fmt(s.min)}, ` +
      `max ${fmt(s.max)}); CPU median ${fmt(c.median)}`);
  }
}
