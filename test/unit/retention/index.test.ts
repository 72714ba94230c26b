import { describe, expect, it } from 'vitest';
import { KIND_NAMES } from '../../../engine/kinds';
import type { PolicyModel } from '../../../engine/plan/model';
import { ENGINE_IDS, engineFor, engineIdFor, getEngine, isExpiryOnly } from '../../../engine/retention';

const policy = (p: Partial<PolicyModel>): PolicyModel => ({ at: ['policies', 'p'], raw: {}, ...p });

describe('engine selection', () => {
  it('follows the kind', () => {
    const keep = policy({ keep: { daily: 7 } });
    expect(engineFor('vzdump', keep).id).toBe('pbs');
    expect(engineFor('restic', keep).id).toBe('restic');
    expect(engineFor('borg', keep).id).toBe('borg');
    expect(engineFor('velero', policy({ expiry: '30d' })).id).toBe('velero');
    for (const kind of ['zfs-snapshot', 'zfs-send', 'btrfs-snapshot', 'btrfs-send', 'rsync', 'archive', 'pg-dump', 'mysql-dump', 'incus-copy', 'openstack-image']) {
      expect(engineFor(kind, keep).id).toBe('native');
    }
    expect(engineFor('something-new', keep).id).toBe('native');
  });

  it('lets Incus prune an incus-snapshot job whose policy has only expiry', () => {
    expect(engineIdFor('incus-snapshot', policy({ expiry: '7d' }))).toBe('incus');
    expect(engineIdFor('incus-snapshot', policy({ expiry: '7d', min: 2 }))).toBe('incus');
    expect(engineIdFor('incus-snapshot', policy({ expiry: '7d', keep: { last: 3 } }))).toBe('native');
    expect(engineIdFor('incus-snapshot', policy({ tiers: [{ keep: 'all', until: '1d' }] }))).toBe('native');
    expect(engineIdFor('incus-snapshot')).toBe('native');
    expect(isExpiryOnly(policy({ expiry: '7d', keep: {} }))).toBe(true);
  });

  it('knows every engine and every kind', () => {
    for (const id of ENGINE_IDS) expect(getEngine(id).id).toBe(id);
    expect(getEngine('nope')).toBeUndefined();
    for (const kind of KIND_NAMES) expect(ENGINE_IDS).toContain(engineIdFor(kind, policy({ keep: { last: 1 } })));
  });
});
