// Values of the plan as the checks see them: the schema-typed values (durations, cron ...) listed
// once per check, ranges inside a scalar (a bad cron field, the unit of a duration) mapped back
// to the text through the scalar's quoting, and whole-scalar replacements that keep the YAML
// valid.
import type { Fix, OffsetRange } from '../../findings';
import type { YamlPath } from '../../plan/model';
import { annotatedValues, type AnnotatedValue } from '../../plan/schema';
import type { CheckContext } from '../rule';

/** annotatedValues of the checked plan, computed once per check (the schema walk is not cheap). */
export function annotatedOf(ctx: Pick<CheckContext, 'memo' | 'parsed'>): AnnotatedValue[] {
  return ctx.memo('annotatedValues', () => annotatedValues(ctx.parsed.value));
}

/** Sources of YAML double-quoted escapes that stand for one character. */
const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  '0': '\0', a: '\x07', b: '\b', t: '\t', '\t': '\t', n: '\n', v: '\v', f: '\f', r: '\r', e: '\x1b', ' ': ' ',
  '"': '"', '/': '/', '\\': '\\', N: '\u0085', _: '\u00a0', L: '\u2028', P: '\u2029',
};
const HEX_ESCAPES: Readonly<Record<string, number>> = { x: 2, u: 4, U: 8 };

export interface DecodedScalar {
  value: string;
  /**
   * For each UTF-16 index i of `value` (and i = value.length), the offset inside the written
   * scalar where the source of character i starts (of the closing quote, or the end, for the last).
   */
  map: number[];
}

/**
 * The value of a written one-line scalar (plain, 'single' or "double" quoted) and where each of
 * its characters comes from. Undefined for block scalars and multi-line flow scalars (folding
 * makes the mapping not worth it: callers then use the whole scalar).
 */
export function decodeScalar(raw: string): DecodedScalar | undefined {
  if (raw === '' || /[\r\n]/.test(raw)) return raw === '' ? { value: '', map: [0] } : undefined;
  const q = raw[0];
  if (q === '|' || q === '>') return undefined;
  if (q !== '"' && q !== "'") {
    const map = new Array<number>(raw.length + 1);
    for (let i = 0; i <= raw.length; i++) map[i] = i;
    return { value: raw, map };
  }
  if (raw.length < 2 || raw[raw.length - 1] !== q) return undefined;
  let value = '';
  const map: number[] = [];
  const end = raw.length - 1;
  for (let i = 1; i < end; ) {
    if (q === "'" && raw[i] === "'") {
      if (raw[i + 1] !== "'") return undefined;
      map.push(i);
      value += "'";
      i += 2;
      continue;
    }
    if (q === '"' && raw[i] === '\\') {
      const c = raw[i + 1];
      let out: string | undefined = SIMPLE_ESCAPES[c];
      let len = 2;
      const hex = HEX_ESCAPES[c];
      if (out === undefined && hex !== undefined) {
        const digits = raw.slice(i + 2, i + 2 + hex);
        if (!/^[0-9a-fA-F]+$/.test(digits) || digits.length !== hex) return undefined;
        const code = parseInt(digits, 16);
        if (code > 0x10ffff) return undefined;
        out = String.fromCodePoint(code);
        len = 2 + hex;
      }
      if (out === undefined) return undefined;
      for (let k = 0; k < out.length; k++) map.push(i);
      value += out;
      i += len;
      continue;
    }
    map.push(i);
    value += raw[i];
    i++;
  }
  map.push(end);
  return { value, map };
}

/**
 * The text range of characters [start, end) of the string value at `path`. Falls back to the
 * whole scalar when the part is empty or the scalar cannot be mapped (block scalar, folded lines,
 * or the text there is not this value).
 */
export function rangeInValue(ctx: Pick<CheckContext, 'locate' | 'text'>, path: YamlPath, value: string, start: number, end: number): OffsetRange {
  const whole = ctx.locate(path, 'value');
  if (!(end > start)) return whole;
  const decoded = decodeScalar(ctx.text.slice(whole.start, whole.end));
  if (!decoded || decoded.value !== value || end > value.length) return whole;
  return { start: whole.start + decoded.map[start], end: whole.start + decoded.map[end] };
}

const PLAIN_UNSAFE_START = /^[\s\-?:,[\]{}#&*!|>'"%@`]/;
const READS_AS_OTHER = /^(?:[-+]?(?:\d[\d_]*)?\.?\d+(?:[eE][-+]?\d+)?|true|false|null|yes|no|on|off|~|\.inf|\.nan)$/i;

/** `value` written as a YAML scalar in the style of `written` (quotes kept; plain only when safe). */
export function asScalarLike(written: string, value: string): string {
  const q = written[0];
  if (q === "'") return `'${value.replace(/'/g, "''")}'`;
  const plainOk =
    q !== '"' && value !== '' && !PLAIN_UNSAFE_START.test(value) && !/\s$/.test(value) && !/: |\s#/.test(value) && !READS_AS_OTHER.test(value);
  return plainOk ? value : JSON.stringify(value);
}

/** A fix that replaces the whole scalar at `range` by `value`, keeping its quoting. */
export function replaceValueFix(text: string, range: OffsetRange, value: string, title: string, preferred: boolean): Fix {
  const written = text.slice(range.start, range.end);
  return { title, edits: [{ range, newText: asScalarLike(written, value) }], ...(preferred ? { preferred: true } : {}) };
}

/** Drops findings already reported at the same range with the same message (values shared through anchors). */
export function dedupe<T extends { range: OffsetRange; message: string }>(findings: T[]): T[] {
  const seen = new Set<string>();
  return findings.filter((f) => {
    const k = `${f.range.start}:${f.range.end}:${f.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
