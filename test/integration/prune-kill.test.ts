// A prune killed with SIGKILL at any moment never leaves a listed copy that is not whole
// (issue #16, item 1). Removal renames a copy to `.deleting-NAME` in its own directory before
// deleting it, so every listing (prune --dry-run, verify --copy, the next run's --link-dest)
// sees either the whole copy or no copy; the next prune, under the job's lock, deletes the
// leftovers and says so. An archive is hidden before its manifest, and a manifest whose archive
// is gone (a removal interrupted between the two) is removed by the next prune too.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, ensureBuilt } from '../helpers/cli';
import { backplanAsync as backplan } from '../helpers/cli-async';
import { requireTools } from '../helpers/integration';

const ok = requireTools('rsync', 'cp', 'find');
const CHECKS = 'checks: { coverage-3-2-1: off, no-restore-test: off, offsite-unencrypted: off, unused: off }';
let work = '';

beforeAll(() => {
  if (!ok) return;
  ensureBuilt();
  work = mkdtempSync(join(tmpdir(), 'bp-prune-kill-'));
}, 120_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

/** Number of files under `dir` (find -type f). */
function fileCount(dir: string): number {
  const r = spawnSync('find', [dir, '-type', 'f'], { encoding: 'utf8' });
  return r.stdout.split('\n').filter(Boolean).length;
}

/** `backplan prune` started now and killed with SIGKILL after `ms` (unless it ended first). */
function pruneKilledAfter(args: string[], ms: number): Promise<{ killed: boolean; took: number }> {
  const t0 = performance.now();
  const c = spawn(process.execPath, [CLI, 'prune', ...args], { stdio: 'ignore' });
  let killed = false;
  const timer = setTimeout(() => {
    if (c.exitCode === null && c.signalCode === null) killed = c.kill('SIGKILL');
  }, ms);
  return new Promise((resolve) =>
    c.once('close', () => {
      clearTimeout(timer);
      resolve({ killed, took: performance.now() - t0 });
    }),
  );
}

describe.skipIf(!ok)('a prune killed at random moments', () => {
  it('rsync: never leaves a listed directory with missing files (prune --dry-run, verify --copy); the next prune ' +
    'removes the `.deleting-` leftovers and reports them', async () => {
    const src = join(work, 'rsync', 'src');
    // ~2,000 files in 40 directories.
    for (let d = 0; d < 40; d++) {
      mkdirSync(join(src, `d${d}`), { recursive: true });
      for (let f = 0; f < 50; f++) writeFileSync(join(src, `d${d}`, `f${f}.txt`), `${d}/${f}\n`);
    }
    const store = join(work, 'rsync', 'store');
    const plan = join(work, 'rsync', 'plan.backplan.yaml');
    writeFileSync(
      plan,
      [
        'version: 1',
        'hosts: { me: { site: home } }',
        `storage: { disk: { host: me, media: hdd, path: ${store} } }`,
        'jobs:',
        `  home: { kind: rsync, host: me, paths: [${src}], to: disk, retention: { keep: { last: 1 } } }`,
        CHECKS,
        '',
      ].join('\n'),
    );
    const state = join(work, 'rsync', 'state');
    const dir = join(store, 'home');
    const first = await backplan(['run', plan, '--state-dir', state]);
    expect(first.code, first.stdout + first.stderr).toBe(0);
    const [newest] = readdirSync(dir);
    const whole = fileCount(join(dir, newest));
    expect(whole).toBe(2000);
    const OLD = ['20200101T0000Z', '20200102T0000Z', '20200103T0000Z'];
    /** Old copies (hard-linked to the newest: the same ~2,000 names to delete each). */
    const refill = () => {
      for (const o of OLD) if (!existsSync(join(dir, o))) spawnSync('cp', ['-al', join(dir, newest), join(dir, o)]);
    };
    // A killed prune leaves its lock behind: each next command breaks it (it is stale).
    const args = [plan, '--job', 'home', '--state-dir', state, '--break-stale-lock'];

    // How long a whole prune of three copies takes here: the kills land anywhere from the
    // start of the command to just after the end of its removals.
    refill();
    const whole0 = await pruneKilledAfter(args, 60_000);
    expect(readdirSync(dir)).toEqual([newest]);
    let hits = 0;
    let leftovers = 0;
    for (let i = 0; i < 30; i++) {
      refill();
      const at = Math.random() * whole0.took * 1.1;
      const k = await pruneKilledAfter(args, at);
      const names = readdirSync(dir);
      if (names.some((n) => n.startsWith('.deleting-'))) leftovers++;
      // A kill while a tree was being deleted: fewer files in the directory than whole.
      const partial = names.filter((n) => fileCount(join(dir, n)) < whole);
      if (k.killed && partial.length) hits++;
      // Every copy a listing shows is whole.
      const dry = await backplan(['prune', plan, '--job', 'home', '--dry-run', '--format', 'json']);
      expect(dry.code, dry.stdout + dry.stderr).toBe(0);
      const report = JSON.parse(dry.stdout) as { keep: { name: string }[]; remove: { name: string }[] };
      const listed = [...report.keep, ...report.remove].map((c) => c.name);
      expect(listed).toContain(newest);
      for (const name of listed) expect(fileCount(join(dir, name)), `${name} after a kill at ${at.toFixed(0)} ms`).toBe(whole);
      // verify --copy agrees, for the oldest copy still listed (the one most likely half-deleted).
      const oldest = listed.filter((n) => n !== newest).sort()[0];
      if (oldest !== undefined && partial.length) {
        const v = await backplan(['verify', plan, '--job', 'home', '--copy', oldest, '--state-dir', state, '--break-stale-lock']);
        expect(v.code, `verify --copy ${oldest}: ${v.stdout}${v.stderr}`).toBe(0);
      }
    }
    // The kills did land in the middle of removals (else this test proved nothing).
    console.log(`rsync prune: ${hits} of 30 kills interrupted a tree's deletion; ${leftovers} left a .deleting- name`);
    expect(hits).toBeGreaterThan(0);

    // The next prune deletes every leftover and reports it; only the newest copy is left. (One
    // more kill or a few, until one left a `.deleting-` name, if the last one did not.)
    const hidden = () => readdirSync(dir).filter((n) => n.startsWith('.deleting-'));
    for (let i = 0; i < 30 && hidden().length === 0; i++) {
      refill();
      await pruneKilledAfter(args, whole0.took * (0.5 + Math.random() * 0.6));
    }
    const left = hidden();
    expect(left.length).toBeGreaterThan(0);
    refill();
    const again = await backplan(['prune', ...args, '--format', 'json']);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    const cleaned = (JSON.parse(again.stdout) as { partials: string[] }).partials;
    for (const n of left) expect(cleaned).toContain(n);
    expect(again.stdout).not.toContain('"failed": [\n    "');
    expect(readdirSync(dir)).toEqual([newest]);
    expect(fileCount(join(dir, newest))).toBe(whole);
  }, 300_000);

  it('archive: a removal interrupted between the archive and its manifest leaves no orphan manifest after the ' +
    'next prune', async () => {
    const base = join(work, 'archive');
    const src = join(base, 'src');
    mkdirSync(src, { recursive: true });
    writeFileSync(join(src, 'a.txt'), 'a\n');
    const store = join(base, 'store');
    const plan = join(base, 'plan.backplan.yaml');
    writeFileSync(
      plan,
      [
        'version: 1',
        'hosts: { me: { site: home } }',
        `storage: { disk: { host: me, media: hdd, path: ${store} } }`,
        'jobs:',
        `  docs: { kind: archive, host: me, paths: [${src}], to: disk, retention: { keep: { last: 1 } } }`,
        CHECKS,
        '',
      ].join('\n'),
    );
    const state = join(base, 'state');
    const dir = join(store, 'docs');
    const r = await backplan(['run', plan, '--state-dir', state]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const [archive] = readdirSync(dir).filter((n) => n.endsWith('.tar.gz'));
    const stamp = /\d{8}T\d{6}Z/.exec(archive)![0];
    const named = (t: string) => archive.replace(stamp, t);
    // What kills left: a removal that deleted the archive but not its manifest (one name after
    // the other, as prunes did before), and one killed between hiding the archive and hiding
    // its manifest (the archive under its `.deleting-` name, the manifest under its own).
    writeFileSync(join(dir, `${named('20200101T000000Z')}.sha256`), 'x\n');
    writeFileSync(join(dir, `.deleting-${named('20200102T000000Z')}`), 'x');
    writeFileSync(join(dir, `${named('20200102T000000Z')}.sha256`), 'x\n');
    // A manifest that is not of this job's names is never touched.
    writeFileSync(join(dir, 'notes.sha256'), 'mine\n');
    const dry = await backplan(['prune', plan, '--job', 'docs', '--state-dir', state, '--dry-run', '--format', 'json']);
    const d = JSON.parse(dry.stdout) as { keep: { name: string }[]; remove: unknown[]; partials: string[] };
    // No listing takes a leftover for a copy.
    expect(d.keep.map((k) => k.name)).toEqual([archive]);
    expect(d.remove).toEqual([]);
    expect(d.partials.sort()).toEqual(
      [`${named('20200101T000000Z')}.sha256`, `.deleting-${named('20200102T000000Z')}`, `${named('20200102T000000Z')}.sha256`].sort(),
    );
    const p = await backplan(['prune', plan, '--job', 'docs', '--state-dir', state]);
    expect(p.code, p.stdout + p.stderr).toBe(0);
    expect(p.stdout).toContain(`${named('20200101T000000Z')}.sha256`);
    expect(readdirSync(dir).sort()).toEqual([archive, `${archive}.sha256`, 'notes.sha256'].sort());
    const v = await backplan(['verify', plan, '--job', 'docs', '--state-dir', state]);
    expect(v.code, v.stdout + v.stderr).toBe(0);
  }, 120_000);
});
