// restic forget at its edges (engine/retention/restic.ts): the newest snapshot windows are measured
// from, blank or unreadable windows, a window's own edge, counts below -1, and version strings as
// `restic version` prints them (issue #16's mutation run).
import { describe, expect, it } from 'vitest';
import type { KeepModel, PolicyModel } from '../../../engine/plan/model';
import { PolicyValueError } from '../../../engine/retention/common';
import { parseResticVersion, resticEngine, resticLatest, resticRules } from '../../../engine/retention/restic';
import type { SnapshotIn } from '../../../engine/retention/types';

const DAY = 86_400_000;
const NOW = Date.UTC(2025, 2, 10, 12);
const ctx = { now: NOW, timezone: 'UTC' };
const policy = (keep: Record<string, unknown>): PolicyModel => ({ at: [], raw: {}, keep: keep as KeepModel });
const snaps = (...times: number[]): SnapshotIn[] => times.map((time, i) => ({ time, id: `s${i}` }));

describe('restic windows', () => {
  it('measures from the newest snapshot strictly before now, in any input order', () => {
    expect(resticLatest(snaps(NOW - 2 * DAY, NOW - DAY, NOW - 3 * DAY), NOW)).toBe(NOW - DAY);
    expect(resticLatest(snaps(NOW - DAY, NOW), NOW)).toBe(NOW - DAY);
    expect(resticLatest(snaps(NOW), NOW)).toBeUndefined();
  });

  it('takes every snapshot as inside a window when none is before now', () => {
    expect(resticRules(policy({ within: '1d' }), snaps(NOW + DAY), ctx).within?.cutoff).toBe(-Infinity);
  });

  it('ignores a blank window and names the key of an unreadable one', () => {
    expect(resticRules(policy({ within: ' ', last: 1 }), snaps(NOW - DAY), ctx).within).toBeUndefined();
    let e: unknown;
    try {
      resticRules(policy({ within_daily: 'soon' }), snaps(NOW - DAY), ctx);
    } catch (caught) {
      e = caught;
    }
    expect(e).toBeInstanceOf(PolicyValueError);
    expect((e as PolicyValueError).key).toEqual(['keep', 'within_daily']);
    // unsupported() leaves an unreadable window to the duration check
    expect(resticEngine.unsupported(policy({ within_daily: 'soon' }))).toEqual([]);
  });

  it('keeps only what is strictly newer than a bucket window', () => {
    // newest at NOW - 1 h: the window of 1d ends at NOW - 25 h, which is not inside
    const list = snaps(NOW - 3_600_000, NOW - 25 * 3_600_000);
    const d = resticEngine.evaluate(list, policy({ within_daily: '1d' }), ctx);
    expect(d.keep.map((k) => k.snapshot.id)).toEqual(['s0']);
  });

  it('reads a count below -1 as no rule', () => {
    const d = resticEngine.evaluate(snaps(NOW - DAY, NOW - 2 * DAY, NOW - 3 * DAY), policy({ last: -2, daily: 1 }), ctx);
    expect(d.keep.map((k) => `${k.snapshot.id} ${k.reasons.join()}`)).toEqual(['s0 daily snapshot']);
  });
});

describe('restic versions', () => {
  it('reads major, minor and patch of any width from restic version output', () => {
    expect(parseResticVersion('restic 0.16.4 compiled with go1.21.6 on linux/amd64')).toEqual([0, 16, 4]);
    expect(parseResticVersion('restic 10.2.13 compiled with go1.22 on linux/amd64')).toEqual([10, 2, 13]);
    expect(parseResticVersion('restic v0.14')).toEqual([0, 14, 0]);
  });
});
