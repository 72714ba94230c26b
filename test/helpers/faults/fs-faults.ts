// Target faults of a real run, for every kind the campaigns drive (issue #16, item 5; the archive
// kind's full target, locally and over ssh, is also in test/integration/run-faults.test.ts):
//   - full: the job's storage is a small loop-mounted ext4 filled to ~1 MB free; the run fails
//     cleanly: exit 1, one line naming ENOSPC (or "no space left") and the target, no new copy
//     under a final name, no older copy pruned, the lock released, the tool's own check still
//     passes; once space is freed the next run succeeds and the copy restore-tests;
//   - read-only: the filesystem turns read-only in the middle of the backup (ext4 with
//     errors=remount-ro and its `trigger_fs_error`, which does at once what a disk error does,
//     open files or not); the run ends within the job's stall timeout (plus the SIGTERM grace
//     and some slack), exit 1, the lock released, no older copy lost; after fsck and a fresh
//     mount the next run succeeds.
// Needs root (mount, losetup).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { backplanAsync } from '../cli-async';
import { writeHostileTree } from '../hostile-names';
import { hasTool } from '../integration';
import { JOB, KINDS, planText, type KindCtx, type KindName } from './kinds';
import { rngOf } from './prng';

export type FsFault = 'full' | 'read-only';

export interface FsFaultResult {
  kind: KindName;
  fault: FsFault;
  skipped?: string;
  /** Each broken expectation, in words (empty: the fault was handled as it should be). */
  problems: string[];
  /** What was done on the way that a user would do too (a command a failure named, run). */
  notes: string[];
  /** The failed run's message. */
  message?: string;
  /** read-only: ms from the filesystem turning read-only to the end of the run. */
  endedAfterMs?: number;
  /** read-only: the job's stall timeout (ms). */
  stallMs?: number;
  ms: number;
}

export interface FsFaultOptions {
  work: string;
  cli: string;
  seed?: number;
  /** read-only: the job's stall timeout in seconds (default 5). */
  stallS?: number;
  log?(line: string): void;
}

interface Cli {
  code: number | null;
  stdout: string;
  stderr: string;
}

function sh(argv: string[]): { status: number | null; out: string } {
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8' });
  return { status: r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}`.trim() };
}

/** A `mb` MB ext4 image mounted at `mnt` (errors=remount-ro); returns the loop device's name. */
export function mountImage(img: string, mnt: string, mb?: number): string {
  mkdirSync(mnt, { recursive: true });
  if (mb !== undefined) {
    rmSync(img, { force: true });
    if (sh(['truncate', '-s', `${mb}M`, img]).status !== 0) throw new Error('truncate failed');
    const mk = sh(['mkfs.ext4', '-q', '-F', '-m', '0', img]);
    if (mk.status !== 0) throw new Error(`mkfs.ext4: ${mk.out}`);
  }
  const m = sh(['mount', '-o', 'loop,errors=remount-ro', img, mnt]);
  if (m.status !== 0) throw new Error(`mount: ${m.out}`);
  return sh(['findmnt', '-n', '-o', 'SOURCE', '--target', mnt]).out.replace('/dev/', '');
}

export function unmount(mnt: string): void {
  const dev = sh(['findmnt', '-n', '-o', 'SOURCE', '--target', mnt]).out;
  for (let i = 0; i < 20; i++) {
    if (sh(['umount', mnt]).status === 0) break;
    spawnSync('sleep', ['0.5']);
  }
  if (dev.startsWith('/dev/loop')) sh(['losetup', '-d', dev]);
}

/** Make the filesystem read-only now, as a disk error would (open files too). */
function turnReadOnly(dev: string, mnt: string): string {
  const knob = `/sys/fs/ext4/${dev}/trigger_fs_error`;
  if (existsSync(knob)) {
    writeFileSync(knob, 'backplan fault campaign: read-only target');
    return 'trigger_fs_error';
  }
  // Without the knob: a remount, refused while a file is open for writing, so retried.
  for (let i = 0; i < 2000; i++) {
    if (sh(['mount', '-o', 'remount,ro', mnt]).status === 0) return 'remount,ro';
  }
  throw new Error(`could not make ${mnt} read-only`);
}

class Scenario {
  readonly r: FsFaultResult;
  private ctx!: KindCtx;
  private mnt = '';
  private img = '';

  constructor(
    readonly kind: KindName,
    readonly fault: FsFault,
    private readonly o: FsFaultOptions,
  ) {
    this.r = { kind, fault, problems: [], notes: [], ms: 0 };
  }

  private problem(p: string): void {
    this.r.problems.push(p);
    this.o.log?.(`[${this.kind} ${this.fault}] PROBLEM: ${p}`);
  }

  private cli(args: string[], timeoutMs = 600_000): Promise<Cli & { ms: number }> {
    return backplanAsync(args, { cli: this.o.cli, wholeEnv: this.ctx.env, timeoutMs, killSignal: 'SIGKILL' });
  }

  private async listed(): Promise<string[] | undefined> {
    const l = await this.cli(['restore', this.ctx.plan, '--job', JOB, '--list', '--format', 'json']);
    try {
      return (JSON.parse(l.stdout) as { copies: { name: string }[] }).copies.map((c) => c.name).sort();
    } catch {
      this.problem(`restore --list failed (exit ${l.code}): ${(l.stdout + l.stderr).slice(0, 500)}`);
      return undefined;
    }
  }

  private run(extra: string[] = []): Promise<Cli & { ms: number }> {
    return this.cli(['run', this.ctx.plan, '--job', JOB, '--state-dir', this.ctx.state, '--format', 'json', ...extra]);
  }

  private message(r: Cli): string {
    try {
      const j = JSON.parse(r.stdout) as { jobs: { status: string; message?: string }[] };
      return j.jobs.map((x) => x.message ?? '').join('\n');
    } catch {
      return (r.stdout + r.stderr).trim();
    }
  }

  private lockReleased(when: string): void {
    const lock = join(this.ctx.state, 'locks', `${JOB}.lock`);
    if (existsSync(lock)) this.problem(`the job's lock is still there ${when}: ${readFileSync(lock, 'utf8').trim()}`);
  }

  private async soundAndVerified(when: string): Promise<void> {
    const def = KINDS[this.kind];
    if (def.check) {
      const p = await def.check(this.ctx);
      if (p) this.problem(`${when}: ${p}`);
    }
    const v = await this.cli(['verify', this.ctx.plan, '--job', JOB, '--scratch-dir', join(this.ctx.dir, 'scratch'), '--state-dir', this.ctx.state]);
    if (v.code !== 0) this.problem(`${when}: verify failed: ${(v.stdout + v.stderr).slice(0, 500)}`);
  }

  /** Files under the job's target whose names say "final copy" and are not in `before`. */
  private newFinalNames(before: Set<string>): string[] {
    if (!KINDS[this.kind].files || !existsSync(this.ctx.target)) return [];
    return readdirSync(this.ctx.target).filter((n) => !before.has(n) && !n.endsWith('.partial') && !n.startsWith('.deleting-'));
  }

  async go(): Promise<void> {
    const t0 = performance.now();
    const def = KINDS[this.kind];
    const missing = [...def.tools, 'mkfs.ext4', 'losetup', 'mount', 'umount', 'findmnt', 'e2fsck'].filter((t) => !hasTool(t));
    if (missing.length || process.getuid?.() !== 0) {
      this.r.skipped = missing.length ? `missing tool(s): ${missing.join(', ')}` : 'not root';
      return;
    }
    const dir = join(this.o.work, `${this.kind}-${this.fault}`);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const rng = rngOf(this.o.seed ?? 1, `${this.kind}:${this.fault}`);
    const secret = `kc-${rng.bytes(12).toString('hex')}`;
    const { env, toolEnv } = def.env({ dir, secret });
    this.img = join(dir, 'target.img');
    this.mnt = join(dir, 'target');
    const base: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', TMPDIR: join(dir, 'tmp') };
    for (const k of ['RESTIC_PASSWORD', 'BORG_PASSPHRASE', 'PASSPHRASE', 'BACKPLAN_STATE_DIR']) delete base[k];
    this.ctx = {
      kind: this.kind,
      dir,
      src: join(dir, 'src'),
      store: this.mnt,
      target: join(this.mnt, JOB),
      state: join(dir, 'state'),
      plan: join(dir, 'faults.backplan.yaml'),
      secret,
      env: { ...base, ...env, KC_SECRET: secret },
      toolEnv: { ...base, ...toolEnv },
    };
    for (const d of ['tmp', 'scratch', 'cache']) mkdirSync(join(dir, d), { recursive: true });
    if (this.kind === 'duplicity') mkdirSync(join(dir, 'gnupg'), { mode: 0o700 });
    mkdirSync(this.ctx.src);
    writeHostileTree(this.ctx.src);
    const stallS = this.o.stallS ?? 5;
    // Keep one copy: a run that got through would prune the older one.
    const retention = this.kind === 'duplicity' ? '{ keep: { full: 1 } }' : '{ keep: { last: 1 } }';
    writeFileSync(this.ctx.plan, planText(def, this.ctx, { retention, extra: this.fault === 'read-only' ? `timeout: ${stallS}s` : undefined }));
    let dev = '';
    try {
      // borg repositories made by `backplan init` keep 2G free (additional_free_space).
      dev = mountImage(this.img, this.mnt, this.kind === 'borg' ? 3072 : this.fault === 'full' ? 48 : 1024);
      if (def.init) {
        const i = await this.cli(['init', this.ctx.plan, '--state-dir', this.ctx.state]);
        if (i.code !== 0) return this.problem(`init failed: ${(i.stdout + i.stderr).slice(0, 500)}`);
      }
      const first = await this.run();
      if (first.code !== 0) return this.problem(`the first run failed: ${this.message(first)}`);
      // The first copy on disk before the fault: duplicity does not fsync its volumes, and an
      // emergency read-only switch (like a power cut) loses what the kernel had not written yet
      // (bench/README.md, "Target faults"). What is tested here is the run during the fault.
      sh(['sync', '-f', this.mnt]);
      if (this.fault === 'full') await this.full(rng);
      else await this.readOnly(rng, dev, stallS);
    } finally {
      if (this.mnt) unmount(this.mnt);
      this.r.ms = Math.round(performance.now() - t0);
    }
  }

  private async full(rng: ReturnType<typeof rngOf>): Promise<void> {
    const before = await this.listed();
    if (!before) return;
    const onDisk = new Set(KINDS[this.kind].files ? readdirSync(this.ctx.target) : []);
    // 3 MB the tools cannot compress; a filler leaves 1 MB free.
    for (let i = 0; i < 3; i++) writeFileSync(join(this.ctx.src, `random-${i}.bin`), rng.bytes(1 << 20));
    const filler = join(this.mnt, 'filler');
    const st = statfsSync(this.mnt);
    const fill = sh(['fallocate', '-l', String(Math.max(4096, st.bavail * st.bsize - (1 << 20))), filler]);
    if (fill.status !== 0) writeFileSync(filler, Buffer.alloc(Math.max(0, st.bavail * st.bsize - (1 << 20))));
    await new Promise((res) => setTimeout(res, 1_100)); // a copy name of its own (whole seconds)
    const r = await this.run();
    const msg = this.message(r);
    this.r.message = msg;
    if (r.code !== 1) this.problem(`the run on a full target exited ${r.code}, not 1: ${msg}`);
    if (!/ENOSPC|no space left on device/i.test(msg)) this.problem(`the failure does not say the target is full: ${msg}`);
    if (!msg.includes(this.mnt)) this.problem(`the failure does not name the target ${this.mnt}: ${msg}`);
    if (msg.includes('\n') || /\n\s+at .+:\d+:\d+/.test(r.stdout + r.stderr)) this.problem(`not one line: ${msg}`);
    const fresh = this.newFinalNames(onDisk);
    if (fresh.length) this.problem(`a new name appeared on the full target: ${fresh.join(', ')}`);
    this.lockReleased('after the failed run');
    const after = await this.listed();
    if (after && after.join() !== before.join()) this.problem(`the copies changed: ${before.join(', ')} → ${after.join(', ')}`);
    if (after && before.some((b) => !after.includes(b))) this.problem('an older copy was pruned by a failed run');
    const def = KINDS[this.kind];
    if (def.check) {
      const p = await def.check(this.ctx);
      if (p) this.problem(`after the failed run: ${p}`);
    }
    // Space freed: the same run succeeds, and its copy restore-tests.
    rmSync(filler);
    const again = await this.run();
    if (again.code !== 0) this.problem(`the run after freeing space failed: ${this.message(again)}`);
    await this.soundAndVerified('after freeing space');
  }

  private async readOnly(rng: ReturnType<typeof rngOf>, dev: string, stallS: number): Promise<void> {
    this.r.stallMs = stallS * 1000;
    const before = await this.listed();
    if (!before) return;
    // 256 MB of new random data: the backup writes for several seconds.
    for (let i = 0; i < 8; i++) writeFileSync(join(this.ctx.src, `random-${i}.bin`), rng.bytes(32 << 20));
    await new Promise((res) => setTimeout(res, 1_100));
    const c = spawn(
      process.execPath,
      [this.o.cli, 'run', this.ctx.plan, '--job', JOB, '--state-dir', this.ctx.state, '--progress', 'json'],
      { env: this.ctx.env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let roAt: number | undefined;
    let how = '';
    const used0 = statfsSync(this.mnt);
    const usedBytes = () => {
      const s = statfsSync(this.mnt);
      return (used0.bfree - s.bfree) * s.bsize;
    };
    c.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    c.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
    const closed = new Promise<number | null>((res) => c.on('close', (code) => res(code)));
    // Read-only once the backup step has started and written its first 16 MB to the target.
    const flip = (async () => {
      const t = Date.now();
      while (roAt === undefined && Date.now() - t < 300_000 && c.exitCode === null) {
        if (/"event":"step-start"[^\n]*"phase":"backup"/.test(out) && usedBytes() > 16 << 20) {
          how = turnReadOnly(dev, this.mnt);
          roAt = Date.now();
          break;
        }
        await new Promise((res) => setTimeout(res, 20));
      }
    })();
    const code = await closed;
    const end = Date.now();
    await flip;
    if (roAt === undefined) {
      this.problem('the backup ended before the target could be made read-only (more data needed)');
      return;
    }
    this.r.endedAfterMs = end - roAt;
    const summary = out
      .split('\n')
      .filter((l) => l.includes('"event":"summary"'))
      .pop();
    let msg = '';
    try {
      msg = (JSON.parse(summary ?? '{}') as { jobs?: { message?: string }[] }).jobs?.map((j) => j.message ?? '').join('\n') ?? '';
    } catch {
      msg = out.slice(-500);
    }
    this.r.message = msg;
    this.o.log?.(`[${this.kind} read-only] made read-only by ${how}; the run ended ${this.r.endedAfterMs} ms later, exit ${code}: ${msg}`);
    if (code !== 1) this.problem(`the run exited ${code}, not 1: ${msg}`);
    // The SIGTERM grace (process.ts KILL_GRACE_MS: min(10 s, max(1 s, stall))) and 15 s of slack for a loaded machine.
    const bound = stallS * 1000 + Math.min(10_000, Math.max(1_000, stallS * 1000)) + 15_000;
    if (this.r.endedAfterMs > bound)
      this.problem(`the run ended ${this.r.endedAfterMs} ms after the target turned read-only: more than its stall timeout (${stallS} s) allows (${bound} ms)`);
    this.lockReleased('after the run on a read-only target');
    // Repaired and mounted again: no older copy lost, and the next run succeeds.
    unmount(this.mnt);
    const fsck = sh(['e2fsck', '-fy', this.img]);
    if (fsck.status !== null && fsck.status > 2) this.problem(`e2fsck exited ${fsck.status}: ${fsck.out.slice(-300)}`);
    mountImage(this.img, this.mnt);
    const after = await this.listed();
    if (after && before.some((b) => !after.includes(b))) this.problem(`an older copy is gone: ${before.join(', ')} → ${after.join(', ')}`);
    // A restic/borg step stopped at its stall timeout died holding the tool's own lock, which it
    // could not remove from the read-only repository: the next run (no flag) clears it first,
    // Backplan having stopped that step itself (engine/run/state/tool-stopped.ts), and says so.
    const again = await this.run();
    const toolStopped = /stall timeout/.test(msg) && (this.kind === 'restic' || this.kind === 'borg');
    if (toolStopped && again.code === 0 && !again.stdout.includes(`"${JOB}/unlock"`))
      this.problem(`the run after the repair did not clear the lock of the stopped ${this.kind} step: ${again.stdout.slice(0, 500)}`);
    if (toolStopped) this.r.notes.push('the next run cleared the stopped tool step\'s lock by itself');
    if (again.code !== 0) this.problem(`the run after the repair failed: ${this.message(again)}`);
    await this.soundAndVerified('after the repair');
  }
}

/** Run one fault for one kind. */
export async function fsFault(kind: KindName, fault: FsFault, opts: FsFaultOptions): Promise<FsFaultResult> {
  const s = new Scenario(kind, fault, opts);
  await s.go();
  return s.r;
}
