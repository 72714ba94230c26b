// The kinds the fault campaigns drive on this machine, each with local targets: how its job is
// written, what its repository needs first, how extra old copies are made (so a prune has work),
// how the tool itself checks the repository, and how a copy is fingerprinted once verified.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, linkSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hostileTree } from '../hostile-names';
import { parseCollectionStatus } from '../../../engine/run/inventory/duplicity';

export type KindName = 'archive' | 'rsync' | 'restic' | 'borg' | 'duplicity';
export const KIND_NAMES: readonly KindName[] = ['archive', 'rsync', 'restic', 'borg', 'duplicity'];

/** The job of every campaign plan. */
export const JOB = 'files';

/** Where one kind's campaign lives. */
export interface KindCtx {
  kind: KindName;
  dir: string;
  src: string;
  store: string;
  /** The job's copies: a directory (archive, rsync) or the repository (restic, borg, duplicity). */
  target: string;
  state: string;
  plan: string;
  /** The repository password (passed by environment only; must appear in no output). */
  secret: string;
  /** Environment of every backplan command (the secret under KC_SECRET, the tools' caches). */
  env: NodeJS.ProcessEnv;
  /** Environment of the campaign's own tool calls (checks, seeding). */
  toolEnv: NodeJS.ProcessEnv;
}

export interface ToolResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run a tool asynchronously (the campaign's own calls: checks and seeding), output collected. */
export function tool(argv: readonly string[], env: NodeJS.ProcessEnv, timeoutMs = 300_000): Promise<ToolResult> {
  return new Promise((resolve) => {
    const c = spawn(argv[0], argv.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    c.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    c.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => c.kill('SIGKILL'), timeoutMs);
    c.on('error', (e) => (stderr += String(e)));
    c.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** What a fault scenario changes in the campaign's job. */
export interface JobOpts {
  /** The retention mapping (default: keep the last 3, min 3; duplicity: keep 3 full chains). */
  retention?: string;
  /** More keys of the job (`timeout: 5s`). */
  extra?: string;
}

const more = (o?: JobOpts) => (o?.extra ? `, ${o.extra}` : '');

export interface KindDef {
  name: KindName;
  /** Programs it needs on this machine. */
  tools: readonly string[];
  /** The plan's `min`. */
  min: number;
  /** Copies live as names in `target` (a listing's name is a file or directory there). */
  files?: 'file' | 'directory';
  /** `backplan init` makes its repository. */
  init: boolean;
  /** The job's YAML mapping (one line). */
  job(ctx: KindCtx, o?: JobOpts): string;
  /** `tool_versions` of the host, when the kind needs one declared. */
  toolVersions?(): Record<string, string>;
  /** Extra environment of the backplan commands and of the campaign's tool calls. */
  env(ctx: Pick<KindCtx, 'dir' | 'secret'>): { env: NodeJS.ProcessEnv; toolEnv: NodeJS.ProcessEnv };
  /**
   * Make `n` copies older than every existing one, named as the job names them, so that a prune
   * has something to remove; `newest` is the newest listed copy. Returns their names (file kinds).
   */
  seed?(ctx: KindCtx, n: number, counter: number, newest: string): Promise<string[]>;
  /** The tool's own check of the repository: undefined when sound, else what it said. */
  check?(ctx: KindCtx): Promise<string | undefined>;
  /** The tool's check is cheap and also counts `chains`: run after every command, not only after writes. */
  checkEveryTime?: boolean;
  /** File kinds: an identity of a copy on disk, compared on every later look. */
  fingerprint?(ctx: KindCtx, name: string): string | undefined;
  /** A second count that must not fall once reached (duplicity: full chains, `keep.full`), from the last check. */
  chains?(ctx: KindCtx): { count: number; floor: number; what: string } | undefined;
  /** Its looks (prune --dry-run, restore --list) cannot run at the same time (duplicity locks its archive dir). */
  looksOneAtATime?: boolean;
}

const CHECKS = 'checks: { coverage-3-2-1: off, no-restore-test: off, offsite-unencrypted: off, unused: off }';

/** The plan of one kind's campaign: host `me`, storage `disk` at ctx.store, job `files`. */
export function planText(def: KindDef, ctx: KindCtx, o?: JobOpts): string {
  const tv = def.toolVersions?.();
  const tvs = tv && Object.keys(tv).length ? `, tool_versions: { ${Object.entries(tv).map(([k, v]) => `${k}: '${v}'`).join(', ')} }` : '';
  return [
    'version: 1',
    `hosts: { me: { site: home${tvs} } }`,
    `storage: { disk: { host: me, media: hdd, path: ${JSON.stringify(ctx.store)} } }`,
    'jobs:',
    `  ${JOB}: ${def.job(ctx, o)}`,
    CHECKS,
    '',
  ].join('\n');
}

const RETAIN3 = '{ keep: { last: 3 }, min: 3 }';
const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

/** `2019-01-01T00:00:00Z` minus `counter` hours: older than any copy a run makes. */
function oldTime(counter: number): Date {
  return new Date(Date.UTC(2019, 0, 1) - counter * 3_600_000);
}
const stampS = (d: Date) => d.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');

let resticVersion: string | undefined;
function resticVersionHere(): string {
  if (resticVersion === undefined) {
    const r = spawnSync('restic', ['version'], { encoding: 'utf8' });
    resticVersion = /restic (\d+\.\d+\.\d+)/.exec(r.stdout)?.[1] ?? '0.16.0';
  }
  return resticVersion;
}

/** `buf` with every `from` replaced by `to`. */
function replaceBytes(buf: Buffer, from: Buffer, to: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (let i = buf.indexOf(from); i >= 0; i = buf.indexOf(from, at)) {
    parts.push(buf.subarray(at, i), to);
    at = i + from.length;
  }
  parts.push(buf.subarray(at));
  return Buffer.concat(parts);
}

const archive: KindDef = {
  name: 'archive',
  tools: [],
  min: 3,
  files: 'file',
  init: false,
  job: (c, o) => `{ kind: archive, host: me, paths: [${JSON.stringify(c.src)}], to: disk, retention: ${o?.retention ?? RETAIN3}${more(o)} }`,
  env: () => ({ env: {}, toolEnv: {} }),
  async seed(c, n, counter, newest) {
    const out: string[] = [];
    // As bytes: the manifest names the non-UTF-8 file with its own bytes.
    const manifest = readFileSync(join(c.target, `${newest}.sha256`));
    for (let i = 0; i < n; i++) {
      const name = `${JOB}-${stampS(oldTime(counter + i))}.tar.gz`;
      linkSync(join(c.target, newest), join(c.target, name));
      writeFileSync(join(c.target, `${name}.sha256`), replaceBytes(manifest, Buffer.from(newest), Buffer.from(name)), { mode: 0o600 });
      out.push(name);
    }
    return out;
  },
  fingerprint(c, name) {
    try {
      const a = readFileSync(join(c.target, name));
      const m = readFileSync(join(c.target, `${name}.sha256`));
      return `${a.length}:${sha(a)}:${sha(m)}`;
    } catch (e) {
      return undefined;
    }
  },
};

const rsync: KindDef = {
  name: 'rsync',
  tools: ['rsync'],
  min: 3,
  files: 'directory',
  init: false,
  job: (c, o) => `{ kind: rsync, host: me, paths: [${JSON.stringify(c.src)}], to: disk, retention: ${o?.retention ?? RETAIN3}${more(o)} }`,
  env: () => ({ env: {}, toolEnv: {} }),
  async seed(c, n, counter, newest) {
    const out: string[] = [];
    for (let i = 0; i < n; i++) {
      const name = stampS(oldTime(counter + i));
      const r = spawnSync('cp', ['-al', '--', join(c.target, newest), join(c.target, name)], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`cp -al failed: ${r.stderr}`);
      out.push(name);
    }
    return out;
  },
  fingerprint(c, name) {
    const p = join(c.target, name);
    if (!existsSync(p) || !statSync(p).isDirectory()) return undefined;
    return sha(hostileTree(p).join('\n'));
  },
};

const restic: KindDef = {
  name: 'restic',
  tools: ['restic'],
  min: 3,
  init: true,
  job: (c, o) =>
    `{ kind: restic, host: me, paths: [${JSON.stringify(c.src)}], to: disk, password_env: KC_SECRET, ` +
    `retention: ${o?.retention ?? RETAIN3}${more(o)} }`,
  toolVersions: () => ({ restic: resticVersionHere() }),
  env: (c) => ({
    env: { RESTIC_CACHE_DIR: join(c.dir, 'cache', 'restic') },
    toolEnv: { RESTIC_CACHE_DIR: join(c.dir, 'cache', 'restic-campaign'), RESTIC_PASSWORD: c.secret },
  }),
  async seed(c, n, counter) {
    for (let i = 0; i < n; i++) {
      const t = oldTime(counter + i).toISOString().replace('T', ' ').replace(/\.\d+Z$/, '');
      const r = await tool(
        ['restic', `--repo=${c.target}`, 'backup', '--quiet', '--host=me', `--tag=backplan:${JOB}`, `--time=${t}`, '--', c.src],
        c.toolEnv,
      );
      if (r.code !== 0) throw new Error(`restic backup (seeding) failed: ${r.stderr.trim()}`);
    }
    return [];
  },
  async check(c) {
    // --no-lock: the campaign's look must not change what the next backplan command finds.
    const r = await tool(['restic', `--repo=${c.target}`, '--no-lock', 'check'], c.toolEnv);
    return r.code === 0 ? undefined : `restic check exited ${r.code}: ${(r.stdout + r.stderr).trim().split('\n').slice(-4).join(' | ')}`;
  },
};

const borg: KindDef = {
  name: 'borg',
  tools: ['borg'],
  min: 3,
  init: true,
  job: (c, o) =>
    `{ kind: borg, host: me, paths: [${JSON.stringify(c.src)}], to: disk, passphrase_env: KC_SECRET, ` +
    `retention: ${o?.retention ?? RETAIN3}${more(o)} }`,
  env: (c) => ({
    env: { BORG_BASE_DIR: join(c.dir, 'borg-base') },
    toolEnv: {
      BORG_BASE_DIR: join(c.dir, 'borg-base-campaign'),
      BORG_PASSPHRASE: c.secret,
      BORG_RELOCATED_REPO_ACCESS_IS_OK: 'yes',
      BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK: 'yes',
    },
  }),
  async seed(c, n, counter) {
    for (let i = 0; i < n; i++) {
      const d = oldTime(counter + i);
      const r = await tool(
        ['borg', 'create', `--timestamp=${d.toISOString().slice(0, 19)}`, '--', `${c.target}::${JOB}-${stampS(d)}`, c.src],
        c.toolEnv,
      );
      if (r.code !== 0) throw new Error(`borg create (seeding) failed: ${r.stderr.trim()}`);
    }
    return [];
  },
  async check(c) {
    // On a copy of the repository: borg check takes the repository's lock and breaks stale
    // ones, which would change what the next backplan command finds.
    const tmp = mkdtempSync(join(c.dir, 'borg-check-'));
    try {
      const copy = join(tmp, 'repo');
      cpSync(c.target, copy, { recursive: true });
      const r = await tool(['borg', 'check', '--', copy], c.toolEnv);
      return r.code === 0 ? undefined : `borg check exited ${r.code}: ${(r.stdout + r.stderr).trim().split('\n').slice(-4).join(' | ')}`;
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  },
};

/** The last collection-status of each duplicity campaign (by its directory). */
const lastStatus = new Map<string, string | undefined>();

/** duplicity's view of the target (its own archive dir, so the look changes nothing of backplan's). */
async function collectionStatus(c: KindCtx): Promise<ToolResult> {
  return tool(
    [
      'duplicity',
      'collection-status',
      '--log-fd=1',
      `--archive-dir=${join(c.dir, 'cache', 'duplicity-campaign')}`,
      `--name=backplan-${JOB}`,
      `file://${c.target}`,
    ],
    c.toolEnv,
  );
}

const duplicity: KindDef = {
  name: 'duplicity',
  tools: ['duplicity', 'gpg'],
  // duplicity cannot spare single sets: `min` above 1 is refused (retention-unsupported); its
  // floor is `keep.full: 3` chains, checked by `chains`.
  min: 1,
  init: false,
  job: (c, o) =>
    `{ kind: duplicity, host: me, paths: [${JSON.stringify(c.src)}], to: disk, passphrase_env: KC_SECRET, ` +
    `full_every: 1min, retention: ${o?.retention ?? '{ keep: { full: 3 } }'}${more(o)} }`,
  env: (c) => ({
    env: { GNUPGHOME: join(c.dir, 'gnupg'), XDG_CACHE_HOME: join(c.dir, 'cache') },
    toolEnv: { GNUPGHOME: join(c.dir, 'gnupg'), PASSPHRASE: c.secret },
  }),
  checkEveryTime: true,
  looksOneAtATime: true,
  async check(c) {
    const r = await collectionStatus(c);
    lastStatus.set(c.dir, r.code === 0 ? r.stdout : undefined);
    return r.code === 0 ? undefined : `duplicity collection-status exited ${r.code}: ${(r.stdout + r.stderr).trim().split('\n').slice(-4).join(' | ')}`;
  },
  chains(c) {
    const text = lastStatus.get(c.dir);
    if (text === undefined) return undefined;
    return { count: parseCollectionStatus(text).filter((s) => s.type === 'full').length, floor: 3, what: 'full chains (keep.full: 3)' };
  },
};

export const KINDS: Readonly<Record<KindName, KindDef>> = { archive, rsync, restic, borg, duplicity };
