// Secrets belong in the environment or in a file (`*_env`, `*_file`), never in the plan: plans
// are committed, shared and shown in editors. Walks every mapping of the document (all sections
// but `checks`, anchors included, each text position once) for keys that name a secret
// (password, passphrase, secret, token, key, access_key, secret_key, private_key, api_key, and
// names ending in _password, _passphrase, _secret, _token, _access_key ...) holding a literal
// value, and for URLs with a password in their user info. The finding sits on the value and
// NEVER repeats it (SPEC §8.8): neither the message nor the fix carries the secret.
// The fix renames `password: …` to `password_env: RESTIC_PASSWORD` (a name the tool itself
// reads where there is one, else ENTITY_KEY); entries of an `env:` mapping get no fix (their key
// already is the variable's name: it must simply be exported instead).
import { isAlias, isMap, isScalar, isSeq, type Document, type Node } from 'yaml';
import type { Fix, OffsetRange } from '../findings';
import { isMergeKey } from '../plan/locate';
import type { PlanModel } from '../plan/model';
import type { Rule, RuleFinding } from './rule';

const EXACT = new Set([
  'password', 'passphrase', 'passwd', 'pass', 'pwd', 'secret', 'token', 'key', 'access_key', 'access_key_id',
  'secret_key', 'secret_access_key', 'private_key', 'api_key', 'apikey', 'client_secret', 'auth_token', 'credentials',
]);
const LAST = new Set(['password', 'passphrase', 'passwd', 'pwd', 'secret', 'token']);
const KEY_QUALIFIERS = new Set(['access', 'secret', 'private', 'api', 'encryption', 'master', 'signing', 'account']);

/** Inside an `env:` mapping names are variables (PGPASSWORD, MYSQL_PWD): matched more loosely. */
const ENV_SECRET = /pass(word|phrase)|passwd|pwd|secret|token|(^|_)(api|access|private|secret)_?key/i;

export function isSecretKey(key: string, inEnv = false): boolean {
  const k = key.toLowerCase();
  if (/(_|-)(env|file)$/.test(k)) return false;
  if (inEnv && ENV_SECRET.test(k)) return true;
  if (EXACT.has(k)) return true;
  const parts = k.split(/[_-]+/);
  const last = parts[parts.length - 1];
  if (LAST.has(last)) return true;
  if (last === 'key' && parts.length > 1 && KEY_QUALIFIERS.has(parts[parts.length - 2])) return true;
  if (last === 'id' && parts.length > 2 && parts[parts.length - 2] === 'key' && parts[parts.length - 3] === 'access') return true;
  return false;
}

const PATH_LIKE = /^(\/|~\/|\.\.?\/)/;
const GPG_KEY_ID = /^(0x)?[0-9a-f]{8,40}$/i;
/** scheme://user:password@host, also restic's `rest:https://user:password@host`. */
const URL_PASSWORD = /^[a-z][a-z0-9+.-]*:(?:[a-z][a-z0-9+.-]*:)?\/\/[^/@\s:]*:([^/@\s]+)@/i;

type Path = (string | number)[];

interface Hit {
  range: OffsetRange;
  keyRange: OffsetRange;
  key: string;
  path: Path;
  /** The whole value as written (to fix trailing newlines of block scalars), never shown. */
  written: string;
  inEnv: boolean;
}

interface UrlHit {
  range: OffsetRange;
  path: Path;
}

function describe(path: Path): string {
  const [section, name, ...rest] = path;
  const where = rest.filter((p) => typeof p === 'string').join('.');
  const entity = section === 'hosts' ? 'host' : section === 'storage' ? 'storage' : section === 'jobs' ? 'job' : undefined;
  if (entity && name !== undefined && where) return `\`${where}\` of ${entity} \`${name}\``;
  return `\`${path.filter((p) => typeof p === 'string').join('.')}\``;
}

/** The variable a tool reads for this secret, when there is a well-known one. */
function conventional(plan: PlanModel, path: Path, key: string): string | undefined {
  const k = key.toLowerCase();
  if (k === 'access_key' || k === 'access_key_id' || k === 'aws_access_key_id') return 'AWS_ACCESS_KEY_ID';
  if (k === 'secret_key' || k === 'secret_access_key' || k === 'aws_secret_access_key') return 'AWS_SECRET_ACCESS_KEY';
  if (path[0] !== 'jobs' || typeof path[1] !== 'string' || path.length !== 3) return undefined;
  const kind = plan.jobs.get(path[1])?.kind;
  const isPassword = ['password', 'passphrase', 'passwd', 'pass', 'pwd'].includes(k);
  if (!isPassword) return undefined;
  return kind === 'restic' ? 'RESTIC_PASSWORD' : kind === 'borg' ? 'BORG_PASSPHRASE' : kind === 'pg-dump' ? 'PGPASSWORD' : kind === 'mysql-dump' ? 'MYSQL_PWD' : undefined;
}

const envName = (parts: (string | number)[]) =>
  parts
    .filter((p) => typeof p === 'string')
    .join('_')
    .toUpperCase()
    .replace(/[^A-Z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');

function scanDoc(doc: Document, text: string): { hits: Hit[]; urls: UrlHit[] } {
  const hits: Hit[] = [];
  const urls: UrlHit[] = [];
  const seen = new Set<unknown>();
  const walk = (node: unknown, path: Path, parentKey: string | undefined, depth: number) => {
    if (depth > 64 || seen.has(node)) return;
    if (isMap(node) || isSeq(node)) seen.add(node);
    if (isMap(node)) {
      for (const pair of node.items) {
        if (isMergeKey(pair.key)) continue; // the anchored map is walked where it is defined
        if (!isScalar(pair.key)) continue;
        const key = String(pair.key.value);
        if (depth === 0 && key === 'checks') continue;
        // The targets of `notify:` (top level, or a job's) are checked by notify-invalid.
        if (key === 'notify' && (depth === 0 || (path.length === 2 && path[0] === 'jobs'))) continue;
        const childPath = [...path, key];
        const value = pair.value;
        const target = isAlias(value) ? value.resolve(doc) : value;
        if (isScalar(target)) {
          const v = target.value;
          const r = (value as Node | null)?.range;
          const kr = pair.key.range;
          if (!r || !kr) continue;
          if (typeof v === 'string' && /^(url|repository|repo)$/i.test(key)) {
            const m = URL_PASSWORD.exec(v);
            if (m) {
              const written = text.slice(r[0], r[1]);
              const at = written.indexOf(`:${m[1]}@`);
              urls.push({ range: at >= 0 ? { start: r[0] + at + 1, end: r[0] + at + 1 + m[1].length } : { start: r[0], end: r[1] }, path: childPath });
            }
            continue;
          }
          const inEnv = /^(env|environment)$/i.test(parentKey ?? '');
          if (!isSecretKey(key, inEnv)) continue;
          if (v === null || v === undefined || typeof v === 'boolean' || (typeof v === 'string' && v.trim() === '')) continue;
          const lower = key.toLowerCase();
          if (typeof v === 'string' && lower.split(/[_-]+/).pop() === 'key' && PATH_LIKE.test(v.trim())) continue;
          // A gpg key id is public (`0x…` reads as a number in YAML: test the text as written).
          if (lower === 'key' && parentKey?.toLowerCase() === 'gpg' && GPG_KEY_ID.test(text.slice(r[0], r[1]).replace(/^["']|["']$/g, ''))) continue;
          hits.push({
            range: { start: r[0], end: r[1] },
            keyRange: { start: kr[0], end: kr[1] },
            key,
            path: childPath,
            written: text.slice(r[0], r[1]),
            inEnv,
          });
        } else {
          walk(target, childPath, key, depth + 1);
        }
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => walk(isAlias(item) ? item.resolve(doc) : item, [...path, i], parentKey, depth + 1));
    }
  };
  walk(doc.contents, [], undefined, 0);
  return { hits, urls };
}

/**
 * When the mapping already has `KEY_env` beside the secret, renaming would write that key twice:
 * the fix removes the secret instead. Undefined when there is no such key; null when there is but
 * the secret cannot be cut out cleanly (then no fix at all).
 */
function sibling(doc: Document, text: string, h: Hit, newKey: string): Fix | null | undefined {
  const parent = doc.getIn(h.path.slice(0, -1), true);
  if (!isMap(parent)) return undefined;
  const env = parent.items.find((p) => isScalar(p.key) && String(p.key.value) === newKey);
  if (!env) return undefined;
  const title = `Remove the secret: \`${newKey}\` is already set beside it`;
  const fix = (start: number, end: number): Fix => ({
    title,
    edits: [{ range: { start, end }, newText: '' }],
    preferred: true,
  });
  if (parent.flow) {
    // from the end of the item before (its comma included) to the end of the secret
    const i = parent.items.findIndex((p) => (p.key as Node | null)?.range?.[0] === h.keyRange.start);
    const prev = (parent.items[i - 1]?.value ?? parent.items[i - 1]?.key) as Node | null | undefined;
    const next = parent.items[i + 1]?.key as Node | null | undefined;
    if (i < 0 || /[\r\n]/.test(h.written)) return null;
    if (prev?.range) return fix(prev.range[1], h.range.end);
    return next?.range ? fix(h.keyRange.start, next.range[0]) : null;
  }
  const start = text.lastIndexOf('\n', h.keyRange.start - 1) + 1;
  if (!/^ *$/.test(text.slice(start, h.keyRange.start))) return null;
  const valueEnd = h.written.endsWith('\n') ? h.range.end - 1 : h.range.end;
  const nl = text.indexOf('\n', valueEnd);
  return fix(start, nl < 0 ? text.length : nl + 1);
}

export const rule: Rule = {
  id: 'secret-inline',
  defaultSeverity: 'error',
  summary: 'A password, passphrase or key is written in the plan instead of *_env/*_file.',
  check(ctx) {
    if (!ctx.doc) return [];
    const { hits, urls } = scanDoc(ctx.doc, ctx.text);
    const byRange = new Map<string, Hit>();
    for (const h of hits) byRange.set(`${h.range.start}:${h.range.end}`, h);
    const unique = [...byRange.values()];

    // Suggested variable names; a conventional name wanted by two places gets the entity prefixed.
    const suggestion = new Map<Hit, string>();
    for (const h of unique) {
      const conv = conventional(ctx.model, h.path, h.key);
      suggestion.set(h, conv ?? envName(h.path.slice(1)));
    }
    const counts = new Map<string, number>();
    for (const s of suggestion.values()) counts.set(s, (counts.get(s) ?? 0) + 1);
    for (const [h, s] of suggestion) if ((counts.get(s) ?? 0) > 1 && typeof h.path[1] === 'string') suggestion.set(h, envName([h.path[1], s]));

    const out: RuleFinding[] = [];
    for (const h of unique) {
      const where = describe(h.path);
      if (h.inEnv) {
        out.push({
          range: h.range,
          message: `the secret ${where} is written in the plan: remove it and export \`${h.key}\` in the environment that runs backplan (secrets come from \`*_env\` or \`*_file\`)`,
        });
        continue;
      }
      const name = suggestion.get(h)!;
      const newKey = `${h.key}_env`;
      // the title says where the secret goes: the fix only writes the variable's name
      const removal = sibling(ctx.doc, ctx.text, h, newKey);
      const fix: Fix | null = removal !== undefined ? removal : {
        title: `Read it from the environment: \`${newKey}: ${name}\` (then export ${name} where backplan runs)`,
        edits: [
          { range: h.keyRange, newText: newKey },
          { range: h.range, newText: name + (h.written.endsWith('\n') ? '\n' : '') },
        ],
        preferred: true,
      };
      out.push({
        range: h.range,
        message:
          `${where} is written in the plan: a secret must not be. Replace it with \`${newKey}: ${name}\` and export ${name} ` +
          `before running backplan (or \`${h.key}_file: PATH\` to read it from a file)`,
        ...(fix ? { fixes: [fix] } : {}),
      });
    }
    for (const u of urls) {
      out.push({
        range: u.range,
        message: `${describe(u.path)} carries a password in its user info: remove it from the URL and pass it through \`password_env\` or \`password_file\``,
      });
    }
    return out;
  },
};
