// The reference pages of docs/reference, computed from the same sources the editor and the CLI
// read: the schema through engine/plan/schema.ts (what hovers and completion show), the rule
// table (id, severity, summary) and engine/checks/docs.ts, whose examples are run through the
// check pipeline so that each page prints the messages `backplan check` really gives.
// scripts/gen-docs.mjs writes the files; test/unit/docs/reference.test.ts fails when they drift.
import { stringify } from 'yaml';
import { checkText } from '../../engine/check';
import { RULES } from '../../engine/checks';
import { EXAMPLE_NOW, RULE_DOCS, type RuleDoc } from '../../engine/checks/docs';
import type { Finding, RuleId } from '../../engine/findings';
import {
  BACKPLAN_SCHEMA,
  fieldAt,
  propertiesAt,
  schemasAt,
  type PropertyInfo,
  type SchemaNode,
} from '../../engine/plan/schema';
import type { MeasuredRestore } from '../../engine/recovery/measured';
import { LineIndex } from '../../engine/text/positions';

/** Folder of the pages, relative to the repository (and to the installed extension). */
export const REFERENCE_DIR = 'docs/reference';

/** The page of a rule, relative to REFERENCE_DIR. */
export const rulePage = (id: string): string => `rules/${id}.md`;

// ---------------------------------------------------------------------------------------------
// Running the examples

/** What the check pipeline reports on a rule's example, with its journal. */
export function runExample(doc: RuleDoc): Finding[] {
  const restores = doc.journal?.restores;
  const last = doc.journal?.lastSuccess;
  return checkText(doc.example, {
    now: Date.parse(EXAMPLE_NOW),
    // path-missing only looks at plans saved as a file; the examples use absolute paths
    baseDir: '/',
    ...(last ? { lastSuccess: new Map(Object.entries(last)) } : {}),
    ...(restores ? { restores: new Map<string, MeasuredRestore>(Object.entries(restores)) } : {}),
  }).findings;
}

// ---------------------------------------------------------------------------------------------
// Keys of the plan

const NAME = 'NAME';

interface KeyEntry {
  /** Dotted path as a reader writes it: `jobs.NAME.retention.keep.daily`, `notify[].url`. */
  label: string;
  info: PropertyInfo;
  /** JSON types, those of oneOf/anyOf branches included (`timeout`: string or object). */
  types: string[];
  /** Said after the label in the heading, when the same key is listed in several sections (its kind). */
  section?: string;
}

const headingOf = (e: KeyEntry): string => `\`${e.label}\`${e.section ? ` (${e.section})` : ''}`;

/** The JSON types a value at `path` may have, looking into oneOf/anyOf branches and enums. */
function typesAt(path: (string | number)[], plan: unknown): string[] {
  const out = new Set<string>();
  const visit = (n: unknown, depth: number): void => {
    if (typeof n !== 'object' || n === null || depth > 6) return;
    const node = n as SchemaNode;
    for (const t of [node.type].flat()) if (typeof t === 'string') out.add(t);
    if ('const' in node)
      out.add(node.const === null ? 'null' : typeof node.const === 'number' ? 'integer' : typeof node.const);
    if (Array.isArray(node.enum)) for (const v of node.enum) out.add(typeof v === 'number' ? 'integer' : typeof v);
    for (const key of ['oneOf', 'anyOf'])
      if (Array.isArray(node[key])) for (const b of node[key] as unknown[]) visit(b, depth + 1);
    if (typeof node.$ref === 'string' && depth > 0) visit(resolveLocalRef(node.$ref), depth + 1);
  };
  for (const n of schemasAt(path, plan)) visit(n, 0);
  return [...out];
}

function resolveLocalRef(ref: string): unknown {
  return ref
    .replace(/^#\//, '')
    .split('/')
    .reduce<unknown>(
      (n, seg) => (typeof n === 'object' && n !== null ? (n as Record<string, unknown>)[seg] : undefined),
      BACKPLAN_SCHEMA,
    );
}

const isNamedMap = (info: PropertyInfo, path: (string | number)[], plan: unknown): boolean =>
  info.types.includes('object') &&
  propertiesAt(path, plan).length === 0 &&
  propertiesAt([...path, NAME], plan).length > 0;

const labelOf = (path: readonly (string | number)[]): string =>
  path.reduce<string>((s, seg) => (typeof seg === 'number' ? `${s}[]` : s === '' ? seg : `${s}.${seg}`), '');

/**
 * Every key under `path`, depth first, as the schema declares it for `plan` (a stub that selects
 * the if/then branches: a job's kind, a target's type). Keys in `stop` are listed but not opened.
 */
function keysUnder(
  path: (string | number)[],
  plan: unknown,
  stop: ReadonlySet<string> = new Set(),
  depth = 0,
): KeyEntry[] {
  if (depth > 8) return [];
  const out: KeyEntry[] = [];
  for (const info of propertiesAt(path, plan)) {
    // inline secrets are in the schema only for secret-inline to report them
    if (info.deprecated || info.valueType === 'secret-inline') continue;
    const child = [...path, info.name];
    const types = typesAt(child, plan);
    // keys declared only to be refused ("never write a password here") are not part of the format
    if (types.length === 0 && /^Never write/.test(info.description ?? '')) continue;
    out.push({ label: labelOf(child), info, types });
    if (stop.has(labelOf(child))) continue;
    if (isNamedMap(info, child, plan)) out.push(...keysUnder([...child, NAME], plan, stop, depth + 1));
    else if (info.types.includes('object')) out.push(...keysUnder(child, plan, stop, depth + 1));
    if (info.types.includes('array')) out.push(...keysUnder([...child, 0], plan, stop, depth + 1));
  }
  return out;
}

const inline = (v: unknown): string => {
  const s = stringify(v, { flow: true, lineWidth: 0 }).trim();
  return `\`${s.replace(/`/g, "'")}\``;
};

function exampleOf(info: PropertyInfo): string | undefined {
  const ex = info.examples[0] ?? info.values?.[0]?.value ?? info.default;
  if (ex === undefined) return undefined;
  const text = stringify({ [info.name]: ex }, { lineWidth: 100 }).trimEnd();
  return '```yaml\n' + text + '\n```';
}

function typeOf(info: PropertyInfo, all: readonly string[]): string {
  const words: string[] = [];
  if (info.valueType) words.push(info.valueType);
  if (info.ref)
    words.push(
      `name of ${info.ref === 'storage' ? 'a storage' : `a ${info.ref.replace(/ies$/, 'y').replace(/s$/, '')}`}`,
    );
  const types = all.length > 0 ? all.join(' or ') : 'any';
  return words.length > 0 ? `${types} (${words.join(', ')})` : types;
}

function renderKey(e: KeyEntry): string {
  const { info } = e;
  const lines = [`### ${headingOf(e)}`, ''];
  if (info.description) lines.push(info.description, '');
  lines.push(`- Type: ${typeOf(info, e.types)}${info.required ? ' — required' : ''}`);
  lines.push(`- Default: ${info.default !== undefined ? inline(info.default) : '—'}`);
  if (info.values && info.values.length > 0 && !info.types.every((t) => t === 'boolean')) {
    lines.push('- Values:');
    for (const v of info.values)
      lines.push(`  - ${inline(v.value)}${v.description ? `: ${v.description.replace(/\n+/g, ' ')}` : ''}`);
  }
  const ex = exampleOf(info);
  if (ex) lines.push('', 'Example:', '', ex);
  return lines.join('\n');
}

const slug = (heading: string): string =>
  heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .trim()
    .replace(/\s/g, '-');

function toc(entries: readonly KeyEntry[]): string {
  return entries.map((e) => `- [${headingOf(e)}](#${slug(headingOf(e))})`).join('\n');
}

const HEADER = '<!-- Generated by scripts/gen-docs.mjs from the schema and the rule table. Do not edit. -->';

function keyPage(
  title: string,
  intro: string,
  sections: { heading?: string; text?: string; entries: KeyEntry[] }[],
): string {
  const parts = [HEADER, '', `# ${title}`, '', intro, '', '[Reference index](README.md)', ''];
  for (const s of sections) {
    if (s.heading) parts.push(`## ${s.heading}`, '');
    if (s.text) parts.push(s.text, '');
    if (s.entries.length === 0) continue;
    parts.push(toc(s.entries), '');
    for (const e of s.entries) parts.push(renderKey(e), '');
  }
  return (
    parts
      .join('\n')
      .replace(/\n{3,}/g, '\n\n')
      .trimEnd() + '\n'
  );
}

const kinds = (): string[] =>
  (fieldAt(['jobs', NAME, 'kind'], { jobs: { [NAME]: {} } }).values ?? []).map((v) => String(v.value));
const targetTypes = (): string[] =>
  (fieldAt(['notify', 0, 'type'], { notify: [{}] }).values ?? []).map((v) => String(v.value));

function jobsPage(): string {
  const planOf = (kind: string) => ({ jobs: { [NAME]: { kind } } });
  const stop = new Set(['jobs.NAME.notify', 'jobs.NAME.retention']);
  const byKind = new Map(kinds().map((k) => [k, keysUnder(['jobs', NAME], planOf(k), stop)]));
  const labels = [...byKind.values()].map((es) => new Set(es.map((e) => e.label)));
  const common = (byKind.values().next().value ?? []).filter((e) => labels.every((s) => s.has(e.label)));
  const commonLabels = new Set(common.map((e) => e.label));
  const kindDocs = fieldAt(['jobs', NAME, 'kind'], { jobs: { [NAME]: {} } }).values ?? [];
  const sections = [
    {
      heading: 'Fields of every job',
      text:
        'An inline `retention` takes the keys of a [retention policy](policies.md). ' +
        "A job's `notify` takes the same targets as the top-level [`notify`](notify.md), and replaces it for that job.",
      entries: common,
    },
    ...[...byKind].map(([kind, entries]) => ({
      heading: `Kind \`${kind}\``,
      text: kindDocs.find((v) => v.value === kind)?.description ?? '',
      entries: entries.filter((e) => !commonLabels.has(e.label)).map((e) => ({ ...e, section: kind })),
    })),
  ];
  return keyPage('Jobs', fieldAt(['jobs']).description ?? '', sections);
}

function notifyPage(): string {
  const planOf = (type: string) => ({ notify: [{ type }] });
  const byType = new Map(targetTypes().map((t) => [t, keysUnder(['notify', 0], planOf(t))]));
  const labels = [...byType.values()].map((es) => new Set(es.map((e) => e.label)));
  const common = (byType.values().next().value ?? []).filter((e) => labels.every((s) => s.has(e.label)));
  const commonLabels = new Set(common.map((e) => e.label));
  return keyPage('Notifications', fieldAt(['notify']).description ?? '', [
    { heading: 'Fields of every target', entries: common },
    ...[...byType].map(([type, entries]) => ({
      heading: `Type \`${type}\``,
      entries: entries.filter((e) => !commonLabels.has(e.label)).map((e) => ({ ...e, section: type })),
    })),
  ]);
}

/** A top-level section whose entries are named (`hosts.NAME`) or a plain mapping (`monitoring`). */
function sectionPage(key: string, title: string): string {
  const top = propertiesAt([]).find((p) => p.name === key);
  const named = top !== undefined && isNamedMap(top, [key], undefined);
  const path = named ? [key, NAME] : [key];
  const head = named ? fieldAt([key, NAME]).description : undefined;
  return keyPage(title, [fieldAt([key]).description, head].filter(Boolean).join('\n\n'), [
    { entries: keysUnder(path, undefined) },
  ]);
}

const SECTION_PAGES: Record<string, { file: string; title: string }> = {
  hosts: { file: 'hosts.md', title: 'Hosts' },
  storage: { file: 'storage.md', title: 'Storage' },
  policies: { file: 'policies.md', title: 'Retention policies' },
  jobs: { file: 'jobs.md', title: 'Jobs' },
  checks: { file: 'checks.md', title: 'Checks' },
  notify: { file: 'notify.md', title: 'Notifications' },
  monitoring: { file: 'monitoring.md', title: 'Monitoring' },
};

function planPage(): string {
  const top = propertiesAt([]);
  const lines = [HEADER, '', '# The plan', '', fieldAt([]).description ?? '', '', '[Reference index](README.md)', ''];
  lines.push('| key | type | required | page |', '|---|---|---|---|');
  for (const p of top) {
    const page = SECTION_PAGES[p.name];
    const where = page ? `[${page.title}](${page.file})` : `[below](#${slug(p.name)})`;
    lines.push(
      `| \`${p.name}\` | ${typeOf(p, typesAt([p.name], undefined))} | ${p.required ? 'yes' : 'no'} | ${where} |`,
    );
  }
  lines.push('');
  for (const p of top)
    if (!SECTION_PAGES[p.name])
      lines.push(renderKey({ label: p.name, info: p, types: typesAt([p.name], undefined) }), '');
  return lines.join('\n').trimEnd() + '\n';
}

// ---------------------------------------------------------------------------------------------
// Rules

const SEVERITY_WORD = { error: 'error', warning: 'warning', info: 'information', hint: 'hint' } as const;

function quoteFinding(text: string, f: Finding): string {
  const pos = new LineIndex(text).position(f.range.start);
  const msg = f.message.replace(/\n+/g, ' ');
  return `> ${pos.line + 1}:${pos.character + 1} ${SEVERITY_WORD[f.severity]}: ${msg} \`[${f.rule}]\``;
}

function rulePageText(id: RuleId): string {
  const rule = RULES.find((r) => r.id === id);
  const doc = RULE_DOCS[id];
  if (!rule) throw new Error(`no rule ${id}`);
  const fired = runExample(doc).filter((f) => f.rule === id);
  const fixes = [...new Set(fired.flatMap((f) => f.fixes ?? []).map((x) => x.title))];
  const lines = [
    HEADER,
    '',
    `# \`${id}\``,
    '',
    rule.summary,
    '',
    `Default severity: **${SEVERITY_WORD[rule.defaultSeverity]}**. [All rules](../rules.md)`,
    '',
  ];
  lines.push('## What it checks', '', doc.checks, '');
  lines.push('## Example', '', '```yaml', doc.example.trimEnd(), '```', '');
  if (doc.journal) {
    lines.push(
      'With this journal (what `backplan check --state-dir D` reads):',
      '',
      '```json',
      JSON.stringify(doc.journal, null, 2),
      '```',
      '',
    );
  }
  lines.push(`\`backplan check\` says (checked at ${EXAMPLE_NOW}):`, '');
  for (const f of fired) lines.push(quoteFinding(doc.example, f), '');
  if (fixes.length > 0) lines.push('Quick fixes in the editor:', '', ...fixes.map((t) => `- ${t}`), '');
  lines.push('## How to fix', '', doc.fix, '');
  lines.push('## Level', '');
  lines.push(
    `Change the severity for a whole plan with \`checks: { ${id}: error | warning | info | off }\`, ` +
      `or accept one finding with a reason: \`accept: { ${id}: "why" }\` on the entry (see [Checks](../checks.md)).`,
  );
  return lines.join('\n').trimEnd() + '\n';
}

function rulesIndex(): string {
  const lines = [
    HEADER,
    '',
    '# Rules',
    '',
    'Every diagnostic of `backplan check` and of the editor carries one of these ids.',
    '',
    '[Reference index](README.md)',
    '',
  ];
  lines.push('| rule | default | fires when |', '|---|---|---|');
  for (const r of RULES)
    lines.push(
      `| [\`${r.id}\`](${rulePage(r.id)}) | ${SEVERITY_WORD[r.defaultSeverity]} | ${r.summary.replace(/\|/g, '\\|')} |`,
    );
  return lines.join('\n') + '\n';
}

function readme(): string {
  const lines = [
    HEADER,
    '',
    '# Backplan reference',
    '',
    'The plan format, key by key, and every rule of `backplan check`.',
    '',
  ];
  lines.push('- [The plan](plan.md): the top-level keys');
  for (const p of Object.values(SECTION_PAGES)) lines.push(`- [${p.title}](${p.file})`);
  lines.push('- [Rules](rules.md): one page per rule id, with an example that fires it and its fix');
  return lines.join('\n') + '\n';
}

/** Every page, by path relative to REFERENCE_DIR. */
export function referenceFiles(): Record<string, string> {
  const files: Record<string, string> = { 'README.md': readme(), 'plan.md': planPage(), 'rules.md': rulesIndex() };
  for (const [key, page] of Object.entries(SECTION_PAGES)) {
    files[page.file] = key === 'jobs' ? jobsPage() : key === 'notify' ? notifyPage() : sectionPage(key, page.title);
  }
  for (const r of RULES) files[rulePage(r.id)] = rulePageText(r.id);
  return files;
}
