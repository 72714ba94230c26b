// Incus's snapshot names (engine/run/steps/incus-pattern.ts) as Incus's NextSnapshotName makes
// them, and the incus drivers that use them: the guide's pattern is accepted, named in the host's
// zone, read back for pruning; counters and fixed names hold no time. The real LXD is compared in
// test/integration/incus-names.test.ts.
import { describe, expect, it } from 'vitest';
import { DRIVERS } from '../../../engine/run/drivers/index';
import { nativeSchedule } from '../../../engine/run/drivers/incus-snapshot';
import {
  incusPatternGlob,
  isIncusPattern,
  nextIncusName,
  parseIncusPattern,
  renderIncusPattern,
} from '../../../engine/run/steps/incus-pattern';
import { nameTimeParser } from '../../../engine/run/steps/names';
import type { CommandStep } from '../../../engine/run/steps/step';
import { host, job, plan, policy, storage } from './helpers';

const GUIDE = "rockylinux-test-9{{ creation_date|date:'2006-01-02_15-04-05' }}";
const NOW = Date.UTC(2026, 11, 3, 7, 43, 44); // 08:43:44 in Paris

const parts = (p: string) => {
  const r = parseIncusPattern(p);
  if (!r.ok) throw new Error(r.message);
  return r.parts;
};

describe("Incus's pattern syntax", () => {
  it('tells Incus patterns from strftime ones', () => {
    for (const p of [GUIDE, 'snap%d', 'fixed', 'n%d-a', '{{ creation_date|date:"2006" }}-%d'])
      expect(isIncusPattern(p), p).toBe(true);
    for (const p of ['auto-%Y%m%d-%H%M', 'nightly-%Y-%m-%d', 'x%d%%']) expect(isIncusPattern(p), p).toBe(false);
  });

  it("renders creation_date with the Go layout, in the zone (LXD's daemon renders in its local zone)", () => {
    expect(renderIncusPattern(parts(GUIDE), NOW, 'Europe/Paris')).toBe('rockylinux-test-92026-12-03_08-43-44');
    expect(renderIncusPattern(parts(GUIDE), NOW, 'UTC')).toBe('rockylinux-test-92026-12-03_07-43-44');
    expect(renderIncusPattern(parts(''), NOW, 'UTC')).toBe('snap%d');
  });

  it('counts %d as Incus does: one more than the highest, a deleted highest number given again', () => {
    expect(nextIncusName('snap%d', [])).toBe('snap0');
    expect(nextIncusName('snap%d', ['snap0', 'snap7', 'other3'])).toBe('snap8');
    // Seen on LXD 5.0.2: n0-a, n1-a, delete n1-a, next is n1-a again.
    expect(nextIncusName('n%d-a', ['n0-a'])).toBe('n1-a');
    // Go's Sscanf reads the number and checks the text after it starts with the suffix.
    expect(nextIncusName('n%d-a', ['n4-b', 'n2-abc'])).toBe('n3-a');
    expect(nextIncusName('snap%d', ['snap5-old'])).toBe('snap6');
  });

  it('gives a taken name -0, -1 ... (LXD 5.0.2: fixed, fixed-0, fixed-1)', () => {
    expect(nextIncusName('fixed', [])).toBe('fixed');
    expect(nextIncusName('fixed', ['fixed'])).toBe('fixed-0');
    expect(nextIncusName('fixed', ['fixed', 'fixed-0'])).toBe('fixed-1');
  });

  it('refuses what Incus or Backplan cannot render', () => {
    const bad = (p: string) => {
      const r = parseIncusPattern(p);
      return r.ok ? '' : r.message;
    };
    expect(bad('a%d-%d')).toMatch(/'%d' only once/);
    expect(bad('a{% now %}')).toMatch(/pongo2 tag/);
    expect(bad('a{{ creation_date }}')).toMatch(/renders `\{\{ creation_date\|date:'LAYOUT' \}\}` only/);
    expect(bad("a{{ creation_date|date:'2006' }}-%m")).toMatch(/`%m`, a strftime field/);
  });

  it('reads the time back from the names Incus gives, suffix included; counters hold none', () => {
    const parse = nameTimeParser(incusPatternGlob(parts(GUIDE)), GUIDE, 'Europe/Paris');
    expect(parse('rockylinux-test-92026-12-03_08-43-44')).toBe(NOW);
    expect(parse('rockylinux-test-92026-12-03_08-43-44-0')).toBe(NOW);
    expect(parse('rockylinux-test-92026-13-03_08-43-44')).toBeUndefined();
    expect(parse('other-2026-12-03_08-43-44')).toBeUndefined();
    expect(nameTimeParser('snap*', 'snap%d', 'UTC')('snap3')).toBeUndefined();
    expect(incusPatternGlob(parts(GUIDE))).toBe('rockylinux-test-9*');
    expect(incusPatternGlob(parts("a-{{ creation_date|date:'20060102' }}Z"))).toBe('a-*Z*');
  });
});

describe('incus-snapshot with an Incus pattern', () => {
  const FLEET = {
    hosts: [
      host('prod', { address: '192.0.2.1', timezone: 'Europe/Paris' }),
      host('standby', { address: '192.0.2.2', role: 'standby' }),
    ],
    storage: [storage('pool', { host: 'prod' }), storage('standby-pool', { host: 'standby' })],
  };
  const run = (
    pattern: string,
    retention: Record<string, unknown>,
    taken?: string[],
    extra: ReturnType<typeof job>[] = [],
  ) => {
    const j = job('snaps', {
      kind: 'incus-snapshot',
      host: 'prod',
      instance: 'web',
      pattern,
      schedule: '0 * * * *',
      retention: policy(undefined, retention),
    });
    const p = plan({ ...FLEET, jobs: [j, ...extra] });
    return {
      r: DRIVERS['incus-snapshot'](j, p, { now: NOW, ...(taken ? { taken: { snaps: new Set(taken) } } : {}) }),
      j,
      p,
    };
  };

  it("takes the guide's pattern: the name Incus would give, in the host's zone", () => {
    const { r } = run(GUIDE, { keep: { last: 3 } });
    expect(r.errors).toEqual([]);
    const snap = r.steps.find((s) => s.phase === 'backup') as CommandStep;
    expect(snap.argv).toEqual([
      'incus',
      'snapshot',
      'create',
      '--no-expiry',
      'web',
      'rockylinux-test-92026-12-03_08-43-44',
    ]);
    expect(snap.inventory).toMatchObject({ match: 'rockylinux-test-9*' });
  });

  it("numbers %d from the instance's snapshots the runner read", () => {
    const { r } = run('snap%d', { expiry: '1d' }, ['snap0', 'snap1']);
    expect(r.errors).toEqual([]);
    expect((r.steps.find((s) => s.phase === 'backup') as CommandStep).argv.at(-1)).toBe('snap2');
  });

  it('a counter is fine when Incus expires the snapshots, not when Backplan must prune them by age', () => {
    expect(run('snap%d', { expiry: '1d' }).r.errors).toEqual([]);
    expect(run('fixed', { expiry: '1d' }).r.errors).toEqual([]);
    expect(run('snap%d', { keep: { last: 3 } }).r.errors.join()).toMatch(
      /names hold no time, so Backplan cannot prune them by age/,
    );
    // The standby's copies keep those names: a copy job pruning them by age is refused too.
    const copy = job('standby', {
      kind: 'incus-copy',
      from: 'snaps',
      to: 'standby-pool',
      retention: policy(undefined, { keep: { daily: 7 } }),
    });
    const { p } = run('snap%d', { expiry: '1d' }, undefined, [copy]);
    expect(DRIVERS['incus-copy'](copy, p, { now: NOW }).errors.join()).toMatch(/names hold no time/);
  });

  it('exports an Incus pattern as it is written', () => {
    const { j, p } = run(GUIDE, { expiry: '1d' });
    const r = nativeSchedule(j, p);
    expect(r.errors).toEqual([]);
    expect(r.commands.map((c) => c.argv.at(-1))).toContain(`snapshots.pattern=${GUIDE}`);
  });
});

describe('incus-copy: `instance` is the name on the standby', () => {
  it("copies the from job's instance to REMOTE:INSTANCE", () => {
    const src = job('snaps', { kind: 'incus-snapshot', host: 'prod', instance: 'web', schedule: '0 * * * *' });
    const copy = job('standby', {
      kind: 'incus-copy',
      from: 'snaps',
      remote: 'standby',
      instance: 'web-standby',
      autostart: false,
    });
    const p = plan({ hosts: [host('prod', { address: '192.0.2.1' })], jobs: [src, copy] });
    const r = DRIVERS['incus-copy'](copy, p, { now: NOW });
    expect(r.errors).toEqual([]);
    const c = r.steps.find((s) => s.phase === 'copy') as CommandStep;
    expect(c.argv.slice(0, 4)).toEqual(['incus', 'copy', 'web', 'standby:web-standby']);
    expect(c.inventory).toMatchObject({ instance: 'standby:web-standby' });
    const full = job('full', {
      kind: 'incus-copy',
      from: 'snaps',
      remote: 'standby',
      instance: 'web-standby',
      refresh: false,
    });
    const p2 = plan({ hosts: [host('prod', { address: '192.0.2.1' })], jobs: [src, full] });
    const r2 = DRIVERS['incus-copy'](full, p2, {
      now: NOW,
      state: { full: { latest: 'backplan-20261203T0000Z', targetExists: false } },
    });
    expect((r2.steps.find((s) => s.phase === 'copy') as CommandStep).argv.slice(2, 4)).toEqual([
      'web/backplan-20261203T0000Z',
      'standby:web-standby',
    ]);
  });
});
