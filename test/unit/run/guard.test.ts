// The guard's readers of restic's and borg's own output (exec/guard.ts), on text as the real
// tools print it (restic 0.14 JSON, borg 1.2.4 --list log lines).
import { describe, expect, it } from 'vitest';
import { parseBorgList, parseBorgPrune, parseResticForget, parseResticSnapshots } from '../../../engine/run/exec/guard';
import { parseResticVersion } from '../../../engine/retention/restic';

const id = (c: string) => c.repeat(64);

describe('guard readers', () => {
  it('reads restic snapshots with nanosecond times and zone offsets', () => {
    const s = parseResticSnapshots(
      JSON.stringify([
        { time: '2026-11-18T10:00:00.123456789+01:00', id: id('a'), short_id: 'aaaaaaaa', tags: ['backplan:j'] },
      ]),
    );
    expect(s).toEqual([
      { id: id('a'), name: 'aaaaaaaa', time: Date.parse('2026-11-18T09:00:00.123Z'), tags: ['backplan:j'] },
    ]);
  });

  it('reads restic forget --dry-run --json, where keep or remove may be null', () => {
    const p = parseResticForget(
      JSON.stringify([
        { keep: [{ id: id('a') }], remove: null },
        { keep: null, remove: [{ id: id('b') }] },
      ]),
    );
    expect([...p.keep]).toEqual([id('a')]);
    expect([...p.remove]).toEqual([id('b')]);
    expect(() => parseResticForget('Fatal: nope')).toThrow(/not JSON/);
  });

  it('reads borg list --json times (naive, listed in UTC) and borg prune --list lines', () => {
    expect(
      parseBorgList(JSON.stringify({ archives: [{ name: 'j-1', id: id('c'), time: '2026-11-18T10:00:00.000000' }] })),
    ).toEqual([{ id: id('c'), name: 'j-1', time: Date.parse('2026-11-18T10:00:00Z') }]);
    const log = [
      `Keeping archive (rule: daily #1):        j-2                Fri, 2026-11-20 12:00:00 [${id('d')}]`,
      `Keeping checkpoint archive:              j-3.checkpoint     Fri, 2026-11-20 13:00:00 [${id('e')}]`,
      `Would prune:                             j-1                Fri, 2026-11-20 10:00:00 [${id('c')}]`,
      'some warning line',
    ].join('\n');
    const p = parseBorgPrune(log);
    expect([...p.keep]).toEqual([id('d'), id('e')]);
    expect([...p.remove]).toEqual([id('c')]);
  });

  it('reads the restic version', () => {
    expect(parseResticVersion('restic 0.14.0 compiled with go1.19.8 on linux/amd64')).toEqual([0, 14, 0]);
    expect(parseResticVersion('nonsense')).toBeUndefined();
  });
});
