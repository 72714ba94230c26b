// Accepting a finding (SPEC §7): an entry of `hosts`, `storage`, `policies` or `jobs` may carry
// `accept: {RULE: "reason"}`, and a comment `# backplan: accept RULE[, RULE] — reason` accepts the
// findings of those rules on the next line that is not a comment (as shellcheck and eslint
// directives do). An accepted finding becomes information whose message starts with
// "accepted: <reason>"; an accept that matches no finding, has no reason (blank or a `TODO`
// placeholder) or is not well formed is reported by `accept-invalid`. Findings that make the plan
// unreadable or unrunnable cannot be accepted (NOT_ACCEPTABLE).
//
// The pipeline (engine/check.ts) calls applyAccepts() once every rule has run: only then is it
// known whether an accept still matches something.
import { isMap, isScalar, type Document, type Node, type Pair } from 'yaml';
import { RULE_IDS, type Finding, type Fix, type OffsetRange, type RuleId } from '../../findings';
import { isMergeKey } from '../../plan/locate';

export const ACCEPT_SECTIONS = ['hosts', 'storage', 'policies', 'jobs'] as const;
type Section = (typeof ACCEPT_SECTIONS)[number];

/**
 * Rules a finding of which cannot be accepted: what makes the plan unreadable or unrunnable (it
 * does not parse, fit the schema, or name what exists; a schedule or duration that means
 * nothing; a cycle; a job that `run` refuses) is to be fixed, not accepted.
 */
export const NOT_ACCEPTABLE: readonly RuleId[] = [
  'yaml-syntax',
  'schema',
  'cron-invalid',
  'duration-invalid',
  'unknown-reference',
  'dependency-cycle',
  'job-not-runnable',
  'accept-invalid',
];
export const ACCEPTABLE_RULES: readonly RuleId[] = RULE_IDS.filter((r) => !NOT_ACCEPTABLE.includes(r));

/** The reason the quick fix writes: a placeholder, itself reported until it is replaced. */
export const TODO_REASON = 'TODO: why this finding is acceptable';

const SECTION_WORD: Record<Section, string> = { hosts: 'host', storage: 'storage', policies: 'policy', jobs: 'job' };

/** Whether `reason` is a real reason (not blank, not a TODO placeholder). */
export function isReason(reason: string): boolean {
  return reason.trim() !== '' && !/^\s*(TODO|FIXME|XXX)\b/i.test(reason);
}

function unknownRule(rules: string[]): string {
  const named = rules.map((r) => `'${r}'`).join(', ');
  if (rules.every((r) => (NOT_ACCEPTABLE as readonly string[]).includes(r))) return `${named} cannot be accepted: what it reports makes the plan unreadable or unrunnable, fix it instead`;
  return `no rule ${named} to accept: the rule ids are those backplan check reports, such as coverage-3-2-1`;
}

interface EntrySpan {
  section: Section;
  name: string;
  /** From the entry's key to the end of its value. */
  span: OffsetRange;
  key: Node;
  value: Node | null;
}

/** The entries of the four sections, with their text spans (merge keys skipped). */
export function entrySpans(doc: Document | undefined): EntrySpan[] {
  const out: EntrySpan[] = [];
  const root = doc?.contents;
  if (!isMap(root)) return out;
  for (const top of root.items) {
    if (!isScalar(top.key) || !(ACCEPT_SECTIONS as readonly string[]).includes(String(top.key.value))) continue;
    const section = String(top.key.value) as Section;
    if (!isMap(top.value)) continue;
    for (const pair of top.value.items as Pair<Node, Node | null>[]) {
      if (isMergeKey(pair.key) || !isScalar(pair.key) || !pair.key.range) continue;
      const end = pair.value?.range ? pair.value.range[1] : pair.key.range[1];
      out.push({ section, name: String(pair.key.value), span: { start: pair.key.range[0], end }, key: pair.key, value: pair.value ?? null });
    }
  }
  return out;
}

function findPair(map: Node | null, key: string): Pair<Node, Node | null> | undefined {
  if (!isMap(map)) return undefined;
  return (map.items as Pair<Node, Node | null>[]).find((p) => isScalar(p.key) && p.key.value === key);
}

interface Accept {
  rule: RuleId;
  reason: string;
  /** Where a stale or reasonless accept is reported. */
  at: OffsetRange;
  /** Findings whose start lies in one of these ranges are the ones it accepts. */
  covers: (f: Finding) => boolean;
  where: string;
  used: boolean;
}

interface Collected {
  accepts: Accept[];
  /** Problems found while reading them (reasonless, malformed). */
  problems: { range: OffsetRange; message: string }[];
}

const DIRECTIVE = /^(\s*)#\s*backplan:\s*accept\b(.*)$/;
const DIRECTIVE_FORM = /^\s*([a-z0-9-]+(?:\s*,\s*[a-z0-9-]+)*)\s*(?:—|--)\s*(.*)$/;

/** Every accept of the plan, both forms, and what is wrong with them. */
export function collectAccepts(text: string, doc: Document | undefined, raw: unknown): Collected {
  const accepts: Accept[] = [];
  const problems: Collected['problems'] = [];
  const sections = (raw ?? {}) as Record<string, unknown>;
  for (const e of entrySpans(doc)) {
    const entryRaw = (sections[e.section] as Record<string, unknown> | undefined)?.[e.name];
    const accept = entryRaw && typeof entryRaw === 'object' ? (entryRaw as Record<string, unknown>).accept : undefined;
    if (!accept || typeof accept !== 'object' || Array.isArray(accept)) continue;
    const acceptPair = findPair(e.value, 'accept');
    for (const [rule, reason] of Object.entries(accept as Record<string, unknown>)) {
      if (typeof reason !== 'string') continue; // the schema's to report
      const rulePair = findPair(acceptPair?.value ?? null, rule);
      const keyRange = rulePair?.key.range ?? acceptPair?.key.range ?? e.key.range!;
      const valueRange = rulePair?.value?.range ?? keyRange;
      const where = `${SECTION_WORD[e.section]} '${e.name}'`;
      if (!(ACCEPTABLE_RULES as readonly string[]).includes(rule)) {
        problems.push({ range: { start: keyRange[0], end: keyRange[1] }, message: unknownRule([rule]) });
        continue;
      }
      if (!isReason(reason)) {
        problems.push({
          range: { start: valueRange[0], end: valueRange[1] },
          message: `accepting ${rule} on ${where} needs a reason: write why this finding is acceptable${reason.trim() === '' ? '' : ` in place of "${reason.trim()}"`}`,
        });
        continue;
      }
      accepts.push({
        rule: rule as RuleId,
        reason: reason.trim(),
        at: { start: keyRange[0], end: keyRange[1] },
        covers: (f) => f.range.start >= e.span.start && f.range.start < Math.max(e.span.end, e.span.start + 1),
        where,
        used: false,
      });
    }
  }

  // The comment form: the findings on the next line that is not a comment.
  const lines = text.split('\n');
  const starts: number[] = [];
  let off = 0;
  for (const l of lines) {
    starts.push(off);
    off += l.length + 1;
  }
  lines.forEach((line, i) => {
    const m = DIRECTIVE.exec(line);
    if (!m) return;
    const at = { start: starts[i] + m[1].length, end: starts[i] + line.replace(/\r$/, '').length };
    const form = DIRECTIVE_FORM.exec(m[2].replace(/\r$/, ''));
    if (!form) {
      problems.push({ range: at, message: 'a backplan accept comment reads "# backplan: accept RULE — reason" (the rule id, an em dash or "--", then why the finding is acceptable)' });
      return;
    }
    const rules = form[1].split(',').map((r) => r.trim());
    const unknown = rules.filter((r) => !(ACCEPTABLE_RULES as readonly string[]).includes(r));
    if (unknown.length > 0) {
      problems.push({ range: at, message: unknownRule(unknown) });
      return;
    }
    if (!isReason(form[2])) {
      problems.push({ range: at, message: `accepting ${rules.join(', ')} needs a reason: write why after the dash` });
      return;
    }
    let target = i + 1;
    while (target < lines.length && /^\s*(#.*)?\r?$/.test(lines[target])) target++;
    if (target >= lines.length) {
      problems.push({ range: at, message: 'a backplan accept comment applies to the next line, and none follows' });
      return;
    }
    const from = starts[target];
    const to = target + 1 < starts.length ? starts[target + 1] : text.length + 1;
    for (const rule of rules) {
      accepts.push({ rule: rule as RuleId, reason: form[2].trim(), at, covers: (f) => f.range.start >= from && f.range.start < to, where: `line ${target + 1}`, used: false });
    }
  });
  return { accepts, problems };
}

/**
 * Applies the accepts to the pipeline's findings: an accepted finding becomes information with
 * its reason (and `accepted` set); an accept of a rule that ran and matched nothing is reported.
 * `ran`: the rules that ran on this plan (an accept of a rule that did not run proves nothing).
 * `stale`: how to report an accept that matched nothing (null: `accept-invalid` is off).
 */
export function applyAccepts(findings: Finding[], accepts: Accept[], ran: ReadonlySet<string>, stale: ((range: OffsetRange, message: string) => Finding) | null): Finding[] {
  const out: Finding[] = [];
  for (const f of findings) {
    const a = (NOT_ACCEPTABLE as readonly string[]).includes(f.rule) ? undefined : accepts.find((x) => x.rule === f.rule && x.covers(f));
    if (!a) {
      out.push(f);
      continue;
    }
    a.used = true;
    // every accept that covers it counts as used (the same rule accepted by a key and a comment)
    for (const other of accepts) if (other.rule === f.rule && other.covers(f)) other.used = true;
    const { fixes: _fixes, ...rest } = f;
    out.push({ ...rest, severity: 'info', message: `accepted: ${a.reason} — ${f.message}`, accepted: a.reason });
  }
  if (stale) {
    for (const a of accepts) {
      if (a.used || !ran.has(a.rule)) continue;
      out.push(stale(a.at, `nothing to accept: ${a.where} has no ${a.rule} finding any more: remove this accept (what it accepted was fixed)`));
    }
  }
  return out;
}

/**
 * The quick fix "Accept with a reason…" for a finding on an entry: writes `accept: {RULE: "TODO…"}`
 * into the entry (or a line into its `accept` mapping), the placeholder reported until replaced.
 */
export function acceptFix(text: string, entries: EntrySpan[], f: Finding): Fix | undefined {
  if ((NOT_ACCEPTABLE as readonly string[]).includes(f.rule)) return undefined;
  const e = entries.find((x) => f.range.start >= x.span.start && f.range.start < Math.max(x.span.end, x.span.start + 1));
  if (!e || !isMap(e.value) || !e.value.range) return undefined;
  const title = `Accept with a reason… (accept: ${f.rule})`;
  const item = `${f.rule}: "${TODO_REASON}"`;
  const accept = findPair(e.value, 'accept');
  if (accept) {
    if (!isMap(accept.value) || !accept.value.range) return undefined;
    if (findPair(accept.value, f.rule)) return undefined;
    const edit = insertInto(text, accept.value, item);
    return edit ? { title, edits: [edit] } : undefined;
  }
  const edit = insertInto(text, e.value, `accept: { ${item} }`);
  return edit ? { title, edits: [edit] } : undefined;
}

/** An edit adding `item` (one `key: value`) at the end of mapping `map` (block or flow). */
function insertInto(text: string, map: Node, item: string): { range: OffsetRange; newText: string } | undefined {
  if (!isMap(map) || !map.range) return undefined;
  if (map.flow) {
    const close = text.lastIndexOf('}', map.range[1] - 1);
    if (close < map.range[0]) return undefined;
    const before = text.slice(map.range[0] + 1, close).trim();
    const at = before === '' ? close : text.slice(0, close).trimEnd().length;
    return { range: { start: at, end: at }, newText: before === '' ? ` ${item} ` : `, ${item}` };
  }
  const pairs = map.items as Pair<Node, Node | null>[];
  const first = pairs[0]?.key;
  if (!first?.range) return undefined;
  const lineStart = text.lastIndexOf('\n', first.range[0] - 1) + 1;
  const indent = text.slice(lineStart, first.range[0]);
  if (!/^ *$/.test(indent)) return undefined; // `- key: …` or a key after something else: not a plain block
  const last = pairs[pairs.length - 1];
  let end = last.value?.range ? last.value.range[1] : last.key.range![1];
  while (end > 0 && /\s/.test(text[end - 1])) end--;
  const eol = text.indexOf('\n', end);
  const at = eol < 0 ? text.length : eol;
  return { range: { start: at, end: at }, newText: `\n${indent}${item}` };
}
