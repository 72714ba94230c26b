// Times of a job's copies, read back from their names. A copy's name is made by the driver
// (driver-kit copyName): `pattern` expanded in the job's zone, or `<prefix>YYYYMMDDTHHMMZ` in
// UTC; an inventory `match` glob is that name with every time field turned into `*`, plus the
// extension. `nameTimeParser` inverts this: it returns the copy's time, or undefined for a name
// that the job cannot have made (those are never pruned).
import { DateTime } from 'luxon';
import { expandPattern } from './driver-kit';

const FIELD: Record<string, { re: string; key: string }> = {
  Y: { re: '(\\d{4})', key: 'Y' },
  y: { re: '(\\d{2})', key: 'y' },
  m: { re: '(\\d{2})', key: 'm' },
  d: { re: '(\\d{2})', key: 'd' },
  H: { re: '(\\d{2})', key: 'H' },
  M: { re: '(\\d{2})', key: 'M' },
  S: { re: '(\\d{2})', key: 'S' },
  j: { re: '(\\d{3})', key: 'j' },
};

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export type NameTimeParser = (name: string) => number | undefined;

/**
 * @param match the inventory glob (`docs-archive-*.tar.gz`)
 * @param pattern the job's `pattern`, when it has one
 * @param zone the zone the pattern is expanded in (the default names are UTC)
 */
export function nameTimeParser(match: string, pattern: unknown, zone: string): NameTimeParser {
  if (typeof pattern === 'string') {
    const glob = expandPattern(pattern, 0, zone);
    if (!glob.ok || !match.startsWith(glob.match)) return () => undefined;
    const ext = match.slice(glob.match.length);
    let re = '^';
    const keys: string[] = [];
    for (let i = 0; i < pattern.length; i++) {
      const c = pattern[i];
      if (c !== '%') {
        re += esc(c);
        continue;
      }
      const f = pattern[++i];
      if (f === '%') re += '%';
      else if (FIELD[f]) {
        re += FIELD[f].re;
        keys.push(FIELD[f].key);
      } else return () => undefined;
    }
    const rx = new RegExp(`${re}${esc(ext)}$`);
    return (name) => {
      const m = rx.exec(name);
      if (!m) return undefined;
      const v: Record<string, number> = {};
      keys.forEach((k, i) => (v[k] = Number(m[i + 1])));
      const year = v.Y ?? (v.y !== undefined ? 2000 + v.y : undefined);
      if (year === undefined) return undefined;
      let t: DateTime;
      if (v.j !== undefined && v.m === undefined)
        t = DateTime.fromObject({ year, ordinal: v.j, hour: v.H ?? 0, minute: v.M ?? 0, second: v.S ?? 0 }, { zone });
      else
        t = DateTime.fromObject(
          { year, month: v.m ?? 1, day: v.d ?? 1, hour: v.H ?? 0, minute: v.M ?? 0, second: v.S ?? 0 },
          { zone },
        );
      // Reject impossible dates and wall-clock times that do not exist in the zone.
      if (!t.isValid || (v.H !== undefined && t.hour !== v.H)) return undefined;
      return t.toMillis();
    };
  }
  const star = match.indexOf('*');
  if (star < 0 || match.indexOf('*', star + 1) >= 0) return () => undefined;
  // Default names end the stamp with `Z`; some drivers keep that `Z` outside the `*` (`*Z`).
  const rest = match.slice(star + 1);
  const tail = rest.startsWith('Z') ? esc(rest) : `Z${esc(rest)}`;
  const rx = new RegExp(`^${esc(match.slice(0, star))}(\\d{4})(\\d{2})(\\d{2})T(\\d{2})(\\d{2})${tail}$`);
  return (name) => {
    const m = rx.exec(name);
    if (!m) return undefined;
    const t = DateTime.fromObject(
      { year: +m[1], month: +m[2], day: +m[3], hour: +m[4], minute: +m[5] },
      { zone: 'UTC' },
    );
    return t.isValid && t.hour === +m[4] && t.day === +m[3] ? t.toMillis() : undefined;
  };
}
