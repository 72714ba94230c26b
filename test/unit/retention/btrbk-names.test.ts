// btrbk's snapshot names (engine/retention/btrbk.ts, read from /usr/bin/btrbk: timestamp(),
// btrbk_timestamp_match, _get_btrbk_date, the `_N` postfix of snapshot creation): the three
// timestamp_format forms, the postfix, the order of equal dates, short's day start, Perl's
// timelocal around DST (checked against perl itself when it is installed), the replay of a section
// with short names, and the btrbk.conf the export writes.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { PolicyModel } from '../../../engine/plan/model';
import {
  btrbkName,
  btrbkSchedule,
  btrbkTimestamp,
  parseBtrbkName,
  type BtrbkPreserve,
} from '../../../engine/retention/btrbk';
import { replayBtrbkSend } from '../../../engine/retention/btrbk-send';
import { perlTimelocal } from '../../../engine/retention/perl-time';
import { toolNameParser } from '../../../engine/run/steps/names';
import { exportBtrbk } from '../../../engine/export/btrbk';
import { job, plan, policy as planPolicy } from '../run/helpers';

const H = 3_600_000;
const policy = (raw: Record<string, unknown>): PolicyModel =>
  ({ at: [], keep: raw.keep, raw }) as unknown as PolicyModel;
const base: BtrbkPreserve = { min: 'no', counts: {}, dayOfWeek: 'sunday', hourOfDay: 0 };

describe('btrbk names', () => {
  it('short, long and long-iso timestamps in the local zone, long-iso with its offset', () => {
    const summer = Date.UTC(2026, 6, 1, 10, 5, 7);
    expect(btrbkTimestamp(summer, 'Europe/Paris', 'short')).toBe('20260701');
    expect(btrbkTimestamp(summer, 'Europe/Paris', 'long')).toBe('20260701T1205');
    expect(btrbkTimestamp(summer, 'Europe/Paris', 'long-iso')).toBe('20260701T120507+0200');
    expect(btrbkTimestamp(Date.UTC(2026, 0, 1, 3), 'America/New_York', 'long-iso')).toBe('20251231T220000-0500');
    expect(btrbkTimestamp(summer, 'UTC', 'long-iso')).toBe('20260701T100507+0000');
  });

  it('`_N`: one more than the largest postfix of the same name in the directory and the target', () => {
    const t = Date.UTC(2026, 2, 3, 9, 30);
    expect(btrbkName('data', t, 'UTC', 'short')).toBe('data.20260303');
    expect(btrbkName('data', t, 'UTC', 'short', ['data.20260303'])).toBe('data.20260303_1');
    expect(btrbkName('data', t, 'UTC', 'short', ['data.20260303', 'data.20260303_4', 'data.20260302_9'])).toBe(
      'data.20260303_5',
    );
    // Another subvolume's names, or another minute's, do not count.
    expect(btrbkName('data', t, 'UTC', 'long', ['home.20260303T0930', 'data.20260303T0931'])).toBe(
      'data.20260303T0930',
    );
  });

  it('reads every format whatever the configured one, and refuses what btrbk ignores', () => {
    const z = 'Europe/Paris';
    expect(parseBtrbkName('data.20260303', z)).toEqual({
      base: 'data',
      time: Date.UTC(2026, 2, 2, 23),
      nn: 0,
      exact: false,
    });
    expect(parseBtrbkName('my.vol.20260303T0930_2', z)).toEqual({
      base: 'my.vol',
      time: Date.UTC(2026, 2, 3, 8, 30),
      nn: 2,
      exact: true,
    });
    expect(parseBtrbkName('data.20260701T120507+0200', 'UTC')?.time).toBe(Date.UTC(2026, 6, 1, 10, 5, 7));
    expect(parseBtrbkName('data.20260701T120507Z', z)?.time).toBe(Date.UTC(2026, 6, 1, 12, 5, 7));
    expect(parseBtrbkName('data.20260701T120507-0130', 'UTC')?.time).toBe(Date.UTC(2026, 6, 1, 13, 35, 7));
    for (const bad of [
      'data.20260230',
      'data.20261301T0000',
      'data.20260101T2400',
      'data',
      'data.2026',
      'x.20260101T12',
    ]) {
      expect(parseBtrbkName(bad, z), bad).toBeUndefined();
    }
    const parse = toolNameParser('btrbk', z, 'data');
    expect(parse('data.20260303_1')).toBe(Date.UTC(2026, 2, 2, 23));
    expect(parse('data.20260701T120507+0200')).toBe(Date.UTC(2026, 6, 1, 10, 5, 7));
    expect(parse('home.20260303')).toBeUndefined();
  });

  it('equal dates sort by N; a short name starts its day at 00:00 whatever preserve_hour_of_day', () => {
    const now = Date.UTC(2026, 2, 10, 12);
    // Three snapshots of one day: the first of the day is the one without postfix, whatever the list order.
    const list = ['data.20260305_2', 'data.20260305', 'data.20260305_1'].map((name, i) => ({
      time: 0,
      id: String(i),
      name,
    }));
    const d = btrbkSchedule(list, { ...base, counts: { d: 30 } }, now, 'UTC');
    expect(d.keep.map((k) => k.snapshot.name)).toEqual(['data.20260305']);
    expect(d.remove.map((s) => s.name)).toEqual(['data.20260305_2', 'data.20260305_1']);
    // preserve_hour_of_day 6: 03-04 10:00 and 03-05 00:00 share the day that starts 03-04 06:00, so the
    // second is not a daily; a short name (00:00, not an exact time) starts its day at 00:00: a day of its own.
    const hod = { ...base, counts: { d: 30 }, hourOfDay: 6 };
    const days = (second: string) =>
      btrbkSchedule(
        [
          { time: 0, id: 'a', name: 'data.20260304T1000' },
          { time: 0, id: 'b', name: second },
        ],
        hod,
        now,
        'UTC',
      )
        .keep.map((k) => k.snapshot.id)
        .sort();
    expect(days('data.20260305T0000')).toEqual(['a']);
    expect(days('data.20260305')).toEqual(['a', 'b']);
  });
});

describe("Perl's timelocal (sanoid and btrbk)", () => {
  const cases: [string, number][] = [];
  for (const zone of ['Europe/Paris', 'America/New_York']) {
    for (const [mo, d] of [
      [2, 29],
      [9, 25],
      [2, 8],
      [10, 1],
    ]) {
      for (let h = 0; h < 4; h++) cases.push([zone, Date.UTC(2026, mo, d, h, 30)]);
    }
  }

  it('a repeated wall time is the earlier instant, a skipped one uses the offset before the change', () => {
    expect(perlTimelocal(Date.UTC(2026, 9, 25, 2, 30), 'Europe/Paris')).toBe(Date.UTC(2026, 9, 25, 0, 30));
    expect(perlTimelocal(Date.UTC(2026, 2, 29, 2, 30), 'Europe/Paris')).toBe(Date.UTC(2026, 2, 29, 1, 30));
    expect(perlTimelocal(Date.UTC(2026, 2, 29, 3, 30), 'Europe/Paris')).toBe(Date.UTC(2026, 2, 29, 1, 30));
    expect(perlTimelocal(Date.UTC(2026, 5, 1, 12, 0), 'UTC')).toBe(Date.UTC(2026, 5, 1, 12, 0));
  });

  const perl = spawnSync('perl', ['-MTime::Local', '-e', '1']).status === 0;
  it.skipIf(!perl)('equals perl -MTime::Local around the March and October changes', () => {
    for (const [zone, wall] of cases) {
      const dt = new Date(wall);
      const args = [
        dt.getUTCSeconds(),
        dt.getUTCMinutes(),
        dt.getUTCHours(),
        dt.getUTCDate(),
        dt.getUTCMonth(),
        dt.getUTCFullYear() - 1900,
      ].join(',');
      const r = spawnSync('perl', ['-MTime::Local=timelocal', '-e', `print timelocal(${args})`], {
        env: { ...process.env, TZ: zone },
        encoding: 'utf8',
      });
      expect(perlTimelocal(wall, zone), `${zone} ${dt.toISOString()}`).toBe(Number(r.stdout) * 1000);
    }
  });
});

describe('a btrbk section with timestamp_format short', () => {
  it('two snapshots a day: the second is `_1`, both held, the first of the day kept as its daily', () => {
    const from = Date.UTC(2026, 0, 1, 6);
    const snapshotFires = Array.from({ length: 20 }, (_, i) => from + i * 12 * H);
    const r = replayBtrbkSend({
      snapshotFires,
      sendFires: [],
      snapshotPolicy: policy({ preserve_min: 'latest', preserve: '5d' }),
      targetPolicy: policy({ preserve_min: 'latest', preserve: '5d' }),
      timezone: 'UTC',
      from,
      at: snapshotFires[snapshotFires.length - 1],
      format: 'short',
    });
    const names = r.source.held.map((h) => h.name);
    expect(names[0]).toBe('subvolume.20260110_1');
    // The newest (latest) and the first of each of the last days, 5 days back from the 10th.
    expect(names).toEqual([
      'subvolume.20260110_1',
      'subvolume.20260110',
      'subvolume.20260109',
      'subvolume.20260108',
      'subvolume.20260107',
      'subvolume.20260106',
      'subvolume.20260105',
    ]);
    expect(r.source.held[1].time).toBe(Date.UTC(2026, 0, 10));
  });

  it("the export writes the job's timestamp_format (long by default)", () => {
    const p = (extra: Record<string, unknown>) =>
      plan({
        jobs: [
          job('snaps', {
            kind: 'btrfs-snapshot',
            subvolume: '/srv/vol/data',
            snapshot_dir: '/srv/vol/snaps',
            pruner: 'btrbk',
            retention: planPolicy(undefined, { keep: { daily: 7 } }),
            ...extra,
          }),
        ],
      });
    const conf = (extra: Record<string, unknown>) =>
      exportBtrbk(p(extra), { planPath: '' }, ['snaps']).files[0].content;
    expect(conf({ timestamp_format: 'short' })).toContain('\n    timestamp_format short\n');
    expect(conf({ timestamp_format: 'long-iso' })).toContain('\n    timestamp_format long-iso\n');
    expect(conf({})).toContain('\n    timestamp_format long\n');
  });
});
