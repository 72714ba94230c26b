// How a job's pruning engine is chosen (engine/retention/index.ts) at its edges: a pruner that is
// not a string, a btrfs-send without btrbk, keep keys left empty beside an expiry, the tool
// versions of a host, and the refusals the wrappers add (issue #16's mutation run).
import { describe, expect, it } from 'vitest';
import type { KeepModel, PlanModel, PolicyModel } from '../../../engine/plan/model';
import { engineFor, engineIdFor, getEngine, hostToolVersions, isExpiryOnly } from '../../../engine/retention/index';

const policy = (p: Partial<PolicyModel>, raw: Record<string, unknown> = {}): PolicyModel => ({ at: [], raw, ...p });
const planWith = (toolVersions: unknown): PlanModel =>
  ({ hosts: new Map([['h', { raw: { tool_versions: toolVersions } }]]) }) as unknown as PlanModel;

describe('engine choice', () => {
  it('takes a pruner only when it names a tool as a string', () => {
    expect(engineIdFor('zfs-snapshot', undefined, 'sanoid')).toBe('sanoid');
    expect(engineIdFor('zfs-snapshot', undefined, ['sanoid'])).toBe(engineIdFor('zfs-snapshot'));
  });

  it('gives a btrfs-send job btrbk target rules only with pruner: btrbk', () => {
    expect(engineFor('btrfs-send')).toBe(getEngine(engineIdFor('btrfs-send')));
    expect(engineFor('btrfs-send', undefined, {}, 'btrbk').release).toMatch(/target_preserve/);
    expect(engineFor('btrfs-snapshot', undefined, {}, 'btrbk').release).not.toMatch(/target_preserve/);
  });

  it('takes keep keys left empty as unused beside an expiry', () => {
    const keep = { last: null, daily: undefined } as unknown as KeepModel;
    expect(isExpiryOnly(policy({ keep, expiry: '7d' }))).toBe(true);
    expect(isExpiryOnly(policy({ keep: { last: 1 } as KeepModel, expiry: '7d' }))).toBe(false);
  });

  it('reads a host restic version only when it is a string', () => {
    expect(hostToolVersions(planWith({ restic: '0.14.0' }), 'h')).toEqual({ restic: '0.14.0' });
    expect(hostToolVersions(planWith({ restic: 16 }), 'h')).toEqual({});
    expect(hostToolVersions(planWith(null), 'h')).toEqual({});
    expect(hostToolVersions(planWith({ restic: '0.14.0' }), 'elsewhere')).toEqual({});
    expect(hostToolVersions(planWith({ restic: '0.14.0' }), undefined)).toEqual({});
  });
});

describe('refusals the engine wrappers add', () => {
  it("names duplicity's chain counts and sanoid's keys for another engine", () => {
    const p = policy({ keep: { last: 2, full: 1, frequently: 4 } as unknown as KeepModel }, { frequent_period: 15 });
    const u = getEngine('restic').unsupported(p);
    expect(u.filter((x) => ['full', 'frequently', 'frequent_period'].includes(String(x.key.at(-1))))).toEqual([
      { key: ['keep', 'full'], message: '`keep.full` counts duplicity chains; the restic engine has no chains' },
      { key: ['keep', 'frequently'], message: "`keep.frequently` is sanoid's type; the restic engine has none" },
      { key: ['frequent_period'], message: "`frequent_period` is sanoid's; the restic engine has no such period" },
    ]);
  });
});
