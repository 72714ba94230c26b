import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import { parseDocument } from 'yaml';
import { describe, expect, it } from 'vitest';
import { RULE_IDS } from '../../../engine/findings';
import { KIND_NAMES, KINDS } from '../../../engine/kinds';
import {
  annotatedValues,
  ANNOTATION_KEYWORDS,
  BACKPLAN_SCHEMA,
  describeAt,
  enumAt,
  fieldAt,
  propertiesAt,
  validateSchema,
  type SchemaIssue,
  type SchemaNode,
} from '../../../engine/plan/schema';

const ROOT = join(__dirname, '..', '..', '..');

/** Parse as the engine does: YAML 1.2 with merge keys resolved. */
function load(text: string): unknown {
  const doc = parseDocument(text, { merge: true });
  expect(doc.errors).toEqual([]);
  return doc.toJS();
}

const check = (text: string): SchemaIssue[] => validateSchema(load(text));

/** A valid plan to build variants on. */
const BASE = `version: 1
timezone: Europe/Paris
hosts:
  scylla: { address: 192.168.102.146, user: root, site: campus-a, role: primary }
  charybde: { address: 192.168.102.147, user: root, site: campus-b, role: storage }
storage:
  scylla-pool: { host: scylla, media: hdd }
  charybde-pool: { host: charybde, media: hdd }
policies:
  minet:
    tiers:
      - { keep: all, until: 15d }
      - { every: 1d, until: 1mo }
      - { every: 1mo }
jobs:
  vm-snapshots:
    kind: zfs-snapshot
    host: scylla
    dataset: raidZ/scylla_prod
    storage: scylla-pool
    schedule: "0 */6 * * *"
    retention: minet
  vm-replica:
    kind: zfs-send
    from: vm-snapshots
    to: charybde-pool
    dataset: raidZ/scylla_prod_back
    schedule: "30 */6 * * *"
    retention: minet
`;

describe('validateSchema: valid plans', () => {
  it('accepts the SPEC example and every plan of examples/', () => {
    expect(check(BASE)).toEqual([]);
    const dir = join(ROOT, 'examples');
    const files = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f));
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) {
      expect({ file: f, issues: check(readFileSync(join(dir, f), 'utf8')) }).toEqual({ file: f, issues: [] });
    }
  });

  it('accepts merge keys: the parser resolves `<<` before validation, so additionalProperties never sees it', () => {
    const text = `version: 1
x-nightly: &nightly
  host: scylla
  schedule: "0 2 * * *"
  retention: { keep: { daily: 7 } }
hosts:
  scylla: {}
storage:
  nas: { media: nas, path: /srv/backups }
jobs:
  etc:
    <<: *nightly
    kind: restic
    paths: [/etc]
    to: nas
  home:
    <<: [*nightly, { enabled: false }]
    kind: archive
    paths: [/home]
    to: nas
`;
    const value = load(text) as { jobs: Record<string, Record<string, unknown>> };
    expect(Object.keys(value.jobs.etc)).not.toContain('<<');
    expect(value.jobs.etc.schedule).toBe('0 2 * * *');
    expect(value.jobs.home.enabled).toBe(false);
    expect(validateSchema(value)).toEqual([]);
  });

  it('a plan parsed without merge keeps `<<`: it is still never reported as an unknown key', () => {
    const value = parseDocument('version: 1\njobs:\n  a:\n    <<: { kind: restic }\n    kind: restic\n    paths: [/x]\n    to: s\n').toJS();
    expect(validateSchema(value).filter((i) => i.path.includes('<<'))).toEqual([]);
  });

  it('leaves durations, cron, names and inline secrets to their own rules', () => {
    const text = BASE.replace('schedule: "0 */6 * * *"', 'schedule: "every six hours"\n    rpo: 6m')
      .replace('until: 15d', 'until: 15 days')
      .replace('retention: minet\n  vm-replica', 'retention: Minet!\n    password: hunter2\n  vm-replica')
      .replace('from: vm-snapshots', 'from: "VM snapshots"');
    expect(check(text)).toEqual([]);
  });
});

describe('validateSchema: unknown keys', () => {
  it('reports an unknown key at the top level, in a job and in a nested policy, with a suggestion', () => {
    const text = BASE.replace('timezone:', 'timezon:')
      .replace('retention: minet\n  vm-replica', 'retension: minet\n  vm-replica')
      .replace('- { every: 1mo }', '- { evry: 1mo }');
    const issues = check(text);
    expect(issues).toContainEqual({
      path: ['timezon'],
      part: 'key',
      message: 'unknown top-level key `timezon`: did you mean `timezone`?',
      suggestion: 'timezone',
    });
    expect(issues).toContainEqual({
      path: ['jobs', 'vm-snapshots', 'retension'],
      part: 'key',
      message: 'unknown key `retension` in job `vm-snapshots` (kind `zfs-snapshot`): did you mean `retention`?',
      suggestion: 'retention',
    });
    expect(issues).toContainEqual({
      path: ['policies', 'minet', 'tiers', 2, 'evry'],
      part: 'key',
      message: 'unknown key `evry` in `tiers[2]` of policy `minet`: did you mean `every`?',
      suggestion: 'every',
    });
    // the tier that lost its `every` keeps nothing: said once, on the tier
    expect(issues.filter((i) => i.path.join('/') === 'policies/minet/tiers/2')).toHaveLength(1);
    expect(issues).toHaveLength(4);
  });

  it('knows which keys each kind allows (unevaluatedProperties) and says where a misplaced field belongs', () => {
    const issues = check(`version: 1
jobs:
  web:
    kind: restic
    paths: [/srv]
    to: nas
    dataset: tank/web
    passphrase_env: BORG_PASSPHRASE
    pasword_env: RESTIC_PASSWORD
`);
    expect(issues).toEqual([
      {
        path: ['jobs', 'web', 'dataset'],
        part: 'key',
        message: '`dataset` does not apply to kind `restic` (it is a field of `zfs-snapshot`, `zfs-send`)',
      },
      {
        path: ['jobs', 'web', 'passphrase_env'],
        part: 'key',
        message: '`passphrase_env` does not apply to kind `restic` (it is a field of `borg`, `duplicity`)',
      },
      {
        path: ['jobs', 'web', 'pasword_env'],
        part: 'key',
        message: 'unknown key `pasword_env` in job `web` (kind `restic`): did you mean `password_env`?',
        suggestion: 'password_env',
      },
    ]);
  });

  it('does not call the fields of a kind unknown when another field of the job is wrong', () => {
    // a failing if/then branch drops the annotations of every key it declares; those keys
    // must not come back as "unknown"
    const issues = check('version: 1\njobs:\n  s:\n    kind: zfs-snapshot\n    recursive: true\n    pattern: "snap-%Y"\n    dataset: 7\n');
    expect(issues).toEqual([
      { path: ['jobs', 's', 'dataset'], part: 'value', message: '`dataset` must be text (got `7`)', suggestion: '"7"' },
    ]);
    const missing = check('version: 1\njobs:\n  s:\n    kind: zfs-snapshot\n    recursive: true\n');
    expect(missing.map((i) => i.path.join('/'))).toEqual(['jobs/s']);
  });

  it('accepts every kind field while the kind is missing or unknown, so the only error is on `kind`', () => {
    expect(check('version: 1\njobs:\n  s:\n    dataset: tank/x\n    recursive: true\n')).toEqual([
      {
        path: ['jobs', 's'],
        part: 'key',
        message: 'job `s` is missing `kind` (e.g. `kind: zfs-snapshot`)',
      },
    ]);
    const issues = check('version: 1\njobs:\n  s:\n    kind: zfs-snapshots\n    dataset: tank/x\n');
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ path: ['jobs', 's', 'kind'], part: 'value', suggestion: 'zfs-snapshot' });
    expect(issues[0].message).toMatch(/^`kind` must be one of `archive`, `restic`, .*\(got `zfs-snapshots`\): did you mean `zfs-snapshot`\?$/);
  });

  it('rejects names that break the naming rule, on the key, with a slug', () => {
    const issues = check(BASE.replace('  charybde: {', '  Charybde Prod: {'));
    expect(issues).toEqual([
      {
        path: ['hosts', 'Charybde Prod'],
        part: 'key',
        message:
          '`Charybde Prod` is not a valid host name: use lowercase letters, digits, `.`, `_` and `-`, starting with a letter or a digit',
        suggestion: 'charybde-prod',
      },
    ]);
  });

  it('frees top-level `x-` keys for anchors', () => {
    expect(check(`${BASE}x-anything: { whatever: [1, 2] }\n`)).toEqual([]);
  });
});

describe('validateSchema: required fields', () => {
  it('reports a missing kind and a missing dataset on the job key', () => {
    const issues = check(
      BASE.replace('    kind: zfs-snapshot\n', '').replace('    dataset: raidZ/scylla_prod_back\n', ''),
    );
    expect(issues).toEqual([
      { path: ['jobs', 'vm-snapshots'], part: 'key', message: 'job `vm-snapshots` is missing `kind` (e.g. `kind: zfs-snapshot`)' },
      {
        path: ['jobs', 'vm-replica'],
        part: 'key',
        message: 'job `vm-replica` (kind `zfs-send`) is missing `dataset` (e.g. `dataset: raidZ/scylla_prod_back`)',
      },
    ]);
  });

  it('merges several missing fields into one issue', () => {
    expect(check('version: 1\njobs:\n  r: { kind: restic }\n')).toEqual([
      {
        path: ['jobs', 'r'],
        part: 'key',
        message: 'job `r` (kind `restic`) is missing `paths` (e.g. `paths: [/etc, /srv/www]`) and `to` (e.g. `to: charybde-pool`)',
      },
    ]);
  });

  it('reports missing top-level keys on the plan, and a plan that is not a mapping', () => {
    expect(check('timezone: UTC\n')).toEqual([
      { path: [], part: 'key', message: 'the plan is missing `version` (e.g. `version: 1`) and `jobs` (e.g. `jobs: { vm-snapshots: { kind: zfs-snapshot, host: scylla, dataset: raidZ/scylla_prod, schedule: "0 */6 * * *", retention: minet } }`)' },
    ]);
    expect(validateSchema(null)).toEqual([
      { path: [], part: 'value', message: 'the plan must be a mapping with at least `version: 1` and `jobs:` (got nothing)' },
    ]);
    expect(validateSchema(['a'])[0].message).toContain('(got a list)');
  });

  it('explains either/or requirements in words', () => {
    const issues = check('version: 1\njobs:\n  img: { kind: openstack-image }\n  copy: { kind: incus-copy, from: img }\n  tier:\n    kind: archive\n    paths: [/x]\n    to: s\n    retention: { tiers: [{ until: 1d }] }\n');
    expect(issues).toEqual([
      {
        path: ['jobs', 'img'],
        part: 'key',
        message: 'job `img` (kind `openstack-image`): an openstack-image job images a `server` or a `volume`: name one of them',
      },
      {
        path: ['jobs', 'copy'],
        part: 'key',
        message: 'job `copy` (kind `incus-copy`): an incus-copy job names its target: `remote` (the standby host) or `to` (a storage on it)',
      },
      {
        path: ['jobs', 'tier', 'retention', 'tiers', 0],
        part: 'key',
        message: '`retention.tiers[0]` of job `tier`: this tier keeps nothing: add `keep: all` or `every: DURATION` (e.g. `every: 1d`)',
      },
    ]);
  });
});

describe('validateSchema: wrong values', () => {
  it('lists the allowed values of `role` and `media`, with the closest one', () => {
    const issues = check(BASE.replace('role: primary', 'role: primay').replace('{ host: charybde, media: hdd }', '{ host: charybde, media: disk }'));
    expect(issues).toEqual([
      {
        path: ['hosts', 'scylla', 'role'],
        part: 'value',
        message: '`role` must be one of `primary`, `standby`, `storage` (got `primay`): did you mean `primary`?',
        suggestion: 'primary',
      },
      {
        path: ['storage', 'charybde-pool', 'media'],
        part: 'value',
        message:
          '`media` must be one of `ssd`, `hdd`, `nas`, `san`, `tape`, `object`, `optical`, `cloud-volume`, `removable` (got `disk`)',
      },
    ]);
  });

  it('reports type errors on the value, with a fix where one is obvious', () => {
    const issues = check(`version: "1"
hosts:
  h: { port: "22x", address: 10.0.0.1 }
storage:
  s: { immutable: yes, replicated: 0, capacity: 4 tera }
jobs:
  r:
    kind: restic
    paths: [/etc]
    exclude: 5
    to: s
    enabled: "no"
    retention: 7
  v:
    kind: vzdump
    vmid: [101, x]
`);
    expect(issues).toEqual([
      { path: ['version'], part: 'value', message: '`version` must be `1` (got the text "1")', suggestion: '1' },
      { path: ['hosts', 'h', 'port'], part: 'value', message: '`port` must be a whole number (got `22x`)' },
      { path: ['storage', 's', 'immutable'], part: 'value', message: '`immutable` must be `true` or `false` (got `yes`)', suggestion: 'true' },
      { path: ['storage', 's', 'replicated'], part: 'value', message: '`replicated` must be at least 1 (got `0`)' },
      {
        path: ['storage', 's', 'capacity'],
        part: 'value',
        message: '`capacity` must be a size such as `500GB`, `4TB` or `1.5TiB` (got `4 tera`)',
      },
      {
        path: ['jobs', 'r', 'exclude'],
        part: 'value',
        message: '`exclude` must be a pattern, or a list of patterns such as `["*.tmp", /srv/cache]` (got `5`)',
        suggestion: '"5"',
      },
      { path: ['jobs', 'r', 'enabled'], part: 'value', message: '`enabled` must be `true` or `false` (got `no`)', suggestion: 'false' },
      {
        path: ['jobs', 'r', 'retention'],
        part: 'value',
        message: '`retention` must be a policy name, or an inline policy such as `{ keep: { daily: 7 } }` (got `7`)',
        suggestion: '"7"',
      },
      { path: ['jobs', 'v', 'vmid', 1], part: 'value', message: '`vmid[1]` must be a whole number (got `x`)' },
    ]);
  });

  it('keeps one error per value: the type, not the pattern or bounds behind it', () => {
    const issues = check('version: 1\npolicies:\n  p:\n    keep: { daily: five, weekly: -2, monthly: all, yearly: 1.5 }\njobs: {}\n');
    expect(issues.map((i) => [i.path.join('.'), i.message])).toEqual([
      ['policies.p.keep.daily', '`daily` must be a number of snapshots, or `all` (also `-1`) for no limit (got `five`)'],
      ['policies.p.keep.weekly', '`weekly` must be at least -1 (got `-2`): a number of snapshots, or `all` (also `-1`) for no limit'],
      ['policies.p.keep.yearly', '`yearly` must be a number of snapshots, or `all` (also `-1`) for no limit (got `1.5`)'],
    ]);
  });

  it('puts a conflict on the key that should go', () => {
    const issues = check(
      'version: 1\nstorage:\n  s: { path: /x, url: "s3:https://x/y" }\npolicies:\n  p: { tiers: [{ keep: all, every: 1d, until: 2d }] }\njobs: {}\n',
    );
    expect(issues).toEqual([
      {
        path: ['storage', 's', 'path'],
        part: 'key',
        message:
          '`path` and `url` cannot be used together: a storage is either a directory on its host (`path`) or a repository or bucket (`url`)',
      },
      {
        path: ['policies', 'p', 'tiers', 0, 'every'],
        part: 'key',
        message: 'a tier either keeps all snapshots (`keep: all`) or one per period (`every`), not both: split it into two tiers',
      },
    ]);
  });

  it('never repeats a value written in a secret field', () => {
    const issues = check('version: 1\njobs:\n  r:\n    kind: restic\n    paths: [/x]\n    to: s\n    password_env: "s3cr3t pa55!"\n');
    expect(issues).toHaveLength(1);
    expect(issues[0].path).toEqual(['jobs', 'r', 'password_env']);
    expect(issues[0].message).not.toContain('s3cr3t');
    expect(issues[0].message).toContain('the name of an environment variable');
    expect(check('version: 1\njobs:\n  r:\n    kind: restic\n    paths: [/x]\n    to: s\n    password_env: $RESTIC_PASSWORD\n')[0].suggestion).toBe(
      'RESTIC_PASSWORD',
    );
  });

  it('reports issues in document order', () => {
    const issues = check('version: 1\njobs:\n  b: { kind: restic, paths: [/x], to: s, foo: 1 }\n  a: { kind: nope }\nhosts:\n  h: { prot: 22 }\n');
    expect(issues.map((i) => i.path.join('.'))).toEqual(['jobs.b.foo', 'jobs.a.kind', 'hosts.h.prot']);
  });
});

// ---------------------------------------------------------------------------------------------

/** Every property schema of the schema file, with a readable location. */
function allProperties(): { where: string; schema: SchemaNode }[] {
  const out: { where: string; schema: SchemaNode }[] = [];
  const walk = (node: unknown, where: string): void => {
    if (Array.isArray(node)) {
      node.forEach((n, i) => walk(n, `${where}[${i}]`));
      return;
    }
    if (typeof node !== 'object' || node === null) return;
    for (const [k, v] of Object.entries(node)) {
      if (k === 'properties' && typeof v === 'object' && v !== null) {
        for (const [name, sub] of Object.entries(v)) {
          out.push({ where: `${where}.${name}`, schema: sub as SchemaNode });
          walk(sub, `${where}.${name}`);
        }
      } else if (!['examples', 'default', 'enum', 'const', 'if'].includes(k)) {
        walk(v, `${where}/${k}`);
      }
    }
  };
  walk(BACKPLAN_SCHEMA, '#');
  return out;
}

describe('the schema file', () => {
  it('is a valid draft 2020-12 schema', () => {
    const ajv = new Ajv2020({ strict: false });
    expect(BACKPLAN_SCHEMA.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(ajv.validateSchema(BACKPLAN_SCHEMA)).toBe(true);
    expect(ajv.errors).toBeNull();
  });

  it('compiles in strict mode with the annotation keywords registered', () => {
    const ajv = new Ajv2020({ strict: true, strictTypes: false, strictRequired: false, allowUnionTypes: true });
    ajv.addVocabulary([...ANNOTATION_KEYWORDS]);
    expect(() => ajv.compile(BACKPLAN_SCHEMA)).not.toThrow();
    const bare = new Ajv2020({ strict: true, strictTypes: false, strictRequired: false, allowUnionTypes: true });
    expect(() => bare.compile(BACKPLAN_SCHEMA)).toThrow(/unknown keyword/);
  });

  it('documents every property: markdownDescription and examples (user docs in hover and completion)', () => {
    const props = allProperties();
    expect(props.length).toBeGreaterThan(100);
    const undocumented = props
      .filter(({ schema }) => schema !== null && typeof schema === 'object' && Object.keys(schema).length > 0)
      .filter(({ schema }) => !(typeof schema.$ref === 'string' && Object.keys(schema).length === 1)) // a bare $ref: documented at its target
      .filter(({ schema }) => !(schema.not !== undefined)) // conflict markers
      .filter(({ schema }) => typeof schema.markdownDescription !== 'string' || !Array.isArray(schema.examples) || schema.examples.length === 0)
      .map(({ where }) => where);
    expect(undocumented).toEqual([]);
    // bare $refs point at documented fields
    for (const { where, schema } of props) {
      if (typeof schema.$ref === 'string' && Object.keys(schema).length === 1) {
        const target = schema.$ref.replace('#/$defs/', '');
        const def = (BACKPLAN_SCHEMA.$defs as Record<string, SchemaNode>)[target];
        expect({ where, documented: typeof def.markdownDescription === 'string' && Array.isArray(def.examples) }).toEqual({
          where,
          documented: true,
        });
      }
    }
  });

  it('has an example for every property that validates where it stands', () => {
    // each example of each job field, put into a job of a kind that has it, gives no issue on that field
    const jobFields = propertiesAt(['jobs', 'x']);
    for (const field of jobFields) {
      if (field.name === 'kind' || field.deprecated) continue;
      const kind = KIND_NAMES.find((k) => propertiesAt(['jobs', 'x'], { jobs: { x: { kind: k } } }).some((p) => p.name === field.name));
      expect(kind, field.name).toBeDefined();
      for (const example of field.examples) {
        const plan = { version: 1, jobs: { x: { kind, [field.name]: example } } };
        const onField = validateSchema(plan).filter((i) => i.path[2] === field.name);
        expect({ field: field.name, example, onField }).toEqual({ field: field.name, example, onField: [] });
      }
    }
  });

  it('lists exactly the kinds of engine/kinds.ts, each allowing the fields that name its data', () => {
    const kinds = enumAt(['jobs', 'x', 'kind'])!.map((v) => v.value);
    expect(kinds).toEqual(KIND_NAMES);
    for (const kind of KIND_NAMES.filter((k) => !KINDS[k].copiesFrom)) {
      const allowed = propertiesAt(['jobs', 'x'], { jobs: { x: { kind } } }).map((p) => p.name);
      for (const f of KINDS[kind].dataFields) expect({ kind, f, allowed: allowed.includes(f) }).toEqual({ kind, f, allowed: true });
    }
    expect(enumAt(['jobs', 'x', 'kind'])!.every((v) => typeof v.description === 'string')).toBe(true);
  });

  it('has a severity entry for every rule id', () => {
    const keys = propertiesAt(['checks']).map((p) => p.name);
    for (const id of RULE_IDS) expect(keys).toContain(id);
    expect(enumAt(['checks', 'unused'])!.map((v) => v.value)).toEqual(['error', 'warning', 'info', 'off']);
  });

  it('annotates every duration, cron, reference and typed value the engine reads', () => {
    const plan = load(BASE);
    const cases: [(string | number)[], string, string | undefined, string | undefined][] = [
      // path, what, x-backplan-type, x-backplan-ref
      [['timezone'], 'plan timezone', 'timezone', undefined],
      [['hosts', 'scylla', 'timezone'], 'host timezone', 'timezone', undefined],
      [['storage', 'nas', 'host'], 'storage host', undefined, 'hosts'],
      [['storage', 'nas', 'capacity'], 'capacity', 'size', undefined],
      [['storage', 'nas', 'password_env'], 'storage secret', 'secret-env', undefined],
      [['policies', 'p', 'expiry'], 'expiry', 'duration', undefined],
      [['policies', 'p', 'tiers', 0, 'every'], 'every', 'duration', undefined],
      [['policies', 'p', 'tiers', 0, 'until'], 'until', 'duration', undefined],
      [['policies', 'p', 'keep', 'within'], 'within', 'duration', undefined],
      [['policies', 'p', 'keep', 'within_daily'], 'within_daily', 'duration', undefined],
      [['policies', 'p', 'keep', 'daily'], 'daily', 'count', undefined],
      [['jobs', 'vm-snapshots', 'schedule'], 'schedule', 'cron', undefined],
      [['jobs', 'vm-snapshots', 'prune_schedule'], 'prune_schedule', 'cron', undefined],
      [['jobs', 'vm-snapshots', 'verify', 'schedule'], 'verify schedule', 'cron', undefined],
      [['jobs', 'vm-snapshots', 'rpo'], 'rpo', 'duration', undefined],
      [['jobs', 'vm-snapshots', 'retention', 'expiry'], 'inline expiry', 'duration', undefined],
      [['jobs', 'vm-snapshots', 'size'], 'size', 'size', undefined],
      [['jobs', 'vm-snapshots', 'change'], 'change', 'change', undefined],
      [['jobs', 'vm-snapshots', 'host'], 'job host', undefined, 'hosts'],
      [['jobs', 'vm-snapshots', 'storage'], 'job storage', undefined, 'storage'],
      [['jobs', 'vm-snapshots', 'to'], 'job to', undefined, 'storage'],
      [['jobs', 'vm-snapshots', 'retention'], 'retention name', undefined, 'policies'],
      [['jobs', 'vm-replica', 'from'], 'from', undefined, 'jobs'],
      [['jobs', 'vm-replica', 'after'], 'after (one name)', undefined, 'jobs'],
      [['jobs', 'vm-replica', 'after', 0], 'after (list)', undefined, 'jobs'],
      [['jobs', 'x', 'password'], 'inline secret', 'secret-inline', undefined],
      [['checks', 'horizon'], 'horizon', 'duration', undefined],
      [['checks', 'default_rpo'], 'default_rpo', 'duration', undefined],
    ];
    for (const [path, what, type, ref] of cases) {
      const info = fieldAt(path, plan);
      expect({ what, type: info.valueType, ref: info.ref }).toEqual({ what, type, ref });
    }
    const copy = { jobs: { c: { kind: 'incus-copy' } } };
    expect(fieldAt(['jobs', 'c', 'remote'], copy).ref).toBe('hosts');
  });
});

describe('schemaInfo', () => {
  const plan = load(BASE);

  it('propertiesAt knows the kind of the job', () => {
    const zfs = propertiesAt(['jobs', 'vm-snapshots'], plan);
    const names = zfs.map((p) => p.name);
    expect(names).toEqual(expect.arrayContaining(['kind', 'host', 'schedule', 'retention', 'dataset', 'recursive', 'pattern']));
    expect(names).not.toContain('paths');
    expect(names).not.toContain('password'); // inline secrets are never offered
    expect(zfs.find((p) => p.name === 'dataset')).toMatchObject({ required: true, examples: ['raidZ/scylla_prod', 'tank/home'] });
    expect(zfs.find((p) => p.name === 'kind')?.required).toBe(true);
    expect(zfs.find((p) => p.name === 'host')?.required).toBe(false);
    // zfs-send documents its own `dataset`: the target
    expect(propertiesAt(['jobs', 'vm-replica'], plan).find((p) => p.name === 'dataset')?.description).toMatch(/^Target dataset/);
    // without a plan (or a kind) every field of every kind is offered
    expect(propertiesAt(['jobs', 'new']).map((p) => p.name)).toEqual(expect.arrayContaining(['dataset', 'paths', 'vmid']));
  });

  it('propertiesAt walks into retention, tiers, verify and checks', () => {
    // sanoid's frequent_period and btrbk's own terms are offered too (their descriptions say which pruner reads them)
    expect(propertiesAt(['jobs', 'vm-snapshots', 'retention'], plan).map((p) => p.name)).toEqual([
      'keep',
      'tiers',
      'expiry',
      'min',
      'frequent_period',
      'preserve',
      'preserve_min',
      'preserve_day_of_week',
      'preserve_hour_of_day',
      'description',
    ]);
    expect(propertiesAt(['policies', 'minet', 'tiers', 0], plan).map((p) => p.name)).toEqual(['keep', 'every', 'until']);
    expect(propertiesAt(['jobs', 'vm-snapshots', 'verify']).map((p) => p.name)).toEqual(['schedule', 'restore', 'check']);
    expect(propertiesAt(['checks', 'coverage']).map((p) => p.name)).toEqual(['copies', 'media', 'offsite', 'immutable', 'verified']);
    expect(propertiesAt(['hosts'])).toEqual([]); // names are free
  });

  it('describeAt and enumAt answer hover and completion', () => {
    expect(describeAt(['jobs', 'vm-snapshots', 'schedule'], plan)).toMatch(/5-field cron/);
    expect(describeAt(['hosts', 'scylla', 'role'], plan)).toMatch(/standby/);
    expect(describeAt(['jobs', 'vm-snapshots', 'nope'], plan)).toBeUndefined();
    expect(enumAt(['hosts', 'scylla', 'role'], plan)?.map((v) => v.value)).toEqual(['primary', 'standby', 'storage']);
    expect(enumAt(['jobs', 'vm-snapshots', 'verify', 'restore'])?.map((v) => v.value)).toEqual(['latest', 'sample']);
    expect(enumAt(['jobs', 'vm-snapshots', 'enabled'])?.map((v) => v.value)).toEqual([true, false]);
    expect(enumAt(['policies', 'p', 'tiers', 0, 'keep'])?.map((v) => v.value)).toEqual(['all']);
    expect(enumAt(['jobs', 'vm-snapshots', 'dataset'], plan)).toBeUndefined();
  });

  it('annotatedValues lists the values the dedicated rules read, in document order', () => {
    const found = annotatedValues(plan).map((a) => `${a.path.join('.')}=${a.type ?? ''}${a.ref ? `@${a.ref}` : ''}`);
    expect(found).toEqual([
      'timezone=timezone',
      'storage.scylla-pool.host=@hosts',
      'storage.charybde-pool.host=@hosts',
      'policies.minet.tiers.0.until=duration',
      'policies.minet.tiers.1.every=duration',
      'policies.minet.tiers.1.until=duration',
      'policies.minet.tiers.2.every=duration',
      'jobs.vm-snapshots.host=@hosts',
      'jobs.vm-snapshots.storage=@storage',
      'jobs.vm-snapshots.schedule=cron',
      'jobs.vm-snapshots.retention=@policies',
      'jobs.vm-replica.from=@jobs',
      'jobs.vm-replica.to=@storage',
      'jobs.vm-replica.schedule=cron',
      'jobs.vm-replica.retention=@policies',
    ]);
    // an inline retention is not a reference, but its durations are found
    const inline = load('version: 1\njobs:\n  a: { kind: zfs-snapshot, dataset: x, retention: { expiry: 7d } }\n');
    expect(annotatedValues(inline).map((a) => `${a.path.join('.')}=${a.type ?? ''}${a.ref ?? ''}`)).toEqual(['jobs.a.retention.expiry=duration']);
  });
});

describe('performance', () => {
  it('validates a 200-job plan quickly (time printed, not asserted)', () => {
    const lines = [BASE.replace(/jobs:[\s\S]*$/, 'jobs:')];
    for (let i = 0; i < 200; i++) {
      const kind = KIND_NAMES[i % KIND_NAMES.length];
      lines.push(`  job-${i}:\n    kind: ${kind}\n    host: scylla\n    schedule: "${i % 60} */6 * * *"\n    retention: minet\n    rpo: 6h\n    retension: oops`);
    }
    const plan = load(lines.join('\n') + '\n');
    validateSchema(plan); // warm-up
    const runs = 20;
    const start = performance.now();
    let issues: SchemaIssue[] = [];
    for (let i = 0; i < runs; i++) issues = validateSchema(plan);
    const perRun = (performance.now() - start) / runs;
    const validPlan = load(
      [BASE.replace(/jobs:[\s\S]*$/, 'jobs:'), ...Array.from({ length: 200 }, (_, i) => `  job-${i}:\n    kind: zfs-snapshot\n    host: scylla\n    dataset: tank/d${i}\n    schedule: "0 * * * *"\n    retention: minet`)].join('\n') + '\n',
    );
    const t0 = performance.now();
    for (let i = 0; i < runs; i++) expect(validateSchema(validPlan)).toEqual([]);
    const validPerRun = (performance.now() - t0) / runs;
    console.log(
      `validateSchema, 200 jobs: ${validPerRun.toFixed(2)} ms for a valid plan, ${perRun.toFixed(2)} ms for one with ${issues.length} issues`,
    );
    expect(issues.filter((i) => i.message.startsWith('unknown key `retension`'))).toHaveLength(200);
  });
});
