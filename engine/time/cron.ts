// The cron expression language of Backplan schedules: exactly what Vixie cron and its
// descendants (cronie, Debian's cron) accept in the five time fields, so a plan runs unchanged
// under the crontabs Backplan exports. Parsing only; firing times are in schedule.ts.
//
// Accepted: numbers, `*`, ranges `a-b`, steps `*/n` and `a-b/n`, lists `a,b`, three-letter month
// and day names (case-insensitive, also in ranges), 0 or 7 for Sunday, and the aliases @hourly,
// @daily (@midnight), @weekly, @monthly, @yearly (@annually).
// Refused with a precise message: a seconds or year field (6 or 7 fields), out-of-range values,
// backward ranges (`fri-mon`: cron rejects them), a step on a single value (`5/15`: cron rejects
// it), and the non-standard `L W # ? H` of Quartz, cron-parser and Jenkins.
//
// Day-of-month and day-of-week follow cron's rule exactly: a field is "unrestricted" when its text
// starts with `*` (so `*/2` counts as unrestricted!). When either field is unrestricted a day must
// match both; when both are restricted a day matching either one fires (`0 0 1 * 1` runs on the
// 1st and on every Monday). cron-parser differs (it treats `*/2` as restricted), which is one
// reason the iteration is Backplan's own.

export type CronFieldName = 'minute' | 'hour' | 'day-of-month' | 'month' | 'day-of-week';

export interface CronFields {
  /** Sorted allowed values: minutes 0-59, hours 0-23, days 1-31, months 1-12, weekdays 0-6 (0 = Sunday). */
  minutes: number[];
  hours: number[];
  daysOfMonth: number[];
  months: number[];
  daysOfWeek: number[];
  /** The field's text starts with `*` (cron's MIN_STAR, HR_STAR, DOM_STAR, DOW_STAR). */
  minuteStar: boolean;
  hourStar: boolean;
  domStar: boolean;
  dowStar: boolean;
}

export interface Span {
  start: number;
  end: number;
}

export interface CronError {
  ok: false;
  kind: 'cron';
  message: string;
  /** UTF-16 offsets inside the expression of the part at fault. */
  start: number;
  end: number;
  /** The field at fault, when one is. */
  field?: CronFieldName;
  /** Every part at fault when there are several (a 7-field cron: the seconds and year fields). */
  spans?: Span[];
  /** Whole-expression replacements that would be valid. */
  suggestions: string[];
}

export interface CronOk {
  ok: true;
  fields: CronFields;
  /** The five-field form (aliases expanded, spacing normalised). */
  normalized: string;
  /** The alias as written (`@daily`), when one was used. */
  alias?: string;
  /** Offsets of the five fields inside the expression (all the alias for an alias). */
  spans: Span[];
}

export type CronResult = CronOk | CronError;

export const ALIASES: Readonly<Record<string, string>> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

export const FIELD_NAMES: readonly CronFieldName[] = ['minute', 'hour', 'day-of-month', 'month', 'day-of-week'];

const MONTH_NAMES = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DOW_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
export const MONTH_FULL = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
export const DOW_FULL = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

interface FieldSpec {
  name: CronFieldName;
  min: number;
  max: number;
  names?: string[];
  /** Value of the first name. */
  nameBase: number;
  hint: string;
}

const SPECS: FieldSpec[] = [
  { name: 'minute', min: 0, max: 59, nameBase: 0, hint: '0-59' },
  { name: 'hour', min: 0, max: 23, nameBase: 0, hint: '0-23' },
  { name: 'day-of-month', min: 1, max: 31, nameBase: 1, hint: '1-31' },
  { name: 'month', min: 1, max: 12, names: MONTH_NAMES, nameBase: 1, hint: '1-12 or jan-dec' },
  { name: 'day-of-week', min: 0, max: 7, names: DOW_NAMES, nameBase: 0, hint: '0-7 or sun-sat, 0 and 7 are Sunday' },
];

const FIVE_FIELDS = 'Backplan schedules have 5 fields (min hour day-of-month month day-of-week)';

function fail(
  message: string,
  start: number,
  end: number,
  extra: { field?: CronFieldName; spans?: Span[]; suggestions?: string[] } = {},
): CronError {
  return { ok: false, kind: 'cron', message, start, end, field: extra.field, spans: extra.spans, suggestions: extra.suggestions ?? [] };
}

/** Whitespace-separated tokens with their offsets. */
function tokens(s: string): Array<{ text: string; start: number; end: number }> {
  const out: Array<{ text: string; start: number; end: number }> = [];
  const re = /\S+/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s))) out.push({ text: m[0], start: m.index, end: m.index + m[0].length });
  return out;
}

/** Could be a cron field (standard or not), as opposed to a command or a path. */
function cronish(text: string): boolean {
  return /^[0-9*?,/#LWH-]+$/.test(text) || /^[a-zA-Z]{3}(?:[-,][a-zA-Z]{3})*$/.test(text);
}

function looksLikeYear(text: string): boolean {
  return /^(?:19|20|21)\d\d(?:[-,/]\d+)*$/.test(text) || /^\d{4}(?:-\d{4})?$/.test(text);
}

export function ordinal(n: number): string {
  const t = n % 100;
  if (t >= 11 && t <= 13) return `${n}th`;
  return `${n}${['th', 'st', 'nd', 'rd'][n % 10] ?? 'th'}`;
}

export function joinWords(items: string[], last = 'and'): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} ${last} ${items[items.length - 1]}`;
}

const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

interface FieldResult {
  values: boolean[];
}

function parseField(text: string, offset: number, spec: FieldSpec, whole: string): FieldResult | CronError {
  const values = new Array<boolean>(spec.max + 1).fill(false);
  const field = spec.name;
  const replace = (start: number, end: number, by: string) => whole.slice(0, start) + by + whole.slice(end);
  let pos = 0;
  for (const part of text.split(',')) {
    const start = offset + pos;
    const end = start + part.length;
    pos += part.length + 1;
    if (part === '') {
      return fail(`empty list item in the ${field} field: remove the extra comma`, Math.max(offset, start - 1), Math.min(end + 1, offset + text.length), { field });
    }
    const special = part.includes('#')
      ? '#'
      : part === '?'
        ? '?'
        : /^H(?:\([0-9-]+\))?(?:\/[0-9]+)?$/.test(part)
          ? 'H'
          : /^L(?:W|-[0-9]+)?$|^[0-9]+W$|^(?:[0-9]+|[a-zA-Z]{3})L$/.test(part)
            ? part.endsWith('W') ? 'W' : 'L'
            : undefined;
    if (special) {
      const what: Record<string, string> = {
        L: '`L` (last day) is not standard cron',
        W: '`W` (nearest weekday) is not standard cron',
        '#': '`#` (nth weekday of the month) is not standard cron',
        '?': '`?` is not standard cron: write `*`',
        H: '`H` (hashed value) is not standard cron',
      };
      return fail(`${what[special]}; Backplan schedules must run unchanged under cron`, start, end, {
        field,
        suggestions: special === '?' ? [replace(start, end, '*')] : [],
      });
    }
    const m = /^(\*|[0-9]+|[a-zA-Z]+)(?:-([0-9]+|[a-zA-Z]+))?(?:\/([0-9]+))?$/.exec(part);
    if (!m) {
      return fail(
        `\`${part}\` is not valid in the ${field} field: use a number (${spec.hint}), \`*\`, a range \`a-b\`, a step \`*/n\` or \`a-b/n\`, or a list \`a,b\``,
        start,
        end,
        { field },
      );
    }
    const [, first, second, stepText] = m;
    const firstEnd = start + first.length;
    const value = (tok: string, at: number): number | CronError => {
      if (/^[0-9]+$/.test(tok)) {
        const n = Number(tok);
        if (n < spec.min || n > spec.max) {
          const extra = field === 'hour' && n === 24 ? '; midnight is 0' : '';
          return fail(`${tok} is out of range for the ${field} field (${spec.hint}${extra})`, at, at + tok.length, { field });
        }
        return n;
      }
      if (!spec.names) {
        return fail(`\`${tok}\` is not a number: names are allowed only for months and days of the week`, at, at + tok.length, { field });
      }
      const i = spec.names.indexOf(tok.toLowerCase());
      if (i < 0) {
        const kind = field === 'month' ? 'a month name (jan-dec)' : 'a day name (sun-sat)';
        return fail(`\`${tok}\` is not ${kind}`, at, at + tok.length, { field });
      }
      return i + spec.nameBase;
    };
    let lo: number;
    let hi: number;
    if (first === '*') {
      if (second !== undefined) {
        return fail(`\`${part}\` is not a range: \`*\` already means every value; write \`*\` or \`a-b\``, start, end, { field });
      }
      lo = spec.min;
      hi = spec.max;
    } else {
      const a = value(first, start);
      if (typeof a !== 'number') return a;
      lo = a;
      hi = a;
      if (second !== undefined) {
        const bAt = firstEnd + 1;
        const b = value(second, bAt);
        if (typeof b !== 'number') return b;
        hi = b;
        if (lo > hi) {
          const rangeEnd = bAt + second.length;
          const named = spec.names !== undefined && /^[a-z]/i.test(first);
          const top = field === 'day-of-week' ? 6 : spec.max;
          const topText = named && spec.names ? spec.names[top - spec.nameBase] : String(top);
          const bottomText = named && spec.names ? spec.names[0] : String(spec.min);
          const upper = lo === top ? first : `${first}-${topText}`;
          const lower = hi === spec.min ? second : `${bottomText}-${second}`;
          const suggestion = field === 'day-of-week' && hi === 0 && !named ? `${first}-7` : `${upper},${lower}`;
          return fail(`\`${first}-${second}\` is a backward range, which cron rejects: write \`${suggestion}\``, start, rangeEnd, {
            field,
            suggestions: stepText === undefined ? [replace(start, rangeEnd, suggestion)] : [],
          });
        }
      } else if (stepText !== undefined) {
        const max = field === 'day-of-week' ? 6 : spec.max;
        const suggestion = `${first}-${max}/${stepText}`;
        return fail(`a step needs a range: cron rejects \`${part}\`, write \`${suggestion}\``, start, end, {
          field,
          suggestions: [replace(start, end, suggestion)],
        });
      }
    }
    let step = 1;
    if (stepText !== undefined) {
      step = Number(stepText);
      const stepAt = end - stepText.length;
      if (step === 0) return fail('a step of 0 never advances: use 1 or more', stepAt, end, { field });
    }
    for (let v = lo; v <= hi; v += step) values[v] = true;
  }
  return { values };
}

function setOf(values: boolean[], from: number): number[] {
  const out: number[] = [];
  for (let v = from; v < values.length; v++) if (values[v]) out.push(v);
  return out;
}

/** Parse a cron expression (zone-independent). */
export function parseCron(expr: string): CronResult {
  const s = String(expr);
  const toks = tokens(s);
  if (toks.length === 0) return fail(`the schedule is empty: ${FIVE_FIELDS.replace('Backplan schedules have', 'write')}, e.g. \`30 2 * * *\`, or @daily`, 0, s.length);
  if (toks[0].text.startsWith('@')) {
    const a = toks[0];
    if (toks.length > 1) {
      return fail(`\`${a.text}\` stands alone: remove what follows it`, toks[1].start, toks[toks.length - 1].end, {
        suggestions: [a.text],
      });
    }
    const key = a.text.toLowerCase();
    if (ALIASES[key] !== undefined && key !== a.text) {
      return fail(`write \`${key}\` in lower case (cron does not recognise \`${a.text}\`)`, a.start, a.end, { suggestions: [key] });
    }
    const expansion = ALIASES[a.text];
    if (expansion === undefined) {
      const msg =
        a.text === '@reboot'
          ? '`@reboot` is not a time schedule: backups need a schedule that fires at known times'
          : `unknown schedule alias \`${a.text}\`: use @hourly, @daily, @weekly, @monthly or @yearly, or 5 cron fields`;
      return fail(msg, a.start, a.end);
    }
    const r = parseCron(expansion);
    if (!r.ok) return r;
    const span = { start: a.start, end: a.end };
    return { ...r, alias: a.text, spans: [span, span, span, span, span] };
  }
  if (toks.length > 5 && !cronish(toks[5].text)) {
    // `0 2 * * * /usr/local/bin/backup`: a crontab line pasted whole.
    const rest = toks.slice(5);
    return fail(
      `a schedule is only the 5 time fields (min hour day-of-month month day-of-week): remove \`${s.slice(rest[0].start, rest[rest.length - 1].end)}\``,
      rest[0].start,
      rest[rest.length - 1].end,
      { spans: [{ start: rest[0].start, end: rest[rest.length - 1].end }], suggestions: [toks.slice(0, 5).map((t) => t.text).join(' ')] },
    );
  }
  if (toks.length > 5) {
    let extra: typeof toks;
    let what: string;
    if (toks.length === 6) {
      if (looksLikeYear(toks[5].text) && !looksLikeYear(toks[0].text)) {
        extra = [toks[5]];
        what = 'remove the year field';
      } else {
        extra = [toks[0]];
        what = 'remove the seconds field';
      }
    } else if (toks.length === 7) {
      extra = [toks[0], toks[6]];
      what = 'remove the seconds and year fields';
    } else {
      extra = toks.slice(5);
      what = `remove the ${toks.length - 5} extra fields`;
    }
    // Quartz writes `?` for "no value" in a day field; cron's equivalent is `*`.
    const kept = toks.filter((t) => !extra.includes(t)).map((t) => (t.text === '?' ? '*' : t.text));
    return fail(`${FIVE_FIELDS}; ${what}`, extra[0].start, extra[0].end, {
      spans: extra.map((t) => ({ start: t.start, end: t.end })),
      suggestions: kept.length === 5 ? [kept.join(' ')] : [],
    });
  }
  if (toks.length < 5) {
    const missing = FIELD_NAMES.slice(toks.length).join(', ');
    return fail(`${FIVE_FIELDS}; this one has ${toks.length}: ${missing} ${toks.length === 4 ? 'is' : 'are'} missing`, toks[0].start, toks[toks.length - 1].end);
  }
  const sets: boolean[][] = [];
  for (let i = 0; i < 5; i++) {
    const r = parseField(toks[i].text, toks[i].start, SPECS[i], s);
    if ('ok' in r) return r;
    sets.push(r.values);
  }
  const dow = sets[4];
  if (dow[7]) dow[0] = true;
  const fields: CronFields = {
    minutes: setOf(sets[0], 0),
    hours: setOf(sets[1], 0),
    daysOfMonth: setOf(sets[2], 1),
    months: setOf(sets[3], 1),
    daysOfWeek: setOf(dow.slice(0, 7), 0),
    minuteStar: toks[0].text.startsWith('*'),
    hourStar: toks[1].text.startsWith('*'),
    domStar: toks[2].text.startsWith('*'),
    dowStar: toks[4].text.startsWith('*'),
  };
  const spans = toks.map((t) => ({ start: t.start, end: t.end }));
  const never = neverRuns(fields);
  if (never) return fail(`never runs: ${never}`, spans[2].start, spans[2].end, { field: 'day-of-month' });
  return { ok: true, fields, normalized: toks.map((t) => t.text).join(' '), spans };
}

/** Day and month match (cron's rule, see the module comment); month 1-12, weekday 0-6. */
export function dayMatches(f: CronFields, month: number, dom: number, dow: number, monthOk = f.months.includes(month)): boolean {
  if (!monthOk) return false;
  const domOk = f.daysOfMonth.includes(dom);
  const dowOk = f.daysOfWeek.includes(dow);
  return f.domStar || f.dowStar ? domOk && dowOk : domOk || dowOk;
}

/** Why no day ever matches, or undefined when some day does (checked over a full 28-year cycle). */
function neverRuns(f: CronFields): string | undefined {
  // 2000-2027: every weekday falls on every date of every month, leap days included.
  const start = Date.UTC(2000, 0, 1) / 86_400_000;
  for (let day = start; day < start + 10_227; day++) {
    const d = new Date(day * 86_400_000);
    if (dayMatches(f, d.getUTCMonth() + 1, d.getUTCDate(), d.getUTCDay())) return undefined;
  }
  const lacking = f.months.filter((m) => f.daysOfMonth.every((d) => d > DAYS_IN_MONTH[m - 1]));
  if (lacking.length === f.months.length) {
    const months = joinWords(lacking.map((m) => MONTH_FULL[m - 1]));
    const days = joinWords(f.daysOfMonth.map(ordinal), 'or');
    return `${months} ${lacking.length === 1 ? 'has' : 'have'} no ${days}`;
  }
  return 'no date matches both the day-of-month and the day-of-week';
}
