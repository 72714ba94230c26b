// `backplan retain --engine duplicity` against duplicity 0.8.22 itself (issue #15): three targets
// of random backup sets (fulls and incrementals at random hours, made with `duplicity full` /
// `duplicity incremental` under a frozen faked clock), then 100 random cases: one remove
// command (remove-older-than D, remove-all-but-n-full N, remove-all-inc-of-but-n-full N) listed
// without --force at a random "now", and the sets it would delete must be exactly those retain
// removes for the same policy, list and now. Times fall on whole hours, so cutoffs often equal a
// chain's end exactly (duplicity keeps it: not older). Seeded: a failure prints its seed and case.
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { duplicityInterval } from '../../engine/retention/duplicity';
import { duplicityGuardSnapshots, parseDuplicityRemove } from '../../engine/run/inventory/duplicity';
import { duration } from '../../engine/time/duration';
import { CLI, ensureBuilt } from '../helpers/cli';
import { faketimeLib } from '../helpers/faketime';
import { requireTools } from '../helpers/integration';
import { rng } from '../helpers/rng';

const H = 3_600_000;
const CASES = Number(process.env.BACKPLAN_DUPLICITY_CASES ?? 100);
const SEED = Number(process.env.BACKPLAN_DUPLICITY_SEED ?? 15_2026);
const ok = requireTools('duplicity', 'faketime');
let work = '';


/** `backplan ARGS` (the copy made in beforeAll). */
function retain(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(work, 'cli.js'), 'retain', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

function dup(ms: number, args: string[], cache: string): Promise<{ code: number; out: string }> {
  const stamp = new Date(ms)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, '');
  const env = {
    ...process.env,
    TZ: 'UTC',
    XDG_CACHE_HOME: cache,
    FAKETIME: stamp,
    FAKETIME_DONT_FAKE_MONOTONIC: '1',
    LD_PRELOAD: faketimeLib(),
  };
  return new Promise((resolve) => {
    const child = spawn('duplicity', args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('close', (code) => resolve({ code: code ?? -1, out }));
  });
}

interface Target {
  url: string;
  name: string;
  cache: string;
  /** The sets as collection-status lists them. */
  sets: ReturnType<typeof duplicityGuardSnapshots>;
  last: number;
}

const targets: Target[] = [];

beforeAll(async () => {
  if (!ok) return;
  ensureBuilt();
  work = mkdtempSync(join(tmpdir(), 'bp-retdup-'));
  // A copy of the command: hundreds of calls must not meet dist/ while another test rebuilds it.
  copyFileSync(CLI, join(work, 'cli.js'));
  const r = rng(SEED);
  for (let n = 0; n < 3; n++) {
    const src = join(work, `src${n}`);
    mkdirSync(src);
    const t: Target = {
      url: `file://${join(work, `t${n}`)}`,
      name: `t${n}`,
      cache: join(work, 'cache'),
      sets: [],
      last: 0,
    };
    let time = Date.UTC(2026, 0, 1) + n * 24 * H;
    const count = 10 + Math.floor(r() * 5);
    for (let i = 0; i < count; i++) {
      writeFileSync(join(src, 'f'), `${n} ${i}\n`);
      const action = i === 0 || r() < 0.3 ? 'full' : 'incremental';
      const b = await dup(time, [action, '--no-encryption', `--name=${t.name}`, src, t.url], t.cache);
      expect(b.code, b.out).toBe(0);
      t.last = time;
      time += (1 + Math.floor(r() * 48)) * H;
    }
    const st = await dup(
      t.last,
      ['collection-status', '--log-fd=1', '--no-encryption', `--name=${t.name}`, t.url],
      t.cache,
    );
    t.sets = duplicityGuardSnapshots(st.out);
    expect(t.sets).toHaveLength(count);
    targets.push(t);
  }
}, 240_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe.skipIf(!ok)('retain --engine duplicity vs duplicity 0.8.22', () => {
  it(`agrees with duplicity's remove listings on ${CASES} random cases`, async () => {
    const r = rng(SEED + 1);
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)];
    let removedSomething = 0;
    for (let c = 0; c < CASES; c++) {
      const t = pick(targets);
      const first = t.sets[0].time;
      // now: from the newest set to 20 days after it, on a whole hour.
      const now = t.last + Math.floor(r() * 20 * 24) * H;
      const form = pick(['within', 'full', 'incrementals_of'] as const);
      let keep: Record<string, unknown>;
      let cmd: string[];
      if (form === 'within') {
        const span = Math.max(1, Math.floor(r() * ((now - first) / H + 24)));
        const text = r() < 0.5 ? `${span}h` : `${Math.max(1, Math.round(span / 24))}d`;
        keep = { within: text };
        cmd = ['remove-older-than', duplicityInterval(duration(text))];
      } else {
        const n = 1 + Math.floor(r() * 5);
        keep = { [form]: n };
        cmd = [form === 'full' ? 'remove-all-but-n-full' : 'remove-all-inc-of-but-n-full', String(n)];
      }
      const listing = await dup(now, [...cmd, '--no-encryption', `--name=${t.name}`, t.url], t.cache);
      expect(listing.code, listing.out).toBe(0);
      const tool = parseDuplicityRemove(listing.out, t.sets, form === 'incrementals_of');
      const file = join(work, `case${c}.json`);
      writeFileSync(
        file,
        JSON.stringify(t.sets.map((s) => ({ time: new Date(s.time).toISOString(), type: s.tags[0] }))),
      );
      const out = await retain([
        '--engine',
        'duplicity',
        '--policy',
        JSON.stringify({ keep }),
        '--snapshots',
        file,
        '--now',
        new Date(now).toISOString(),
        '--format',
        'json',
      ]);
      expect(out.code, out.stdout + out.stderr).toBe(0);
      const decided = JSON.parse(out.stdout) as { remove: { time: string }[] };
      const removed = decided.remove.map((x) => Date.parse(x.time)).sort((a, b) => a - b);
      const expected = t.sets.filter((s) => tool.remove.has(s.id)).map((s) => s.time);
      const label = `seed ${SEED}, case ${c}: ${t.name} ${cmd.join(' ')} at ${new Date(now).toISOString()}`;
      expect(
        removed.map((x) => new Date(x).toISOString()),
        label,
      ).toEqual(expected.map((x) => new Date(x).toISOString()));
      if (expected.length > 0) removedSomething++;
    }
    // The cases are not all trivial: a good part of them removes something.
    expect(removedSomething).toBeGreaterThan(CASES / 4);
  }, Math.max(600_000, CASES * 4000));
});
