// The project's own kill campaign (issue #16, item 5), shared by bench/faults.mjs (≥ 150 kills
// per kind, recorded in bench/README.md) and test/faults/kill-campaign.test.ts (30 per kind, in
// CI). For each kind, a job keeping 3 copies (`min: 3`) over a hostile source tree; then
// iterations, each one `backplan run`, `prune`, `verify` or `restore` (to a fresh target) started
// under a subreaper in a process group of its own and SIGKILLed after a random delay spread over
// that operation's measured duration, followed by the invariants:
//   - every listed copy is whole: `verify --copy` passes for each copy the first time it is listed
//     (file kinds: its bytes are then fingerprinted and compared on every later look), and the
//     tool's own check passes after every operation that writes the repository;
//   - no leftover (`.partial`, `.deleting-`, a borg `.checkpoint`) is shown as a copy by
//     `prune --dry-run --format json` or `restore --list`, and a listed file copy exists on disk;
//   - the copy count never falls below `min` (duplicity: its full chains below `keep.full`);
//   - every journal parses, a torn last line tolerated (some are injected, then `status` reads
//     them all);
//   - a lock left by a kill stops the next run with one line that names --break-stale-lock; an
//     operation that ends by itself succeeds or fails with one clear line (no stack trace);
//   - a restore target exists only when it is whole (byte for byte the source);
//   - the repository password is in no output, journal or lock.
// The seed (printed) fixes every choice: operations, delays, copies picked, injections; the
// machine's timing still decides where each kill lands.
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { backplanAsync } from '../cli-async';
import { hostileTree } from '../hostile-names';
import { hasTool } from '../integration';
import { spawnReaped } from '../reaper';
import { inspectLock } from '../../../engine/run/state/lock';
import { JOB, KINDS, planText, type KindCtx, type KindDef, type KindName } from './kinds';
import { rngOf, type Rng } from './prng';
import { writeSource } from './source';

export type Op = 'run' | 'prune' | 'verify' | 'restore';
export const OPS: readonly Op[] = ['run', 'prune', 'verify', 'restore'];

export interface CampaignOptions {
  seed: number;
  /** Kills per kind (iterations go on until this many kills landed, or maxIterations). */
  kills: number;
  kinds: readonly KindName[];
  /** A directory of the campaign's own (created; one subdirectory per kind). */
  work: string;
  /** The built CLI (dist/cli.js or a copy of it). */
  cli: string;
  /** MB of random data in the source (default 8). */
  mb?: number;
  /** Small files in the source (default 400). */
  files?: number;
  /** `tree` (default): the command and everything it started die at once; `group`: only the command's own process group. */
  killMode?: 'tree' | 'group';
  /** Kinds run at the same time (default 1). */
  parallel?: number;
  /** Probability that a copy newly listed by a restic, borg or duplicity job is restore-tested with verify --copy (default 1). */
  verifyNew?: number;
  /**
   * CI's lighter looks (default false): after a `verify` or `restore` (which write no copy) the
   * listings and the tool's check are skipped (the copies' fingerprints, journals, locks and the
   * restore target are still checked), and one listing of the two per iteration, alternating.
   */
  light?: boolean;
  /** Probability that a lock left by a kill is shown to a run without --break-stale-lock (default 1). */
  probeLocks?: number;
  /** Probability of a torn last line appended to the killed command's journal (default 0.1). */
  torn?: number;
  /** Default 4 × kills. */
  maxIterations?: number;
  /** Operation weights (default run 4, prune 2, verify 2, restore 2). */
  weights?: Partial<Record<Op, number>>;
  log?(line: string): void;
}

export interface Violation {
  kind: KindName;
  iteration: number;
  op: Op | 'setup' | 'final';
  killed: boolean;
  delayMs?: number;
  invariant: string;
  detail: string;
}

export interface OpStats {
  /** Iterations of this operation that a SIGKILL interrupted. */
  kills: number;
  /** Iterations that ended by themselves. */
  completed: number;
  /** Of those, the ones that failed with one clear line. */
  failedClear: number;
  violations: number;
}

export interface KindResult {
  kind: KindName;
  /** Set when the kind cannot run here (a tool is missing). */
  skipped?: string;
  kills: number;
  iterations: number;
  violations: Violation[];
  perOp: Record<Op, OpStats>;
  /** Median duration of each operation when it is not killed (ms), what the delays spread over. */
  measuredMs: Record<Op, number>;
  torn: { injected: number; seen: number };
  /** Locks left by a kill; of those, the ones shown to a run without --break-stale-lock (refused in one line naming it). */
  staleLocks: number;
  staleLockProbes: number;
  /** What kills left and the next commands cleaned or ignored (never listed as copies). */
  leftovers: { partial: number; deleting: number; restorePartial: number; verifyScratch: number; lockTemp: number };
  /** Clear one-line failures of commands that ended by themselves, by message (numbers elided), with counts. */
  clearFailures: Record<string, number>;
  /** Copies restore-tested by verify --copy, and tool checks passed. */
  verified: number;
  toolChecks: number;
  /** Outputs (stdout + stderr of every command), journals and locks searched for the secret. */
  scanned: number;
  ms: number;
}

export interface CampaignResult {
  seed: number;
  killMode: 'tree' | 'group';
  kinds: KindResult[];
  ms: number;
}

interface Cli {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

const STACK = /\n\s+at .+:\d+:\d+|^\s+at .+\(.+:\d+:\d+\)$/m;
const LEFTOVER_NAME = /^\.deleting-|\.partial$|\.checkpoint$|\.tmp$/;

/** The failure lines of a command: `backplan: ...` lines on stderr, else its JSON report's messages. */
function failureText(r: Cli): string {
  const err = r.stderr.trim();
  if (err) return err;
  try {
    const j = JSON.parse(r.stdout) as Record<string, unknown>;
    const msgs: string[] = [];
    const walk = (v: unknown) => {
      if (Array.isArray(v)) v.forEach(walk);
      else if (v && typeof v === 'object') {
        const o = v as Record<string, unknown>;
        if (typeof o.message === 'string' && o.status !== 'ok') msgs.push(o.message);
        if (Array.isArray(o.problems)) for (const p of o.problems) msgs.push(String(p));
        if (Array.isArray(o.failed)) for (const p of o.failed) if (typeof p === 'string') msgs.push(p);
        for (const [k, x] of Object.entries(o)) if (k !== 'problems' && k !== 'failed') walk(x);
      }
    };
    walk(j);
    // A job's message is its failed step's, prefixed with the step's id: said once.
    const uniq = [...new Set(msgs)];
    return uniq.filter((m) => !uniq.some((o) => o !== m && o.includes(m))).join('\n');
  } catch {
    return r.stdout.trim();
  }
}

/** One clear line: exit 1, no stack trace, one non-empty line of text. */
function clearLine(r: Cli): string | undefined {
  const text = failureText(r);
  if (r.code !== 1 || STACK.test(r.stdout + r.stderr) || !text || text.includes('\n')) return undefined;
  return text;
}

/** A message with its numbers, paths' stamps and ids elided, to count failures by kind. */
function shape(text: string): string {
  return text
    .replace(/\/[^\s:;,'"`)]+/g, 'PATH')
    .replace(/\b[0-9a-f]{8,64}\b/g, 'ID')
    .replace(/\d+(\.\d+)?/g, 'N')
    .slice(0, 300);
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)] : 0;
}

class KindCampaign {
  readonly result: KindResult;
  private readonly def: KindDef;
  /** Operations, delays, copies picked: the same for a seed whatever the timing. */
  private readonly rng: Rng;
  /** Choices made on what a kill left (probes, injections, restore tests sampled). */
  private readonly rngLook: Rng;
  private ctx!: KindCtx;
  private srcTree: string[] = [];
  /** Fingerprints of file copies verified whole; names of repository copies verified. */
  private readonly known = new Map<string, string>();
  private chainsMax = 0;
  private seedCounter = 0;
  private readonly samples: Record<Op, number[]> = { run: [], prune: [], verify: [], restore: [] };
  private iteration = 0;
  private lastListed: string[] = [];
  private failedInARow = 0;
  private readonly tornFiles = new Set<string>();

  constructor(
    readonly kind: KindName,
    private readonly o: Required<Omit<CampaignOptions, 'log' | 'weights' | 'maxIterations'>> &
      Pick<CampaignOptions, 'log'> & { weights: Record<Op, number>; maxIterations: number },
  ) {
    this.def = KINDS[kind];
    this.rng = rngOf(o.seed, kind);
    this.rngLook = rngOf(o.seed, `${kind}:look`);
    const op = (): OpStats => ({ kills: 0, completed: 0, failedClear: 0, violations: 0 });
    this.result = {
      kind,
      kills: 0,
      iterations: 0,
      violations: [],
      perOp: { run: op(), prune: op(), verify: op(), restore: op() },
      measuredMs: { run: 0, prune: 0, verify: 0, restore: 0 },
      torn: { injected: 0, seen: 0 },
      staleLocks: 0,
      staleLockProbes: 0,
      leftovers: { partial: 0, deleting: 0, restorePartial: 0, verifyScratch: 0, lockTemp: 0 },
      clearFailures: {},
      verified: 0,
      toolChecks: 0,
      scanned: 0,
      ms: 0,
    };
  }

  private log(line: string): void {
    this.o.log?.(`[${this.kind}] ${line}`);
  }

  private violation(op: Violation['op'], killed: boolean, invariant: string, detail: string, delayMs?: number): void {
    const v: Violation = { kind: this.kind, iteration: this.iteration, op, killed, invariant, detail: detail.slice(0, 2000) };
    if (delayMs !== undefined) v.delayMs = Math.round(delayMs);
    this.result.violations.push(v);
    if (op !== 'setup' && op !== 'final') this.result.perOp[op].violations++;
    this.log(`VIOLATION #${this.iteration} ${op}${killed ? ' (killed)' : ''}: ${invariant}: ${detail.slice(0, 300)}`);
  }

  private scan(text: string, where: string, op: Violation['op'], killed: boolean): void {
    this.result.scanned++;
    if (text.includes(this.ctx.secret)) this.violation(op, killed, 'secret in output', `the repository password appears in ${where}`);
  }

  /** A backplan command run to its end (the campaign's own looks and the unkilled runs). */
  private async cli(args: string[], op: Violation['op'] = 'setup', killed = false): Promise<Cli> {
    const r = await backplanAsync(args, { cli: this.o.cli, wholeEnv: this.ctx.env, timeoutMs: 600_000, killSignal: 'SIGKILL' });
    this.scan(r.stdout + r.stderr, `the output of backplan ${args[0]}`, op, killed);
    return r;
  }

  private opArgs(op: Op, target?: string, copy?: string): string[] {
    const { plan, state } = this.ctx;
    const common = ['--state-dir', state, '--break-stale-lock', '--format', 'json'];
    switch (op) {
      case 'run':
        return ['run', plan, '--job', JOB, ...common];
      case 'prune':
        return ['prune', plan, '--job', JOB, ...common];
      case 'verify':
        return ['verify', plan, '--job', JOB, ...(copy ? ['--copy', copy] : []), '--scratch-dir', this.scratch, ...common];
      case 'restore':
        return ['restore', plan, '--job', JOB, ...(copy ? ['--copy', copy] : []), '--to', target!, ...common];
    }
  }

  private get scratch(): string {
    return join(this.ctx.dir, 'scratch');
  }

  /** One command under the subreaper, SIGKILLed after `delayMs` unless it ended first. */
  private async killAfter(args: string[], delayMs: number): Promise<Cli & { killed: boolean }> {
    const r = spawnReaped([process.execPath, this.o.cli, ...args], { env: this.ctx.env });
    let killed = false;
    let rescue: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => {
      if (this.o.killMode === 'tree') killed = r.killTree() > 0;
      else {
        killed = r.killGroup();
        // What it started lives on, adopted by the reaper: given two minutes to end by itself.
        rescue = setTimeout(() => r.killTree(), 120_000);
      }
    }, delayMs);
    const d = await r.done;
    clearTimeout(timer);
    if (rescue) clearTimeout(rescue);
    // 137: the command died of a SIGKILL, which only this campaign sends (a kill that landed
    // while the reaper was forking it is not seen among its descendants, but is one).
    if (d.code === 137) killed = true;
    return { code: d.code, stdout: r.stdout(), stderr: r.stderr(), ms: d.ms, killed };
  }

  // ---- setup ---------------------------------------------------------------------------------

  async setup(): Promise<boolean> {
    const missing = this.def.tools.filter((t) => !hasTool(t));
    if (missing.length) {
      this.result.skipped = `missing tool(s): ${missing.join(', ')}`;
      return false;
    }
    const dir = join(this.o.work, this.kind);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const secret = `kc-${this.rng.bytes(12).toString('hex')}`;
    const { env, toolEnv } = this.def.env({ dir, secret });
    const store = join(dir, 'store');
    const base: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', TMPDIR: join(dir, 'tmp') };
    for (const k of ['RESTIC_PASSWORD', 'BORG_PASSPHRASE', 'PASSPHRASE', 'BACKPLAN_STATE_DIR']) delete base[k];
    this.ctx = {
      kind: this.kind,
      dir,
      src: join(dir, 'src'),
      store,
      target: join(store, JOB),
      state: join(dir, 'state'),
      plan: join(dir, 'faults.backplan.yaml'),
      secret,
      env: { ...base, ...env, KC_SECRET: secret },
      toolEnv: { ...base, ...toolEnv },
    };
    for (const d of ['tmp', 'scratch', 'restores', 'cache']) mkdirSync(join(dir, d), { recursive: true });
    if (this.kind === 'duplicity') mkdirSync(join(dir, 'gnupg'), { mode: 0o700 });
    writeSource(this.ctx.src, this.rng, { mb: this.o.mb, files: this.o.files });
    this.srcTree = hostileTree(this.ctx.src);
    writeFileSync(this.ctx.plan, planText(this.def, this.ctx));

    if (this.def.init) {
      const r = await this.cli(['init', this.ctx.plan, '--state-dir', this.ctx.state]);
      if (r.code !== 0) return this.setupFailed('init', r);
    }
    // Three copies (the floor), then one unkilled run of each operation: its duration is what
    // the kills spread over, and each must succeed before a kill means anything.
    for (let i = 0; i < 3; i++) {
      const r = await this.cli(this.opArgs('run'));
      if (r.code !== 0) return this.setupFailed('run', r);
      await this.pause();
    }
    const listed = await this.listCopies('setup', false);
    if (!listed) return false;
    for (const op of OPS) {
      if (op === 'prune') await this.seedFor(listed);
      const target = join(dir, 'restores', `setup-${op}`);
      const r = await this.cli(this.opArgs(op, target));
      if (r.code !== 0) return this.setupFailed(op, r);
      this.samples[op].push(r.ms);
      if (op === 'restore') this.checkRestoreTarget(target, 'setup', false, true);
      await this.pause();
    }
    this.iteration = 0;
    await this.checks('setup', false, 'run');
    if (this.result.violations.length) this.log('the campaign found violations before any kill: its checks are wrong');
    for (const op of OPS) this.result.measuredMs[op] = Math.round(median(this.samples[op]));
    this.log(`ready: ${JSON.stringify(this.result.measuredMs)} ms per operation`);
    return true;
  }

  /** duplicity's set times are whole seconds: two runs of one second would be one set. */
  private async pause(): Promise<void> {
    if (this.kind === 'duplicity') await new Promise((res) => setTimeout(res, 1_100));
  }

  private setupFailed(what: string, r: Cli): false {
    this.violation('setup', false, 'setup failed', `${what} exited ${r.code}: ${failureText(r).slice(0, 1000)}`);
    return false;
  }

  /** Two copies older than every other, when the job holds no more than its floor (file and repository kinds that can). */
  private async seedFor(listed: string[]): Promise<void> {
    if (!this.def.seed || listed.length > Math.max(3, this.def.min)) return;
    try {
      await this.def.seed(this.ctx, 2, this.seedCounter, listed[0]);
    } catch (e) {
      // The campaign's own tool call met what a kill left (a tool's stale lock the next backplan
      // command clears): the prune goes on without extra copies.
      const k = `seeding (the campaign's own tool call): ${shape((e as Error).message.split('\n')[0])}`;
      this.result.clearFailures[k] = (this.result.clearFailures[k] ?? 0) + 1;
      return;
    }
    // Not trusted: like every copy, each is restore-tested when it is first listed.
    this.seedCounter += 2;
  }

  // ---- the campaign --------------------------------------------------------------------------

  async run(): Promise<void> {
    const t0 = performance.now();
    try {
      if (!(await this.setup())) return;
      while (this.result.kills < this.o.kills && this.iteration < this.o.maxIterations) {
        this.iteration++;
        await this.iterate();
      }
      await this.final();
    } catch (e) {
      this.violation('final', false, 'campaign error', (e as Error).stack ?? String(e));
    } finally {
      this.result.iterations = this.iteration;
      this.result.ms = Math.round(performance.now() - t0);
    }
  }

  private async iterate(): Promise<void> {
    const op = this.o.weights ? this.rng.weighted(this.o.weights) : this.rng.pick(OPS);
    const est = median(this.samples[op]) || 1000;
    const delay = this.rng.next() * 1.15 * est;
    const pickOne = this.rng.next() < 0.5;
    const which = this.rng.next();
    const pickCopy = pickOne && this.lastListed.length ? this.lastListed[Math.floor(which * this.lastListed.length)] : undefined;
    const target = join(this.ctx.dir, 'restores', `r${this.iteration}`);
    if (op === 'prune') await this.seedFor(this.lastListed);
    const since = Date.now();
    const r = await this.killAfter(this.opArgs(op, target, op === 'verify' || op === 'restore' ? pickCopy : undefined), delay);
    const stats = this.result.perOp[op];
    this.scan(r.stdout + r.stderr, `the output of the ${r.killed ? 'killed ' : ''}backplan ${op}`, op, r.killed);
    if (r.killed) {
      this.result.kills++;
      stats.kills++;
    } else {
      stats.completed++;
      this.samples[op].push(r.ms);
      this.completedOutcome(op, r, delay);
    }
    if (r.killed && this.rngLook.next() < this.o.torn) this.injectTorn(since);
    const c0 = performance.now();
    await this.checks(op, r.killed, op, delay);
    if (op === 'restore') this.checkRestoreTarget(target, op, r.killed, !r.killed && r.code === 0, delay);
    this.log(
      `#${this.iteration} ${op}${pickCopy && (op === 'verify' || op === 'restore') ? ` --copy ${pickCopy}` : ''} ` +
        `${r.killed ? `killed at ${Math.round(delay)} ms` : `ended by itself in ${Math.round(r.ms)} ms, exit ${r.code}`}` +
        `; checked in ${Math.round(performance.now() - c0)} ms`,
    );
  }

  /** A command that ended by itself: success, or one clear line. */
  private completedOutcome(op: Op, r: Cli, delay: number): void {
    if (r.code === 0) {
      this.failedInARow = 0;
      return;
    }
    this.failedInARow++;
    const line = clearLine(r);
    if (line === undefined) {
      this.violation(op, false, 'unclear failure', `exit ${r.code}: ${(r.stdout + r.stderr).slice(0, 1500)}`, delay);
    } else {
      this.result.perOp[op].failedClear++;
      const k = `${op}: ${shape(line)}`;
      this.result.clearFailures[k] = (this.result.clearFailures[k] ?? 0) + 1;
      // A restore test that ran and found the copy different is a copy that is not whole.
      if (op === 'verify' && /differs|missing from|not in the manifest|in the manifest but|does not match|corrupt/i.test(line))
        this.violation(op, false, 'listed copy not whole', line, delay);
    }
    if (this.failedInARow === 3)
      this.violation(op, false, 'stuck', `three commands in a row that ended by themselves failed; the last: ${failureText(r).slice(0, 500)}`);
  }

  /** A torn last line, as a crash in the middle of a write() would leave it, on the killed command's journal. */
  private injectTorn(since: number): void {
    const runs = join(this.ctx.state, 'runs');
    if (!existsSync(runs)) return;
    const fresh = readdirSync(runs)
      .map((f) => join(runs, f))
      .filter((p) => statSync(p).mtimeMs >= since - 1000 && !this.tornFiles.has(p));
    if (!fresh.length) return;
    const path = fresh.sort()[fresh.length - 1];
    const text = readFileSync(path, 'utf8');
    if (text.length && !text.endsWith('\n')) return; // torn already
    const line = JSON.stringify({ t: new Date().toISOString(), run: 'x', type: 'step-end', job: JOB, step: `${JOB}/2`, status: 'ok', ms: 1 });
    appendFileSync(path, line.slice(0, 5 + this.rngLook.int(line.length - 10)));
    this.tornFiles.add(path);
    this.result.torn.injected++;
  }

  // ---- invariants ----------------------------------------------------------------------------

  private async checks(op: Violation['op'], killed: boolean, wrote: Op, delay?: number): Promise<void> {
    await this.checkLock(op, killed, delay);
    this.checkJournals(op, killed);
    const writes = wrote === 'run' || wrote === 'prune' || op === 'setup' || op === 'final';
    if (this.o.light && !writes) {
      // A verify or a restore writes no copy: the copies last listed are still whole, unchanged.
      for (const name of this.lastListed) {
        const seen = this.known.get(name);
        if (this.def.fingerprint && seen !== undefined && this.def.fingerprint(this.ctx, name) !== seen)
          this.violation(op, killed, 'listed copy not whole', `${name} changed on disk after it was verified whole`, delay);
      }
      this.sweepLeftovers();
      return;
    }
    if (this.def.check && (this.def.checkEveryTime || writes)) {
      const problem = await this.def.check(this.ctx);
      this.result.toolChecks++;
      if (problem) this.violation(op, killed, 'repository not sound', problem, delay);
    }
    const listed = await this.listCopies(op, killed, delay);
    if (listed) await this.checkWhole(listed, op, killed, delay);
    this.sweepLeftovers();
  }

  /** A lock left behind must be stale, and the next run without --break-stale-lock refused in one line naming it. */
  private async checkLock(op: Violation['op'], killed: boolean, delay?: number): Promise<void> {
    const locks = join(this.ctx.state, 'locks');
    if (!existsSync(locks)) return;
    for (const f of readdirSync(locks)) {
      if (f !== `${JOB}.lock`) {
        if (/\.tmp$|\.break$/.test(f)) this.result.leftovers.lockTemp++;
        this.scan(readFileSync(join(locks, f), 'utf8'), `lock file ${f}`, op, killed);
        continue;
      }
      const path = join(locks, f);
      this.scan(readFileSync(path, 'utf8'), 'the job lock', op, killed);
      const st = inspectLock(path);
      if (!st) continue;
      if (st.state !== 'stale') {
        this.violation(op, killed, 'lock outlives its command', `${path} is ${st.state} after the command ended: ${JSON.stringify(st)}`, delay);
        continue;
      }
      if (!killed) this.violation(op, killed, 'lock outlives its command', `${path} left by a command that ended by itself`, delay);
      this.result.staleLocks++;
      if (op !== 'final' && this.rngLook.next() >= this.o.probeLocks) continue;
      this.result.staleLockProbes++;
      const r = await this.cli(['run', this.ctx.plan, '--job', JOB, '--state-dir', this.ctx.state, '--format', 'json'], op, killed);
      const line = clearLine(r);
      if (line === undefined || !/stale lock/.test(line) || !line.includes('--break-stale-lock'))
        this.violation(op, killed, 'stale lock not named clearly', `the next run said (exit ${r.code}): ${failureText(r).slice(0, 1000)}`, delay);
      // The refused run must not have touched the lock (it is still the killed command's).
      if (!existsSync(path)) this.violation(op, killed, 'stale lock not named clearly', 'the refused run removed the stale lock');
    }
  }

  private checkJournals(op: Violation['op'], killed: boolean): void {
    const runs = join(this.ctx.state, 'runs');
    if (!existsSync(runs)) return;
    let torn = 0;
    for (const f of readdirSync(runs)) {
      const text = readFileSync(join(runs, f), 'utf8');
      this.scan(text, `journal ${f}`, op, killed);
      const lines = text.split('\n');
      const last = lines.pop()!; // '' when the file ends with a newline
      lines.forEach((l, i) => {
        try {
          const rec = JSON.parse(l) as { type?: unknown; t?: unknown; run?: unknown };
          if (typeof rec.type !== 'string' || typeof rec.t !== 'string' || typeof rec.run !== 'string') throw new Error('fields');
        } catch {
          this.violation(op, killed, 'journal does not parse', `${f} line ${i + 1}: ${l.slice(0, 200)}`);
        }
      });
      if (last !== '') {
        try {
          JSON.parse(last);
        } catch {
          torn++;
        }
      }
    }
    this.result.torn.seen = Math.max(this.result.torn.seen, torn);
  }

  /** The copies `prune --dry-run` and `restore --list` show: no leftover among them, on disk, never fewer than the floor. */
  private async listCopies(op: Violation['op'], killed: boolean, delay?: number): Promise<string[] | undefined> {
    // Light: one of the two listings (alternating), both after setup and at the end.
    const which = !this.o.light || op === 'setup' || op === 'final' ? 'both' : this.iteration % 2 ? 'dry' : 'list';
    const looks = [
      () =>
        which !== 'list'
          ? this.cli(['prune', this.ctx.plan, '--job', JOB, '--dry-run', '--format', 'json'], op, killed)
          : Promise.resolve(undefined),
      () =>
        which !== 'dry'
          ? this.cli(['restore', this.ctx.plan, '--job', JOB, '--list', '--format', 'json'], op, killed)
          : Promise.resolve(undefined),
    ];
    const [dry, list] = this.def.looksOneAtATime
      ? [await looks[0](), await looks[1]()]
      : await Promise.all(looks.map((l) => l()));
    let dryNames: string[] | undefined;
    let listNames: string[] | undefined;
    if (dry) {
      try {
        const j = JSON.parse(dry.stdout) as { keep: { name: string }[]; remove: { name: string }[]; failed?: string[] };
        // A prune that could not list (a tool's lock, say) reports no copies and why: not a count.
        if (dry.code !== 0 || j.failed?.length) throw new Error('failed');
        dryNames = [...j.keep, ...j.remove].map((c) => c.name);
      } catch {
        this.listingFailed('prune --dry-run', dry, op, killed, delay);
      }
    }
    if (list) {
      try {
        if (list.code !== 0) throw new Error('failed');
        listNames = (JSON.parse(list.stdout) as { copies: { name: string }[] }).copies.map((c) => c.name);
      } catch {
        this.listingFailed('restore --list', list, op, killed, delay);
      }
    }
    for (const [what, names] of [['prune --dry-run', dryNames], ['restore --list', listNames]] as const) {
      if (!names) continue;
      for (const n of names) {
        if (LEFTOVER_NAME.test(n)) this.violation(op, killed, 'leftover shown as a copy', `${what} lists ${JSON.stringify(n)}`, delay);
        if (this.def.files) {
          const p = join(this.ctx.target, n);
          let ok = false;
          try {
            const st = statSync(p);
            ok = this.def.files === 'file' ? st.isFile() : st.isDirectory();
          } catch {
            ok = false;
          }
          if (!ok) this.violation(op, killed, 'listed copy not on disk', `${what} lists ${JSON.stringify(n)}, which is not a ${this.def.files} in ${this.ctx.target}`, delay);
        }
      }
      const floor = Math.max(1, this.def.min);
      if (names.length < floor)
        this.violation(op, killed, 'fewer copies than min', `${what} lists ${names.length} copies (min ${floor}): ${names.join(', ')}`, delay);
    }
    if (this.def.chains) {
      const c = this.def.chains(this.ctx);
      if (c) {
        if (this.chainsMax >= c.floor && c.count < c.floor)
          this.violation(op, killed, 'fewer copies than min', `${c.count} ${c.what}`, delay);
        this.chainsMax = Math.max(this.chainsMax, c.count);
      }
    }
    // The copies a restore can read are what restore --list shows (prune --dry-run lists what the
    // tool itself holds, which for duplicity may include a set it never finished): those are
    // restore-tested; without that listing this time, the last one's.
    this.restorable = listNames !== undefined;
    const names = listNames ?? dryNames;
    if (names) this.lastListed = names;
    return names;
  }

  /** The last listing was restore --list's (its new copies are restore-tested; prune --dry-run's are only fingerprinted). */
  private restorable = true;

  private listingFailed(what: string, r: Cli, op: Violation['op'], killed: boolean, delay?: number): void {
    const line = clearLine(r);
    if (line === undefined) this.violation(op, killed, 'listing failed', `${what} exited ${r.code}: ${(r.stdout + r.stderr).slice(0, 1000)}`, delay);
    else {
      const k = `${what} (a look after ${op}): ${shape(line)}`;
      this.result.clearFailures[k] = (this.result.clearFailures[k] ?? 0) + 1;
    }
  }

  /** Every listed copy whole: restore-tested when first listed, unchanged since (file kinds), the tool's check after writes. */
  private async checkWhole(listed: string[], op: Violation['op'], killed: boolean, delay?: number): Promise<void> {
    for (const name of listed) {
      const fp = this.def.fingerprint?.(this.ctx, name);
      const seen = this.known.get(name);
      if (seen !== undefined) {
        if (this.def.fingerprint && fp !== seen)
          this.violation(op, killed, 'listed copy not whole', `${name} changed on disk after it was verified whole`, delay);
        continue;
      }
      // Restore-tested once restore --list shows it (prune --dry-run lists what the tool holds,
      // which for duplicity may be a set it never finished).
      if (!this.restorable) continue;
      const must = this.def.files || op === 'final' || this.rngLook.next() < this.o.verifyNew;
      if (!must) {
        this.known.set(name, 'not restore-tested');
        continue;
      }
      const r = await this.cli(
        ['verify', this.ctx.plan, '--job', JOB, '--copy', name, '--scratch-dir', this.scratch, '--state-dir', this.ctx.state, '--break-stale-lock', '--format', 'json'],
        op,
        killed,
      );
      if (r.code === 0) {
        this.result.verified++;
        this.known.set(name, this.def.fingerprint?.(this.ctx, name) ?? 'restore-tested');
        continue;
      }
      const line = clearLine(r);
      let problems: unknown[] = [];
      try {
        problems = (JSON.parse(r.stdout) as { problems?: unknown[] }).problems ?? [];
      } catch {
        // not a report
      }
      // A copy that was listed a moment ago and is gone (`no backup set X`, `no copy named X`) was not one.
      if (
        line === undefined ||
        problems.length ||
        /differs|missing from|not in the manifest|in the manifest but|does not match|corrupt|no backup set|no copy|not found/i.test(line)
      )
        this.violation(op, killed, 'listed copy not whole', `verify --copy ${name} exited ${r.code}: ${failureText(r).slice(0, 1000)}`, delay);
      else {
        const k = `verify --copy (a look after ${op}): ${shape(line)}`;
        this.result.clearFailures[k] = (this.result.clearFailures[k] ?? 0) + 1;
      }
    }
  }

  /** A restore target exists only when whole; then it and its `.partial` are removed. */
  private checkRestoreTarget(target: string, op: Violation['op'], killed: boolean, mustExist: boolean, delay?: number): void {
    if (existsSync(target)) {
      let got: string[] = [];
      let problem: string | undefined;
      try {
        const top = readdirSync(target);
        const first = this.ctx.src.split('/')[1];
        if (top.length !== 1 || top[0] !== first) problem = `its top holds ${JSON.stringify(top)}`;
        else {
          got = hostileTree(join(target, this.ctx.src));
          if (got.join('\n') !== this.srcTree.join('\n')) {
            const want = new Set(this.srcTree);
            const have = new Set(got);
            const missing = this.srcTree.filter((x) => !have.has(x)).slice(0, 5);
            const extra = got.filter((x) => !want.has(x)).slice(0, 5);
            problem = `missing or different: ${JSON.stringify(missing)}; extra: ${JSON.stringify(extra)}`;
          }
        }
      } catch (e) {
        problem = (e as Error).message;
      }
      if (problem) this.violation(op, killed, 'restore target looks whole but is not', `${target}: ${problem}`, delay);
    } else if (mustExist) {
      this.violation(op, killed, 'restore reported ok without its target', `${target} does not exist`, delay);
    }
    if (existsSync(`${target}.partial`)) this.result.leftovers.restorePartial++;
    rmSync(target, { recursive: true, force: true });
    rmSync(`${target}.partial`, { recursive: true, force: true });
  }

  /** Count what kills left on disk (the product cleans it under the job's lock), and clear verify scratch trees. */
  private sweepLeftovers(): void {
    if (this.def.files && existsSync(this.ctx.target)) {
      for (const n of readdirSync(this.ctx.target)) {
        if (n.startsWith('.deleting-')) this.result.leftovers.deleting++;
        else if (n.endsWith('.partial')) this.result.leftovers.partial++;
      }
    }
    for (const n of readdirSync(this.scratch)) {
      this.result.leftovers.verifyScratch++;
      rmSync(join(this.scratch, n), { recursive: true, force: true });
    }
  }

  /** After the last kill: a run succeeds, every copy listed is restore-tested, `status` reads every journal. */
  private async final(): Promise<void> {
    this.iteration++;
    const r = await this.cli(this.opArgs('run'), 'final');
    if (r.code !== 0) this.violation('final', false, 'the next run failed', failureText(r).slice(0, 1000));
    await this.checks('final', false, 'run');
    const s = await this.cli(['status', this.ctx.plan, '--state-dir', this.ctx.state, '--format', 'json'], 'final');
    try {
      JSON.parse(s.stdout);
      if (s.code !== 0 && s.code !== 1) throw new Error(`exit ${s.code}`);
    } catch (e) {
      this.violation('final', false, 'journals unreadable', `backplan status (${(e as Error).message}): ${(s.stdout + s.stderr).slice(0, 1000)}`);
    }
  }
}

/** Run the campaign of every kind asked for (those whose tools are missing are reported skipped). */
export async function runCampaign(opts: CampaignOptions): Promise<CampaignResult> {
  const t0 = performance.now();
  const o = {
    mb: 8,
    files: 400,
    killMode: 'tree' as const,
    parallel: 1,
    verifyNew: 1,
    probeLocks: 1,
    light: false,
    torn: 0.1,
    ...opts,
    maxIterations: opts.maxIterations ?? opts.kills * 4,
    weights: { run: 4, prune: 2, verify: 2, restore: 2, ...opts.weights },
  };
  mkdirSync(o.work, { recursive: true });
  const campaigns = o.kinds.map((k) => new KindCampaign(k, o));
  let next = 0;
  const worker = async () => {
    while (next < campaigns.length) await campaigns[next++].run();
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(o.parallel, campaigns.length)) }, worker));
  return { seed: o.seed, killMode: o.killMode, kinds: campaigns.map((c) => c.result), ms: Math.round(performance.now() - t0) };
}

/** The results as a table (Markdown), per kind and per operation. */
export function summaryTable(r: CampaignResult): string {
  const rows = [
    '| kind | kills | violations | run | prune | verify | restore | iterations | stale locks | torn lines | verified copies | tool checks | time |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const k of r.kinds) {
    if (k.skipped) {
      rows.push(`| ${k.kind} | skipped: ${k.skipped} ||||||||||||`);
      continue;
    }
    const op = (o: Op) => `${k.perOp[o].kills} / ${k.perOp[o].violations}`;
    rows.push(
      `| ${k.kind} | ${k.kills} | **${k.violations.length}** | ${op('run')} | ${op('prune')} | ${op('verify')} | ${op('restore')} | ` +
        `${k.iterations} | ${k.staleLocks} | ${k.torn.injected} | ${k.verified} | ${k.toolChecks} | ${(k.ms / 1000).toFixed(0)} s |`,
    );
  }
  return rows.join('\n');
}
