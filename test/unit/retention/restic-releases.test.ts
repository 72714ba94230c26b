// restic's forget rules by release, as a host declares them (`tool_versions.restic`): the engine
// picked for a job, the check that refuses what the release cannot do, the simulation that follows
// the release, and the guard that refuses a host whose restic follows other rules than declared.
// (The rules themselves are checked against restic 0.14 in restic-fixtures.test.ts and against
// restic's own golden files in restic-conformance.test.ts.)
import { describe, expect, it } from 'vitest';
import { checkText } from '../../../engine/check';
import { rule as unsupportedRule } from '../../../engine/checks/retention-unsupported';
import { buildModel } from '../../../engine/plan/build-model';
import { engineForJob, hostToolVersions } from '../../../engine/retention';
import { parseResticVersion, resticEngineFor, resticReleaseOf, RESTIC_BEFORE_0_16, CURRENT_RESTIC } from '../../../engine/retention/restic';
import { resticMismatch } from '../../../engine/run/exec/guard';
import { simulateJob } from '../../../engine/simulate/simulate-job';
import { engineDocMarkdown } from '../../../server/retention-docs';

const plan = (versions?: string) =>
  buildModel({
    version: 1,
    timezone: 'UTC',
    hosts: { box: versions === undefined ? {} : { tool_versions: { restic: versions } } },
    storage: { disk: { host: 'box', path: '/srv/repo' } },
    jobs: { files: { kind: 'restic', host: 'box', paths: ['/data'], to: 'disk', password_env: 'PW', schedule: '0 * * * *', retention: { keep: { daily: 10 } } } },
  });

describe('restic releases', () => {
  it('reads versions as restic prints them and as plans write them', () => {
    expect(parseResticVersion('restic 0.14.0 compiled with go1.19.8 on linux/amd64')).toEqual([0, 14, 0]);
    expect(parseResticVersion('0.16')).toEqual([0, 16, 0]);
    expect(parseResticVersion('v0.17.3')).toEqual([0, 17, 3]);
    expect(parseResticVersion('latest')).toBeUndefined();
    expect(resticReleaseOf('0.14.0')).toBe(RESTIC_BEFORE_0_16);
    expect(resticReleaseOf('0.15.2')).toBe(RESTIC_BEFORE_0_16);
    expect(resticReleaseOf('0.16.0')).toBe(CURRENT_RESTIC);
    expect(resticReleaseOf('1.0.0')).toBe(CURRENT_RESTIC);
    expect(resticReleaseOf(undefined)).toBe(CURRENT_RESTIC);
  });

  it('picks the engine of the version the job host declares', () => {
    const p = plan('0.14.0');
    expect(hostToolVersions(p, 'box')).toEqual({ restic: '0.14.0' });
    expect(engineForJob(p, p.jobs.get('files')!).release).toBe('restic before 0.16');
    const q = plan();
    expect(engineForJob(q, q.jobs.get('files')!).release).toBe('restic 0.16 or later');
  });

  it('keeps no oldest snapshot before 0.16: two snapshots of one day under daily: 10', () => {
    const snaps = [{ id: 'a', time: Date.UTC(2026, 0, 1, 9) }, { id: 'b', time: Date.UTC(2026, 0, 1, 10) }];
    const policy = { at: [], keep: { daily: 10 }, raw: {} };
    const ctx = { now: Date.UTC(2026, 0, 2), timezone: 'UTC' };
    expect(resticEngineFor('0.14.0').evaluate(snaps, policy, ctx).remove.map((s) => s.id)).toEqual(['a']);
    expect(resticEngineFor(undefined).evaluate(snaps, policy, ctx).keep.map((k) => [k.snapshot.id, ...k.reasons])).toEqual([
      ['b', 'daily snapshot'],
      ['a', 'oldest daily snapshot'],
    ]);
  });

  it('simulates with the declared rules: an hourly job under daily: 10 holds one snapshot fewer on restic 0.14', () => {
    const from = Date.UTC(2026, 0, 1, 0, 30);
    const at = Date.UTC(2026, 0, 3, 12, 0);
    const now = simulateJob(plan(), 'files', { from, at });
    const old = simulateJob(plan('0.14.0'), 'files', { from, at });
    expect(now.snapshots.length).toBe(old.snapshots.length + 1);
    expect(now.snapshots.some((s) => s.reasons.includes('oldest daily snapshot'))).toBe(true);
    expect(old.snapshots.some((s) => s.reasons.some((r) => r.startsWith('oldest')))).toBe(false);
  });

  it('check refuses an unlimited count on a host that declares restic before 0.16, at the count', () => {
    const text = (versions: string) => `version: 1
hosts:
  box: { tool_versions: { restic: "${versions}" } }
jobs:
  files:
    kind: restic
    host: box
    paths: [/data]
    retention: { keep: { last: all } }
`;
    const old = text('0.14.0');
    const f = checkText(old, { rules: [unsupportedRule] }).findings;
    expect(f).toHaveLength(1);
    expect(old.slice(f[0].range.start, f[0].range.end)).toBe('last');
    expect(f[0].message).toContain('restic before 0.16 has no unlimited count');
    expect(checkText(text('0.16.4'), { rules: [unsupportedRule] }).findings).toEqual([]);
  });

  it('the schema takes a version and refuses anything else', () => {
    const bad = `version: 1
hosts:
  box: { tool_versions: { restic: newest, borg: "1.2" } }
jobs: {}
`;
    const f = checkText(bad).findings.filter((x) => x.rule === 'schema');
    expect(f.map((x) => bad.slice(x.range.start, x.range.end)).sort()).toEqual(['borg', 'newest']);
  });

  it('the guard refuses a host whose restic follows other rules than declared, naming the line to add', () => {
    expect(resticMismatch('0.14.0', '0.14.0', 'box')).toBeUndefined();
    expect(resticMismatch('0.14', '0.15.2', 'box')).toBeUndefined();
    expect(resticMismatch(undefined, '0.17.3', 'box')).toBeUndefined();
    expect(resticMismatch(undefined, '0.14.0', 'box')).toBe(
      'host box runs restic 0.14.0, whose forget rules are those of restic before 0.16, but the plan follows restic 0.16 or later (no `tool_versions.restic` declared): set `tool_versions: {restic: "0.14.0"}` on host box, so that simulate, check and this prune follow restic 0.14.0',
    );
    expect(resticMismatch('0.14.0', '0.17.3', 'box')).toMatch(/^host box runs restic 0\.17\.3, whose forget rules are those of restic 0\.16 or later, but the plan declares restic 0\.14\.0/);
    expect(resticMismatch(undefined, '0.14.0', undefined)).toMatch(/^this machine runs restic 0\.14\.0.*give the job a `host` \(one without `address` runs here\)/);
  });

  it('the retention hover says which release prunes', () => {
    expect(engineDocMarkdown('restic')).toContain('“oldest daily snapshot”');
    const old = engineDocMarkdown('restic', 'restic before 0.16');
    expect(old).toContain('**Pruned by restic before 0.16');
    expect(old).not.toContain('“oldest daily snapshot”');
  });
});
