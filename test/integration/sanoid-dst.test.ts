// sanoid's snapshot taking around the two DST changes of Europe/Paris (issue #15), against sanoid
// 2.1.0 itself: `sanoid --take-snapshots --readonly --verbose` under libfaketime (FAKETIME_FMT=%s:
// an epoch, so the repeated hour of October is not ambiguous), its listing given as its cache
// file (mtime "now", so it is trusted and no zfs runs). Each "taking snapshot DS@NAME" line is a
// snapshot it takes; they must be exactly the names Backplan's engine (retention/sanoid.ts
// sanoidDue, sanoidName) gives, at runs every few minutes from the eve of each change to the day
// after, with the newest snapshot of each type at seeded random ages (some on the preferred times).
// The corrections are sanoid's: the October day's $dstOffset on hourly and daily, Perl's
// timelocal for repeated and skipped wall times.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PolicyModel } from '../../engine/plan/model';
import { preferredTime, sanoidCounts, sanoidDue, sanoidName, SANOID_TYPES } from '../../engine/retention/sanoid';
import { faketimeLib } from '../helpers/faketime';
import { requireTools } from '../helpers/integration';
import { rng } from '../helpers/rng';

const ok = requireTools('sanoid', 'faketime');
const ZONE = 'Europe/Paris';
const KEEP = { frequently: 4, hourly: 24, daily: 7, weekly: 4, monthly: 3 };
const POLICY = { at: [], keep: KEEP, raw: { keep: KEEP } } as unknown as PolicyModel;
const DS = 'bpdst/data';
// The changes of 2026: 29 March 01:00Z (02:00 → 03:00) and 25 October 01:00Z (03:00 → 02:00).
const CHANGES = [Date.UTC(2026, 2, 29, 1), Date.UTC(2026, 9, 25, 1)];
const PERIOD: Record<string, number> = {
  frequently: 900, hourly: 3600, daily: 86_400, weekly: 604_800, monthly: 2_678_400,
};
let work = '';

beforeAll(() => {
  if (ok) work = mkdtempSync(join(tmpdir(), 'bp-sanoid-dst-'));
});
afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

function run(argv: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(argv[0], argv.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** The names sanoid takes at `now` (s) with the newest of each type at `newest` (s). */
async function sanoidTakes(now: number, newest: Record<string, number>, k: number): Promise<string[]> {
  const dir = join(work, `c${k}`);
  mkdirSync(dir, { recursive: true });
  const conf = [`[${DS}]`, ...SANOID_TYPES.map((t) => `\t${t} = ${(KEEP as Record<string, number>)[t] ?? 0}`),
    '\tautosnap = yes', '\tautoprune = no'];
  writeFileSync(join(dir, 'sanoid.conf'), `${conf.join('\n')}\n`);
  const cache = join(dir, 'snapshots.txt');
  const lines = Object.entries(newest).map(
    ([type, ctime]) => `${DS}@${sanoidName(ctime * 1000, type as never, ZONE)}\tcreation\t${ctime}\t-\n`,
  );
  writeFileSync(cache, lines.join(''));
  utimesSync(cache, now, now);
  const env = { ...process.env, TZ: ZONE, FAKETIME_FMT: '%s', FAKETIME: String(now), LD_PRELOAD: faketimeLib() };
  const r = await run(['sanoid', '--configdir', dir, '--cache-dir', dir, '--run-dir', dir, '--take-snapshots',
    '--readonly', '--verbose'], env);
  if (r.code !== 0) throw new Error(`sanoid: ${r.code} ${r.stdout} ${r.stderr}`);
  rmSync(dir, { recursive: true, force: true });
  return [...r.stdout.matchAll(/^taking snapshot (\S+)@(\S+)$/gm)].filter((m) => m[1] === DS).map((m) => m[2]).sort();
}

describe.skipIf(!ok)('sanoid takes around the DST changes of Europe/Paris as Backplan says', () => {
  it('every 7-13 minutes from the eve of each change to the day after: the same names', async () => {
    const r = rng(20261025);
    const counts = sanoidCounts(POLICY);
    let k = 0;
    let taken = 0;
    for (const change of CHANGES) {
      for (let now = (change - 26 * 3_600_000) / 1000; now < (change + 40 * 3_600_000) / 1000; ) {
        now += 420 + Math.floor(r() * 360);
        // The newest of each type: on its preferred time, just before it, or at a random age.
        const newest: Record<string, number> = {};
        for (const type of Object.keys(KEEP)) {
          const pref = Math.floor(preferredTime(now * 1000, type as never, ZONE) / 1000);
          const pick = r();
          newest[type] =
            pick < 0.3 ? pref : pick < 0.5 ? pref - 1 : now - 1 - Math.floor(r() * 1.5 * PERIOD[type]);
        }
        const due = sanoidDue(now * 1000, counts, Object.fromEntries(
          Object.entries(newest).map(([t, s]) => [t, s * 1000])), ZONE);
        const expected = due.map((t) => sanoidName(now * 1000, t, ZONE)).sort();
        const got = await sanoidTakes(now, newest, k++);
        expect(expected, `at ${new Date(now * 1000).toISOString()} newest ${JSON.stringify(newest)}`).toEqual(got);
        taken += got.length;
      }
    }
    // Both days took snapshots of several types, and the runs were many.
    expect(k).toBeGreaterThan(300);
    expect(taken).toBeGreaterThan(k / 2);
  }, 900_000);
});
