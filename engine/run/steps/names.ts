// Times of a job's copies, read back from their names. A copy's name is made by the driver
// (driver-kit copyName): `pattern` expanded in the job's zone, or `<prefix>YYYYMMDDTHHMMSSZ` in
// UTC (earlier releases named to the minute, `<prefix>YYYYMMDDTHHMMZ`: still read); either may
// carry a `-N` suffix, given when the name was already taken. An inventory `match` glob is that
// name with every time field turned into `*`, plus the extension. `nameTimeParser` inverts this:
// it returns the copy's time, or undefined for a name that the job cannot have made (those are
// never pruned).
import { DateTime } from 'luxon';
import { expandPattern } from './driver-kit';
import { incusNameParser, isPongoPattern } from './incus-pattern';
import { parseBtrbkName } from '../../retention/btrbk';
import { perlTimelocal } from '../../retention/perl-time';

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

/** The `-N` a copy name gets when its plain name was taken (driver-kit copyName). */
const SUFFIX = '(?:-[1-9]\\d*)?';

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export type NameTimeParser = (name: string) => number | undefined;

/**
 * @param match the inventory glob (`docs-archive-*.tar.gz`)
 * @param pattern the job's `pattern`, when it has one
 * @param zone the zone the pattern is expanded in (the default names are UTC)
 */
export function nameTimeParser(match: string, pattern: unknown, zone: string): NameTimeParser {
  // Incus's template syntax (`{{ creation_date|date:'LAYOUT' }}`): named as Incus names.
  if (isPongoPattern(pattern)) return incusNameParser(pattern, zone);
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
    const rx = new RegExp(`${re}${SUFFIX}${esc(ext)}$`);
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
  if (star < 0) return () => undefined;
  // Default names end the stamp with `Z`; some drivers keep that `Z` outside the `*` (`*Z`, and
  // rsync's `*Z*`, whose trailing `*` takes the suffix).
  let rest = match.slice(star + 1);
  if (rest.startsWith('Z')) rest = rest.slice(1);
  if (rest === '*') rest = '';
  if (rest.includes('*')) return () => undefined;
  const rx = new RegExp(
    `^${esc(match.slice(0, star))}(\\d{4})(\\d{2})(\\d{2})T(\\d{2})(\\d{2})(\\d{2})?Z${SUFFIX}${esc(rest)}$`,
  );
  return (name) => {
    const m = rx.exec(name);
    if (!m) return undefined;
    const second = m[6] === undefined ? 0 : +m[6];
    const t = DateTime.fromObject(
      { year: +m[1], month: +m[2], day: +m[3], hour: +m[4], minute: +m[5], second },
      { zone: 'UTC' },
    );
    return t.isValid && t.hour === +m[4] && t.day === +m[3] && t.second === second ? t.toMillis() : undefined;
  };
}

/**
 * Times of snapshots a tool names itself, in the host's local time `zone`: sanoid's
 * `autosnap_YYYY-MM-DD_HH:MM:SS_<type>ly` (`...SSdst_hourly` in the repeated hour), btrbk's `BASE.TIMESTAMP[_N]` in any timestamp_format
 * (short, long, long-iso; `_N` added by btrbk when the name was taken), read as btrbk reads them
 * (retention/btrbk.ts parseBtrbkName). `base`: btrbk's subvolume name.
 */
export function toolNameParser(naming: 'sanoid' | 'btrbk', zone: string, base = ''): NameTimeParser {
  if (naming === 'btrbk') {
    return (name) => {
      const d = parseBtrbkName(name, zone);
      return d && d.base === base ? d.time : undefined;
    };
  }
  // `..._02:00:00dst_hourly`: sanoid's second hourly of the repeated hour when summer time ends.
  const rx = /^autosnap_(\d{4})-(\d{2})-(\d{2})_(\d{2}):(\d{2}):(\d{2})(dst)?_\w*ly$/;
  return (name) => {
    const m = rx.exec(name);
    if (!m) return undefined;
    const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
    const t = DateTime.fromObject({ year, month, day, hour, minute, second }, { zone });
    if (!t.isValid || t.hour !== hour || t.day !== day) return undefined;
    // A repeated wall time is its first instant (Perl's timelocal), the `dst` one's the hour after.
    return perlTimelocal(Date.UTC(year, month - 1, day, hour, minute, second), zone) + (m[7] ? 3_600_000 : 0);
  };
}
