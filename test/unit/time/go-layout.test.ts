// Go time layouts as Go's time.Format reads them (engine/time/go-layout.ts): the element table
// of Go's time/format.go (nextStdChunk, appendFormat), and the inverse used to read snapshot
// names back.
import { describe, expect, it } from 'vitest';
import { goFormat, goLayout, goLayoutParser } from '../../../engine/time/go-layout';

// 2026-03-07 14:05:09.120 UTC, a Saturday, day 66 of the year.
const T = Date.UTC(2026, 2, 7, 14, 5, 9, 120);

describe('goFormat', () => {
  it('formats every element of the reference time', () => {
    const cases: [string, string][] = [
      ['2006-01-02_15-04-05', '2026-03-07_14-05-09'],
      ['06 1 2 3 4 5', '26 3 7 2 5 9'],
      ['January Jan Monday Mon', 'March Mar Saturday Sat'],
      ['_2|__2|002', ' 7| 66|066'],
      ['03PM 3pm', '02PM 2pm'],
      ['.000 .999 ,00 .9', '.120 .12 ,12 .1'],
      ['Z0700 Z07:00 Z07 -0700 -07:00 -07 -070000 Z07:00:00 MST', 'Z Z Z +0000 +00:00 +00 +000000 Z UTC'],
    ];
    for (const [layout, want] of cases) expect(goFormat(T, layout, 'UTC'), layout).toBe(want);
  });

  it('formats in the zone given, offsets included', () => {
    expect(goFormat(T, '2006-01-02_15-04-05 Z07:00 -0700', 'Europe/Paris')).toBe('2026-03-07_15-05-09 +01:00 +0100');
    expect(goFormat(T, 'MST', 'Europe/Paris')).toBe('CET');
    expect(goFormat(T, 'MST', 'America/New_York')).toBe('EST');
  });

  it("reads the layout as Go does: `Jan` before a lower-case letter, `_2006` and lone digits", () => {
    expect(goFormat(T, 'Janet', 'UTC')).toBe('Janet');
    expect(goFormat(T, 'Mondays Month', 'UTC')).toBe('Saturdays Month');
    expect(goFormat(T, 'x_2006', 'UTC')).toBe('x_2026');
    // `1` is a month and `3` an hour wherever they are; 7, 8, 9 and a lone 0 are literal.
    expect(goFormat(T, 'v1-web3-789-0', 'UTC')).toBe('v3-web2-789-0');
    expect(goLayout('.000x').map((c) => ('lit' in c ? c.lit : c.el))).toEqual(['Frac0', 'x']);
    // Digits after the zeros: not a fraction; Go then finds `01` (a month) after `.00`.
    expect(goLayout('.0001').map((c) => ('lit' in c ? c.lit : c.el))).toEqual(['.00', 'ZeroMonth']);
  });
});

describe('goLayoutParser', () => {
  const read = (layout: string, text: string, zone = 'UTC'): number | undefined => {
    const p = goLayoutParser([layout], zone);
    const m = new RegExp(`^${p.res[0]}$`).exec(text);
    return m ? p.time([m.slice(1)]) : undefined;
  };

  it('reads back what it formats, in the zone or at the written offset', () => {
    for (const layout of ['2006-01-02_15-04-05', '20060102T1504', 'Jan _2 2006 3:04:05PM', '2006.002-15h04', 'Monday-02-January-06-15-04-05.000', '2006-01-02T15-04-05Z07:00']) {
      for (const zone of ['UTC', 'Europe/Paris', 'Asia/Kolkata']) {
        const text = goFormat(T, layout, zone);
        const back = read(layout, text, zone);
        const precision = layout.includes('05') ? (layout.includes('.000') ? 1 : 1000) : 60_000;
        expect(back, `${layout} ${zone} ${text}`).toBe(Math.floor(T / precision) * precision);
      }
    }
  });

  it('rejects impossible dates, a wrong weekday and wall-clock times that do not exist', () => {
    expect(read('2006-01-02', '2026-02-30')).toBeUndefined();
    expect(read('Mon 2006-01-02', 'Sun 2026-03-07')).toBeUndefined();
    // 02:30 does not exist in Paris on 2026-03-29 (clocks go from 02:00 to 03:00).
    expect(read('2006-01-02_15-04', '2026-03-29_02-30', 'Europe/Paris')).toBeUndefined();
    expect(read('2006-01-02_15-04', '2026-03-29_03-30', 'Europe/Paris')).toBe(Date.UTC(2026, 2, 29, 1, 30));
  });

  it('says when names hold no whole date', () => {
    expect(goLayoutParser(['15-04-05'], 'UTC').holdsDate).toBe(false);
    expect(goLayoutParser(['2006-01'], 'UTC').holdsDate).toBe(false);
    expect(goLayoutParser(['2006-01-02 3:04'], 'UTC').holdsDate).toBe(false); // 12-hour clock without PM
    expect(goLayoutParser(['2006', '01-02'], 'UTC').holdsDate).toBe(true);
    expect(goLayoutParser(['06.002'], 'UTC').holdsDate).toBe(true);
  });
});
