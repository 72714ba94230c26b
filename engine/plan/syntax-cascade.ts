// One diagnostic per YAML error, not per symptom (SPEC §6 yaml-syntax). After one unclosed `{`
// the yaml library reports every token that follows (8,638 errors for one keystroke in a
// 200-job plan); after one bad indentation it reports every later key of the mapping. Here the
// library's errors are grouped by their cause: an unclosed bracket or quote (found with the
// library's own lexer, so flow context is judged as YAML judges it), pasted binary bytes, or the
// first structural error of a top-level section. Each group becomes one finding at the cause,
// the errors it absorbed listed in `related`, and the total is bounded so no text floods the editor.
import { CST, Lexer } from 'yaml';
import type { Finding, RelatedInfo } from '../findings';

/** Most syntax findings reported for one text; the last one says how many more there were. */
export const MAX_SYNTAX_FINDINGS = 100;
/** Absorbed errors listed in a finding's `related` (the count in its message says the rest). */
const MAX_RELATED = 5;

export interface YamlError {
  code: string;
  start: number;
  end: number;
  message: string;
}

/** Codes of errors that follow from an earlier structural error (the parser lost its place). */
const CASCADING = new Set([
  'BAD_INDENT',
  'BAD_SCALAR_START',
  'BLOCK_AS_IMPLICIT_KEY',
  'BLOCK_IN_FLOW',
  'IMPOSSIBLE',
  'MISSING_CHAR',
  'MULTILINE_IMPLICIT_KEY',
  'UNEXPECTED_TOKEN',
]);

interface Cause {
  start: number;
  end: number;
  /** Errors from here to `until` (exclusive) follow from this cause, whatever their code. */
  until: number;
  message: string;
  /** Where YAML stopped reading the construct, when the lexer says so. */
  gaveUp?: number;
}

/** Control characters YAML does not allow (C0 but tab, LF, CR; DEL; C1): signs of pasted bytes. */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0001-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/g;

/** Turns the library's errors into findings, one per cause, at most MAX_SYNTAX_FINDINGS. */
export function syntaxFindings(
  text: string,
  errors: readonly YamlError[],
  describe: (e: YamlError) => string,
): Finding[] {
  const sorted = [...errors].sort((a, b) => a.start - b.start || a.end - b.end);
  const causes = [...binaryCause(text), ...lexicalCauses(text)].sort((a, b) => a.start - b.start);
  const sections = sectionStarts(text);
  const out: Finding[] = [];
  // the open group: a cause (until > its start) or a first structural error (until = -1)
  let group: { finding: Finding; absorbed: YamlError[]; until: number; section: number } | undefined;
  const close = () => {
    if (group) out.push(finish(group.finding, group.absorbed));
    group = undefined;
  };
  const openCause = (c: Cause) => {
    if (group && c.start < group.until) {
      // a cause inside another's cascade (a `{` in pasted bytes) is part of it and may extend it
      group.until = Math.max(group.until, c.until);
      return;
    }
    close();
    const related: RelatedInfo[] = [];
    if (c.gaveUp !== undefined)
      related.push({ message: 'YAML gave up here', range: { start: c.gaveUp, end: c.gaveUp } });
    group = {
      finding: syntax(c.message, c.start, c.end, related),
      absorbed: [],
      until: c.until,
      section: sectionOf(sections, c.start),
    };
  };
  let ci = 0;
  for (const e of sorted) {
    while (ci < causes.length && causes[ci].start <= e.start) openCause(causes[ci++]);
    const section = sectionOf(sections, e.start);
    const cascading = CASCADING.has(e.code);
    // "… in YAML stream": the document ended early, so every token after it is one; they all
    // follow from what ended it, whichever section they stand in
    const stream = e.code === 'UNEXPECTED_TOKEN' && / in YAML stream/.test(e.message);
    if (group && (e.start < group.until || (cascading && (section === group.section || stream)))) {
      group.absorbed.push(e);
    } else if (cascading) {
      close();
      group = { finding: firstStructural(text, e, describe), absorbed: [], until: -1, section };
    } else {
      // an error of its own kind (a duplicate key, a tab) is reported as it is
      out.push(syntax(describe(e), e.start, e.end, []));
    }
  }
  // causes after the last error (the text is broken there too: report them all the same)
  while (ci < causes.length) openCause(causes[ci++]);
  close();
  out.sort((a, b) => a.range.start - b.range.start);
  if (out.length <= MAX_SYNTAX_FINDINGS) return out;
  const shown = out.slice(0, MAX_SYNTAX_FINDINGS - 1);
  const rest = out.length - shown.length;
  const at = out[MAX_SYNTAX_FINDINGS - 1].range;
  shown.push(
    syntax(`${rest} more YAML errors from here on are not listed: fix the ones above first`, at.start, at.end, []),
  );
  return shown;
}

/**
 * The finding for the first structural error of a section. The library measures a mapping's
 * column by its first key, so one over-indented first key makes every later key an error: the
 * cause is that first key (the topmost line above the error indented deeper than the error).
 */
function firstStructural(text: string, e: YamlError, describe: (e: YamlError) => string): Finding {
  if (e.code === 'BAD_INDENT' && /same column/.test(e.message)) {
    const lineStart = text.lastIndexOf('\n', e.start - 1) + 1;
    const errorLine = text.slice(lineStart, text.indexOf('\n', lineStart) >>> 0);
    const column = errorLine.length - errorLine.trimStart().length;
    let first: { start: number; indent: number; end: number } | undefined;
    for (let end = lineStart - 1; end > 0;) {
      const start = text.lastIndexOf('\n', end - 1) + 1;
      const line = text.slice(start, end);
      const indent = line.length - line.trimStart().length;
      end = start - 1;
      if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
      if (indent <= column) break;
      first = { start: start + indent, indent, end: start + line.length };
    }
    if (first) {
      return syntax(
        `this key is indented by ${first.indent} spaces and the keys after it in the same mapping by ${column}: ` +
          "YAML takes the first key's column for the whole mapping; line them up",
        first.start,
        first.end,
        [{ message: `the next key, at ${column} spaces: ${e.message}`, range: { start: e.start, end: e.end } }],
      );
    }
  }
  return syntax(describe(e), e.start, e.end, []);
}

function syntax(message: string, start: number, end: number, related: RelatedInfo[]): Finding {
  const f: Finding = { rule: 'yaml-syntax', severity: 'error', message, range: { start, end: Math.max(end, start) } };
  if (related.length > 0) f.related = related;
  return f;
}

function finish(f: Finding, absorbed: YamlError[]): Finding {
  if (absorbed.length === 0) return f;
  const related = [...(f.related ?? [])];
  for (const e of absorbed.slice(0, MAX_RELATED))
    related.push({ message: `then: ${e.message}`, range: { start: e.start, end: e.end } });
  const n = absorbed.length;
  return {
    ...f,
    message:
      n === 1
        ? `${f.message} (YAML reports 1 more error after it that follows from it)`
        : `${f.message} (YAML reports ${n} more errors after it that follow from it)`,
    related,
  };
}

/** Pasted binary: the first control character, absorbing every error up to the end of the last one's line. */
function binaryCause(text: string): Cause[] {
  CONTROL.lastIndex = 0;
  const first = CONTROL.exec(text);
  if (!first) return [];
  let last = first.index;
  let count = 1;
  for (let m = CONTROL.exec(text); m; m = CONTROL.exec(text)) {
    last = m.index;
    count++;
  }
  const lineEnd = text.indexOf('\n', last);
  const code = text.charCodeAt(first.index).toString(16).toUpperCase().padStart(4, '0');
  return [
    {
      start: first.index,
      end: first.index + 1,
      until: lineEnd < 0 ? text.length : lineEnd + 1,
      message:
        `control character U+${code} here${count > 1 ? ` (${count} in the plan)` : ''}: ` +
        'this looks like binary data pasted into the plan; YAML allows no control characters',
    },
  ];
}

const MARK_DOC = '\u0002';
const MARK_SCALAR = '\u001f';
const MARK_FLOW_ERROR = '\u0018';
const OPENS: Partial<Record<string, string>> = { 'flow-map-start': '}', 'flow-seq-start': ']' };

/**
 * Brackets never closed and quotes never closed, from the yaml library's lexer. A bracket closed
 * only because the lexer gave up (`flow-error-end`: a line indented too little) or by the end of
 * the text is unclosed: its cascade is the error where the lexer gave up, or the rest of the text.
 * A quote left open runs to where the lexer ended the scalar.
 */
function lexicalCauses(text: string): Cause[] {
  const causes: Cause[] = [];
  const open: { at: number; char: string; close: string }[] = [];
  let offset = 0;
  for (const token of new Lexer().lex(text)) {
    const type = CST.tokenType(token);
    if (type === 'flow-map-start' || type === 'flow-seq-start')
      open.push({ at: offset, char: token, close: OPENS[type]! });
    else if (type === 'flow-map-end' || type === 'flow-seq-end') open.pop();
    else if (type === 'flow-error-end' && open.length > 0) {
      // the lexer read on from here: the cascade is the error where it gave up (and its section, see
      // above); a bracket opened after it is a cause of its own
      causes.push(unclosed(open[0], offset, offset + 1));
      open.length = 0;
    } else if ((type === 'double-quoted-scalar' || type === 'single-quoted-scalar') && !quoteClosed(token)) {
      causes.push({
        start: offset,
        end: offset + 1,
        until: offset + token.length,
        message: `this ${token[0] === '"' ? 'double' : 'single'} quote is never closed: add the closing ${token[0]}`,
        gaveUp: offset + token.length,
      });
    }
    // the lexer's markers for a document, a scalar and a flow error stand for no text
    if (token !== MARK_DOC && token !== MARK_SCALAR && token !== MARK_FLOW_ERROR) offset += token.length;
  }
  if (open.length > 0) causes.push(unclosed(open[0], text.length, text.length));
  return causes;
}

function unclosed(o: { at: number; char: string; close: string }, gaveUp: number, end: number): Cause {
  return {
    start: o.at,
    end: o.at + 1,
    until: end + 1,
    message: `this \`${o.char}\` is never closed: add the \`${o.close}\` where it ends, or remove it`,
    gaveUp,
  };
}

function quoteClosed(token: string): boolean {
  const q = token[0];
  const body = token.slice(1);
  if (q === "'") {
    // '' is an escaped quote: the scalar is closed when its trailing run of quotes is odd
    const run = body.length - body.replace(/'+$/, '').length;
    return run % 2 === 1;
  }
  if (!body.endsWith('"')) return false;
  const slashes = body.length - 1 - body.slice(0, -1).replace(/\\+$/, '').length;
  return slashes % 2 === 0;
}

/** Offsets where a top-level key's line starts (a line beginning with neither space, comment nor bracket). */
function sectionStarts(text: string): number[] {
  const starts = [0];
  const re = /\n(?=[^\s#\-[\]{},])/g;
  for (let m = re.exec(text); m; m = re.exec(text)) starts.push(m.index + 1);
  return starts;
}

function sectionOf(starts: number[], at: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= at) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
