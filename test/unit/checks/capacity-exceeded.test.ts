import { describe, expect, it } from 'vitest';
import { checkText } from '../../../engine/check';
import { retainedDays, rule } from '../../../engine/checks/capacity-exceeded';
import { formatChange, formatSize, parseChange, parseSize } from '../../../engine/plan/size';
import { buildPolicy } from '../../../engine/plan/build-model';

const NOW = Date.UTC(2025, 0, 15, 12);
const run = (text: string) => checkText(text, { rules: [rule], now: NOW });
const slice = (text: string, r: { start: number; end: number }) => text.slice(r.start, r.end);

const HEAD = (capacity: string) => `version: 1
hosts: { prod: { site: a }, backup: { site: b } }
storage:
  pool: { host: prod, media: ssd }
  nas: { host: backup, media: hdd, capacity: ${capacity} }
`;

describe('size parsing (engine/plan/size)', () => {
  it('reads decimal, binary and single-letter units', () => {
    expect(parseSize('4TB')).toEqual({ bytes: 4e12, system: 'decimal' });
    expect(parseSize('500 GB')).toEqual({ bytes: 5e11, system: 'decimal' });
    expect(parseSize('1.5TiB')).toEqual({ bytes: 1.5 * 2 ** 40, system: 'binary' });
    expect(parseSize('10G')).toEqual({ bytes: 10 * 2 ** 30, system: 'binary' });
    expect(parseSize('2kb')).toEqual({ bytes: 2000, system: 'decimal' });
    expect(parseSize('512')).toEqual({ bytes: 512, system: 'decimal' });
    expect(parseSize('512B')).toEqual({ bytes: 512, system: 'decimal' });
    expect(parseSize(1024)).toEqual({ bytes: 1024, system: 'decimal' });
    for (const bad of ['', 'TB', '4 XB', '4TBs', '-1GB', '1.2.3GB', '4iB', null, true]) expect(parseSize(bad), String(bad)).toBeUndefined();
  });

  it('reads change rates as fractions or amounts per day', () => {
    expect(parseChange('2%')).toEqual({ kind: 'fraction', value: 0.02 });
    expect(parseChange('2.5%/day')).toEqual({ kind: 'fraction', value: 0.025 });
    expect(parseChange(0.01)).toEqual({ kind: 'fraction', value: 0.01 });
    expect(parseChange('0.01')).toEqual({ kind: 'fraction', value: 0.01 });
    expect(parseChange('10GB/d')).toEqual({ kind: 'bytes', value: 1e10, system: 'decimal' });
    expect(parseChange('3')).toBeUndefined();
    expect(parseChange('lots')).toBeUndefined();
  });

  it('formats sizes with three significant figures', () => {
    expect(formatSize(5.2e12)).toBe('5.2 TB');
    expect(formatSize(4e12)).toBe('4 TB');
    expect(formatSize(1.5 * 2 ** 40, 'binary')).toBe('1.5 TiB');
    expect(formatSize(123456789)).toBe('123 MB');
    expect(formatSize(999)).toBe('999 B');
    expect(formatChange({ kind: 'fraction', value: 0.02 })).toBe('2%/day');
    expect(formatChange({ kind: 'bytes', value: 1e10, system: 'decimal' })).toBe('10 GB/day');
  });
});

describe('retainedDays', () => {
  const days = (raw: object, every = 1) => retainedDays(buildPolicy(raw as Record<string, unknown>, []), every);
  it('approximates the oldest age a policy keeps', () => {
    expect(days({ expiry: '30d' })).toBe(30);
    expect(days({ tiers: [{ keep: 'all', until: '15d' }, { every: '1w', until: '10w' }] })).toBe(70);
    expect(days({ tiers: [{ keep: 'all', until: '15d' }, { every: '1mo' }] })).toBe(Infinity);
    expect(days({ keep: { daily: 7, weekly: 4 } })).toBe(28);
    expect(days({ keep: { last: 48 } }, 1 / 24)).toBe(2);
    expect(days({ keep: { monthly: 'all' } })).toBe(Infinity);
    expect(days({ keep: { daily: 30 }, expiry: '10d' })).toBe(10);
    expect(days({ keep: { within: '2w' } })).toBe(14);
    expect(days({ expiry: '3m' })).toBeUndefined();
    expect(retainedDays(undefined, 1)).toBe(Infinity);
  });
});

describe('capacity-exceeded', () => {
  it('fires on the capacity value with the projection spelled out', () => {
    const text = `${HEAD('4TB')}jobs:
  snaps: { kind: zfs-snapshot, host: prod, storage: pool, size: 1TB, change: 2% }
  replica: { kind: zfs-send, from: snaps, to: nas, retention: { expiry: 210d } }
`;
    const f = run(text).findings;
    expect(f).toHaveLength(1);
    expect(slice(text, f[0].range)).toBe('4TB');
    expect(f[0].severity).toBe('warning');
    expect(f[0].message).toBe(
      'projected ~5.2 TB on `nas` > capacity 4 TB (replica: size 1 TB + 2%/day × 210 days kept). ' +
        'Raise `capacity`, keep less history, or send a job elsewhere. ' +
        "(Projection: each source's size once plus its daily change for every day its retention keeps.)",
    );
    expect(f[0].related!.map((r) => slice(text, r.range))).toEqual(['replica']);
  });

  it('counts a chain once per storage with its longest retention, and sums chains', () => {
    const text = `${HEAD('3TB')}jobs:
  hourly: { kind: zfs-snapshot, host: prod, storage: nas, size: 1TB, change: 1%, retention: { keep: { hourly: 48 } } }
  daily: { kind: zfs-snapshot, from: hourly, storage: nas, retention: { keep: { daily: 30 } } }
  files: { kind: restic, host: prod, paths: [/srv], to: nas, size: 1.5TB, change: 0%, retention: gfs }
policies:
  gfs: { keep: { daily: 7 } }
`;
    // 1 TB + 1%/day × 30 days = 1.3 TB; 1.5 TB + 0 → 2.8 TB ≤ 3 TB.
    expect(run(text).findings).toEqual([]);
    const tight = text.replace('capacity: 3TB', 'capacity: 2.7TB');
    const [f] = run(tight).findings;
    expect(slice(tight, f.range)).toBe('2.7TB');
    expect(f.message).toContain('projected ~2.8 TB on `nas` > capacity 2.7 TB (files: size 1.5 TB + 0%/day × 7 days kept; hourly, daily: size 1 TB + 1%/day × 30 days kept)');
  });

  it('projects a policy that keeps forever at one year, in the capacity’s binary units', () => {
    const text = `${HEAD('2TiB')}jobs:
  tar: { kind: archive, host: prod, paths: [/srv], to: nas, size: 1TiB, change: 10GiB/day, retention: { tiers: [{ keep: all, until: 7d }, { every: 1mo }] } }
`;
    const [f] = run(text).findings;
    expect(f.message).toContain('projected ~4.56 TiB on `nas` > capacity 2 TiB (tar: size 1 TiB + 10 GiB/day × 365 days (kept forever: one year shown))');
  });

  it('mentions a missing change, and uses the schedule for `last`', () => {
    const big = `${HEAD('1TB')}jobs:\n  f: { kind: restic, host: prod, paths: [/], to: nas, size: 2TB }\n`;
    expect(run(big).findings[0].message).toContain('(f: size 2 TB (no `change` declared))');
    const hourly = `${HEAD('1.1TB')}jobs:\n  f: { kind: restic, host: prod, paths: [/], to: nas, size: 1TB, change: 1%, schedule: "@hourly", retention: { keep: { last: 480 } } }\n`;
    // 480 hourly runs = 20 days: 1 TB + 20 × 10 GB = 1.2 TB.
    expect(run(hourly).findings[0].message).toContain('projected ~1.2 TB on `nas` > capacity 1.1 TB (f: size 1 TB + 1%/day × 20 days kept)');
    const sixHourly = hourly.replace('"@hourly"', '"0 */6 * * *"').replace('last: 480', 'last: 80');
    expect(run(sixHourly).findings[0].message).toContain('(f: size 1 TB + 1%/day × 20 days kept)');
    const weekly = hourly.replace('"@hourly"', '"0 3 * * 1"').replace('last: 480', 'last: 3');
    expect(run(weekly).findings[0].message).toContain('(f: size 1 TB + 1%/day × 21 days kept)');
  });

  it('is quiet under capacity, without size, without capacity, or with values it cannot read', () => {
    const jobs = (size: string) => `jobs:\n  f: { kind: restic, host: prod, paths: [/], to: nas, ${size} retention: { expiry: 10d } }\n`;
    expect(run(HEAD('4TB') + jobs('size: 1TB, change: 1%,')).findings).toEqual([]);
    expect(run(HEAD('4TB') + jobs('')).findings).toEqual([]);
    expect(run(HEAD('lots') + jobs('size: 9TB,')).findings).toEqual([]);
    expect(run(HEAD('4TB') + jobs('size: 9TB, change: often,')).findings).toEqual([]);
    expect(run(HEAD('4TB').replace(', capacity: 4TB', '') + jobs('size: 9TB,')).findings).toEqual([]);
    expect(run(HEAD('4TB') + jobs('size: 9TB, enabled: false,')).findings).toEqual([]);
  });
});
