// Proxmox prune-backups: which keep options a policy gives and what unsupported() tells the user
// about the rest (kept by the mutation run, issue #16).
import { describe, expect, it } from 'vitest';
import type { KeepModel, PolicyModel } from '../../../engine/plan/model';
import { pbsEngine, pbsKeepOptions } from '../../../engine/retention/pbs';

const policy = (p: Partial<PolicyModel>): PolicyModel => ({ at: ['policies', 'p'], raw: {}, ...p });
const keep = (k: Record<string, unknown>): KeepModel => k as unknown as KeepModel;

describe('pbs keep options', () => {
  it('takes only `last: all` as keep-all; another unlimited count is dropped', () => {
    expect(pbsKeepOptions(policy({ keep: keep({ last: 2, daily: 'all' }) }))).toEqual({ last: 2 });
    expect(pbsKeepOptions(policy({ keep: keep({ last: 'all', daily: 3 }) }))).toEqual({ all: true, daily: 3 });
  });
});

describe('pbs unsupported', () => {
  it('names every form Proxmox cannot prune by', () => {
    const u = pbsEngine.unsupported(
      policy({
        tiers: [{ keep: 'all' }] as PolicyModel['tiers'],
        expiry: '3d',
        keep: keep({ weekly: 'all', within: '2d', tags: [['x']] }),
      }),
    );
    expect(u).toEqual([
      {
        key: ['tiers'],
        message: 'Proxmox prune-backups has no age bands (`tiers`): use `keep` counts (last, hourly, daily, weekly, monthly, yearly)',
      },
      { key: ['expiry'], message: 'Proxmox prune-backups has no per-backup expiry: use `keep` counts' },
      {
        key: ['keep', 'weekly'],
        message: 'Proxmox prune-backups has no unlimited `keep-weekly`: give a number (only `last: all`, i.e. keep-all, keeps everything)',
      },
      {
        key: ['keep', 'within'],
        message: 'Proxmox prune-backups has no `within` rule: only keep-last/hourly/daily/weekly/monthly/yearly counts',
      },
      {
        key: ['keep', 'tags'],
        message: 'Proxmox prune-backups cannot keep by tag: only keep-last/hourly/daily/weekly/monthly/yearly counts',
      },
    ]);
  });

  it('says nothing of keys left empty, of keys it does not know, or without keep', () => {
    expect(pbsEngine.unsupported(policy({ keep: keep({ within: null, tags: undefined, daily: 3 }) }))).toEqual([]);
    // `frequently` is sanoid's: the engine wrapper (retention/index.ts) reports it, not this engine
    expect(pbsEngine.unsupported(policy({ keep: keep({ frequently: 2 }) }))).toEqual([]);
    expect(pbsEngine.unsupported(policy({}))).toEqual([]);
  });
});
