// Incus's snapshot names (`snapshots.pattern`), made as Incus makes them (NextSnapshotName in
// Incus's internal/server/instance/instance_utils.go, the same in LXD 5.0's lxd/instance):
// 1. the pattern (default `snap%d`) is a pongo2 template rendered with `creation_date` = the
//    daemon's clock in its local zone; Backplan understands the one tag that names times,
//    `{{ creation_date|date:'<Go layout>' }}` (pongo2's date filter is Go's Time.Format:
//    engine/time/go-layout.ts);
// 2. then a `%d` in the result (at most one) is a counter: one more than the highest number any
//    snapshot of the instance has there (read with Go's Sscanf over prefix%dsuffix, so the names
//    in creation order, any number, a longer name with the same start too), 0 when none has;
// 3. without `%d`, a name that exists already gets `-%d` appended, counted the same way
//    (`fixed`, then `fixed-0`, `fixed-1` ...).
// For an incus kind, a `pattern` is Incus's syntax when it holds `{{`/`{%`, or when its only `%`
// field is `%d` (a strftime `%d` alone would repeat every month); otherwise it is Backplan's
// strftime form (driver-kit expandPattern), expanded by Backplan itself.
import { goFormat, goLayoutParser } from '../../time/go-layout';

export const INCUS_DEFAULT_PATTERN = 'snap%d';

/** True when `pattern` is written in Incus's syntax (see the header). */
export function isIncusPattern(pattern: string): boolean {
  if (pattern.includes('{{') || pattern.includes('{%')) return true;
  return !pattern.replace(/%d/g, '').includes('%');
}

/** True when `pattern` holds pongo2 tags (the names.ts hook: whatever the kind). */
export function isPongoPattern(pattern: unknown): pattern is string {
  return typeof pattern === 'string' && (pattern.includes('{{') || pattern.includes('{%'));
}

type Part = { lit: string } | { layout: string };

const TAG = /^\s*creation_date\s*\|\s*date\s*:\s*(?:'([^'\\]*)'|"([^"\\]*)")\s*$/;

/** The pattern as literal text and `date` layouts; an error for what Backplan cannot render. */
export function parseIncusPattern(pattern: string): { ok: true; parts: Part[] } | { ok: false; message: string } {
  const src = pattern === '' ? INCUS_DEFAULT_PATTERN : pattern;
  if (src.includes('{%'))
    return {
      ok: false,
      message: "holds a pongo2 tag (`{% ... %}`): Backplan renders `{{ creation_date|date:'LAYOUT' }}` only",
    };
  const parts: Part[] = [];
  let rest = src;
  while (rest.length) {
    const open = rest.indexOf('{{');
    if (open < 0) {
      parts.push({ lit: rest });
      break;
    }
    if (open > 0) parts.push({ lit: rest.slice(0, open) });
    const close = rest.indexOf('}}', open + 2);
    if (close < 0) return { ok: false, message: 'has a `{{` without its `}}`' };
    const m = TAG.exec(rest.slice(open + 2, close));
    if (!m)
      return {
        ok: false,
        message:
          `holds \`{{${rest.slice(open + 2, close)}}}\`: Backplan renders \`{{ creation_date|date:'LAYOUT' }}\` only ` +
          `(a Go layout such as '2006-01-02_15-04-05'; \`{{ creation_date }}\` alone gives a name with spaces)`,
      };
    parts.push({ layout: m[1] ?? m[2] });
    rest = rest.slice(close + 2);
  }
  const lits = parts.flatMap((p) => ('lit' in p ? [p.lit] : [])).join('');
  if ((lits.match(/%d/g) ?? []).length > 1)
    return { ok: false, message: "may contain '%d' only once (Incus refuses it)" };
  const other = /%[^d]/.exec(lits.replace(/%d/g, ''));
  if (other && parts.some((p) => 'layout' in p))
    return {
      ok: false,
      message:
        `holds \`${other[0]}\`, a strftime field: in Incus's syntax the time is a Go layout in ` +
        `\`{{ creation_date|date:'...' }}\`, and \`%d\` is a counter`,
    };
  return { ok: true, parts };
}

/** What the template renders to at `now` in `zone` (a `%d` still in it). */
export function renderIncusPattern(parts: Part[], now: number, zone: string): string {
  return parts.map((p) => ('lit' in p ? p.lit : goFormat(now, p.layout, zone))).join('');
}

/** Go's `fmt.Sscanf(name, prefix+"%d"+suffix, &n)`: n, or undefined when the scan fails. */
function scanCounter(name: string, prefix: string, suffix: string): number | undefined {
  if (!name.startsWith(prefix)) return undefined;
  const m = /^[+-]?\d+/.exec(name.slice(prefix.length));
  if (!m) return undefined;
  // The text after the number must start with the suffix (what follows it is not read).
  if (!name.slice(prefix.length + m[0].length).startsWith(suffix)) return undefined;
  return Number(m[0]);
}

/** Incus's GetNextInstanceSnapshotIndex: one more than the highest counter among `names`. */
export function nextCounter(pattern: string, names: Iterable<string>): number {
  const i = pattern.indexOf('%d');
  const prefix = pattern.slice(0, i);
  const suffix = pattern.slice(i + 2);
  let max = 0;
  for (const n of names) {
    const v = scanCounter(n, prefix, suffix);
    if (v !== undefined && v >= max) max = v + 1;
  }
  return max;
}

/** The name Incus gives a snapshot rendered as `rendered`, with the instance holding `names`. */
export function nextIncusName(rendered: string, names: ReadonlySet<string> | readonly string[]): string {
  const list = [...names];
  if (rendered.includes('%d')) return rendered.replace('%d', String(nextCounter(rendered, list)));
  if (!list.includes(rendered)) return rendered;
  const withSuffix = `${rendered}-%d`;
  return withSuffix.replace('%d', String(nextCounter(withSuffix, list)));
}

/** A glob matching every name the pattern can give (each time field and counter a `*`). */
export function incusPatternGlob(parts: Part[]): string {
  let glob = '';
  for (const p of parts) {
    const text = 'lit' in p ? p.lit.replace(/%d/g, '*') : '*';
    glob += text;
  }
  glob = glob.replace(/\*+/g, '*');
  // Without a counter a name that exists already gets `-N`.
  const counted = parts.some((p) => 'lit' in p && p.lit.includes('%d'));
  return counted || glob.endsWith('*') ? glob : `${glob}*`;
}

/** True when the names hold a whole date (a `date` tag with a year, a month and a day, or a day of year). */
export function incusNamesHoldTime(parts: Part[], zone = 'UTC'): boolean {
  const layouts = parts.flatMap((p) => ('layout' in p ? [p.layout] : []));
  return layouts.length > 0 && goLayoutParser(layouts, zone).holdsDate;
}

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The time in a name Incus gave with `pattern` in `zone`, or undefined for a name it cannot
 * have given or one that holds no time (a counter or a fixed name). A counter and the `-N` of a
 * name given twice are allowed and carry no time.
 */
export function incusNameParser(pattern: string, zone: string): (name: string) => number | undefined {
  const parsed = parseIncusPattern(pattern);
  if (!parsed.ok) return () => undefined;
  const layouts = parsed.parts.flatMap((p) => ('layout' in p ? [p.layout] : []));
  if (!layouts.length) return () => undefined;
  const gp = goLayoutParser(layouts, zone);
  if (!gp.holdsDate) return () => undefined;
  let re = '^';
  let k = 0;
  for (const p of parsed.parts) {
    if ('layout' in p) re += `(${gp.res[k++]})`;
    else re += p.lit.split('%d').map(esc).join('(?:[+-]?\\d+)');
  }
  const counted = parsed.parts.some((p) => 'lit' in p && p.lit.includes('%d'));
  const rx = new RegExp(`${re}${counted ? '' : '(?:-\\d+)?'}$`);
  return (name) => {
    const m = rx.exec(name);
    if (!m) return undefined;
    // Each layout's group, then its own element groups.
    const captured: string[][] = [];
    let g = 1;
    for (let i = 0; i < layouts.length; i++) {
      g++; // the layout's whole text
      captured.push(m.slice(g, g + gp.groups[i]));
      g += gp.groups[i];
    }
    return gp.time(captured);
  };
}
