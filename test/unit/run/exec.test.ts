// The executor, journal and locks on real processes and files (no mocks): pipelines,
// partial-then-rename outputs, secrets by environment and their redaction, refusals, the
// remote environment wrapper (run locally with sh), the built-in archive and its restore test.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Hosts } from '../../../engine/run/exec/hosts';
import { runBuiltinStep, runCommandStep } from '../../../engine/run/exec/execute';
import type { ExecEnv } from '../../../engine/run/exec/exec-env';
import { remoteEnvWrapper } from '../../../engine/run/exec/env';
import { LocalFs } from '../../../engine/run/exec/files';
import { Redactor } from '../../../engine/run/exec/redact';
import { Journal, interruptedSteps, readJournal } from '../../../engine/run/state/journal';
import { acquireLock, LockError, lockPath, procStartOf } from '../../../engine/run/state/lock';
import { parseManifest } from '../../../engine/run/builtin/manifest';
import { restoreAndCompare } from '../../../engine/run/builtin/restore';
import type { BuiltinStep, CommandStep } from '../../../engine/run/steps/step';
import { plan } from './helpers';

const temps: string[] = [];
afterEach(() => {
  for (const d of temps.splice(0)) rmSync(d, { recursive: true, force: true });
});
function temp(): string {
  const d = mkdtempSync(join(tmpdir(), 'bp-exec-'));
  temps.push(d);
  return d;
}

function env(extra: NodeJS.ProcessEnv = {}): ExecEnv & { redactor: Redactor } {
  return { hosts: new Hosts(plan({ jobs: [] })), redactor: new Redactor(), env: { ...process.env, ...extra } };
}

function cmdStep(fields: Partial<CommandStep>): CommandStep {
  return {
    type: 'command',
    id: 'j/1',
    job: 'j',
    phase: 'backup',
    description: 'test',
    host: 'local',
    after: [],
    argv: ['true'],
    ...fields,
  };
}

const out = (dir: string, name = 'o.txt') => ({
  host: 'local',
  path: join(dir, name),
  partial: join(dir, `${name}.partial`),
  kind: 'file' as const,
  via: 'stdout' as const,
});

describe('command steps', () => {
  it('pipes stdout into stdin between stages, writes NAME.partial, fsyncs, renames when every stage ' +
    'succeeded', async () => {
    const d = temp();
    const r = await runCommandStep(
      cmdStep({
        argv: ['printf', '%s', 'hello world'],
        pipe: [{ host: 'local', argv: ['tr', 'a-z', 'A-Z'] }],
        output: out(d),
      }),
      env(),
    );
    expect(r).toMatchObject({
      ok: true,
      detail: { output: join(d, 'o.txt'), bytes: 11, sha256: createHash('sha256').update('HELLO WORLD').digest('hex') },
    });
    expect(readFileSync(join(d, 'o.txt'), 'utf8')).toBe('HELLO WORLD');
    expect(readdirSync(d)).toEqual(['o.txt']);
  });

  it('a failing stage fails the step and leaves neither the partial nor a final file', async () => {
    const d = temp();
    const r = await runCommandStep(
      cmdStep({
        argv: ['printf', 'data'],
        pipe: [{ host: 'local', argv: ['sh', '-c', 'cat >/dev/null; echo boom >&2; exit 3'] }],
        output: out(d),
      }),
      env(),
    );
    expect(r.ok).toBe(false);
    expect(r.message).toBe('sh exited with status 3: boom');
    expect(readdirSync(d)).toEqual([]);
    const missing = await runCommandStep(cmdStep({ argv: ['backplan-no-such-tool-xyz'] }), env());
    expect(missing.message).toBe('backplan-no-such-tool-xyz: command not found');
  });

  it('never replaces an existing copy', async () => {
    const d = temp();
    writeFileSync(join(d, 'o.txt'), 'old');
    const r = await runCommandStep(cmdStep({ argv: ['printf', 'new'], output: out(d) }), env());
    expect(r.ok).toBe(false);
    expect(r.message).toMatch(/o\.txt already exists; a copy is never replaced/);
    expect(readFileSync(join(d, 'o.txt'), 'utf8')).toBe('old');
    expect(readdirSync(d)).toEqual(['o.txt']);
  });

  it('passes secrets by environment only (from a variable or a file) and the redactor hides them', async () => {
    const d = temp();
    const secret = 'S3cr3t $(touch x) `y`';
    writeFileSync(join(d, 'pw'), 'from-file-secret\n');
    const x = env({ BP_UNIT_SECRET: secret });
    const argv = ['sh', '-c', 'printf "%s|%s" "$A" "$B" > "$1"; echo "leaked: $A" >&2; exit 1', 'sh', join(d, 'got')];
    const r = await runCommandStep(
      cmdStep({ argv, env: { A: { fromEnv: 'BP_UNIT_SECRET' }, B: { fromFile: join(d, 'pw') } } }),
      x,
    );
    expect(readFileSync(join(d, 'got'), 'utf8')).toBe(`${secret}|from-file-secret`);
    expect(existsSync(join(d, 'x'))).toBe(false);
    expect(r.ok).toBe(false);
    expect(x.redactor.text(r.message!)).toBe('sh exited with status 1: leaked: ***');
    const unset = await runCommandStep(
      cmdStep({ argv: ['true'], env: { A: { fromEnv: 'BP_UNIT_NOT_SET_XYZ' } } }),
      env(),
    );
    expect(unset.message).toBe('environment variable BP_UNIT_NOT_SET_XYZ is not set (it holds A for this step)');
  });

  it('refuses unresolved placeholders and unchecked guarded prunes without running anything', async () => {
    const d = temp();
    const marker = join(d, 'ran');
    const a = await runCommandStep(cmdStep({ argv: ['touch', marker], unresolved: ['{{latest}}'] }), env());
    expect(a.message).toMatch(/^job `j` needs \{\{latest\}\}, which the live state of its hosts did not give .*refused$/);
    const b = await runCommandStep(cmdStep({ argv: ['touch', marker, '{{base}}'] }), env());
    expect(b.message).toMatch(/placeholder that was never resolved/);
    // A guard without the listing to check the tool against (a step planned by an older version).
    const c = await runCommandStep(
      cmdStep({ argv: ['touch', marker], guard: { argv: ['x'], parse: 'restic-forget-json', min: 1 } }),
      env(),
    );
    expect(c.message).toMatch(/no listing to check the tool against.*prune refused, nothing was pruned/);
    expect(existsSync(marker)).toBe(false);
  });

  it('checks a read-back (`expect`)', async () => {
    expect((await runCommandStep(cmdStep({ argv: ['echo', ' off '], expect: { stdout: 'off' } }), env())).ok).toBe(
      true,
    );
    expect((await runCommandStep(cmdStep({ argv: ['echo', 'on'], expect: { stdout: 'off' } }), env())).message).toBe(
      'read-back gave `on`, expected `off`',
    );
  });
});

describe('remote environment wrapper', () => {
  it('decodes any value with POSIX sh alone and leaves the rest of stdin to the command', () => {
    const values = { A: 'it\'s $(touch x) `y` \\ "q"\nline2\n\n', B: 'é ünï', C: '' };
    const w = remoteEnvWrapper(values, ['sh', '-c', 'printf "%s|%s|%s" "$A" "$B" "$C"; cat']);
    const d = temp();
    const r = spawnSync(w.argv[0], w.argv.slice(1), {
      input: Buffer.concat([w.header, Buffer.from('payload\n')]),
      cwd: d,
      encoding: 'utf8',
    });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`${values.A}|${values.B}|payload\n`);
    expect(readdirSync(d)).toEqual([]);
    // The values are not in argv.
    expect(w.argv.join(' ')).not.toContain('touch');
  });
});

describe('built-in archive', () => {
  it('writes the archive and its manifest under partial names, renames them, and the restore test passes', async () => {
    const d = temp();
    mkdirSync(join(d, 'src', 'sub'), { recursive: true });
    writeFileSync(join(d, 'src', 'a.txt'), 'a');
    writeFileSync(join(d, 'src', 'sub', 'b.log'), 'b');
    writeFileSync(join(d, 'src', 'sub', 'c.txt'), 'c');
    mkdirSync(join(d, 'out'));
    const o = out(join(d, 'out'), 'x-20240101T0000Z.tar.gz');
    const step: BuiltinStep = {
      type: 'builtin',
      id: 'x/2',
      job: 'x',
      phase: 'backup',
      description: 'archive',
      host: 'local',
      after: [],
      builtin: {
        op: 'archive',
        paths: [join(d, 'src')],
        exclude: ['*.log'],
        format: 'tar.gz',
        manifest: { host: 'local', path: `${o.path}.sha256`, partial: `${o.path}.sha256.partial` },
      },
      output: o,
    };
    const r = await runBuiltinStep(step, env());
    expect(r).toMatchObject({ ok: true, detail: { files: 2 } });
    expect(readdirSync(join(d, 'out')).sort()).toEqual(['x-20240101T0000Z.tar.gz', 'x-20240101T0000Z.tar.gz.sha256']);
    const manifest = parseManifest(readFileSync(`${o.path}.sha256`, 'utf8'));
    expect(manifest.members.map((m) => m.path).sort()).toEqual([
      `${d.slice(1)}/src/a.txt`,
      `${d.slice(1)}/src/sub/c.txt`,
    ]);
    expect(manifest.archive.bytes).toBe(statSync(o.path).size);
    const v = await restoreAndCompare(new LocalFs().read(o.path), manifest, { scratchParent: d });
    expect(v).toMatchObject({ ok: true, checked: 2, problems: [] });
    // The scratch directory is gone.
    expect(readdirSync(d).sort()).toEqual(['out', 'src']);

    // A second archive of a path that does not exist: nothing is written.
    const bad = await runBuiltinStep(
      {
        ...step,
        builtin: { ...step.builtin, paths: [join(d, 'nope')] },
        output: out(join(d, 'out'), 'x-20240102T0000Z.tar.gz'),
      },
      env(),
    );
    expect(bad.message).toMatch(/cannot read .*nope: ENOENT/);
    expect(readdirSync(join(d, 'out')).length).toBe(2);

    // The manifest is committed with its archive in one call: it must live beside it.
    const elsewhere = `${join(d, 'x-20240103T0000Z.tar.gz')}.sha256`;
    const apart = await runBuiltinStep(
      {
        ...step,
        builtin: { ...step.builtin, manifest: { host: 'local', path: elsewhere, partial: `${elsewhere}.partial` } },
        output: out(join(d, 'out'), 'x-20240103T0000Z.tar.gz'),
      },
      env(),
    );
    expect(apart).toEqual({ ok: false, message: 'the archive step must write its manifest beside the archive' });
    expect(readdirSync(join(d, 'out')).length).toBe(2);
  });
});

describe('journal', () => {
  it('appends fsynced JSON lines, redacts secrets, and shows interrupted steps', () => {
    const d = temp();
    const red = new Redactor();
    red.add('topsecret');
    const j = Journal.create(d, 'run-1', red);
    j.append({
      type: 'step-start',
      job: 'a',
      step: 'a/1',
      phase: 'backup',
      description: 'x',
      display: 'X=topsecret cmd',
    });
    j.append({ type: 'step-end', job: 'a', step: 'a/1', status: 'ok', ms: 1 });
    j.append({ type: 'step-start', job: 'a', step: 'a/2', phase: 'prune', description: 'y', display: 'y' });
    expect(() => Journal.create(d, 'run-1')).toThrow(/EEXIST/);
    const lines = readJournal(join(d, 'run-1.jsonl'));
    expect(lines.map((l) => l.type)).toEqual(['step-start', 'step-end', 'step-start']);
    expect(lines[0]).toMatchObject({ run: 'run-1', display: 'X=*** cmd' });
    expect(readFileSync(join(d, 'run-1.jsonl'), 'utf8')).not.toContain('topsecret');
    expect(interruptedSteps(lines)).toEqual(['a/2']);
    expect(statSync(join(d, 'run-1.jsonl')).mode & 0o777).toBe(0o600);
    j.close();
  });
});

describe('job locks', () => {
  const deadPid = () =>
    Number(
      spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout,
    );

  it('one holder at a time; the second is told who holds it', () => {
    const d = temp();
    const l = acquireLock(d, 'job', { run: 'r1', command: 'run' });
    expect(JSON.parse(readFileSync(lockPath(d, 'job'), 'utf8'))).toMatchObject({
      pid: process.pid,
      host: hostname(),
      run: 'r1',
    });
    expect(() => acquireLock(d, 'job', { run: 'r2', command: 'run' })).toThrow(
      new RegExp(`job job is already running \\(pid ${process.pid} since .*, run r1\\)`),
    );
    // breakStale never breaks a live lock.
    expect(() => acquireLock(d, 'job', { run: 'r2', command: 'run', breakStale: true })).toThrow(/already running/);
    l.release();
    expect(existsSync(lockPath(d, 'job'))).toBe(false);
    acquireLock(d, 'job', { run: 'r3', command: 'run' }).release();
    expect(readdirSync(d)).toEqual([]);
  });

  it("removes the temporaries a command killed while taking the lock left, never a live process's nor another job's", () => {
    const d = temp();
    const dead = `job.lock.${deadPid()}.1a2b3c4d.tmp`;
    const live = `job.lock.${process.ppid}.5e6f7a8b.tmp`;
    const other = `other.lock.${deadPid()}.9c0d1e2f.tmp`;
    for (const n of [dead, live, other]) writeFileSync(join(d, n), '{}\n');
    acquireLock(d, 'job', { run: 'r1', command: 'run' }).release();
    expect(readdirSync(d).sort()).toEqual([live, other].sort());
  });

  it('a stale lock (dead pid, reused pid) is reported with how to clear it, and broken only on request', () => {
    const d = temp();
    const pid = deadPid();
    writeFileSync(
      lockPath(d, 'job'),
      JSON.stringify({
        job: 'job',
        pid,
        host: hostname(),
        since: 'then',
        run: 'old',
        command: 'run',
        journal: '/j.jsonl',
      }),
    );
    let err: unknown;
    try {
      acquireLock(d, 'job', { run: 'r', command: 'run' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(LockError);
    expect((err as LockError).kind).toBe('stale');
    expect((err as Error).message).toBe(
      `job job has a stale lock: process ${pid} no longer exists (the run that took it, pid ${pid} since then, run ` +
        `old, was interrupted; its journal is /j.jsonl). ` +
        `Check that no backup of job is running, then run again with --break-stale-lock, or delete ` +
          `${lockPath(d, 'job')}`,
    );
    expect(existsSync(lockPath(d, 'job'))).toBe(true);
    const broken: string[] = [];
    const l = acquireLock(d, 'job', {
      run: 'new',
      command: 'run',
      breakStale: true,
      onBroken: (info, why) => broken.push(`${info.run}: ${why}`),
    });
    expect(broken).toEqual([`old: process ${pid} no longer exists`]);
    l.release();

    // Our own pid, but recorded with another process start time: the pid was reused.
    if (procStartOf(process.pid)) {
      writeFileSync(
        lockPath(d, 'job'),
        JSON.stringify({
          job: 'job',
          pid: process.pid,
          host: hostname(),
          since: 'then',
          run: 'old',
          command: 'run',
          procStart: '1',
        }),
      );
      expect(() => acquireLock(d, 'job', { run: 'r', command: 'run' })).toThrow(
        `pid ${process.pid} now belongs to another process`,
      );
    }
  });

  it('a lock from another machine counts as live; an unreadable one is reported', () => {
    const d = temp();
    writeFileSync(
      lockPath(d, 'job'),
      JSON.stringify({ job: 'job', pid: 1, host: 'elsewhere', since: 'then', run: 'r0', command: 'run' }),
    );
    expect(() => acquireLock(d, 'job', { run: 'r', command: 'run', breakStale: true })).toThrow(
      'job job is already running (pid 1 on elsewhere since then, run r0)',
    );
    writeFileSync(lockPath(d, 'job'), 'garbage');
    expect(() => acquireLock(d, 'job', { run: 'r', command: 'run' })).toThrow(
      /its content is not a Backplan lock; delete it once you are sure/,
    );
  });
});
