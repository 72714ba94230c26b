// The `backplan` command's contract (SPEC §7): formats, exit codes, colour, one-line errors.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { backplan, ensureBuilt } from '../helpers/cli';
import { RULE_IDS } from '../../engine/findings';

const dir = mkdtempSync(join(tmpdir(), 'backplan-cli-'));
const write = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

beforeAll(() => ensureBuilt());

describe('backplan check', () => {
  it('exits 0 on the examples and 1 on a plan with errors', () => {
    expect(backplan(['check', 'examples/local.backplan.yaml']).code).toBe(0);
    const bad = write('bad.backplan.yaml', 'version: 1\njobs:\n  j:\n    kind: archive\n    paths: [/etc]\n    to: nowhere\n');
    const r = backplan(['check', bad]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/bad\.backplan\.yaml:6:9: error .*unknown storage `nowhere`.*\[unknown-reference\]/);
  });

  it('exits 1 on a job its driver would refuse, as `backplan plan` does (job-not-runnable)', () => {
    const text = 'version: 1\nhosts:\n  web: { address: 10.0.0.2 }\nstorage:\n  disk: { path: /srv/backups }\njobs:\n  arc: { kind: archive, host: web, paths: [/etc], to: disk }\n';
    const bad = write('norun.backplan.yaml', text);
    const r = backplan(['check', bad]);
    expect(r.code).toBe(1);
    const errors = r.stdout.split('\n').filter((l) => / error /.test(l));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/norun\.backplan\.yaml:7:31: error .*archive is built in and reads paths on this machine only.*\[job-not-runnable\]/);
    const plan = backplan(['plan', bad]);
    expect(plan.code).toBe(1);
    expect(plan.stderr).toMatch(/:7:31: .*\[job-not-runnable\]/);
  });

  it('prints the SPEC JSON shape with 0-based UTF-16 positions', () => {
    // é is one UTF-16 unit, 😀 two: `nowhere` starts at character 61 (60 code points).
    const bad = write('json.backplan.yaml', 'version: 1\n# comment\njobs:\n  j: { description: "é😀", kind: archive, paths: [/etc], to: nowhere }\n');
    const r = backplan(['check', '--format', 'json', bad]);
    const out = JSON.parse(r.stdout);
    const d = out.files[0].diagnostics.find((x: { rule: string }) => x.rule === 'unknown-reference');
    expect(out.files[0].path).toBe(bad);
    expect(d).toMatchObject({ severity: 'error', range: { start: { line: 3, character: 61 }, end: { line: 3, character: 68 } } });
  });

  it('writes SARIF 2.1.0', () => {
    const bad = write('sarif.backplan.yaml', 'version: 1\njobs:\n  j: { kind: archive, paths: [/etc], to: nowhere }\n');
    const sarif = JSON.parse(backplan(['check', '--format', 'sarif', bad]).stdout);
    expect(sarif.version).toBe('2.1.0');
    expect(sarif.runs[0].results.some((r: { ruleId: string; locations: { physicalLocation: { region: { startLine: number } } }[] }) => r.ruleId === 'unknown-reference' && r.locations[0].physicalLocation.region.startLine === 3)).toBe(true);
    // Every rule of the engine is described, each once.
    expect(sarif.runs[0].tool.driver.rules.map((r: { id: string }) => r.id).sort()).toEqual([...RULE_IDS].sort());
  });

  it('colours only when asked by a terminal and never under NO_COLOR', () => {
    const bad = write('colour.backplan.yaml', 'version: 1\njobs:\n  j: { kind: archive, paths: [/etc], to: nowhere }\n');
    // Piped: no escape codes even without NO_COLOR.
    expect(backplan(['check', bad], { env: { NO_COLOR: '' } }).stdout).not.toMatch(/\x1b\[/);
  });

  it('resolves relative paths against the plan’s folder to tell that two backups read the same data', () => {
    // `./data` (relative to the plan) and the same folder written absolute: one chain with a
    // copy on the NAS and one in the bucket, so no 3-2-1 warning on either job.
    const plan = (abs: string) => `version: 1
hosts: { here: { site: home }, nas: { address: nas.lan, site: home } }
storage:
  nas-share: { host: nas, media: hdd, path: /backups }
  bucket: { site: cloud, media: object, url: "s3:https://s3.example.com/b" }
jobs:
  to-nas: { kind: restic, host: here, paths: [./data], to: nas-share, password_env: P, verify: { restore: latest } }
  to-cloud: { kind: restic, host: here, paths: [${abs}], to: bucket, password_env: P }
`;
    const same = write('same-data.backplan.yaml', plan(join(dir, 'data') + '/'));
    const other = write('other-data.backplan.yaml', plan(join(dir, 'elsewhere')));
    const rules = (file: string) => (JSON.parse(backplan(['check', '--format', 'json', file]).stdout).files[0].diagnostics as { rule: string }[]).map((d) => d.rule);
    expect(rules(same)).not.toContain('coverage-3-2-1');
    expect(rules(other)).toContain('coverage-3-2-1');
  });

  it('bad usage is one line and a pointer to the help, exit 2', () => {
    for (const args of [['frobnicate'], ['check'], ['check', '--nope', 'x'], ['check', '--format', 'xml', 'examples/local.backplan.yaml']]) {
      const r = backplan(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/^backplan: [^\n]+\nsee 'backplan (check )?--help'\n$/);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });
});

describe('backplan simulate', () => {
  it('gives the SPEC JSON and draws an SVG', () => {
    const svg = join(dir, 'timeline.svg');
    const r = backplan(['simulate', 'examples/zfs-proxmox.backplan.yaml', '--job', 'vm-snapshots', '--from', '2026-01-01', '--at', '2027-01-01', '--format', 'json', '--svg', svg]);
    expect(r.code).toBe(0);
    const job = JSON.parse(r.stdout).jobs[0];
    expect(job).toMatchObject({ job: 'vm-snapshots', engine: 'native' });
    expect(job.snapshots.length).toBe(job.stats.count);
    expect(Object.keys(job.stats)).toEqual(expect.arrayContaining(['created', 'removed', 'count', 'minCount', 'maxCount', 'oldest', 'worstGap']));
    const text = readFileSync(svg, 'utf8');
    expect(text.startsWith('<svg') || text.startsWith('<?xml')).toBe(true);
    expect(text).toContain('1/week &lt; 6mo');
  });

  it('refuses an unknown job and bad dates with exit 2', () => {
    expect(backplan(['simulate', 'examples/zfs-proxmox.backplan.yaml', '--job', 'nope']).code).toBe(2);
    expect(backplan(['simulate', 'examples/zfs-proxmox.backplan.yaml', '--at', 'tomorrow']).code).toBe(2);
  });
});

describe('backplan retain', () => {
  it('decides with restic semantics from a list of times', () => {
    const snaps = write('snaps.txt', ['2026-01-01T10:00:00Z', '2026-01-01T12:00:00Z', '2026-01-02T09:00:00Z', '2026-01-03T09:00:00Z'].join('\n'));
    const r = backplan(['retain', '--engine', 'restic', '--policy', '{"keep": {"daily": 2}}', '--snapshots', snaps, '--format', 'json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      keep: [
        { time: '2026-01-03T09:00:00Z', reasons: ['daily snapshot'] },
        { time: '2026-01-02T09:00:00Z', reasons: ['daily snapshot'] },
      ],
      remove: [{ time: '2026-01-01T12:00:00Z' }, { time: '2026-01-01T10:00:00Z' }],
    });
  });

  it('--tool-version picks the rules of that restic release: before 0.16 no oldest snapshot is kept', () => {
    const snaps = write('snaps3.txt', '2026-01-01T09:00:00Z\n2026-01-01T10:00:00Z\n');
    const args = ['retain', '--engine', 'restic', '--policy', '{keep: {daily: 10}}', '--snapshots', snaps, '--format', 'json'];
    expect(JSON.parse(backplan([...args, '--tool-version', '0.14.0']).stdout).remove).toEqual([{ time: '2026-01-01T09:00:00Z' }]);
    expect(JSON.parse(backplan(args).stdout).keep[1]).toEqual({ time: '2026-01-01T09:00:00Z', reasons: ['oldest daily snapshot'] });
    const bad = backplan([...args, '--tool-version', 'latest']);
    expect([bad.code, bad.stderr]).toEqual([2, "backplan: --tool-version latest is not a version such as 0.14.0\nsee 'backplan retain --help'\n"]);
  });

  it('refuses a policy the engine cannot express', () => {
    const snaps = write('snaps2.txt', '2026-01-01T10:00:00Z\n');
    const r = backplan(['retain', '--engine', 'restic', '--policy', 'tiers: [{keep: all, until: 15d}]', '--snapshots', snaps]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/restic engine cannot express/);
  });
});

describe('backplan plan', () => {
  it('lists every step with its host and argv as JSON', () => {
    const r = backplan(['plan', 'examples/zfs-proxmox.backplan.yaml', '--format', 'json']);
    expect(r.code).toBe(0);
    const steps = JSON.parse(r.stdout).steps as { job: string; host: string; argv?: string[] }[];
    const snap = steps.find((s) => s.job === 'vm-snapshots' && s.argv);
    expect(snap).toMatchObject({ host: 'scylla' });
    expect(snap!.argv!.slice(0, 2)).toEqual(['zfs', 'snapshot']);
  });
});
