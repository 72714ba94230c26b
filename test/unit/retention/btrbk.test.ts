// btrbk 0.32.5's schedule() (engine/retention/btrbk.ts), on cases worked out by hand from its
// source; the first is also what btrbk itself printed for those names at that time.
import { describe, expect, it } from 'vitest';
import type { PolicyModel } from '../../../engine/plan/model';
import {
  btrbkEngine,
  btrbkName,
  btrbkPreserve,
  btrbkSchedule,
  formatPreserveMatrix,
  parsePreserveMatrix,
  type BtrbkPreserve,
} from '../../../engine/retention/btrbk';
import { engineIdFor } from '../../../engine/retention/index';
import { engineDocMarkdown } from '../../../server/retention-docs';

const at = (s: string) =>
  Date.UTC(+s.slice(0, 4), +s.slice(4, 6) - 1, +s.slice(6, 8), +s.slice(9, 11), +s.slice(11, 13));
const snaps = (...names: string[]) => names.map((n) => ({ time: at(n), id: `data.${n}` }));
const base: BtrbkPreserve = { min: 'latest', counts: {}, dayOfWeek: 'sunday', hourOfDay: 0 };
const run = (list: ReturnType<typeof snaps>, p: Partial<BtrbkPreserve>, now: string, zone = 'UTC') =>
  btrbkSchedule(list, { ...base, ...p }, at(now), zone);
const policy = (raw: Record<string, unknown>): PolicyModel =>
  ({ at: [], keep: raw.keep, raw }) as unknown as PolicyModel;

describe('btrbk schedule()', () => {
  it('6h 5d 3w 2m 1y at Sat 2026-01-10 01:00: the first of each week, month and btrbk year stay', () => {
    // Jan 1 (Thu) falls in 2025's btrbk year: a year starts on its first sunday (Jan 4).
    const list = snaps('20260101T0000', '20260101T0600', '20260102T0000', '20260105T1200');
    list.push(...snaps('20260110T0000', '20260110T0030'));
    const d = run(list, { counts: { h: 6, d: 5, w: 3, m: 2, y: 1 } }, '20260110T0100');
    expect(d.remove.map((s) => s.id).sort()).toEqual(['data.20260101T0600', 'data.20260102T0000']);
    const why = new Map(d.keep.map((k) => [k.snapshot.id, k.reasons[0]]));
    expect(why.get('data.20260110T0030')).toBe('preserve min: latest');
    expect(why.get('data.20260101T0000')).toMatch(/^preserve yearly/);
  });

  it('the first (oldest) snapshot of an hour is its hourly; later ones in the hour go', () => {
    const d = run(snaps('20260110T0910', '20260110T0940', '20260110T1005'), { counts: { h: 24 } }, '20260110T1200');
    expect(d.remove.map((s) => s.id)).toEqual(['data.20260110T0940']);
  });

  it('a day starts at preserve_hour_of_day: with 6, 05:00 is the day before', () => {
    const list = snaps('20260109T0700', '20260110T0500', '20260110T0700');
    // Days from 06:00: 09T07 and 10T05 share a day, its first is 09T07; 10T07 is today's (and latest).
    const d = run(list, { counts: { d: 2 }, hourOfDay: 6 }, '20260110T1200');
    expect(d.remove.map((s) => s.id)).toEqual(['data.20260110T0500']);
  });

  it('preserve_min 2d keeps all within two days; all keeps everything; * keeps every first of week', () => {
    const list = snaps('20251201T0000', '20251203T0000', '20260108T0000', '20260108T0100', '20260110T0000');
    expect(run(list, { min: { n: 2, unit: 'd' } }, '20260110T1200').remove.map((s) => s.id)).toEqual([
      'data.20251203T0000',
      'data.20251201T0000',
    ]);
    expect(run(list, { min: 'all' }, '20260110T1200').remove).toEqual([]);
    // Dec 1 (Mon) and Dec 3 (Wed) share the week from Sun Nov 30: Dec 3 goes; Jan 8 01:00 is not a first.
    expect(run(list, { counts: { w: 'all' } }, '20260110T1200').remove.map((s) => s.id).sort()).toEqual([
      'data.20251203T0000',
      'data.20260108T0100',
    ]);
  });

  it('names are local time; a snapshot dated in the future is kept', () => {
    expect(btrbkName('data', Date.UTC(2026, 6, 1, 22, 30), 'Europe/Paris')).toBe('data.20260702T0030');
    // Two in the future: `latest` alone would keep one of them.
    const d = run(snaps('20260111T0000', '20260112T0000', '20260110T0000'), {}, '20260110T1200');
    expect(d.remove.map((s) => s.id)).toEqual(['data.20260110T0000']);
    const reasons = d.keep.map((k) => k.reasons[0]);
    expect(reasons).toEqual(['preserve min: latest', 'preserve forced: 12 hours in the future']);
  });
});

describe('btrbk policy forms', () => {
  it('reads and writes preserve matrices', () => {
    expect(parsePreserveMatrix('18h 7d 4w 12m *y')).toEqual({ h: 18, d: 7, w: 4, m: 12, y: 'all' });
    expect(parsePreserveMatrix('7d 7d')).toMatch(/twice/);
    expect(parsePreserveMatrix('7 days')).toMatch(/not a btrbk preserve matrix/);
    expect(formatPreserveMatrix({ y: 'all', h: 48 })).toBe('48h *y');
  });

  it('keep counts map to the matrix (all → *); btrbk terms verbatim; what it cannot say is refused', () => {
    const p = btrbkPreserve(policy({ keep: { hourly: 48, daily: 14, yearly: 'all' } }));
    expect(p.ok && formatPreserveMatrix(p.value.counts)).toBe('48h 14d *y');
    const v = btrbkPreserve(policy({ preserve: '48h 14d', preserve_min: '2d', preserve_day_of_week: 'monday' }));
    expect(v.ok && v.value).toMatchObject({ min: { n: 2, unit: 'd' }, dayOfWeek: 'monday', hourOfDay: 0 });
    const bad = btrbkEngine.unsupported(policy({ keep: { last: 3 }, preserve_min: 'no', tiers: [{ keep: 'all' }] }));
    expect(bad.map((u) => u.key.join('.'))).toEqual(['keep.last', 'preserve_min']);
    const min3 = { ...policy({ keep: { daily: 7 } }), min: 3 };
    expect(btrbkEngine.unsupported(min3).map((u) => u.key[0])).toEqual(['min']);
    expect(engineIdFor('btrfs-snapshot', undefined, 'btrbk')).toBe('btrbk');
    expect(engineIdFor('btrfs-send', undefined, 'btrbk')).toBe('btrbk');
    expect(engineIdFor('zfs-snapshot', undefined, 'btrbk')).toBe('native');
  });

  it('the hover says how btrbk differs in two lines: first of each period, independent target retention', () => {
    const md = engineDocMarkdown('btrbk', btrbkEngine.release, policy({ keep: { daily: 7 } }));
    const bullets = md.split('\n').filter((l) => l.startsWith('- '));
    expect(bullets).toHaveLength(2);
    expect(bullets[0]).toContain('**first** (oldest)');
    expect(bullets[1]).toContain('independent');
  });
});
