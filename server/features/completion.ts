// Completion: the keys the schema allows at the cursor's path (aware of the job's kind), the
// values of enums and booleans, the names of hosts/storage/policies/jobs where a reference goes
// (`x-backplan-ref`), time zones, schedules and durations from the schema's examples, and kind
// snippets: choosing a `kind` also writes the fields that kind requires.
import {
  CompletionItemKind,
  InsertTextFormat,
  MarkupKind,
  type CompletionItem,
  type CompletionList,
  type Position,
  type Range,
} from 'vscode-languageserver/node';
import { fieldAt, propertiesAt, type PropertyInfo, type RefSection } from '../../engine/plan/schema';
import { describeSchedule } from '../../engine/time/words';
import { KIND_NAMES } from '../../engine/kinds';
import type { Analysis } from '../documents';
import { lineContext, type LineContext, type Path } from '../yaml-path';
import { jobOfPath, type FeatureEnv } from './env';
import { summary } from './summaries';
import { durationWords } from './hover';
import { parseDuration } from '../../engine/time/duration';

export interface CompletionOptions {
  /** The client accepts snippets (completionItem.snippetSupport). */
  snippets: boolean;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function valueAt(root: unknown, path: Path): unknown {
  let v = root;
  for (const seg of path) {
    if (typeof seg === 'number') v = Array.isArray(v) ? v[seg] : undefined;
    else v = isObject(v) ? v[seg] : undefined;
  }
  return v;
}

const COMMON_SCHEDULES = ['@hourly', '@daily', '@weekly', '@monthly', '0 */6 * * *', '30 2 * * *', '0 3 * * 0', '*/15 * * * *'];
const COMMON_DURATIONS = ['1h', '6h', '1d', '7d', '15d', '1mo', '3mo', '6mo', '1y'];

/** Text that must be quoted to stay one YAML scalar of that text. */
function needsQuotes(s: string): boolean {
  return s === '' || /^[@*&!|>'"%`#{}[\],?:-]|[:#]\s|\s#|^\s|\s$|: |^(true|false|null|yes|no|on|off|~)$/i.test(s) || /^[-+]?\d/.test(s) && !/^\d+[a-z]+$/i.test(s);
}

/** A YAML scalar as flow text for an inserted value. */
function flowText(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(flowText).join(', ')}]`;
  if (isObject(v)) return `{ ${Object.entries(v).map(([k, x]) => `${k}: ${flowText(x)}`).join(', ')} }`;
  if (typeof v === 'string') return needsQuotes(v) ? JSON.stringify(v) : v;
  return String(v);
}

const escapeSnippet = (s: string): string => s.replace(/[$}\\]/g, (c) => `\\${c}`);

export function completion(a: Analysis, position: Position, env: FeatureEnv, opts: CompletionOptions): CompletionList {
  const offset = a.lines.offset(position);
  const ctx = lineContext(a.text, offset);
  const replace: Range = { start: a.lines.position(ctx.prefixStart), end: position };
  const items = ctx.at === 'key' ? keyItems(a, ctx, replace, opts) : valueItems(a, ctx, replace, opts, env);
  // right after `key:` a value needs its space
  if (ctx.at === 'value' && a.text[ctx.prefixStart - 1] === ':') {
    for (const item of items) if (item.textEdit && 'range' in item.textEdit) item.textEdit.newText = ` ${item.textEdit.newText}`;
  }
  return { isIncomplete: false, items };
}

// ---------------------------------------------------------------------------------------------
// Keys

function keyItems(a: Analysis, ctx: LineContext, replace: Range, opts: CompletionOptions): CompletionItem[] {
  const root = a.lenientValue;
  // the sections of free names (hosts:, jobs: ...) have no fixed keys
  if (ctx.path.length === 1 && ['hosts', 'storage', 'policies', 'jobs'].includes(String(ctx.path[0]))) return [];
  let props: PropertyInfo[];
  try {
    props = propertiesAt(ctx.path, root);
  } catch {
    return [];
  }
  const here = valueAt(root, ctx.path);
  const present = new Set(isObject(here) ? Object.keys(here).filter((k) => k !== ctx.prefix) : []);
  const childIndent = ' '.repeat(ctx.indent + 2);
  const foreign = foreignPrunerKeys(root, ctx.path);
  return props
    .filter((p) => !p.deprecated && !present.has(p.name) && !foreign.has(p.name))
    .map((p): CompletionItem => {
      const isObj = p.types.length === 1 && p.types[0] === 'object';
      const isArr = p.types.length === 1 && p.types[0] === 'array';
      let insert = `${p.name}: `;
      let format: InsertTextFormat = InsertTextFormat.PlainText;
      if (!ctx.flow && opts.snippets && isObj) {
        insert = `${p.name}:\n${childIndent}$0`;
        format = InsertTextFormat.Snippet;
      } else if (!ctx.flow && opts.snippets && isArr) {
        insert = `${p.name}: [$0]`;
        format = InsertTextFormat.Snippet;
      }
      const item: CompletionItem = {
        label: p.name,
        kind: CompletionItemKind.Property,
        detail: `${p.required ? 'required · ' : ''}${p.valueType ?? p.ref ?? p.types.join(' | ')}`,
        sortText: `${p.required ? '0' : '1'}${p.name}`,
        textEdit: { range: replace, newText: insert },
        insertTextFormat: format,
      };
      if (p.description) item.documentation = { kind: MarkupKind.Markdown, value: p.description };
      return item;
    });
}

/** The retention keys only one pruner reads: sanoid's and btrbk's own terms. */
const PRUNER_KEYS: Record<string, { keys: readonly string[]; keep: readonly string[] }> = {
  sanoid: { keys: ['frequent_period'], keep: ['frequently'] },
  btrbk: { keys: ['preserve', 'preserve_min', 'preserve_day_of_week', 'preserve_hour_of_day'], keep: [] },
};

/**
 * The keys not to offer in a job's own `retention` (or its `keep`): those of a pruner the job
 * does not use (default `backplan`), which retention-unsupported would flag at once. A named
 * policy may serve jobs of several pruners, so everything stays offered there.
 */
function foreignPrunerKeys(root: unknown, path: Path): Set<string> {
  const inKeep = path.length === 4 && path[3] === 'keep';
  if (path[0] !== 'jobs' || path[2] !== 'retention' || (path.length !== 3 && !inKeep)) return new Set();
  const job = valueAt(root, path.slice(0, 2));
  const pruner = isObject(job) && typeof job.pruner === 'string' ? job.pruner : 'backplan';
  const out = new Set<string>();
  for (const [name, own] of Object.entries(PRUNER_KEYS))
    if (name !== pruner) for (const k of inKeep ? own.keep : own.keys) out.add(k);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Values

function valueItems(a: Analysis, ctx: LineContext, replace: Range, opts: CompletionOptions, env: FeatureEnv): CompletionItem[] {
  const root = a.lenientValue;
  let field: ReturnType<typeof fieldAt>;
  try {
    field = fieldAt(ctx.path, root);
  } catch {
    return [];
  }
  const quoted = /["']/.test(a.text[ctx.prefixStart - 1] ?? '');
  const text = (s: string) => (quoted || ctx.flow ? s : needsQuotes(s) ? JSON.stringify(s) : s);
  const out: CompletionItem[] = [];

  if (field.ref) {
    out.push(...nameItems(a, field.ref, ctx, replace, text));
    return out;
  }

  const last = ctx.path[ctx.path.length - 1];
  if (last === 'kind' && ctx.path.length === 3 && ctx.path[0] === 'jobs') {
    out.push(...kindItems(a, ctx, replace, opts, field.values ?? []));
    return out;
  }

  if (field.values) {
    field.values.forEach((v, i) => {
      const label = String(v.value);
      out.push({
        label,
        kind: CompletionItemKind.EnumMember,
        sortText: String(i).padStart(3, '0'),
        textEdit: { range: replace, newText: typeof v.value === 'string' ? text(label) : label },
        ...(v.description ? { documentation: { kind: MarkupKind.Markdown, value: v.description } } : {}),
      });
    });
  }

  switch (field.valueType) {
    case 'timezone': {
      const zones = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : ['UTC', 'Europe/Paris'];
      for (const z of ['UTC', ...zones.filter((z) => z !== 'UTC')]) {
        out.push({ label: z, kind: CompletionItemKind.Value, textEdit: { range: replace, newText: text(z) } });
      }
      break;
    }
    case 'cron': {
      const seen = new Set<string>();
      for (const s of [...field.examples.filter((e): e is string => typeof e === 'string'), ...COMMON_SCHEDULES]) {
        if (seen.has(s)) continue;
        seen.add(s);
        out.push({
          label: s,
          kind: CompletionItemKind.Value,
          detail: describeSchedule(s),
          sortText: String(seen.size).padStart(3, '0'),
          filterText: s,
          textEdit: { range: replace, newText: quoted ? s : JSON.stringify(s) },
        });
      }
      break;
    }
    case 'duration': {
      const seen = new Set<string>();
      for (const s of [...field.examples.map(String), ...COMMON_DURATIONS]) {
        if (seen.has(s)) continue;
        seen.add(s);
        const d = parseDuration(s);
        out.push({
          label: s,
          kind: CompletionItemKind.Value,
          detail: d.ok ? durationWords(d.value) : undefined,
          sortText: String(seen.size).padStart(3, '0'),
          textEdit: { range: replace, newText: text(s) },
        });
      }
      break;
    }
    default:
      if (!field.values) {
        for (const e of field.examples.slice(0, 5)) {
          if (typeof e === 'object') continue;
          out.push({ label: String(e), kind: CompletionItemKind.Value, detail: 'example', textEdit: { range: replace, newText: typeof e === 'string' ? text(e) : String(e) } });
        }
      }
  }
  void env;
  return out;
}

function nameItems(a: Analysis, section: RefSection, ctx: LineContext, replace: Range, text: (s: string) => string): CompletionItem[] {
  const plan = a.model;
  const names =
    section === 'hosts' ? [...plan.hosts.keys()] : section === 'storage' ? [...plan.storage.keys()] : section === 'policies' ? [...plan.policies.keys()] : [...plan.jobs.keys()];
  const self = jobOfPath(ctx.path);
  const kinds: Record<RefSection, CompletionItemKind> = {
    hosts: CompletionItemKind.Module,
    storage: CompletionItemKind.Folder,
    policies: CompletionItemKind.Class,
    jobs: CompletionItemKind.Function,
  };
  return names
    .filter((n) => !(section === 'jobs' && n === self))
    .map((n): CompletionItem => {
      const doc = summary(a, section, n);
      return {
        label: n,
        kind: kinds[section],
        detail: section === 'jobs' ? plan.jobs.get(n)?.kind : section.replace(/ies$/, 'y').replace(/s$/, ''),
        textEdit: { range: replace, newText: text(n) },
        ...(doc ? { documentation: { kind: MarkupKind.Markdown, value: doc } } : {}),
      };
    });
}

/** `kind` values: each kind, and (with snippets) the kind with the fields it requires. */
function kindItems(
  a: Analysis,
  ctx: LineContext,
  replace: Range,
  opts: CompletionOptions,
  values: { value: unknown; description?: string }[],
): CompletionItem[] {
  const job = jobOfPath(ctx.path)!;
  const root = a.lenientValue;
  const current = valueAt(root, ['jobs', job]);
  const present = isObject(current) ? current : {};
  const out: CompletionItem[] = [];
  const kinds: { value: unknown; description?: string }[] = values.length > 0 ? values : KIND_NAMES.map((k) => ({ value: k }));
  kinds.forEach((v, i) => {
    const kind = String(v.value);
    const docs = v.description ? { documentation: { kind: MarkupKind.Markdown, value: v.description } } : {};
    out.push({ label: kind, kind: CompletionItemKind.EnumMember, sortText: `0${String(i).padStart(3, '0')}`, textEdit: { range: replace, newText: kind }, ...docs });
    if (!opts.snippets || ctx.flow) return;
    let required: PropertyInfo[] = [];
    try {
      const probe = { ...(isObject(root) ? root : {}), jobs: { [job]: { ...present, kind } } };
      required = propertiesAt(['jobs', job], probe).filter((p) => p.required && p.name !== 'kind' && !(p.name in present));
    } catch {
      required = [];
    }
    if (required.length === 0) return;
    const indent = ' '.repeat(ctx.indent);
    const lines = required.map((p, k) => {
      const example = p.examples[0];
      const placeholder = example === undefined ? p.name : flowText(example);
      return `${indent}${p.name}: \${${k + 1}:${escapeSnippet(placeholder)}}`;
    });
    out.push({
      label: `${kind} …`,
      kind: CompletionItemKind.Snippet,
      detail: `kind ${kind} with ${required.map((p) => p.name).join(', ')}`,
      filterText: kind,
      sortText: `1${String(i).padStart(3, '0')}`,
      insertTextFormat: InsertTextFormat.Snippet,
      textEdit: { range: replace, newText: `${kind}\n${lines.join('\n')}$0` },
      ...docs,
    });
  });
  return out;
}
