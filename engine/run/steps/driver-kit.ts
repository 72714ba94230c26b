// What every kind driver needs: reading and validating the job's fields, resolving hosts,
// storage, policy and secrets, naming copies, and collecting steps and errors. A driver reports
// every problem it finds (as a message) instead of throwing.
import { DateTime } from 'luxon';
import type { HostModel, JobModel, PlanModel, PolicyModel, StorageModel, YamlPath } from '../../plan/model';
import { absPathProblem, hasControl, hostProblems, isLocalHost, LOCAL, nameProblem } from '../exec/quote';
import type { Command, EnvValue, Inventory, Phase, PruneSpec, Step, StepOutput } from './step';

/** Live state a runner learned from inventory before planning; absent in a pure dry run. */
export interface JobState {
  /** Newest copy the job's source holds (a snapshot name), when this run does not make one. */
  latest?: string;
  /** Oldest copy the job's source holds: a first `pruner: sanoid` send starts from it (as syncoid does). */
  oldest?: string;
  /** Newest snapshot present on both sides of a replication (zfs/btrfs send base). */
  base?: string;
  /** zfs `receive_resume_token` of the target dataset (an interrupted resumable receive). */
  resumeToken?: string;
  /** rsync: the newest complete dated directory, for --link-dest. */
  previous?: string;
  /** The replication target already exists. */
  targetExists?: boolean;
  /** btrfs-send: subvolumes an interrupted receive left on the target, removed before sending. */
  incomplete?: string[];
}

/** What a job makes in this run, for the jobs that copy it. */
export interface Produced {
  /** The copy's name (a snapshot name). */
  name: string;
  host: string;
  /** Kind-specific location: the dataset, the snapshot directory, the instance ... */
  where: string;
}

export interface DriverContext {
  /** The run's clock, epoch milliseconds. */
  now: number;
  runId?: string;
  state?: Record<string, JobState>;
  /** Filled by planSteps with what earlier jobs of this run make. */
  produced?: Record<string, Produced>;
  /**
   * Names already present where a job writes its copies (files, directories, snapshots), by
   * job, read by the runner before the job starts: a copy name that is taken gets a suffix
   * (`-2`, `-3` ...) instead of failing at the final rename after all the work.
   */
  taken?: Record<string, ReadonlySet<string>>;
}

type DraftOf<T> = T extends unknown ? Omit<T, 'id' | 'job' | 'after'> & { after?: string[] } : never;
export type StepDraft = DraftOf<Step>;

/**
 * A driver error and, when it is about one field, where that field is written in the plan (a
 * YAML path: of the job, its host or its storage), so `backplan check` can point at it.
 */
export interface DriverProblem {
  message: string;
  at?: YamlPath;
}

export interface DriverResult {
  steps: Step[];
  errors: string[];
  /** The same errors with their place in the plan (set by every driver built on Kit). */
  problems?: DriverProblem[];
  produced?: Produced;
}

export type Driver = (job: JobModel, plan: PlanModel, ctx: DriverContext) => DriverResult;

const SNAPSHOT_NAME = /^[A-Za-z0-9][A-Za-z0-9._:+-]*$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const TOOL_NAME = /^(\/[^\0\n]+|[A-Za-z0-9][A-Za-z0-9._+-]*)$/;

export const DEFAULT_PREFIX = 'backplan-';

export class Kit {
  readonly problems: DriverProblem[] = [];
  readonly steps: Step[] = [];
  produced?: Produced;

  constructor(
    readonly job: JobModel,
    readonly plan: PlanModel,
    readonly ctx: DriverContext,
  ) {}

  get raw(): Record<string, unknown> {
    return this.job.raw ?? {};
  }

  get state(): JobState {
    return this.ctx.state?.[this.job.name] ?? {};
  }

  get errors(): string[] {
    return this.problems.map((p) => p.message);
  }

  /** Report a problem; `at` is the plan path of the field it is about, when there is one. */
  err(message: string, at?: YamlPath): void {
    this.problems.push(at ? { message, at } : { message });
  }

  /** The path of one of the job's own fields. */
  at(...field: (string | number)[]): YamlPath {
    return [...this.job.at, ...field];
  }

  result(): DriverResult {
    return this.problems.length
      ? { steps: [], errors: this.errors, problems: this.problems }
      : { steps: this.steps, errors: [], produced: this.produced };
  }

  // ---- fields --------------------------------------------------------------------------------

  /**
   * A name-like string field (dataset, instance, database ...). `at` defaults to the job's own
   * field when `value` is that field's value (a value taken from elsewhere passes its own path).
   */
  name(
    field: string,
    value: unknown = this.raw[field],
    required = true,
    at = this.ownAt(field, value),
  ): string | undefined {
    if (value === undefined || value === null) {
      if (required) this.err(`\`${field}\` is required for kind ${this.job.kind}`, at);
      return undefined;
    }
    const v = typeof value === 'number' ? String(value) : value;
    const bad = nameProblem(v);
    if (bad) {
      this.err(`\`${field}\` ${bad}`, at);
      return undefined;
    }
    return v as string;
  }

  /** An absolute path field (`at` as for name). */
  absPath(
    field: string,
    value: unknown = this.raw[field],
    required = true,
    at = this.ownAt(field, value),
  ): string | undefined {
    if (value === undefined || value === null) {
      if (required) this.err(`\`${field}\` is required for kind ${this.job.kind}`, at);
      return undefined;
    }
    const bad = absPathProblem(value);
    if (bad) {
      this.err(`\`${field}\` ${bad}`, at);
      return undefined;
    }
    return trimSlash(value as string);
  }

  /** The job's own `field` when `value` is what the job wrote there (or both are absent). */
  private ownAt(field: string, value: unknown): YamlPath | undefined {
    return value === this.raw[field] ? this.at(field) : undefined;
  }

  /** A string or a list of strings; each checked with `check`. */
  list(field: string, check: (v: unknown) => string | undefined, required: boolean): string[] {
    const value = this.raw[field];
    if (value === undefined || value === null) {
      if (required) this.err(`\`${field}\` is required for kind ${this.job.kind}`, this.at(field));
      return [];
    }
    const items = Array.isArray(value) ? value : [value];
    if (items.length === 0 && required) this.err(`\`${field}\` must not be empty`, this.at(field));
    const out: string[] = [];
    items.forEach((item, i) => {
      const v = typeof item === 'number' ? String(item) : item;
      const bad = check(v);
      if (bad)
        this.err(
          `\`${field}\`${Array.isArray(value) ? `[${i}]` : ''} ${bad}`,
          Array.isArray(value) ? this.at(field, i) : this.at(field),
        );
      else out.push(v as string);
    });
    return out;
  }

  paths(required = true): string[] {
    return this.list('paths', absPathProblem, required).map(trimSlash);
  }

  /** `exclude` patterns: passed as `--exclude=PATTERN`, so any text without control characters. */
  excludes(): string[] {
    return this.list(
      'exclude',
      (v) =>
        typeof v !== 'string' || v === ''
          ? 'must be a non-empty string'
          : hasControl(v)
            ? 'contains a control character'
            : undefined,
      false,
    );
  }

  // ---- hosts, storage, policy ----------------------------------------------------------------

  hostModel(name: string | undefined): HostModel | undefined {
    return name === undefined ? undefined : this.plan.hosts.get(name);
  }

  /**
   * Resolve a host name of the plan to LOCAL or itself; report unknown or unusable hosts. `at`
   * is where the name is written (the job's `host` unless said otherwise).
   */
  hostRef(name: string | undefined, what = 'host', at: YamlPath = this.at('host')): string {
    if (name === undefined) return LOCAL;
    const h = this.plan.hosts.get(name);
    if (!h) {
      this.err(`${what} \`${name}\` is not defined under hosts`, at);
      return name;
    }
    if (isLocalHost(h)) return LOCAL;
    if (name === LOCAL)
      this.err(`host \`${LOCAL}\` is reserved for this machine; give the remote host another name`, h.at);
    for (const p of hostProblems(h)) this.err(p, h.at);
    return name;
  }

  /** The job's own host (where it reads its data). */
  jobHost(): string {
    return this.hostRef(this.job.host);
  }

  storage(name: string | undefined, field: string, required = true): StorageModel | undefined {
    if (name === undefined) {
      if (required) this.err(`\`${field}\` (a storage name) is required for kind ${this.job.kind}`, this.at(field));
      return undefined;
    }
    const s = this.plan.storage.get(name);
    if (!s) this.err(`${field} \`${name}\` is not defined under storage`, this.at(field));
    return s;
  }

  storageHost(s: StorageModel): string {
    return this.hostRef(s.host, `storage ${s.name}: host`, [...s.at, 'host']);
  }

  /** The storage's directory, checked; the job's own directory is `<path>/<job>`. */
  storagePath(s: StorageModel): string | undefined {
    if (s.path === undefined) {
      this.err(`storage \`${s.name}\` needs a \`path\` (a directory on its host) for kind ${this.job.kind}`, s.at);
      return undefined;
    }
    const bad = absPathProblem(s.path);
    if (bad) {
      this.err(`storage \`${s.name}\`: path ${bad}`, [...s.at, 'path']);
      return undefined;
    }
    return trimSlash(s.path);
  }

  policy(): PolicyModel | undefined {
    const r = this.job.retention;
    if (r === undefined) return undefined;
    if (typeof r === 'string') {
      const p = this.plan.policies.get(r);
      if (!p) this.err(`retention \`${r}\` is not defined under policies`, this.at('retention'));
      return p;
    }
    return r;
  }

  minOf(p: PolicyModel): number {
    return typeof p.min === 'number' && Number.isInteger(p.min) && p.min >= 1 ? p.min : 1;
  }

  /** The zone of the job's host, else the plan's. */
  timezone(hostName: string | undefined = this.job.host): string {
    const h = this.hostModel(hostName);
    return (h?.timezone as string | undefined) || this.plan.timezone || 'UTC';
  }

  /** A tool's binary on a host: `hosts.X.tools.<tool>` overrides it (a name or absolute path). */
  tool(hostName: string | undefined, tool: string): string {
    const h = this.hostModel(hostName);
    const tools = h?.raw?.tools;
    const v = tools && typeof tools === 'object' ? (tools as Record<string, unknown>)[tool] : undefined;
    if (v === undefined) return tool;
    if (typeof v !== 'string' || !TOOL_NAME.test(v)) {
      this.err(`host ${hostName}: tools.${tool} must be a command name or an absolute path`, [...h!.at, 'tools', tool]);
      return tool;
    }
    return v;
  }

  // ---- secrets -------------------------------------------------------------------------------

  /**
   * Secret references of the job (then of `storage`): `<base>_env` names an environment variable,
   * `<base>_file` a file, both read by the runner. A secret written inline is refused.
   */
  secret(base: string, storage?: StorageModel): EnvValue | undefined {
    for (const [where, raw, at] of [
      ['job', this.raw, this.job.at],
      [`storage ${storage?.name}`, storage?.raw, storage?.at ?? []],
    ] as const) {
      if (!raw) continue;
      if (raw[base] !== undefined) {
        this.err(`${where}: \`${base}\` is written in the plan; use \`${base}_env\` or \`${base}_file\` instead`, [
          ...at,
          base,
        ]);
        return undefined;
      }
      const env = raw[`${base}_env`];
      if (env !== undefined) {
        if (typeof env !== 'string' || !ENV_NAME.test(env)) {
          this.err(`${where}: \`${base}_env\` must be an environment variable name`, [...at, `${base}_env`]);
          return undefined;
        }
        return { fromEnv: env };
      }
      const file = raw[`${base}_file`];
      if (file !== undefined) {
        const bad = absPathProblem(file);
        if (bad) {
          this.err(`${where}: \`${base}_file\` ${bad}`, [...at, `${base}_file`]);
          return undefined;
        }
        return { fromFile: file as string };
      }
    }
    return undefined;
  }

  // ---- naming --------------------------------------------------------------------------------

  /**
   * The copy's name: `pattern` expanded at `now`, or `<prefix>YYYYMMDDTHHMMSSZ` (UTC). When the
   * runner found that name taken where the copy goes (`ctx.taken`: the name with `ext`, its
   * `.partial` or its `.sha256`), the first free `NAME-2`, `NAME-3` ... instead: a copy is never
   * replaced, and a second run in the same second still gets a name of its own.
   */
  copyName(defaultPrefix: string, ext = ''): { name: string; match: string } | undefined {
    const named = this.baseCopyName(defaultPrefix);
    if (!named) return undefined;
    const taken = this.ctx.taken?.[this.job.name];
    const isTaken = (n: string) =>
      taken !== undefined && [n + ext, `${n}${ext}.partial`, `${n}${ext}.sha256`].some((x) => taken.has(x));
    let name = named.name;
    for (let i = 2; isTaken(name); i++) name = `${named.name}-${i}`;
    return { name, match: named.match };
  }

  private baseCopyName(defaultPrefix: string): { name: string; match: string } | undefined {
    const pattern = this.raw.pattern;
    if (pattern === undefined || pattern === null) {
      return { name: `${defaultPrefix}${utcStamp(this.ctx.now)}`, match: `${defaultPrefix}*` };
    }
    if (typeof pattern !== 'string') {
      this.err('`pattern` must be a string such as `backplan-%Y%m%d-%H%M%S`', this.at('pattern'));
      return undefined;
    }
    const r = expandPattern(pattern, this.ctx.now, this.timezone());
    if (!r.ok) {
      this.err(`\`pattern\` ${r.message}`, this.at('pattern'));
      return undefined;
    }
    if (!SNAPSHOT_NAME.test(r.name)) {
      this.err(
        `\`pattern\` gives \`${r.name}\`: names may hold letters, digits and . _ : + - only, and must start with a ` +
          `letter or digit`,
        this.at('pattern'),
      );
      return undefined;
    }
    return { name: r.name, match: r.match };
  }

  // ---- steps ---------------------------------------------------------------------------------

  /**
   * The job's `timeout`, for each of its steps: `timeout: 20min` (the stall timeout: no output
   * and no progress for that long) or `timeout: { stall: 20min, total: 6h }` (and never longer
   * than `total` in all). Durations in `s`, `min`, `h`, `d`, combinable (`1h30min`).
   */
  stepTimeout(): { stallMs: number; totalMs?: number } | undefined {
    const t = this.raw.timeout;
    if (t === undefined || t === null) return undefined;
    const at = this.at('timeout');
    if (typeof t === 'string') {
      const ms = stepDurationMs(t);
      if (ms === undefined) this.err(`\`timeout\` ${STEP_DURATION_HINT}`, at);
      return ms === undefined ? undefined : { stallMs: ms };
    }
    if (typeof t !== 'object' || Array.isArray(t) || Object.keys(t).some((k) => k !== 'stall' && k !== 'total')) {
      this.err('`timeout` must be a duration (the stall timeout) or `{ stall: DURATION, total: DURATION }`', at);
      return undefined;
    }
    const o = t as { stall?: unknown; total?: unknown };
    const get = (k: 'stall' | 'total'): number | undefined => {
      if (o[k] === undefined) return undefined;
      const ms = typeof o[k] === 'string' ? stepDurationMs(o[k] as string) : undefined;
      if (ms === undefined) this.err(`\`timeout.${k}\` ${STEP_DURATION_HINT}`, [...at, k]);
      return ms;
    };
    const stall = get('stall');
    const total = get('total');
    if (stall === undefined && total === undefined) return undefined;
    return { stallMs: stall ?? DEFAULT_STEP_STALL_MS, ...(total !== undefined ? { totalMs: total } : {}) };
  }

  add(draft: StepDraft): Step {
    const id = `${this.job.name}/${this.steps.length + 1}`;
    const prev = this.steps[this.steps.length - 1];
    const timeout = this.steps.length === 0 ? this.stepTimeout() : this.steps[0].timeout;
    const step = {
      ...draft,
      id,
      job: this.job.name,
      after: draft.after ?? (prev ? [prev.id] : []),
      ...(timeout ? { timeout } : {}),
    } as Step;
    this.steps.push(step);
    return step;
  }

  command(
    phase: Phase,
    description: string,
    cmd: Command,
    extra: Partial<Omit<Step & { type: 'command' }, 'type'>> = {},
  ): Step {
    return this.add({ type: 'command', phase, description, ...cmd, ...extra } as StepDraft);
  }

  /** A native prune of `inventory` by `policy`, after the previous step. */
  prune(
    description: string,
    host: string,
    policy: PolicyModel,
    inventory: Inventory,
    extra: Partial<PruneSpec> = {},
  ): Step {
    return this.add({
      type: 'prune',
      phase: 'prune',
      description,
      host,
      prune: { engine: 'native', policy, timezone: this.timezone(), min: this.minOf(policy), inventory, ...extra },
    });
  }

  /** Names of the jobs of `kind` that copy this job (`from: <this job>`). */
  consumers(kind: string): string[] {
    return [...this.plan.jobs.values()].filter((j) => j.from === this.job.name && j.kind === kind).map((j) => j.name);
  }

  /** The `from` job, which must be of `kind`. */
  source(kind: string): JobModel | undefined {
    const from = this.job.from !== undefined ? this.plan.jobs.get(this.job.from) : undefined;
    if (!from)
      this.err(
        this.job.from === undefined
          ? `\`from\` (a ${kind} job) is required for ${this.job.kind}`
          : `from \`${this.job.from}\` is not a job of this plan`,
        this.at('from'),
      );
    else if (from.kind !== kind)
      this.err(`from \`${from.name}\` is a ${from.kind} job; ${this.job.kind} copies a ${kind} job`, this.at('from'));
    return from?.kind === kind ? from : undefined;
  }

  /** Snapshot names learned from inventory must be plain names before they enter argv. */
  checkInventoryNames(...names: (string | undefined)[]): void {
    for (const v of names)
      if (v !== undefined && !SNAPSHOT_NAME.test(v)) this.err(`inventory name \`${v}\` is not a plain snapshot name`);
  }

  /**
   * Where a repository-type kind (restic, borg) keeps its repository on `to`: its `url` as
   * written, else `<path>/<job>` on the storage's host, which is the job's host (`local`) or
   * another host reached over ssh (`remote`).
   */
  repository(to: StorageModel, jobHost: string): { url: string } | { path: string; remote?: HostModel } | undefined {
    if (to.url !== undefined) {
      if (typeof to.url !== 'string' || to.url === '' || to.url.startsWith('-') || hasControl(to.url)) {
        this.err(
          `storage \`${to.name}\`: url must be a repository address (not empty, not starting with '-', no control ` +
            `characters)`,
          [...to.at, 'url'],
        );
        return undefined;
      }
      return { url: to.url };
    }
    // Each job owns `<path>/<job>`, as for every other kind (a shared repository is a `url`).
    const base = this.storagePath(to);
    if (!base) return undefined;
    const path = `${base}/${this.job.name}`;
    const sHost = this.storageHost(to);
    if (sHost === jobHost) return { path };
    if (sHost === LOCAL) {
      this.err(
        `storage \`${to.name}\` is on this machine but the job runs on \`${this.job.host}\`: give the storage a url ` +
          `the job's host can reach`,
        this.at('to'),
      );
      return undefined;
    }
    return { path, remote: this.hostModel(to.host)! };
  }

  /** `mkdir -p -- DIR` on a host (setup). */
  mkdir(host: string, dir: string): Step {
    return this.command('setup', `create ${dir} if missing`, { host, argv: ['mkdir', '-p', '--', dir] });
  }

  /** gpg encryption stage when the job has `encrypt: {gpg: {recipient}}`; undefined otherwise. */
  gpgStage(host: string): Command | undefined {
    const enc = this.job.encrypt;
    if (enc === undefined || enc === null) return undefined;
    const gpg = (enc as Record<string, unknown>).gpg as Record<string, unknown> | undefined;
    const keys = Object.keys(enc);
    if (!gpg || typeof gpg !== 'object' || keys.some((k) => k !== 'gpg')) {
      this.err('`encrypt` supports only `{gpg: {recipient: KEY}}`', this.at('encrypt'));
      return undefined;
    }
    const rec = gpg.recipient;
    const recipients = Array.isArray(rec) ? rec : [rec];
    if (rec === undefined || recipients.length === 0) {
      this.err('`encrypt.gpg.recipient` is required (a key id, fingerprint or e-mail)', this.at('encrypt', 'gpg'));
      return undefined;
    }
    const argv = [this.tool(this.job.host, 'gpg'), '--batch', '--no-tty', '--encrypt'];
    for (const [i, r] of recipients.entries()) {
      const bad = nameProblem(r);
      if (bad) {
        this.err(
          `\`encrypt.gpg.recipient\` ${bad}`,
          this.at('encrypt', 'gpg', 'recipient', ...(Array.isArray(rec) ? [i] : [])),
        );
        return undefined;
      }
      argv.push('--recipient', r as string);
    }
    return { host, argv };
  }

  /** A file output named `<dir>/<name>` on `host`, written from stdout. */
  fileOutput(host: string, dir: string, name: string): StepOutput {
    const path = `${dir}/${name}`;
    return { host, path, partial: `${path}.partial`, kind: 'file', via: 'stdout' };
  }
}

/** The runner's stall timeout when a job sets none (exec/process.ts DEFAULT_STALL_MS, the same). */
export const DEFAULT_STEP_STALL_MS = 30 * 60_000;
const STEP_DURATION_HINT = 'must be a duration such as `30s`, `20min`, `6h` or `1h30min` (units `s min h d`), above 0';
const STEP_UNITS: Record<string, number> = { s: 1_000, min: 60_000, h: 3_600_000, d: 86_400_000 };

/** `30s`, `20min`, `1h30min` ... in milliseconds; undefined when not such a duration or 0. */
export function stepDurationMs(text: string): number | undefined {
  const rx = /\s*(\d+)\s*(s|min|h|d)\s*/gy;
  let ms = 0;
  let m: RegExpExecArray | null;
  let end = 0;
  while ((m = rx.exec(text)) !== null) {
    ms += Number(m[1]) * STEP_UNITS[m[2]];
    end = rx.lastIndex;
  }
  return end === text.length && end > 0 && ms > 0 ? ms : undefined;
}

export function trimSlash(p: string): string {
  return p.length > 1 ? p.replace(/\/+$/, '') : p;
}

/**
 * The default name's stamp, to the second (`20261203T071952Z`): sortable, and two runs in the
 * same minute get different names. Names to the minute (`20261203T0719Z`, made before) are still
 * read back (names.ts).
 */
export function utcStamp(now: number): string {
  return DateTime.fromMillis(now, { zone: 'UTC' }).toFormat("yyyyLLdd'T'HHmmss'Z'");
}

/**
 * strftime subset for `pattern`: %Y %y %m %d %H %M %S %j %%, in `zone`. Returns the name and a
 * glob matching every name the pattern can make (each field becomes `*`).
 */
export function expandPattern(
  pattern: string,
  now: number,
  zone: string,
): { ok: true; name: string; match: string } | { ok: false; message: string } {
  const t = DateTime.fromMillis(now, { zone });
  if (!t.isValid) return { ok: false, message: `cannot be expanded: unknown timezone \`${zone}\`` };
  const fields: Record<string, string> = {
    Y: t.toFormat('yyyy'),
    y: t.toFormat('yy'),
    m: t.toFormat('LL'),
    d: t.toFormat('dd'),
    H: t.toFormat('HH'),
    M: t.toFormat('mm'),
    S: t.toFormat('ss'),
    j: t.toFormat('ooo'),
  };
  let name = '';
  let match = '';
  let sawField = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c !== '%') {
      if (c === '*' || c === '?' || c === '[')
        return { ok: false, message: `must not contain glob characters (\`${c}\`)` };
      name += c;
      match += c;
      continue;
    }
    const f = pattern[++i];
    if (f === '%') {
      name += '%';
      match += '%';
    } else if (f !== undefined && fields[f] !== undefined) {
      name += fields[f];
      if (!match.endsWith('*')) match += '*';
      sawField = true;
    } else {
      return { ok: false, message: `has an unknown field \`%${f ?? ''}\`: use %Y %y %m %d %H %M %S %j or %%` };
    }
  }
  if (!sawField)
    return { ok: false, message: 'has no time field (%Y, %m, %d, %H, %M ...): every run would make the same name' };
  return { ok: true, name, match };
}

/**
 * The shared shape of kinds that stream one file (database dumps): PRODUCER [| gpg] > file in
 * `<to.path>/<job>/` on the storage's host, renamed when whole; then a native prune of those files.
 */
export function streamToFile(
  k: Kit,
  host: string,
  producer: Command | undefined,
  ext: string,
  what: string,
): DriverResult {
  const to = k.storage(k.job.to, 'to');
  const outHost = to ? k.storageHost(to) : LOCAL;
  const base = to ? k.storagePath(to) : undefined;
  const gpg = k.gpgStage(host);
  const fullExt = gpg ? `${ext}.gpg` : ext;
  const named = k.copyName(`${k.job.name}-`, fullExt);
  const policy = k.policy();
  if (k.errors.length || !producer || !base || !named) return k.result();
  const dir = `${base}/${k.job.name}`;
  const output = k.fileOutput(outHost, dir, `${named.name}${fullExt}`);
  const inventory = { type: 'files' as const, host: outHost, dir, match: `${named.match}${fullExt}` };
  k.mkdir(outHost, dir);
  k.command('backup', `${what} to ${output.path}`, producer, {
    ...(gpg ? { pipe: [gpg] } : {}),
    output,
    inventory,
    ...(gpg
      ? {
          notes: [
            `the recipient key must be in the keyring of ${host === LOCAL ? 'this machine' : host} and trusted (gpg ` +
              `--batch refuses untrusted keys)`,
          ],
        }
      : {}),
  });
  if (policy) k.prune(`prune ${dir} by policy`, outHost, policy, inventory);
  return k.result();
}

/** `--port=N` and `<userFlag>=U` from `db_port` / `db_user`. */
export function connection(k: Kit, userFlag: string): string[] {
  const out: string[] = [];
  const port = k.raw.db_port;
  if (port !== undefined) {
    if (typeof port === 'number' && Number.isInteger(port) && port >= 1 && port <= 65535) out.push(`--port=${port}`);
    else k.err('`db_port` must be an integer from 1 to 65535', k.at('db_port'));
  }
  const user = k.name('db_user', k.raw.db_user, false);
  if (user !== undefined) out.push(`${userFlag}=${user}`);
  return out;
}
