// Incus snapshots.expiry and Velero ttl: each snapshot is deleted at creation + expiry.
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import type { PolicyModel } from '../../../engine/plan/model';
import {
  incusEngine,
  incusExpiresAt,
  toIncusExpiry,
  toVeleroTtl,
  veleroEngine,
  veleroExpiresAt,
} from '../../../engine/retention/expiry';
import type { SnapshotIn } from '../../../engine/retention/types';
import { duration } from '../../../engine/time/duration';

const PARIS = 'Europe/Paris';
const HOUR = 3600_000;
const DAY = 24 * HOUR;
const utc = (iso: string): number => Date.parse(`${iso}Z`);
const paris = (local: string): number => DateTime.fromISO(local, { zone: PARIS }).toMillis();
const policy = (p: Partial<PolicyModel>): PolicyModel => ({ at: ['policies', 'p'], raw: {}, ...p });
const snaps = (times: number[]): SnapshotIn[] => times.map((time, i) => ({ time, id: `s${i}` }));

describe('Incus snapshots.expiry', () => {
  it('writes our durations in Incus units (m = months, M = minutes, H = hours)', () => {
    expect(toIncusExpiry(duration('1y2mo3d4h30min'))).toBe('1y 2m 3d 4H 30M');
    expect(toIncusExpiry(duration('2w'))).toBe('2w');
    expect(toIncusExpiry(duration('90min'))).toBe('90M');
    expect(() => toIncusExpiry(duration('0d'))).toThrow(RangeError);
  });

  it('computes the deadline with Go AddDate in the server zone', () => {
    expect(incusExpiresAt(utc('2025-01-31T10:00:00'), duration('1mo'), 'UTC')).toBe(utc('2025-03-03T10:00:00'));
    expect(incusExpiresAt(utc('2025-01-31T10:00:00'), duration('1w2h30min'), 'UTC')).toBe(utc('2025-02-07T12:30:00'));
    // A calendar day across the spring-forward change is 23 hours.
    const created = paris('2024-03-30T12:00');
    expect(incusExpiresAt(created, duration('1d'), PARIS)).toBe(paris('2024-03-31T12:00'));
    expect(incusExpiresAt(created, duration('1d'), PARIS) - created).toBe(23 * HOUR);
  });

  it('deletes a snapshot once its deadline is reached', () => {
    const now = utc('2025-03-10T12:00:00');
    const list = snaps([now - HOUR, now - DAY + 1000, now - DAY, now - 3 * DAY]);
    const d = incusEngine.evaluate(list, policy({ expiry: '1d' }), { now, timezone: 'UTC' });
    expect(d.keep.map((k) => k.snapshot.time)).toEqual([now - HOUR, now - DAY + 1000]);
    expect(d.keep[0].reasons).toEqual(['expires 2025-03-11T11:00:00+00:00']);
    expect(d.remove.map((s) => s.time)).toEqual([now - DAY, now - 3 * DAY]);
  });

  it('keeps everything without an expiry', () => {
    const d = incusEngine.evaluate(snaps([2, 1]), policy({}), { now: utc('2030-01-01T00:00:00'), timezone: 'UTC' });
    expect(d.remove).toEqual([]);
  });

  it('supports only expiry', () => {
    expect(incusEngine.unsupported(policy({ expiry: '1y2mo3d4h30min', min: 2 }))).toEqual([]);
    const u = incusEngine.unsupported(policy({ keep: { last: 3, within: '2d' }, tiers: [{ keep: 'all' }], expiry: '7d' }));
    expect(u.map((x) => x.key)).toEqual([['keep', 'last'], ['keep', 'within'], ['tiers']]);
  });
});

describe('Velero ttl', () => {
  it("writes Go's duration text", () => {
    expect(toVeleroTtl(duration('30d'))).toBe('720h0m0s');
    expect(toVeleroTtl(duration('1w'))).toBe('168h0m0s');
    expect(toVeleroTtl(duration('1h30min'))).toBe('1h30m0s');
    expect(toVeleroTtl(duration('45min'))).toBe('45m0s');
    expect(() => toVeleroTtl(duration('1mo'))).toThrow(RangeError);
    expect(() => toVeleroTtl(duration('1y'))).toThrow(RangeError);
  });

  it('is a fixed length: 1d across a DST change is 24 hours', () => {
    const created = paris('2024-03-30T12:00');
    expect(veleroExpiresAt(created, duration('1d'))).toBe(paris('2024-03-31T13:00'));
  });

  it("deletes at creation + ttl, with Velero's 720h default", () => {
    const now = utc('2025-03-10T12:00:00');
    const list = snaps([now - 6 * DAY, now - 7 * DAY, now - 29 * DAY, now - 30 * DAY]);
    const ctx = { now, timezone: 'UTC' };
    const d = veleroEngine.evaluate(list, policy({ expiry: '1w' }), ctx);
    expect(d.keep.map((k) => k.snapshot.time)).toEqual([now - 6 * DAY]);
    const byDefault = veleroEngine.evaluate(list, policy({}), ctx);
    expect(byDefault.keep.map((k) => k.snapshot.time)).toEqual([now - 6 * DAY, now - 7 * DAY, now - 29 * DAY]);
    expect(byDefault.keep[0].reasons).toEqual(['expires 2025-04-03T12:00:00+00:00', "Velero's default ttl 720h0m0s"]);
  });

  it('rejects months, years and anything but expiry', () => {
    expect(veleroEngine.unsupported(policy({ expiry: '4w2d' }))).toEqual([]);
    const u = veleroEngine.unsupported(policy({ expiry: '1mo', keep: { daily: 7 }, tiers: [{ keep: 'all' }] }));
    expect(u.map((x) => x.key)).toEqual([['keep', 'daily'], ['tiers'], ['expiry']]);
    expect(() => veleroEngine.evaluate(snaps([1]), policy({ expiry: '1y' }), { now: 2, timezone: 'UTC' })).toThrow(RangeError);
  });
});
