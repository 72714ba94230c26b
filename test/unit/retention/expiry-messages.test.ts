// Incus and Velero expiry: the edges and the words users read (kept by the mutation run, issue #16).
import { describe, expect, it } from 'vitest';
import type { PolicyModel } from '../../../engine/plan/model';
import { PolicyValueError } from '../../../engine/retention/common';
import {
  incusEngine,
  toIncusExpiry,
  toVeleroTtl,
  veleroEngine,
  veleroExpiresAt,
} from '../../../engine/retention/expiry';
import type { SnapshotIn } from '../../../engine/retention/types';
import { duration } from '../../../engine/time/duration';
import { thrown } from '../../helpers/thrown';

const HOUR = 3600_000;
const DAY = 24 * HOUR;
const utc = (iso: string): number => Date.parse(`${iso}Z`);
const policy = (p: Partial<PolicyModel>): PolicyModel => ({ at: ['policies', 'p'], raw: {}, ...p });
const snaps = (times: number[]): SnapshotIn[] => times.map((time, i) => ({ time, id: `s${i}` }));

describe('expiry durations at their edges', () => {
  it('says why a zero expiry cannot be written for Incus', () => {
    expect(() => toIncusExpiry(duration('0d'))).toThrow(/never expires/);
  });

  it("writes a zero Velero ttl as Go's 0s and names the duration a ttl cannot hold", () => {
    expect(toVeleroTtl(duration('0d'))).toBe('0s');
    expect(() => toVeleroTtl(duration('2mo'))).toThrow(/`2mo` has months or years/);
  });

  it('adds hours and minutes to a Velero deadline as fixed lengths', () => {
    expect(veleroExpiresAt(1000, duration('1w1d2h30min'))).toBe(1000 + 8 * DAY + 2 * HOUR + 30 * 60_000);
  });
});

describe('expiry decisions and messages', () => {
  const now = utc('2025-03-10T12:00:00');
  const ctx = { now, timezone: 'UTC' };

  it('gives the reason a snapshot without expiry is kept', () => {
    const d = incusEngine.evaluate(snaps([now - DAY]), policy({}), ctx);
    expect(d.keep.map((k) => k.reasons)).toEqual([['no expiry: never deleted']]);
  });

  it('names the expiry key when a written expiry cannot be read', () => {
    for (const engine of [incusEngine, veleroEngine]) {
      const e = thrown(() => engine.evaluate(snaps([now]), policy({ expiry: 'soon' }), ctx));
      expect(e).toBeInstanceOf(PolicyValueError);
      expect((e as PolicyValueError).key).toEqual(['expiry']);
      expect((e as PolicyValueError).message).toMatch(/^expiry: /);
    }
    // unsupported() leaves an unreadable expiry to the duration check
    expect(veleroEngine.unsupported(policy({ expiry: 'soon' }))).toEqual([]);
  });

  it('gives only the deadline as the reason when the ttl is written', () => {
    const d = veleroEngine.evaluate(snaps([now - DAY]), policy({ expiry: '2d' }), ctx);
    expect(d.keep.map((k) => k.reasons)).toEqual([['expires 2025-03-11T12:00:00+00:00']]);
  });

  it('says which expiry a Velero ttl cannot express', () => {
    expect(() => veleroEngine.evaluate(snaps([now]), policy({ expiry: '1y' }), ctx)).toThrow(
      'expiry `1y` has months or years, which a Velero ttl cannot express',
    );
  });

  it('names the engine and the rule in each unsupported message', () => {
    const incus = incusEngine.unsupported(policy({ keep: { last: 3 }, tiers: [{ keep: 'all' }] }));
    expect(incus.map((u) => u.message)).toEqual([
      'Incus snapshots.expiry has no `keep.last` rule: it only deletes each snapshot at creation + `expiry`',
      'Incus snapshots.expiry has no age bands (`tiers`): it only deletes each snapshot at creation + `expiry`',
    ]);
    const velero = veleroEngine.unsupported(policy({ keep: { daily: 7 }, expiry: '1mo' }));
    expect(velero.map((u) => u.message)).toEqual([
      'Velero ttl has no `keep.daily` rule: it only deletes each snapshot at creation + `expiry`',
      'a Velero ttl is a Go duration in hours: months and years have no fixed length; write the expiry in days or weeks (e.g. `30d`)',
    ]);
  });
});
