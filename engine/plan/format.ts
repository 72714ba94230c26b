// The formatter of plans: the text parsed as the engine parses it (parsePlan: YAML 1.2, merge
// keys, unique keys) and written back by the `yaml` library's Document API, which keeps comments,
// key order, anchors, aliases, tags and each scalar's quoting (a quoted cron stays a string).
// What it normalises: indentation (2 or 4 spaces, sequences indented under their key), flow
// collections as `{ a: 1, b: 2 }` on one line (no line width: long ones are not broken),
// spacing before comments. A text that does not parse is not formatted.
//
// The result is checked before it is offered: it must parse to the same value and hold the same
// comments; otherwise nothing is formatted (a plan describes backups: a formatter must never
// change what it says). Edits are given per top-level entry, so an editor keeps its place, and a
// range is formatted by formatting the top-level entries it touches.
import { isDeepStrictEqual } from 'node:util';
import { isMap, isScalar, isCollection, Lexer, type Document, type Node, type ToStringOptions } from 'yaml';
import type { OffsetRange } from '../findings';
import { parsePlan, type ParsedPlan } from './parse';

export interface FormatOptions {
  /** Spaces per indentation level: 2 (default) or 4. */
  indent?: 2 | 4;
}

export interface OffsetEdit {
  range: OffsetRange;
  newText: string;
}

export type FormatResult =
  | {
      ok: true;
      /** The whole formatted text. */
      text: string;
      /** Edits of the original text (one per changed top-level entry); none when already formatted. */
      edits: OffsetEdit[];
    }
  | { ok: false; reason: string };

/** The `yaml` stringify options of the formatter. */
export function stringifyOptions(options: FormatOptions = {}): ToStringOptions {
  return {
    indent: options.indent === 4 ? 4 : 2,
    indentSeq: true,
    flowCollectionPadding: true,
    // 0: no folding of plain or quoted scalars, and flow collections stay on one line
    lineWidth: 0,
  };
}

/** Passes of the formatter before its output must be a fixed point. */
const MAX_PASSES = 4;

const readable = (p: ParsedPlan): boolean =>
  p.doc !== undefined && p.value !== undefined && !p.findings.some((f) => f.rule === 'yaml-syntax' && f.severity === 'error');

/** The comments of a YAML text as the lexer reads them (block scalar content is not one). */
export function commentsOf(text: string): string[] {
  const out: string[] = [];
  for (const token of new Lexer().lex(text)) if (token.startsWith('#')) out.push(token.trimEnd());
  return out;
}

const sameComments = (a: string, b: string): boolean => isDeepStrictEqual(commentsOf(a).sort(), commentsOf(b).sort());

/** The whole text formatted, or why not. */
export function formatText(text: string, options: FormatOptions = {}): { ok: true; text: string } | { ok: false; reason: string } {
  const parsed = parsePlan(text);
  if (!readable(parsed)) return { ok: false, reason: 'the plan does not parse as YAML: fix the syntax errors first' };
  const doc = parsed.doc!;
  // an empty document (or only comments) would be written as `null`
  if (doc.contents === null) return { ok: true, text };
  // a few constructs settle only on a second pass (an anchor and a comment before a block
  // collection): write until the text no longer changes, so that formatting is idempotent
  let out = text;
  let current: Document.Parsed = doc;
  for (let pass = 0; ; pass++) {
    let next: string;
    try {
      next = current.toString(stringifyOptions(options));
    } catch (e) {
      return { ok: false, reason: `the YAML library could not write this plan: ${String((e as Error)?.message ?? e).split('\n')[0]}` };
    }
    if (next === out) break;
    out = next;
    if (pass === MAX_PASSES - 1) return { ok: false, reason: 'the formatted text does not settle: not formatted' };
    const p = parsePlan(out);
    if (!readable(p)) return { ok: false, reason: 'formatting would change the plan’s value: not formatted' };
    current = p.doc!;
  }
  if (out === text) return { ok: true, text };
  const bom = text.startsWith('\uFEFF') ? '\uFEFF' : '';
  if (/\r\n/.test(text) && !/(^|[^\r])\n/.test(text)) out = out.replace(/\n/g, '\r\n');
  out = bom + out;
  const again = parsePlan(out);
  if (!readable(again) || !isDeepStrictEqual(again.value, parsed.value)) return { ok: false, reason: 'formatting would change the plan’s value: not formatted' };
  if (!sameComments(text, out)) return { ok: false, reason: 'formatting would lose or change a comment: not formatted' };
  return { ok: true, text: out };
}

/**
 * Where each top-level entry starts: the start of its key's line (the first one at 0, covering
 * the header comments and directives), for a block mapping at the root whose keys each start a
 * line. Undefined for anything else (a flow mapping, a sequence, a scalar).
 */
function entryStarts(text: string, doc: Document | undefined): number[] | undefined {
  const root = doc?.contents;
  if (!isMap(root) || root.flow || root.items.length === 0) return undefined;
  const starts = [0];
  for (const [i, item] of root.items.entries()) {
    const key = item.key as Node | null;
    if (!key || !(isScalar(key) || isCollection(key)) || !key.range) return undefined;
    const lineStart = Math.max(text.lastIndexOf('\n', key.range[0] - 1), text.lastIndexOf('\r', key.range[0] - 1)) + 1;
    if (i === 0) continue;
    if (lineStart <= starts[starts.length - 1]) return undefined;
    starts.push(lineStart);
  }
  return starts;
}

const spans = (starts: number[], length: number): OffsetRange[] => starts.map((s, i) => ({ start: s, end: i + 1 < starts.length ? starts[i + 1] : length }));

/** The edits from `text` to `formatted`, one per changed top-level entry (or one for the whole text). */
function entryEdits(text: string, formatted: string): { edits: OffsetEdit[]; spans?: OffsetRange[] } {
  if (text === formatted) return { edits: [] };
  const a = entryStarts(text, parsePlan(text).doc);
  const b = entryStarts(formatted, parsePlan(formatted).doc);
  if (!a || !b || a.length !== b.length) return { edits: [{ range: { start: 0, end: text.length }, newText: formatted }] };
  const from = spans(a, text.length);
  const to = spans(b, formatted.length);
  const edits: OffsetEdit[] = [];
  from.forEach((r, i) => {
    const newText = formatted.slice(to[i].start, to[i].end);
    if (newText !== text.slice(r.start, r.end)) edits.push({ range: r, newText });
  });
  return { edits, spans: from };
}

/** Document formatting: the formatted text and the edits that lead to it. */
export function formatPlan(text: string, options: FormatOptions = {}): FormatResult {
  const f = formatText(text, options);
  if (!f.ok) return f;
  return { ok: true, text: f.text, edits: entryEdits(text, f.text).edits };
}

/** `text` with `edits` (non-overlapping) applied. */
export function applyOffsetEdits(text: string, edits: OffsetEdit[]): string {
  let out = '';
  let at = 0;
  for (const e of [...edits].sort((x, y) => x.range.start - y.range.start)) {
    out += text.slice(at, e.range.start) + e.newText;
    at = e.range.end;
  }
  return out + text.slice(at);
}

/**
 * Range formatting: the top-level entries that `range` touches are formatted, the others left
 * as they are. `text` is the result of those edits alone. Should that partial result not read
 * as the same plan (a root mapping indented in the source, say), the whole document is formatted.
 */
export function formatPlanRange(text: string, range: OffsetRange, options: FormatOptions = {}): FormatResult {
  const f = formatText(text, options);
  if (!f.ok) return f;
  const { edits, spans: entries } = entryEdits(text, f.text);
  if (!entries) return { ok: true, text: f.text, edits };
  const start = Math.max(0, Math.min(range.start, range.end));
  const end = Math.max(range.start, range.end);
  // a selection of whole lines ends at the start of the next entry: that entry is not touched
  const touched = (r: OffsetRange) => r.start < Math.max(end, start + 1) && (start < r.end || (start === text.length && r.end === text.length));
  const chosen = edits.filter((e) => touched(e.range));
  const partial = applyOffsetEdits(text, chosen);
  const original = parsePlan(text).value;
  const check = parsePlan(partial);
  if (readable(check) && isDeepStrictEqual(check.value, original)) return { ok: true, text: partial, edits: chosen };
  return { ok: true, text: f.text, edits };
}
