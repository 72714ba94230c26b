// The Incus snapshot store's commands and parsing (engine/run/inventory/incus.ts), and the
// incus-snapshot driver's split between Incus expiry and native pruning. The real daemons are in
// test/integration/run-incus.test.ts.
import { describe, expect, it } from 'vitest';
import { DRIVERS } from '../../../engine/run/drivers/index';
import { listArgv, parseListing, removeArgv, splitTarget } from '../../../engine/run/inventory/incus';
import type { CommandStep, Step } from '../../../engine/run/steps/step';
import { FLEET, NOW, host, job, plan, policy, storage } from './helpers';

describe('Incus snapshot store', () => {
  it('lists through the REST API, locally or on a remote', () => {
    expect(listArgv('incus', 'web1')).toEqual(['incus', 'query', '/1.0/instances/web1/snapshots?recursion=1']);
    expect(listArgv('lxc', 'standby:web1')).toEqual([
      'lxc',
      'query',
      'standby:/1.0/instances/web1/snapshots?recursion=1',
    ]);
  });

  it("deletes in each client's dialect", () => {
    expect(removeArgv('incus', 'standby:web1', 'backplan-20240101T0000Z')).toEqual([
      'incus',
      'snapshot',
      'delete',
      'standby:web1',
      'backplan-20240101T0000Z',
    ]);
    expect(removeArgv('/usr/bin/lxc', 'web1', 'snap0')).toEqual(['/usr/bin/lxc', 'delete', 'web1/snap0']);
  });

  it('refuses names that could reach a URL or argv as something else', () => {
    for (const bad of ['web1/../x', 'web1?recursion=2', '-web1', 'a:b:c', 'web 1', ''])
      expect(() => splitTarget(bad)).toThrow(/not an Incus instance/);
    for (const bad of ['-rf', 'a/b', 'a b', ''])
      expect(() => removeArgv('lxc', 'web1', bad)).toThrow(/not a plain snapshot name/);
  });

  it('reads names and creation times, oldest first', () => {
    const out = parseListing(
      JSON.stringify([
        { name: 'b', created_at: '2024-01-02T00:00:00.5Z' },
        { name: 'web1/a', created_at: '2024-01-01T00:00:00Z' },
        { name: 'c', created_at: '0001-01-01T00:00:00Z' },
      ]),
      'web1',
    );
    expect(out).toEqual([
      { name: 'c' },
      { name: 'a', created: Date.parse('2024-01-01T00:00:00Z') },
      { name: 'b', created: Date.parse('2024-01-02T00:00:00.5Z') },
    ]);
    expect(() => parseListing('Error', 'web1')).toThrow(/not JSON/);
    expect(() => parseListing('{}', 'web1')).toThrow(/not a list/);
  });
});

describe('incus-snapshot: who prunes', () => {
  const steps = (retention: unknown, extraJobs: ReturnType<typeof job>[] = []): Step[] => {
    const j = job('is', { kind: 'incus-snapshot', host: 'scylla', instance: 'web1', retention });
    const p = plan({
      ...FLEET,
      hosts: [...FLEET.hosts, host('standby', { address: '192.0.2.12', role: 'standby' })],
      storage: [...FLEET.storage, storage('standby-pool', { host: 'standby' })],
      jobs: [j, ...extraJobs],
    });
    const r = DRIVERS['incus-snapshot'](j, p, { now: NOW });
    expect(r.errors).toEqual([]);
    return r.steps;
  };

  it("an expiry-only policy is Incus's: snapshots.expiry, no prune step", () => {
    const s = steps(policy(undefined, { expiry: '7d' }));
    expect((s[0] as CommandStep).argv).toEqual(['incus', 'config', 'set', 'web1', 'snapshots.expiry=7d']);
    expect(s.some((x) => x.type === 'prune')).toBe(false);
  });

  it('keep or tiers beside expiry: Backplan prunes it all, Incus gets no expiry of its own', () => {
    const s = steps(policy(undefined, { expiry: '7d', keep: { last: 3 } }));
    expect(s.map((x) => (x.type === 'command' ? (x as CommandStep).argv[1] : x.type))).toEqual(['snapshot', 'prune']);
  });

  it('protects the base shared with the incus-copy jobs that copy it', () => {
    const copy = job('ic', { kind: 'incus-copy', from: 'is', to: 'standby-pool', autostart: false });
    const prune = steps(policy(undefined, { keep: { last: 3 } }), [copy]).find((x) => x.type === 'prune');
    expect(prune).toMatchObject({ prune: { protectBaseOf: ['ic'] } });
  });
});

describe('incus-copy with refresh: false', () => {
  const copy = (state: Record<string, unknown>) => {
    const j = job('ic', { kind: 'incus-copy', host: 'scylla', instance: 'web1', remote: 'standby', refresh: false });
    return DRIVERS['incus-copy'](j, plan({ ...FLEET, jobs: [j] }), { now: NOW, state: { ic: state } });
  };
  it('copies the newest snapshot the live state names', () => {
    const r = copy({ latest: 'backplan-20240305T0000Z', targetExists: false });
    expect(r.errors).toEqual([]);
    expect((r.steps[0] as CommandStep).argv).toEqual([
      'incus',
      'copy',
      'web1/backplan-20240305T0000Z',
      'standby:web1',
      '--mode',
      'push',
      '-c',
      'boot.autostart=false',
    ]);
  });
  it('refuses a target that exists, with what to do', () => {
    expect(copy({ latest: 'backplan-20240305T0000Z', targetExists: true }).errors.join()).toMatch(
      /standby:web1 exists already: `refresh: false` makes a full copy into a new instance only/,
    );
  });
});
