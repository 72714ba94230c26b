// Structural validation of a plan against schemas/backplan.schema.json, and read-only
// questions about the schema for the editor (which keys fit here, what does this key mean,
// which values are allowed).
//
// The validator is ajv's standalone code, generated from the schema by a script. ajv reports JSON pointers and
// keywords; validateSchema turns them into issues on YAML paths that say whether the key or
// the value is at fault, keeps the most specific error of each spot and drops what the
// dedicated rules report better (bad durations, bad cron, unknown names, inline secrets).
import type { ErrorObject } from 'ajv';
import validatePlan from './generated/schema-validator.cjs';
import schemaJson from '../../schemas/backplan.schema.json';
import { closest } from './did-you-mean';
import { misplacedKey, type KeyMove } from './misplaced';

export type SchemaPath = (string | number)[];

export interface SchemaIssue {
  /** YAML path of the node at fault (for `part: 'key'`, the mapping entry whose key is shown). */
  path: SchemaPath;
  /** Whether the range is the key of `path` or its value. */
  part: 'key' | 'value';
  message: string;
  /** Text that would fix it when put in place of the key or value at fault. */
  suggestion?: string;
  /** A key written in the wrong place (`expiry` beside `schedule`): where its value belongs. */
  move?: KeyMove;
}

/** A JSON Schema node (the schema only uses object and boolean schemas). */
export type SchemaNode = { readonly [keyword: string]: unknown };
type Schema = SchemaNode | boolean;

export const BACKPLAN_SCHEMA: SchemaNode = schemaJson as unknown as SchemaNode;

/** Annotation keywords of the Backplan schema (and of VS Code's JSON language), known to ajv. */
export const ANNOTATION_KEYWORDS = [
  'markdownDescription',
  'markdownEnumDescriptions',
  'deprecationMessage',
  'x-backplan-type',
  'x-backplan-ref',
  'x-backplan-expected',
  'x-backplan-message',
] as const;

/** Values of `x-backplan-type`. */
export type ValueType =
  | 'duration'
  | 'cron'
  | 'size'
  | 'change'
  | 'count'
  | 'timezone'
  | 'secret-env'
  | 'secret-file'
  | 'secret-inline';
/** Values of `x-backplan-ref`: the top-level section that defines the name. */
export type RefSection = 'hosts' | 'storage' | 'policies' | 'jobs';

// The validator is generated at build time by scripts/gen-schema-validator.mjs (ajv standalone
// code, same options as before: compiling the schema at run time cost ~0.3 s per cold start).


// ---------------------------------------------------------------------------------------------
// Walking the schema alongside a value

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const asNode = (s: unknown): SchemaNode | undefined => (isObject(s) ? (s as SchemaNode) : undefined);
const asArray = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const has = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

const refCache = new Map<string, Schema | undefined>();

function resolveRef(ref: string): Schema | undefined {
  if (refCache.has(ref)) return refCache.get(ref);
  const target = lookupRef(ref);
  refCache.set(ref, target);
  return target;
}

function lookupRef(ref: string): Schema | undefined {
  if (!ref.startsWith('#')) return undefined;
  let node: unknown = BACKPLAN_SCHEMA;
  for (const raw of ref.slice(1).split('/').slice(1)) {
    const seg = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    if (!isObject(node) || !has(node, seg)) return undefined;
    node = node[seg];
  }
  return typeof node === 'boolean' ? node : asNode(node);
}

function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

const all = (results: (boolean | undefined)[]): boolean | undefined =>
  results.includes(false) ? false : results.includes(undefined) ? undefined : true;

/**
 * Does `value` match `schema`? Three answers: true, false, or undefined when it cannot be
 * told (no value yet, or a keyword this small evaluator does not know). It only serves to
 * choose if/then/else branches for the editor helpers, whose `if` schemas are simple.
 */
function matches(schema: Schema | undefined, value: unknown, depth = 0): boolean | undefined {
  if (schema === undefined) return true;
  if (typeof schema === 'boolean') return schema;
  if (value === undefined || value === null || depth > 20) return undefined;
  const results: (boolean | undefined)[] = [];
  if (typeof schema.$ref === 'string') results.push(matches(resolveRef(schema.$ref), value, depth + 1));
  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? schema.type : [schema.type];
    const t = jsonType(value);
    results.push(types.includes(t) || (t === 'integer' && types.includes('number')));
  }
  if (has(schema, 'const')) results.push(schema.const === value);
  if (Array.isArray(schema.enum)) results.push(schema.enum.includes(value));
  if (isObject(value)) {
    for (const k of asArray(schema.required)) results.push(typeof k === 'string' && has(value, k));
    const props = asNode(schema.properties);
    if (props) for (const [k, sub] of Object.entries(props)) if (has(value, k)) results.push(matches(sub as Schema, value[k], depth + 1));
  }
  if (schema.not !== undefined) {
    const inner = matches(schema.not as Schema, value, depth + 1);
    results.push(inner === undefined ? undefined : !inner);
  }
  for (const sub of asArray(schema.allOf)) results.push(matches(sub as Schema, value, depth + 1));
  if (Array.isArray(schema.anyOf)) {
    const any = schema.anyOf.map((sub) => matches(sub as Schema, value, depth + 1));
    results.push(any.includes(true) ? true : any.includes(undefined) ? undefined : false);
  }
  return all(results);
}

/**
 * Every schema node that applies at one spot, most specific last: the node, what its `$ref`
 * points to, its `allOf` members, and the `then`/`else` branches that the value selects (both
 * when the value cannot tell, e.g. while it is being typed).
 */
function applicable(schema: Schema | undefined, value: unknown, out: SchemaNode[] = [], depth = 0): SchemaNode[] {
  const node = asNode(schema);
  if (!node || depth > 30) return out;
  out.push(node);
  if (typeof node.$ref === 'string') applicable(resolveRef(node.$ref), value, out, depth + 1);
  for (const sub of asArray(node.allOf)) applicable(sub as Schema, value, out, depth + 1);
  if (node.if !== undefined) {
    const m = matches(node.if as Schema, value);
    if (m !== false && node.then !== undefined) applicable(node.then as Schema, value, out, depth + 1);
    if (m !== true && node.else !== undefined) applicable(node.else as Schema, value, out, depth + 1);
  }
  return out;
}

const regexes = new Map<string, RegExp>();
function regex(source: string): RegExp {
  let re = regexes.get(source);
  if (!re) {
    re = new RegExp(source, 'u');
    regexes.set(source, re);
  }
  return re;
}

/** The schemas that apply to the child `seg` of a value to which `nodes` apply. */
function childSchemas(nodes: readonly SchemaNode[], seg: string | number): Schema[] {
  const out: Schema[] = [];
  for (const node of nodes) {
    if (typeof seg === 'number') {
      const prefix = asArray(node.prefixItems);
      if (seg < prefix.length) out.push(prefix[seg] as Schema);
      else if (node.items !== undefined) out.push(node.items as Schema);
      continue;
    }
    let matched = false;
    const props = asNode(node.properties);
    if (props && has(props, seg)) {
      out.push(props[seg] as Schema);
      matched = true;
    }
    const patterns = asNode(node.patternProperties);
    if (patterns) {
      for (const [re, sub] of Object.entries(patterns)) {
        if (regex(re).test(seg)) {
          out.push(sub as Schema);
          matched = true;
        }
      }
    }
    if (!matched && node.additionalProperties !== undefined && typeof node.additionalProperties !== 'boolean') {
      out.push(node.additionalProperties as Schema);
    }
  }
  return out;
}

function childValue(value: unknown, seg: string | number): unknown {
  if (typeof seg === 'number') return Array.isArray(value) ? value[seg] : undefined;
  return isObject(value) && has(value, seg) ? value[seg] : undefined;
}

/** The schema nodes that apply at `path` of `plan` (all of them when the plan is not given). */
export function schemasAt(path: readonly (string | number)[], plan?: unknown): SchemaNode[] {
  let value = plan;
  let nodes = applicable(BACKPLAN_SCHEMA, value);
  for (const seg of path) {
    const children = childSchemas(nodes, seg);
    value = childValue(value, seg);
    nodes = [];
    for (const child of children) applicable(child, value, nodes);
  }
  return nodes;
}

// ---------------------------------------------------------------------------------------------
// schemaInfo: what the editor asks

export interface FieldInfo {
  /** Markdown documentation (the schema's markdownDescription). */
  description?: string;
  examples: unknown[];
  default?: unknown;
  /** JSON types accepted (`string`, `integer`, `array`, ...). */
  types: string[];
  /** Allowed values with their documentation, when the schema lists them. */
  values?: EnumValue[];
  valueType?: ValueType;
  ref?: RefSection;
  /** Inline secrets are accepted only so that `secret-inline` can report them: never offer them. */
  deprecated: boolean;
}

export interface PropertyInfo extends FieldInfo {
  name: string;
  required: boolean;
}

export interface EnumValue {
  value: unknown;
  description?: string;
}

function firstOf<T>(nodes: readonly SchemaNode[], pick: (n: SchemaNode) => T | undefined): T | undefined {
  for (const n of nodes) {
    const v = pick(n);
    if (v !== undefined) return v;
  }
  return undefined;
}

function infoOf(nodes: readonly SchemaNode[]): FieldInfo {
  const types = new Set<string>();
  for (const n of nodes) {
    if (typeof n.type === 'string') types.add(n.type);
    else for (const t of asArray(n.type)) types.add(String(t));
  }
  let values: EnumValue[] | undefined;
  for (const n of nodes) {
    const docs = asArray(n.markdownEnumDescriptions);
    if (Array.isArray(n.enum)) {
      const enumDocs = docs.length > 0 ? docs : asArray(firstOf(nodes, (m) => (Array.isArray(m.markdownEnumDescriptions) ? m.markdownEnumDescriptions : undefined)));
      values = n.enum.map((value, i) => ({ value, description: typeof enumDocs[i] === 'string' ? (enumDocs[i] as string) : undefined }));
      break;
    }
    if (has(n, 'const')) {
      values = [{ value: n.const }];
      break;
    }
  }
  if (!values && types.size === 1 && types.has('boolean')) values = [{ value: true }, { value: false }];
  return {
    description: firstOf(nodes, (n) => (typeof n.markdownDescription === 'string' ? n.markdownDescription : undefined)),
    examples: firstOf(nodes, (n) => (Array.isArray(n.examples) ? n.examples : undefined)) ?? [],
    default: firstOf(nodes, (n) => n.default),
    types: [...types],
    values,
    valueType: firstOf(nodes, (n) => n['x-backplan-type'] as ValueType | undefined),
    ref: firstOf(nodes, (n) => n['x-backplan-ref'] as RefSection | undefined),
    deprecated: nodes.some((n) => n.deprecated === true),
  };
}

/** The keys that `properties` declares in these nodes (conflict markers left out), and the required ones. */
function declaredProperties(nodes: readonly SchemaNode[]): { required: Set<string>; seen: Map<string, Schema[]> } {
  const required = new Set<string>();
  for (const n of nodes) for (const r of asArray(n.required)) if (typeof r === 'string') required.add(r);
  const seen = new Map<string, Schema[]>();
  for (const n of nodes) {
    const props = asNode(n.properties);
    if (!props) continue;
    for (const [name, sub] of Object.entries(props)) {
      if (sub === false || (isObject(sub) && isObject(sub.not) && Object.keys(sub.not).length === 0)) continue;
      const list = seen.get(name) ?? [];
      list.push(sub as Schema);
      seen.set(name, list);
    }
  }
  return { required, seen };
}

/** Names of the keys allowed at `path` (cheaper than propertiesAt: no documentation). */
function propertyNamesAt(path: readonly (string | number)[], plan: unknown): string[] {
  return [...declaredProperties(schemasAt(path, plan)).seen.keys()];
}

/**
 * Keys allowed in the mapping at `path` (e.g. `['jobs', 'vm-snapshots']`), with their
 * documentation. Aware of the job's kind when `plan` is given: a restic job gets `paths`, not
 * `dataset`. Free-named mappings (hosts, jobs ...) have no fixed keys and return [].
 */
export function propertiesAt(path: readonly (string | number)[], plan?: unknown): PropertyInfo[] {
  const { required, seen } = declaredProperties(schemasAt(path, plan));
  const value = path.reduce<unknown>((v, seg) => childValue(v, seg), plan);
  const out: PropertyInfo[] = [];
  for (const [name, subs] of seen) {
    const nodesOfProp: SchemaNode[] = [];
    for (const s of subs) applicable(s, childValue(value, name), nodesOfProp);
    out.push({ name, required: required.has(name), ...infoOf(nodesOfProp) });
  }
  return out;
}

/** Everything the schema says about the value at `path`. */
export function fieldAt(path: readonly (string | number)[], plan?: unknown): FieldInfo {
  return infoOf(schemasAt(path, plan));
}

/** Markdown documentation of the key or value at `path`. */
export function describeAt(path: readonly (string | number)[], plan?: unknown): string | undefined {
  return fieldAt(path, plan).description;
}

/** Allowed values at `path` (enum, const, or true/false for booleans), or undefined. */
export function enumAt(path: readonly (string | number)[], plan?: unknown): EnumValue[] | undefined {
  return fieldAt(path, plan).values;
}

export interface AnnotatedValue {
  path: SchemaPath;
  value: unknown;
  /** How the engine reads the value (`x-backplan-type`). */
  type?: ValueType;
  /** Set when the value is a name (a string) that must be defined in this section. */
  ref?: RefSection;
}

/**
 * Every value of the plan that the schema marks as a duration, cron, size ... or as a
 * reference to a name, in document order. The dedicated rules (duration-invalid, cron-invalid,
 * unknown-reference, secret-inline ...) iterate over this instead of knowing where such values
 * live. Values under unknown keys are not visited.
 */
export function annotatedValues(plan: unknown): AnnotatedValue[] {
  const out: AnnotatedValue[] = [];
  const visit = (value: unknown, nodes: readonly SchemaNode[], path: SchemaPath, depth: number): void => {
    if (depth > 40) return;
    const type = firstOf(nodes, (n) => n['x-backplan-type'] as ValueType | undefined);
    const ref = typeof value === 'string' ? firstOf(nodes, (n) => n['x-backplan-ref'] as RefSection | undefined) : undefined;
    if (type !== undefined || ref !== undefined) {
      const entry: AnnotatedValue = { path, value };
      if (type !== undefined) entry.type = type;
      if (ref !== undefined) entry.ref = ref;
      out.push(entry);
    }
    if (Array.isArray(value)) {
      value.forEach((child, i) => {
        const sub = childApplicable(nodes, i, child);
        if (sub.length > 0) visit(child, sub, [...path, i], depth + 1);
      });
    } else if (isObject(value)) {
      for (const seg of Object.keys(value)) {
        const child = value[seg];
        const sub = childApplicable(nodes, seg, child);
        if (sub.length > 0) visit(child, sub, [...path, seg], depth + 1);
      }
    }
  };
  visit(plan, rootApplicable(plan), [], 0);
  return out;
}

const rootCache = new Map<string, SchemaNode[]>();
function rootApplicable(plan: unknown): SchemaNode[] {
  const sig = ifSignature(plan);
  let nodes = rootCache.get(sig);
  if (nodes === undefined) {
    nodes = applicable(BACKPLAN_SCHEMA, plan);
    rootCache.set(sig, nodes);
  }
  return nodes;
}

// The schemas that apply to a child depend on the parent's schemas, the child's key and, through
// `if`, only on the properties that `if` conditions read (kind, keep, to, volume ...) and the
// child's JSON type. Remembering them per that signature turns the walk over a 200-job plan
// from thousands of schema evaluations into a handful.
const IF_PROPS: readonly string[] = (() => {
  const names = new Set<string>();
  const collect = (n: unknown, inIf: boolean): void => {
    if (Array.isArray(n)) return n.forEach((x) => collect(x, inIf));
    if (!isObject(n)) return;
    for (const [k, v] of Object.entries(n)) {
      if (inIf && k === 'properties' && isObject(v)) Object.keys(v).forEach((p) => names.add(p));
      if (inIf && k === 'required' && Array.isArray(v)) v.forEach((p) => typeof p === 'string' && names.add(p));
      collect(v, inIf || k === 'if');
    }
  };
  collect(BACKPLAN_SCHEMA, false);
  return [...names].sort();
})();

function ifSignature(value: unknown): string {
  if (!isObject(value)) return jsonType(value);
  let sig = 'object';
  for (const p of IF_PROPS) {
    if (!has(value, p)) continue;
    const v = value[p];
    sig += `|${p}=${typeof v === 'object' && v !== null ? jsonType(v) : JSON.stringify(v)}`;
  }
  return sig;
}

const childCache = new WeakMap<readonly SchemaNode[], Map<string, SchemaNode[]>>();

function childApplicable(nodes: readonly SchemaNode[], seg: string | number, child: unknown): SchemaNode[] {
  let byKey = childCache.get(nodes);
  if (byKey === undefined) {
    byKey = new Map();
    childCache.set(nodes, byKey);
  }
  const key = `${typeof seg === 'number' ? '#' : ''}${seg}\u0000${ifSignature(child)}`;
  let sub = byKey.get(key);
  if (sub === undefined) {
    sub = [];
    for (const s of childSchemas(nodes, seg)) applicable(s, child, sub);
    byKey.set(key, sub);
  }
  return sub;
}

// ---------------------------------------------------------------------------------------------
// validateSchema

const SECTION_LABEL: Record<string, string> = { hosts: 'host', storage: 'storage', policies: 'policy', jobs: 'job' };

function pointerToPath(pointer: string, root: unknown): SchemaPath {
  if (pointer === '') return [];
  const path: SchemaPath = [];
  let value = root;
  for (const raw of pointer.split('/').slice(1)) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(value) && /^\d+$/.test(seg)) {
      path.push(Number(seg));
      value = value[Number(seg)];
    } else {
      path.push(seg);
      value = isObject(value) ? value[seg] : undefined;
    }
  }
  return path;
}

function dotted(path: readonly (string | number)[]): string {
  let s = '';
  for (const seg of path) s += typeof seg === 'number' ? `[${seg}]` : s === '' ? seg : `.${seg}`;
  return s;
}

function valueAt(root: unknown, path: readonly (string | number)[]): unknown {
  return path.reduce<unknown>((v, seg) => childValue(v, seg), root);
}

/** "job `web` (kind `restic`)", "policy `gfs`", "`retention.keep` of job `web`", "the plan". */
function where(path: readonly (string | number)[], root: unknown): string {
  if (path.length === 0) return 'the plan';
  const [top, name, ...rest] = path;
  const label = typeof top === 'string' ? SECTION_LABEL[top] : undefined;
  if (label && name !== undefined) {
    let base = `${label} \`${name}\``;
    if (top === 'jobs') {
      const kind = childValue(valueAt(root, [top, name]), 'kind');
      if (typeof kind === 'string' && rest.length === 0) base += ` (kind \`${kind}\`)`;
    }
    return rest.length === 0 ? base : `\`${dotted(rest)}\` of ${base}`;
  }
  return `\`${dotted(path)}\``;
}

/** How a value is named in a message: its key, with the indexes below it (`vmid[1]`). */
function label(path: readonly (string | number)[]): string {
  let i = path.length - 1;
  while (i > 0 && typeof path[i] === 'number') i--;
  return i < 0 ? 'the plan' : `\`${dotted(path.slice(i))}\``;
}

/** Stands for a value that must not be repeated (see mapError). */
const SECRET_VALUE = Symbol('secret value');

function show(v: unknown): string {
  if (v === SECRET_VALUE) return 'a value not shown here';
  if (v === null || v === undefined) return 'nothing';
  if (typeof v === 'string') {
    if (v === '') return 'an empty string';
    const short = v.length > 40 ? `${v.slice(0, 40)}…` : v;
    // text that reads as another type, or that would break the message, is shown quoted
    if (/^(true|false|null|~|[-+]?(\d[\d_]*)?\.?\d+([eE][-+]?\d+)?)$/i.test(v) || /[`\x00-\x1f]/.test(v)) return `the text ${JSON.stringify(short)}`;
    return `\`${short}\``;
  }
  if (typeof v === 'number' || typeof v === 'boolean') return `\`${v}\``;
  if (Array.isArray(v)) return 'a list';
  return 'a mapping';
}

const TYPE_WORDS: Record<string, string> = {
  string: 'text',
  integer: 'a whole number',
  number: 'a number',
  boolean: '`true` or `false`',
  array: 'a list',
  object: 'a mapping',
  null: 'empty',
};

function typePhrase(types: unknown): string {
  const list = (Array.isArray(types) ? types : [types]).map((t) => TYPE_WORDS[String(t)] ?? String(t));
  return list.length <= 1 ? list.join('') : `${list.slice(0, -1).join(', ')} or ${list[list.length - 1]}`;
}

/** A value as YAML flow text, for examples inside messages. */
function flow(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(flow).join(', ')}]`;
  if (isObject(v)) return `{ ${Object.entries(v).map(([k, x]) => `${k}: ${flow(x)}`).join(', ')} }`;
  if (typeof v === 'string' && (v === '' || /^[@*&!|>'"%`#{}[\],?-]|[:#]\s|\s/.test(v))) return JSON.stringify(v);
  return String(v);
}

function joinWords(words: string[]): string {
  return words.length <= 1 ? words.join('') : `${words.slice(0, -1).join(', ')} and ${words[words.length - 1]}`;
}

const VALUE_RANK: Record<string, number> = { type: 0, const: 1, enum: 1, pattern: 2, format: 2 };

interface Draft extends SchemaIssue {
  rank: number;
  /** For `required`: the missing key, merged per parent afterwards. */
  missing?: string;
  /** An unknown key: nothing is said about its value. */
  unknownKey?: boolean;
  order: number;
}

/** Compares paths by where they appear in the plan (mapping keys keep the document's order). */
class DocumentOrder {
  private readonly indexes = new Map<object, Map<string, number>>();
  constructor(private readonly root: unknown) {}

  private index(container: unknown, seg: string | number): number {
    if (typeof seg === 'number') return seg;
    if (!isObject(container)) return -1;
    let map = this.indexes.get(container);
    if (!map) {
      map = new Map(Object.keys(container).map((k, i) => [k, i]));
      this.indexes.set(container, map);
    }
    return map.get(seg) ?? -1;
  }

  compare(a: SchemaPath, b: SchemaPath): number {
    let value = this.root;
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      if (a[i] !== b[i]) return this.index(value, a[i]) - this.index(value, b[i]);
      value = childValue(value, a[i]);
    }
    return a.length - b.length;
  }
}

const kindsByField = new Map<string, string[]>();

/** Kinds whose fields include `key`, for "`dataset` does not apply to kind restic". */
function kindsWithField(key: string): string[] {
  const known = kindsByField.get(key);
  if (known) return known;
  const out: string[] = [];
  const job = resolveRef('#/$defs/job');
  for (const branch of asArray(asNode(job)?.allOf)) {
    const b = asNode(branch);
    const kind = asNode(asNode(asNode(b?.if)?.properties)?.kind)?.const;
    const props = asNode(asNode(b?.then)?.properties);
    if (typeof kind === 'string' && props && has(props, key)) out.push(kind);
  }
  kindsByField.set(key, out);
  return out;
}

/**
 * Validate a parsed plan (the JS value of the YAML document, merge keys already resolved)
 * and return its schema issues, at most one per key or value, in document order.
 * Not reported here, because a dedicated rule words them better: the syntax of durations and
 * cron schedules (duration-invalid, cron-invalid), names that are not defined
 * (unknown-reference) and secrets written inline (secret-inline). Time zone names are typed
 * `timezone` (see annotatedValues) but only checked for being non-empty text.
 */
export function validateSchema(value: unknown): SchemaIssue[] {
  if (validatePlan(value)) return [];
  const cache = new Map<string, string[]>();
  const keysAt = (path: SchemaPath): string[] => {
    const k = pathKey(path);
    let names = cache.get(k);
    if (!names) {
      names = propertyNamesAt(path, value);
      cache.set(k, names);
    }
    return names;
  };
  const drafts: Draft[] = [];
  for (const e of validatePlan.errors ?? []) {
    const d = mapError(e, value, keysAt);
    if (d) drafts.push({ ...d, order: drafts.length });
  }
  return finish(drafts, value, keysAt);
}

type KeysAt = (path: SchemaPath) => string[];

function mapError(e: ErrorObject, root: unknown, keysAt: KeysAt): Omit<Draft, 'order'> | undefined {
  const parent = (e.parentSchema ?? {}) as SchemaNode;
  const expected = typeof parent['x-backplan-expected'] === 'string' ? (parent['x-backplan-expected'] as string) : undefined;
  const xMessage = typeof parent['x-backplan-message'] === 'string' ? (parent['x-backplan-message'] as string) : undefined;
  const xType = parent['x-backplan-type'];
  const at = pointerToPath(e.instancePath, root);
  const params = e.params as Record<string, unknown>;
  // SPEC §8.8: a secret never appears in a diagnostic, even one written in the wrong place
  const lastKey = [...at].reverse().find((seg): seg is string => typeof seg === 'string') ?? '';
  const secret = (typeof xType === 'string' && xType.startsWith('secret')) || /pass|secret|token|key|credential/i.test(lastKey);
  const data = secret && e.data !== undefined && e.data !== null ? SECRET_VALUE : e.data;

  if (xType === 'secret-inline') return undefined; // secret-inline reports these keys
  if (e.propertyName !== undefined) {
    // an error about a key itself (propertyNames): a name that breaks the naming rule
    if (e.keyword === 'propertyNames') return undefined;
    const path = [...at, e.propertyName];
    const top = at.length === 1 && typeof at[0] === 'string' ? SECTION_LABEL[at[0]] : undefined;
    const slug = e.propertyName
      .toLowerCase()
      .replace(/[^a-z0-9._-]+/g, '-')
      .replace(/^[^a-z0-9]+/, '');
    return {
      path,
      part: 'key',
      rank: 2,
      message: `\`${e.propertyName}\` is not a valid ${top ? `${top} name` : 'name'}: use lowercase letters, digits, \`.\`, \`_\` and \`-\`, starting with a letter or a digit`,
      ...(slug !== '' && slug !== e.propertyName ? { suggestion: slug } : {}),
    };
  }

  switch (e.keyword) {
    case 'if':
    case 'anyOf':
    case 'oneOf':
    case 'allOf':
    case 'propertyNames':
      return undefined; // the branch errors underneath say what is wrong
    case 'additionalProperties':
    case 'unevaluatedProperties': {
      const key = String(params.additionalProperty ?? params.unevaluatedProperty);
      if (key === '<<') return undefined; // merge keys are resolved by the parser (merge: true)
      const allowed = keysAt(at);
      // a failing if/then branch drops the annotations of the keys it declares: when the key
      // is allowed here, the real error is elsewhere and is reported on its own
      if (e.keyword === 'unevaluatedProperties' && allowed.includes(key)) return undefined;
      const misplaced = misplacedKey(root, at, key, allowed);
      if (misplaced) {
        const targets = joinWords(misplaced.targets.map((t) => `\`${t}\``));
        const message =
          `unknown key \`${key}\` in ${where(at, root)}: did you mean ${targets}?` +
          (misplaced.origin ? ` (${misplaced.origin})` : '') +
          (misplaced.blocked ? ` But ${misplaced.blocked}` : '');
        return { path: [...at, key], part: 'key', rank: 0, unknownKey: true, message, ...(misplaced.move ? { move: misplaced.move } : {}) };
      }
      const suggestion = closest(key, allowed);
      const dym = suggestion ? `: did you mean \`${suggestion}\`?` : '';
      const kind = at[0] === 'jobs' && at.length === 2 ? childValue(valueAt(root, at), 'kind') : undefined;
      const owners = typeof kind === 'string' ? kindsWithField(key) : [];
      const message =
        owners.length > 0
          ? `\`${key}\` does not apply to kind \`${String(kind)}\` (it is a field of ${owners.map((k) => `\`${k}\``).join(', ')})${dym}`
          : at.length === 0
            ? `unknown top-level key \`${key}\`${dym || ` (top-level keys: ${allowed.map((k) => `\`${k}\``).join(', ')}; \`x-\` keys are free for YAML anchors)`}`
            : `unknown key \`${key}\` in ${where(at, root)}${dym}`;
      return { path: [...at, key], part: 'key', rank: 0, unknownKey: true, message, ...(suggestion ? { suggestion } : {}) };
    }
    case 'required': {
      const missing = String(params.missingProperty);
      if (xMessage) return { path: at, part: 'key', rank: 0, message: `${where(at, root)}: ${xMessage}` };
      return { path: at, part: 'key', rank: 0, message: '', missing };
    }
    case 'not':
    case 'false schema': {
      const message = xMessage ?? `${label(at)} is not allowed here`;
      return { path: at, part: 'key', rank: 1, message };
    }
    case 'type': {
      const message =
        at.length === 0
          ? `the plan must be ${expected ?? 'a mapping'} (got ${show(data)})`
          : `${label(at)} must be ${expected ?? typePhrase(params.type)} (got ${show(data)})`;
      const types = Array.isArray(params.type) ? params.type : [params.type];
      let suggestion: string | undefined;
      if (types.includes('array') && !types.includes('string') && (typeof data === 'string' || typeof data === 'number')) {
        suggestion = `[${flow(data)}]`; // `paths: /etc` → `[/etc]`
      } else if (types.includes('string') && typeof data === 'number') {
        suggestion = JSON.stringify(String(data)); // `instance: 101` → `"101"`
      } else if (types.includes('boolean') && typeof data === 'string') {
        // YAML 1.1 habits: `yes`, `no`, `on`, `off` are text in YAML 1.2
        const word = data.toLowerCase();
        if (['yes', 'y', 'on', 'true'].includes(word)) suggestion = 'true';
        if (['no', 'n', 'off', 'false'].includes(word)) suggestion = 'false';
      }
      return { path: at, part: 'value', rank: 0, message, ...(suggestion ? { suggestion } : {}) };
    }
    case 'enum': {
      const allowed = asArray(params.allowedValues);
      const suggestion = typeof data === 'string' ? closest(data, allowed.filter((v): v is string => typeof v === 'string')) : undefined;
      const message = `${label(at)} must be one of ${allowed.map((v) => `\`${String(v)}\``).join(', ')} (got ${show(data)})${suggestion ? `: did you mean \`${suggestion}\`?` : ''}`;
      return { path: at, part: 'value', rank: 1, message, ...(suggestion ? { suggestion } : {}) };
    }
    case 'const': {
      const allowedValue = params.allowedValue;
      return {
        path: at,
        part: 'value',
        rank: 1,
        message: `${label(at)} must be \`${String(allowedValue)}\` (got ${show(data)})`,
        suggestion: String(allowedValue),
      };
    }
    case 'pattern': {
      if (xType === 'duration' || xType === 'cron' || typeof parent['x-backplan-ref'] === 'string') return undefined;
      const message = `${label(at)} must be ${expected ?? `text matching \`${String(params.pattern)}\``} (got ${show(data)})`;
      let suggestion: string | undefined;
      // `$RESTIC_PASSWORD` → `RESTIC_PASSWORD` (only a variable name: nothing secret is shown)
      if (xType === 'secret-env' && typeof e.data === 'string') suggestion = /^\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?$/.exec(e.data)?.[1];
      return { path: at, part: 'value', rank: 2, message, ...(suggestion ? { suggestion } : {}) };
    }
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum': {
      const words: Record<string, string> = { '>=': 'at least', '>': 'more than', '<=': 'at most', '<': 'less than' };
      const message = `${label(at)} must be ${words[String(params.comparison)] ?? String(params.comparison)} ${String(params.limit)} (got ${show(data)})${expected ? `: ${expected}` : ''}`;
      return { path: at, part: 'value', rank: 3, message };
    }
    case 'minItems':
      return {
        path: at,
        part: 'value',
        rank: 3,
        message: `${label(at)} must list at least ${String(params.limit)} item${params.limit === 1 ? '' : 's'}`,
      };
    case 'minLength':
      return { path: at, part: 'value', rank: 3, message: `${label(at)} must not be empty` };
    case 'uniqueItems':
      return {
        path: [...at, Number(params.i)],
        part: 'value',
        rank: 3,
        message: `${label(at)} lists the same value twice (items ${Number(params.j) + 1} and ${Number(params.i) + 1})`,
      };
    default:
      return { path: at, part: 'value', rank: 3, message: `${label(at)} ${e.message ?? 'is not valid'}` };
  }
}

const pathKey = (p: readonly (string | number)[]): string => JSON.stringify(p);

/** Merge missing keys per mapping, keep the most specific error per value, drop duplicates. */
function finish(drafts: Draft[], root: unknown, keysAt: KeysAt): SchemaIssue[] {
  const out: Draft[] = [];
  const seen = new Set<string>();
  const missingByPath = new Map<string, Draft & { keys: string[] }>();
  const bestValue = new Map<string, Draft>();
  const dropped = new Set<Draft>();
  for (const d of drafts) {
    if (d.missing !== undefined) {
      const k = pathKey(d.path);
      const group = missingByPath.get(k);
      if (group) {
        if (!group.keys.includes(d.missing)) group.keys.push(d.missing);
      } else {
        const g = { ...d, keys: [d.missing] };
        missingByPath.set(k, g);
        out.push(g);
      }
      continue;
    }
    if (d.part === 'value') {
      const k = pathKey(d.path);
      const best = bestValue.get(k);
      if (best && best.rank <= d.rank) continue;
      if (best) dropped.add(best);
      bestValue.set(k, d);
      out.push(d);
      continue;
    }
    const k = `${pathKey(d.path)}|${d.message}`;
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(d);
  }
  for (const g of missingByPath.values()) {
    const parts = g.keys.map((key) => {
      const example = fieldAt([...g.path, key], root).examples[0];
      return example === undefined ? `\`${key}\`` : `\`${key}\` (e.g. \`${key}: ${flow(example)}\`)`;
    });
    g.message = `${where(g.path, root)} is missing ${joinWords(parts)}`;
  }
  // an unknown key hides what is said about its value
  const unknownKeys = new Set(out.filter((d) => d.unknownKey).map((d) => pathKey(d.path)));
  const hidden = (d: Draft): boolean =>
    d.part === 'value' && unknownKeys.size > 0 && d.path.some((_, i) => unknownKeys.has(pathKey(d.path.slice(0, i + 1))));
  const order = new DocumentOrder(root);
  return out
    .filter((d) => !dropped.has(d) && !hidden(d))
    .sort((a, b) => order.compare(a.path, b.path) || a.order - b.order)
    .map(({ path, part, message, suggestion, move }): SchemaIssue => ({
      path,
      part,
      message,
      ...(suggestion !== undefined ? { suggestion } : {}),
      ...(move !== undefined ? { move } : {}),
    }));
}

/** The editor's questions about the schema, in one place (all pure functions over the schema JSON). */
export const schemaInfo = { propertiesAt, fieldAt, describeAt, enumAt, annotatedValues, schemasAt } as const;
