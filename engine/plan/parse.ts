// Text → YAML document → plain JS value, keeping the document for offsets. Every failure
// mode of bad input (syntax errors, alias bombs, several documents, binary or huge files,
// deep nesting) becomes a `yaml-syntax` finding at its own position; nothing throws.
import { Document, parseDocument } from 'yaml';
import type { Finding } from '../findings';
import { syntaxFindings } from './syntax-cascade';

/** Plans bigger than this are refused with one clear message (a plan is hand-written text). */
export const MAX_PLAN_BYTES = 4 * 1024 * 1024;
/** Alias expansions allowed while converting to JS: a billion-laughs plan stops here. */
export const MAX_ALIAS_COUNT = 1000;

/** Deeper structures are refused before parsing: the YAML composer recurses per level. */
export const MAX_DEPTH = 128;

export interface ParsedPlan {
  text: string;
  /** Undefined when the text could not be read as YAML at all (binary, too big). */
  doc?: Document.Parsed;
  /** The plain value (merge keys resolved); undefined when conversion failed. */
  value: unknown;
  findings: Finding[];
}

const FRIENDLY: Partial<Record<string, string>> = {
  MULTIPLE_DOCS: 'a plan is one YAML document: remove this `---` and what follows, or move it to its own file',
  DUPLICATE_KEY: 'this key appears twice in the same mapping: keep one',
  TAB_AS_INDENT: 'tabs cannot indent YAML: use spaces',
};

function syntax(message: string, start: number, end: number): Finding {
  return { rule: 'yaml-syntax', severity: 'error', message, range: { start, end: Math.max(end, start) } };
}

export function parsePlan(text: string): ParsedPlan {
  if (text.length > MAX_PLAN_BYTES) {
    return {
      text,
      value: undefined,
      findings: [syntax(`the plan is ${(text.length / 1048576).toFixed(1)} MB; Backplan reads plans up to ${MAX_PLAN_BYTES / 1048576} MB — split it`, 0, 0)],
    };
  }
  const nul = text.indexOf('\u0000');
  if (nul >= 0) {
    return { text, value: undefined, findings: [syntax('this is a binary file, not a YAML plan (it contains NUL bytes)', nul, nul + 1)] };
  }
  const tooDeep = nestingBeyond(text, MAX_DEPTH);
  if (tooDeep >= 0) {
    return {
      text,
      value: undefined,
      findings: [syntax(`nesting deeper than ${MAX_DEPTH} levels starts here: a plan never needs this; flatten the structure`, tooDeep, tooDeep + 1)],
    };
  }
  let doc: Document.Parsed;
  // Each YAML error is an Error whose stack is captured and never read: after one unclosed `{` the
  // library makes thousands of them, and capturing their stacks was more than half of that parse.
  const stackLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    // logLevel 'error': the library's warnings (a collection used as a key) go to process.emitWarning, which in the
    // language server lands in the client's log as an error on every keystroke
    doc = parseDocument(text, { merge: true, prettyErrors: false, uniqueKeys: true, keepSourceTokens: false, logLevel: 'error' });
  } catch (e) {
    // The parser is iterative, but deep structures can still exhaust the stack in places.
    return { text, value: undefined, findings: [syntax(`the YAML could not be read: ${describeCrash(e)}`, 0, 0)] };
  } finally {
    Error.stackTraceLimit = stackLimit;
  }
  // one finding per cause, not per symptom, and a bounded number of them (plan/syntax-cascade.ts)
  const errors = doc.errors.map((err) => ({
    code: err.code,
    start: err.pos[0],
    end: err.pos[1],
    message: err.message.split('\n')[0].replace(/ at line \d+, column \d+.*$/, ''),
  }));
  const describe = (e: { code: string; message: string }) =>
    FRIENDLY[e.code] ? `${FRIENDLY[e.code]} (${e.message})` : e.message;
  const findings: Finding[] = errors.length > 0 ? syntaxFindings(text, errors, describe) : [];
  for (const w of doc.warnings) {
    const [start, end] = w.pos;
    findings.push({ ...syntax(w.message.split('\n')[0], start, end), severity: 'warning' });
  }
  let value: unknown;
  if (doc.errors.length === 0) {
    try {
      value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (e) {
      const at = firstAliasOffset(text);
      findings.push(
        syntax(
          e instanceof ReferenceError || /alias/i.test(String((e as Error)?.message))
            ? `too many alias expansions (over ${MAX_ALIAS_COUNT}): this looks like an alias bomb; expand the aliases by hand`
            : `the YAML could not be read: ${describeCrash(e)}`,
          at,
          at + 1,
        ),
      );
    }
  }
  return { text, doc, value, findings };
}

function describeCrash(e: unknown): string {
  if (e instanceof RangeError) return 'it is nested too deeply';
  return String((e as Error)?.message ?? e).split('\n')[0];
}

function firstAliasOffset(text: string): number {
  const m = /(^|[\s,[{:-])\*[^\s,\]}]+/m.exec(text);
  return m ? m.index + m[1].length : 0;
}

/**
 * Offset where block indentation levels plus open flow brackets first exceed `max`, or -1.
 * A cheap line scan (quotes and comments skipped) that runs before the recursive parser.
 */
export function nestingBeyond(text: string, max: number): number {
  const indents: number[] = [];
  let flow = 0;
  let offset = 0;
  for (const line of text.split('\n')) {
    const content = line.replace(/^[ -]*/, '');
    if (flow === 0 && content !== '' && !content.startsWith('#')) {
      const indent = line.length - content.length;
      while (indents.length > 0 && indents[indents.length - 1] >= indent) indents.pop();
      indents.push(indent);
      if (indents.length > max) return offset + indent;
    }
    let quote = '';
    for (let i = 0; i < line.length; i++) {
      const c = line[i];
      if (quote) {
        if (c === quote) quote = '';
      } else if (c === '"' || c === "'") quote = c;
      else if (c === '#' && (i === 0 || line[i - 1] === ' ')) break;
      else if (c === '[' || c === '{') {
        flow++;
        if (indents.length + flow > max) return offset + i;
      } else if ((c === ']' || c === '}') && flow > 0) flow--;
    }
    offset += line.length + 1;
  }
  return -1;
}
