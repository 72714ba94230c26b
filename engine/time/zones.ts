// Time zone names. Backplan accepts IANA names spelt exactly as in the tz database
// (`Europe/Paris`, `UTC`, `America/Argentina/Buenos_Aires`): cron's CRON_TZ, systemd's OnCalendar
// and Incus read them as file names under /usr/share/zoneinfo, so `europe/paris` would work in
// the editor (Intl is case-insensitive) and fail on the host. Wrong case is therefore an error
// with the right spelling offered.
import { IANAZone } from 'luxon';

export type ZoneCheck =
  | { ok: true; zone: string }
  | {
      ok: false;
      message: string;
      /** Zone names that would be valid (closest first); may be empty. */
      suggestions: string[];
    };

const UNIVERSAL = /^(?:Etc\/)?(?:UTC|UCT|GMT|Zulu|Universal|Greenwich)$/;

let knownZones: string[] | undefined;
function allZones(): string[] {
  if (!knownZones) {
    let list: string[] = [];
    try {
      list = Intl.supportedValuesOf('timeZone');
    } catch {
      list = [];
    }
    knownZones = [...new Set(['UTC', ...list])];
  }
  return knownZones;
}

function resolvedName(zone: string): string | undefined {
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: zone }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}

/** Segments of tz database names start with a capital letter (`America/Port_of_Spain`, `Etc/GMT+2`). */
const CASED = /^[A-Z][A-Za-z0-9_+-]*(?:\/[A-Z][A-Za-z0-9_+-]*)*$/;

// Plans name a handful of zones; validating one (Intl plus the zone list) costs ~0.25 ms.
const checked = new Map<string, ZoneCheck>();

/** Checks a zone name; see the module comment for why case matters. */
export function checkZone(zone: unknown): ZoneCheck {
  if (typeof zone !== 'string') return checkZoneUncached(zone);
  let r = checked.get(zone);
  if (r === undefined) {
    r = checkZoneUncached(zone);
    if (checked.size > 1000) checked.clear();
    checked.set(zone, r);
  }
  return r;
}

function checkZoneUncached(zone: unknown): ZoneCheck {
  if (typeof zone !== 'string' || zone.trim() === '') {
    return { ok: false, message: 'the timezone is empty: write an IANA name such as `Europe/Paris` or `UTC`', suggestions: [] };
  }
  if (zone !== zone.trim()) {
    return { ok: false, message: `the timezone \`${zone}\` has surrounding spaces`, suggestions: [zone.trim()] };
  }
  // The default zone needs no Intl at all (creating the first date formatter costs ~15 ms).
  if (zone === 'UTC') return { ok: true, zone };
  const valid = IANAZone.isValidZone(zone);
  if (valid) {
    const resolved = resolvedName(zone);
    // The zone list is only needed for names Intl spells differently (links, odd case).
    const exact = resolved === zone || CASED.test(zone) || allZones().includes(zone);
    if (exact) return { ok: true, zone };
    const right = allZones().find((z) => z.toLowerCase() === zone.toLowerCase()) ?? resolved;
    return {
      ok: false,
      message: `timezone names are case-sensitive on the hosts: write \`${right}\`, not \`${zone}\``,
      suggestions: right ? [right] : [],
    };
  }
  const suggestions = closestZones(zone);
  const hint = suggestions.length > 0 ? ` (did you mean \`${suggestions[0]}\`?)` : ' (e.g. `Europe/Paris`, `UTC`)';
  return { ok: false, message: `unknown timezone \`${zone}\`: not an IANA zone name${hint}`, suggestions };
}

/** True for an IANA zone name spelt exactly as in the tz database. */
export function isValidZone(zone: unknown): zone is string {
  return checkZone(zone).ok;
}

/** True for zones that never change offset (UTC and its aliases): no DST work needed. */
export function isUniversalZone(zone: string): boolean {
  return UNIVERSAL.test(zone);
}

function distance(a: string, b: string): number {
  const prev = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length];
}

/** Up to three known zones close to a misspelt one (compares the city part too: `Paris` → `Europe/Paris`). */
export function closestZones(zone: string, max = 3): string[] {
  const lower = zone.toLowerCase();
  const city = lower.slice(lower.lastIndexOf('/') + 1);
  const scored: Array<[number, string]> = [];
  for (const z of allZones()) {
    const zl = z.toLowerCase();
    const zcity = zl.slice(zl.lastIndexOf('/') + 1);
    const d = Math.min(distance(lower, zl), distance(city, zcity) + (lower.includes('/') ? 1 : 0));
    const limit = Math.max(2, Math.floor(Math.max(city.length, 4) / 3));
    if (d <= limit) scored.push([d, z]);
  }
  scored.sort((a, b) => a[0] - b[0] || a[1].localeCompare(b[1]));
  return scored.slice(0, max).map(([, z]) => z);
}
