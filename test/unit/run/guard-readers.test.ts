// More of the guard's readers (exec/guard.ts) on the odd output the tools may print: fields left
// out, null documents, trailing spaces and lines that only quote an archive.
import { describe, expect, it } from 'vitest';
import { parseBorgList, parseBorgPrune, parseResticForget, parseResticSnapshots } from '../../../engine/run/exec/guard';

const id = (c: string) => c.repeat(64);

describe('guard readers, odd output', () => {
  it('restic snapshots without short_id or tags: the first 8 characters of the id, no tags', () => {
    expect(parseResticSnapshots(JSON.stringify([{ id: id('a'), time: '2026-11-18T10:00:00Z' }]))).toEqual([
      { id: id('a'), name: 'aaaaaaaa', time: Date.parse('2026-11-18T10:00:00Z'), tags: [] },
    ]);
  });

  it('restic forget groups may leave keep or remove out; anything else malformed is refused', () => {
    const p = parseResticForget(JSON.stringify([{ keep: [{ id: id('a') }] }, { remove: [{ id: id('b') }] }]));
    expect([...p.keep]).toEqual([id('a')]);
    expect([...p.remove]).toEqual([id('b')]);
    expect(() => parseResticForget('{}')).toThrow('restic forget --dry-run --json did not print a list of groups');
    expect(() => parseResticForget('[{"keep":{}}]')).toThrow('restic forget: `keep` is not a list');
    expect(() => parseResticForget('[{"remove":[{}]}]')).toThrow('restic forget listed a snapshot without id');
  });

  it('borg list: zone offsets are kept, naive times are UTC; malformed documents are refused', () => {
    const list = (archives: unknown) => parseBorgList(JSON.stringify({ archives }));
    expect(list([{ id: id('c'), name: 'j', time: '2026-11-18T10:00:00.000000+01:00' }])[0].time).toBe(
      Date.parse('2026-11-18T09:00:00Z'),
    );
    expect(list([{ id: id('c'), name: 'j', start: '2026-11-18T10:00:00' }])[0].time).toBe(
      Date.parse('2026-11-18T10:00:00Z'),
    );
    expect(() => parseBorgList('null')).toThrow('borg list --json has no archives list');
    expect(() => parseBorgList('{}')).toThrow('borg list --json has no archives list');
    const incomplete = 'borg listed an archive without id or name';
    expect(() => list([{ name: 'j', time: '2026-11-18T10:00:00' }])).toThrow(incomplete);
    expect(() => list([{ id: id('c'), time: '2026-11-18T10:00:00' }])).toThrow(incomplete);
  });

  it('borg prune --list: trailing spaces are fine; a line quoting an archive, or going on after it, is not one', () => {
    const p = parseBorgPrune(
      [
        `Keeping archive (rule: daily #1):   j-2   Fri, 2026-11-20 12:00:00 [${id('d')}]   `,
        `Warning: Would prune: j-1 Fri, 2026-11-20 10:00:00 [${id('c')}]`,
        `Would prune: j-0 Fri, 2026-11-20 09:00:00 [${id('e')}] (checkpoint)`,
      ].join('\n'),
    );
    expect([...p.keep]).toEqual([id('d')]);
    expect([...p.remove]).toEqual([]);
  });
});
