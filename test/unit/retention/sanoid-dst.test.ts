// sanoid 2.1's DST corrections in take_snapshots (engine/retention/sanoid.ts, read from
// /usr/sbin/sanoid), pinned in Europe/Paris; test/integration/sanoid-dst.test.ts compares the
// same rule with the real sanoid at hundreds of runs around both changes.
import { describe, expect, it } from 'vitest';
import type { PolicyModel } from '../../../engine/plan/model';
import {
  preferredTime,
  sanoidDstOffset,
  sanoidType,
  replaySanoid,
} from '../../../engine/retention/sanoid';
import { toolNameParser } from '../../../engine/run/steps/names';

const Z = 'Europe/Paris';
const H = 3_600_000;

describe('sanoid around the DST changes (Europe/Paris, 2026)', () => {
  it('$dstOffset is an hour on 25 October once summer time has ended, never in March', () => {
    expect(sanoidDstOffset(Date.UTC(2026, 9, 24, 23, 30), Z)).toBe(0); // 01:30 CEST, before the change
    expect(sanoidDstOffset(Date.UTC(2026, 9, 25, 1, 10), Z)).toBe(H); // 02:10 CET, the second pass
    expect(sanoidDstOffset(Date.UTC(2026, 9, 25, 21, 0), Z)).toBe(H);
    expect(sanoidDstOffset(Date.UTC(2026, 9, 26, 1, 0), Z)).toBe(0);
    expect(sanoidDstOffset(Date.UTC(2026, 2, 29, 10, 0), Z)).toBe(0);
  });

  it('hourly: in the repeated hour the preferred time is the second 02:00, not the first', () => {
    // 02:10 CET (01:10Z): timelocal(02:00) is the first 02:00 (00:00Z); sanoid adds the hour.
    expect(preferredTime(Date.UTC(2026, 9, 25, 1, 10), 'hourly', Z)).toBe(Date.UTC(2026, 9, 25, 1, 0));
    expect(preferredTime(Date.UTC(2026, 9, 25, 0, 10), 'hourly', Z)).toBe(Date.UTC(2026, 9, 25, 0, 0));
    expect(preferredTime(Date.UTC(2026, 9, 25, 9, 30), 'hourly', Z)).toBe(Date.UTC(2026, 9, 25, 9, 0));
  });

  it('daily: yesterday 23:59 on the October day (24 h back would be 00:59); March keeps its hour off', () => {
    expect(preferredTime(Date.UTC(2026, 9, 25, 11, 0), 'daily', Z)).toBe(Date.UTC(2026, 9, 24, 21, 59));
    // Before the change that day: 23:59 CET today is in winter time, one hour off, then a day back.
    expect(preferredTime(Date.UTC(2026, 9, 24, 23, 30), 'daily', Z)).toBe(Date.UTC(2026, 9, 24, 21, 59));
    // 29 March, 12:00 CEST: 24 h before 23:59 CEST is 22:59 CET of the 28th (sanoid has no March correction).
    expect(preferredTime(Date.UTC(2026, 2, 29, 10, 0), 'daily', Z)).toBe(Date.UTC(2026, 2, 28, 21, 59));
    expect(preferredTime(Date.UTC(2026, 2, 29, 22, 30), 'daily', Z)).toBe(Date.UTC(2026, 2, 29, 21, 59));
  });

  it('the second hourly of the repeated hour is `..dst_hourly`, read back at its own instant', () => {
    const keep = { hourly: 48 };
    const policy = { at: [], keep, raw: { keep } } as unknown as PolicyModel;
    const runs = [Date.UTC(2026, 9, 24, 23, 0), Date.UTC(2026, 9, 25, 0, 0), Date.UTC(2026, 9, 25, 1, 0)];
    const r = replaySanoid(runs, policy, Z, runs[2]);
    expect(r.held.map((h) => h.name)).toEqual([
      'autosnap_2026-10-25_01:00:00_hourly',
      'autosnap_2026-10-25_02:00:00_hourly',
      'autosnap_2026-10-25_02:00:00dst_hourly',
    ]);
    expect(sanoidType(r.held[2].name)).toBe('hourly');
    const parse = toolNameParser('sanoid', Z);
    expect(parse(r.held[1].name)).toBe(runs[1]);
    expect(parse(r.held[2].name)).toBe(runs[2]);
  });
});
