// Generates a large, realistic plan: N jobs (default 200) over 20 hosts, mixing kinds, named
// policies and inline retention, about 15 lines per job. Used by the check benchmarks and the
// editor's per-edit benchmark.
//   node bench/gen-plan.mjs [JOBS] > big.backplan.yaml
export function generatePlan(jobs = 200) {
  const hosts = 20;
  const out = ['version: 1', 'timezone: Europe/Paris', 'hosts:'];
  for (let h = 0; h < hosts; h++) out.push(`  host-${h}: { address: 10.1.${h >> 4}.${h & 15 + 1}, user: root, site: site-${h % 3}, role: ${h % 5 === 4 ? 'storage' : 'primary'} }`);
  out.push('storage:');
  for (let h = 0; h < hosts; h++) out.push(`  pool-${h}: { host: host-${h}, media: ${h % 2 ? 'hdd' : 'ssd'}, capacity: 20TB, path: /backup }`);
  out.push('  offsite: { site: cloud, media: object, immutable: true, url: "s3:https://s3.example.net/fleet" }');
  out.push('policies:', '  tiers:', '    tiers:', '      - { keep: all, until: 15d }', '      - { every: 1d, until: 1mo }',
    '      - { every: 1w, until: 6mo }', '      - { every: 1mo }', '  gfs:', '    keep: { last: 3, daily: 7, weekly: 4, monthly: 12 }');
  out.push('jobs:');
  for (let i = 0; i < jobs; i++) {
    const h = i % hosts;
    const n = `job-${i}`;
    out.push('', `  # job ${i}: owned by team-${i % 7}, reviewed 2026-10`);
    switch (i % 4) {
      case 0:
        out.push(`  ${n}:`, `    description: "VM disks of tenant ${i}"`, '    kind: zfs-snapshot', `    host: host-${h}`, `    dataset: tank/data-${i}`, `    storage: pool-${h}`,
          `    schedule: "${i % 60} */6 * * *"`, '    retention: tiers', '    rpo: 6h', '    size: 200GB', '    change: 1%');
        break;
      case 1:
        out.push(`  ${n}:`, `    description: "replica of job-${i - 1}"`, '    kind: zfs-send', `    from: job-${i - 1}`, `    host: host-${h - 1 < 0 ? 0 : (i - 1) % hosts}`,
          `    to: pool-${(h + 1) % hosts}`, `    dataset: backup/data-${i}`, `    schedule: "${(i + 30) % 60} */6 * * *"`,
          '    retention: tiers', '    verify: { schedule: "0 12 * * 6", restore: sample }');
        break;
      case 2:
        out.push(`  ${n}:`, `    description: "offsite copy of app ${i}"`, '    kind: restic', '    enabled: true', `    from: job-${i - 1}`, `    host: host-${h}`, `    paths: [/srv/app-${i}, /etc]`,
          '    exclude: ["*.tmp"]', '    to: offsite', '    password_env: RESTIC_PASSWORD', `    schedule: "${i % 60} 2 * * *"`,
          '    retention:', '      keep: { daily: 7, weekly: 5, monthly: 12 }');
        break;
      default:
        out.push(`  ${n}:`, `    description: "nightly dump of db${i}"`, '    kind: pg-dump', '    size: 20GB', '    change: 5%', `    host: host-${h}`, `    database: db${i}`, `    to: pool-${(h + 2) % hosts}`,
          `    schedule: "${i % 60} 1 * * *"`, '    retention: gfs', '    rpo: 1d', '    verify: { schedule: "0 6 * * 1", restore: latest }');
    }
  }
  return out.join('\n') + '\n';
}

if (import.meta.url === `file://${process.argv[1]}`) process.stdout.write(generatePlan(Number(process.argv[2] ?? 200)));
