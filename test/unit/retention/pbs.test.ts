// Proxmox prune-backups (PBS compute_prune_info / PVE prune_mark_backup_group). The cases are
// worked by hand from the algorithm: rules run in the order last, hourly, daily, weekly, monthly,
// yearly; each skips backups already marked and buckets already covered by a kept backup, keeps
// the newest backup of each new bucket until it has N buckets, and marks later backups of its
// own buckets "remove" (later rules skip those too).
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import type { PolicyModel } from '../../../engine/plan/model';
import { pbsEngine, pbsKeepOptions, pbsMarks } from '../../../engine/retention/pbs';
import { resticEngine } from '../../../engine/retention/restic';
import type { RetentionDecision, SnapshotIn } from '../../../engine/retention/types';

const utc = (iso: string): number => Date.parse(`${iso}Z`);
const policy = (p: Partial<PolicyModel>): PolicyModel => ({ at: ['policies', 'p'], raw: {}, ...p });
const ctx = { now: utc('2030-01-01T00:00:00'), timezone: 'UTC' };
const list = (...isos: string[]): SnapshotIn[] => isos.map((iso) => ({ time: utc(iso), id: iso }));
const view = (d: RetentionDecision): [string, string][] => d.keep.map((k) => [k.snapshot.id!, k.reasons.join(',')]);

describe('pbs prune-backups', () => {
  it('a backup kept by an earlier rule does not use up a later count', () => {
    // Daily backups at 20:00 over 10 days, keep-last 3 + keep-daily 3: keep-last takes days
    // 10, 9, 8; keep-daily skips those days and takes 7, 6, 5. (restic would keep only 10, 9, 8.)
    const backups = list(...Array.from({ length: 10 }, (_, i) => `2025-01-${String(10 - i).padStart(2, '0')}T20:00:00`));
    const d = pbsEngine.evaluate(backups, policy({ keep: { last: 3, daily: 3 } }), ctx);
    expect(view(d)).toEqual([
      ['2025-01-10T20:00:00', 'keep-last'],
      ['2025-01-09T20:00:00', 'keep-last'],
      ['2025-01-08T20:00:00', 'keep-last'],
      ['2025-01-07T20:00:00', 'keep-daily'],
      ['2025-01-06T20:00:00', 'keep-daily'],
      ['2025-01-05T20:00:00', 'keep-daily'],
    ]);
    expect(resticEngine.evaluate(backups, policy({ keep: { last: 3, daily: 3 } }), ctx).keep).toHaveLength(3);
  });

  it('keeps the newest backup of each bucket and no "oldest" backup', () => {
    const backups = list(
      '2025-03-03T18:00:00',
      '2025-03-03T06:00:00',
      '2025-03-02T18:00:00',
      '2025-03-02T06:00:00',
      '2025-03-01T06:00:00',
    );
    const d = pbsEngine.evaluate(backups, policy({ keep: { daily: 5 } }), ctx);
    expect(view(d)).toEqual([
      ['2025-03-03T18:00:00', 'keep-daily'],
      ['2025-03-02T18:00:00', 'keep-daily'],
      ['2025-03-01T06:00:00', 'keep-daily'],
    ]);
    // With keep-daily 2 the oldest day is not kept (restic would keep it as "oldest daily snapshot").
    expect(pbsEngine.evaluate(backups, policy({ keep: { daily: 2 } }), ctx).keep).toHaveLength(2);
  });

  it('the second backup of an hour, removed by keep-hourly, is skipped by keep-daily', () => {
    // keep-last 1 takes 12:30. keep-hourly 1: hour 12 is covered, the walk goes on to 11:40
    // (new hour 11: kept), then 11:10 (hour 11 again: marked remove), then 09:00 (a new hour,
    // but the count is used up: stop). keep-daily 2: day 03-03 is covered; 11:10 is already
    // marked remove and skipped; 09:00 is on a covered day; 03-02 23:00 is a new day: kept.
    const backups = list(
      '2025-03-03T12:30:00',
      '2025-03-03T11:40:00',
      '2025-03-03T11:10:00',
      '2025-03-03T09:00:00',
      '2025-03-02T23:00:00',
      '2025-03-01T23:00:00',
      '2025-02-28T23:00:00',
    );
    const d = pbsEngine.evaluate(backups, policy({ keep: { last: 1, hourly: 1, daily: 2 } }), ctx);
    expect(view(d)).toEqual([
      ['2025-03-03T12:30:00', 'keep-last'],
      ['2025-03-03T11:40:00', 'keep-hourly'],
      ['2025-03-02T23:00:00', 'keep-daily'],
      ['2025-03-01T23:00:00', 'keep-daily'],
    ]);
  });

  it('weekly uses ISO week-years; monthly and yearly fill in after them', () => {
    // 2024-12-30 (Monday) is in ISO week 2025-W01 with 2025-01-05; 2024-12-29 is in 2024-W52.
    const backups = list(
      '2025-01-05T10:00:00',
      '2024-12-30T10:00:00',
      '2024-12-29T10:00:00',
      '2024-12-15T10:00:00',
      '2024-11-20T10:00:00',
      '2023-06-01T10:00:00',
      '2022-06-01T10:00:00',
    );
    const d = pbsEngine.evaluate(backups, policy({ keep: { weekly: 2, monthly: 2, yearly: 3 } }), ctx);
    // weekly: W01 → 01-05, W52 → 12-29 (2 weeks). monthly: 2025-01 and 2024-12 are covered;
    // 2024-11 → 11-20, 2023-06 → 06-01 (2 months). yearly: 2025, 2024 and 2023 are covered;
    // 2022 → 2022-06-01.
    expect(view(d)).toEqual([
      ['2025-01-05T10:00:00', 'keep-weekly'],
      ['2024-12-29T10:00:00', 'keep-weekly'],
      ['2024-11-20T10:00:00', 'keep-monthly'],
      ['2023-06-01T10:00:00', 'keep-monthly'],
      ['2022-06-01T10:00:00', 'keep-yearly'],
    ]);
  });

  it('buckets in the server zone', () => {
    // 23:30Z on 01-01 is 00:30 on 01-02 in Paris: the two backups share a Paris day.
    const backups = list('2025-01-02T08:00:00', '2025-01-01T23:30:00', '2025-01-01T08:00:00');
    const p = policy({ keep: { daily: 3 } });
    expect(view(pbsEngine.evaluate(backups, p, ctx)).map(([id]) => id)).toEqual(['2025-01-02T08:00:00', '2025-01-01T23:30:00']);
    const paris = pbsEngine.evaluate(backups, p, { ...ctx, timezone: 'Europe/Paris' });
    expect(view(paris).map(([id]) => id)).toEqual(['2025-01-02T08:00:00', '2025-01-01T08:00:00']);
    expect(DateTime.fromMillis(utc('2025-01-01T23:30:00'), { zone: 'Europe/Paris' }).day).toBe(2);
  });

  it('keeps everything with keep-all (last: all) or without any positive count', () => {
    const backups = list('2025-01-02T08:00:00', '2025-01-01T08:00:00');
    expect(view(pbsEngine.evaluate(backups, policy({ keep: { last: -1, daily: 1 } }), ctx)).map(([, r]) => r)).toEqual(['keep-all', 'keep-all']);
    expect(pbsEngine.evaluate(backups, policy({}), ctx).remove).toEqual([]);
    expect(pbsEngine.evaluate(backups, policy({ keep: { daily: 0 } }), ctx).remove).toEqual([]);
    expect(pbsKeepOptions(policy({ keep: { last: -1, daily: 3, hourly: 0 } }))).toEqual({ all: true, daily: 3 });
  });

  it('takes backups in the same second as one keep-last selection', () => {
    const backups: SnapshotIn[] = [
      { time: utc('2025-01-01T10:00:00') + 500, id: 'b' },
      { time: utc('2025-01-01T10:00:00'), id: 'a' },
      { time: utc('2025-01-01T09:00:00'), id: 'c' },
    ];
    expect(pbsMarks(backups, { last: 2 }, 'UTC')).toEqual(['keep-last', undefined, 'keep-last']);
  });

  it('ignores min', () => {
    expect(pbsEngine.evaluate(list('2025-01-02T08:00:00', '2025-01-01T08:00:00'), policy({ keep: { last: 1 }, min: 2 }), ctx).keep).toHaveLength(1);
  });
});

describe('pbs unsupported()', () => {
  it('accepts the six counts and keep-all', () => {
    expect(pbsEngine.unsupported(policy({ keep: { last: -1, hourly: 24, daily: 7, weekly: 4, monthly: 12, yearly: 3 } }))).toEqual([]);
  });

  it('rejects within*, tags, unlimited counts, tiers and expiry', () => {
    const u = pbsEngine.unsupported(
      policy({ keep: { daily: -1, within: '2d', within_daily: '1w', tags: [['a']] }, tiers: [{ keep: 'all' }], expiry: '7d' }),
    );
    expect(u.map((x) => x.key)).toEqual([['tiers'], ['expiry'], ['keep', 'daily'], ['keep', 'within'], ['keep', 'within_daily'], ['keep', 'tags']]);
  });
});
